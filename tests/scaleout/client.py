"""Plain HTTP against the servers under test: aiohttp sessions and small note helpers."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp

JsonObject = dict[str, Any]
PROBLEM_JSON = "application/problem+json"
# A guard against a hang, never a measurement: no request here should come near it.
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=60)
OPERATIONS = ("PUT", "PATCH", "DELETE")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@asynccontextmanager
async def http_session(
    *, fresh_connections: bool = False, limit: int = 100
) -> AsyncIterator[aiohttp.ClientSession]:
    """A session; ``fresh_connections`` opens a new TCP connection for every request,
    so that SO_REUSEPORT spreads the requests over every worker."""
    connector = aiohttp.TCPConnector(limit=limit, force_close=fresh_connections)
    async with aiohttp.ClientSession(
        connector=connector, timeout=REQUEST_TIMEOUT, trust_env=False
    ) as session:
        yield session


async def create_note(
    session: aiohttp.ClientSession, base_url: str, fields: JsonObject
) -> tuple[JsonObject, str]:
    """POST a note; its body and ETag. Anything but 201 fails the test."""
    async with session.post(f"{base_url}/notes", json=fields) as response:
        body = await response.json()
        assert response.status == 201, body
        return body, response.headers["ETag"]


async def get_note(
    session: aiohttp.ClientSession, base_url: str, note_id: int
) -> tuple[int, JsonObject | None, str | None]:
    """GET one note: status, body (None on 404) and ETag."""
    async with session.get(f"{base_url}/notes/{note_id}") as response:
        if response.status == 404:
            return 404, None, None
        body = await response.json()
        assert response.status == 200, body
        return 200, body, response.headers["ETag"]


async def walk(
    session: aiohttp.ClientSession, base_url: str, params: dict[str, str], *, max_pages: int
) -> list[JsonObject]:
    """Every note of a listing, following `next` from the first page."""
    notes: list[JsonObject] = []
    url: str | None = f"{base_url}/notes"
    first = True
    for _ in range(max_pages):
        if url is None:
            return notes
        async with session.get(url, params=params if first else None) as response:
            page = await response.json()
            assert response.status == 200, page
        first = False
        notes.extend(page["notes"])
        url = page["next"]
    raise AssertionError(f"listing did not end within {max_pages} pages")


@dataclasses.dataclass(frozen=True)
class Attempt:
    contender: int
    method: str
    base_url: str
    status: int
    content_type: str
    body: JsonObject | None
    etag: str | None


async def conditional_write(
    session: aiohttp.ClientSession,
    *,
    contender: int,
    method: str,
    base_url: str,
    note_id: int,
    etag: str,
    owner: str,
) -> Attempt:
    """A PUT, PATCH or DELETE with `If-Match`; what came back."""
    payload: JsonObject | None = None
    if method == "PUT":
        payload = {"title": f"put by {contender}", "created_by": owner, "priority": contender}
    elif method == "PATCH":
        payload = {"title": f"patch by {contender}", "description": f"contender {contender}"}
    async with session.request(
        method, f"{base_url}/notes/{note_id}", json=payload, headers={"If-Match": etag}
    ) as response:
        body = await response.json() if response.status != 204 else None
        return Attempt(
            contender,
            method,
            base_url,
            response.status,
            response.content_type,
            body,
            response.headers.get("ETag"),
        )
