"""The limits that are settings: body time, requests in flight; and aiohttp's own errors."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from notes.app import create_app
from notes.settings import Settings
from tests.unit.held import only_slot_held


@pytest.mark.rule("REQ-15")
async def test_a_body_that_stalls_is_408_after_request_timeout(
    aiohttp_client: AiohttpClient, database_url: str
) -> None:
    settings = Settings(database_url=database_url, auto_migrate=True, request_timeout=0.2)
    client = await aiohttp_client(create_app(settings))

    async def trickle() -> Any:
        yield b'{"title": "a", '
        await asyncio.sleep(2)  # far past the 0.2 s the server allows
        yield b'"created_by": "b"}'

    response = await client.post(
        "/notes", data=trickle(), headers={"Content-Type": "application/json"}
    )
    assert response.status == 408
    assert response.content_type == "application/problem+json"
    assert (await response.json())["detail"] == "The request body did not arrive within 0.2 s."
    listing = await (await client.get("/notes")).json()
    assert listing["notes"] == []


@pytest.mark.rule("ERR-11")
async def test_requests_beyond_the_limit_are_503_with_retry_after(
    aiohttp_client: AiohttpClient, database_url: str
) -> None:
    settings = Settings(database_url=database_url, auto_migrate=True, max_concurrent_requests=1)
    async with only_slot_held(aiohttp_client, settings) as client:
        refused = await client.get("/health")
        assert refused.status == 503
        assert refused.headers["Retry-After"] == "1"
        detail = (await refused.json())["detail"]
        assert detail.startswith("The server is handling as many requests")
    assert (await client.get("/health")).status == 200  # the slot is free again


async def test_aiohttp_404_and_405_say_what_happened(client: TestClient[Any, Any]) -> None:
    missing = await client.get("/nowhere")
    assert missing.status == 404
    assert (await missing.json())["detail"] == "There is nothing at /nowhere."
    wrong = await client.post("/notes/1")
    assert wrong.status == 405
    assert (await wrong.json())["detail"] == (
        "POST is not allowed on /notes/1; allowed: DELETE, GET, HEAD, PATCH, PUT."
    )
    assert wrong.headers["Allow"] == "DELETE,GET,HEAD,PATCH,PUT"
