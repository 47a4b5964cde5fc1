"""A listing past NOTES_LIST_TIME_BUDGET is stopped and answered 503 (v1.1, LIST-24), so
that a search no index can serve cannot starve other requests; on both backends."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import asyncpg
import pytest
from pytest_aiohttp import AiohttpClient

from notes.app import create_app
from notes.settings import Settings
from notes.storage.postgres import connect_arguments
from tests.unit.test_app import problem

NOTES = 50_000
_INTO = (
    "INSERT INTO notes (title, description, created_at, created_by, priority, updated_at,"
    " version, title_folded, description_folded)"
)


async def _seed(database_url: str) -> None:
    """Many notes straight into the table: the API would take minutes."""
    if database_url.startswith("sqlite"):
        path = database_url.split(":///", 1)[1]

        def insert() -> None:
            now = "2026-12-04 00:00:00.000000"
            rows = [
                (f"note {n}", "text", now, f"user{n % 100}", n % 10, now, 1, f"note {n}", "text")
                for n in range(NOTES)
            ]
            with sqlite3.connect(path) as connection:
                connection.executemany(f"{_INTO} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)

        await asyncio.to_thread(insert)
        return
    connection = await asyncpg.connect(**connect_arguments(database_url))
    try:
        await connection.execute(
            f"{_INTO} SELECT 'note ' || n, 'text', now(), 'user' || n % 100, n % 10, now(), 1,"
            f" 'note ' || n, 'text' FROM generate_series(1, {NOTES}) AS n"
        )
    finally:
        await connection.close()


@pytest.mark.rule("LIST-24")
async def test_a_listing_over_its_budget_is_503_and_the_rest_goes_on(
    aiohttp_client: AiohttpClient, settings: Settings
) -> None:
    roomy = await aiohttp_client(create_app(settings))
    tight_settings = settings.model_copy(update={"list_time_budget": 0.001})
    tight = await aiohttp_client(create_app(tight_settings))
    assert (await roomy.get("/notes")).status == 200  # migrated
    await _seed(settings.database_url)
    # One character matches no note and no index can serve it: every row is read.
    body = await problem(await tight.get("/notes", params={"q": "z"}), 503)
    assert "narrow" in body["detail"]
    served: list[Any] = await asyncio.gather(*(tight.get("/notes/1") for _ in range(5)))
    assert {response.status for response in served} == {200}
    answer = await roomy.get("/notes", params={"q": "z"})
    assert answer.status == 200
    assert (await answer.json())["notes"] == []
