"""Migration 0005 on a populated database: 100,000 notes, writes before and after the
upgrade, a clean downgrade; and `q` through the trigram indexes still exactly the
contract's substring match (LIST-8), whatever the backend."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import DateTime, bindparam, inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

from notes.domain.timestamps import utc_now
from notes.settings import Settings
from notes.storage.backend import Backend
from notes.storage.migrations import downgrade_database, upgrade_database
from notes.storage.store import open_backend
from notes_bench.scale import BEFORE_INDEXES
from notes_bench.scale_seed import seed
from tests.unit.test_database import delete, insert, listing, update

NOTES = 100_000
# Each found by `q` in other case, with LIKE's special characters literal.
WRITTEN_BEFORE = ("Ärger über 100% _x_ \\ here", "plain ÉTÉ")
WRITTEN_AFTER = ("zeta%_\\ été neu", "ΣΊΣΥΦΟΣ and 50_50")
QUERIES = (
    "ärger", "ÄRGER", "été", "100%", "_x_", "\\", "0%", "%_", "zeta%_", "σίσυφος", "50_50",
    "99999", "12345 ", "zzzz", "Ä", "é", "%", "_", "x", "ü",
)  # fmt: skip


def expected_ids(rows: list[tuple[int, str, str]], q: str) -> list[int]:
    folded = q.casefold()
    return sorted(
        note_id
        for note_id, title, description in rows
        if folded in title.casefold() or folded in description.casefold()
    )


async def _stored(url: str, query: str) -> list[Any]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return list(await connection.execute(text(query)))
    finally:
        await engine.dispose()


async def _names(url: str) -> tuple[set[str], set[str]]:
    def read(connection: Any) -> tuple[set[str], set[str]]:
        inspector = inspect(connection)
        indexes = {index["name"] for index in inspector.get_indexes("notes")}
        return set(inspector.get_table_names()), {str(name) for name in indexes}

    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(read)
    finally:
        await engine.dispose()


async def _with_backend(settings: Settings, work: Callable[[Backend], Any]) -> None:
    opened = open_backend(settings)
    try:
        await work(opened)
    finally:
        await opened.close()


async def _assert_search_exact(settings: Settings) -> None:
    url = settings.database_url
    rows = [tuple(row) for row in await _stored(url, "SELECT id, title, description FROM notes")]

    async def check(database: Backend) -> None:
        for q in QUERIES:
            expected = expected_ids(rows, q)
            found = await listing(database, ("q", q), ("limit", "1000"))
            assert [note["id"] for note in found] == expected[:1000], q

    await _with_backend(settings, check)


# Writes in the columns of 0001, as any version since writes them: the schema may be
# at a revision before the one this code's own writes need (also an older version's
# writes, in test_stored_representation).
INSERT_0001 = text(
    "INSERT INTO notes (title, description, created_at, created_by, priority, updated_at,"
    " version, title_folded, description_folded)"
    " VALUES (:title, '', :now, 'alice', 1, :now, 1, :title_folded, '')"
).bindparams(bindparam("now", type_=DateTime()))
_UPDATE = text(
    "UPDATE notes SET description = :description, description_folded = :folded,"
    " updated_at = :now, version = version + 1 WHERE id = :id"
).bindparams(bindparam("now", type_=DateTime()))
_DELETE = text("DELETE FROM notes WHERE id = :id")


async def _write(settings: Settings, titles: tuple[str, str], first: int) -> None:
    """A note inserted, note `first` updated and note `first` + 1 deleted."""
    title, description = titles
    now = utc_now()
    engine = create_async_engine(settings.database_url)
    try:
        async with engine.begin() as connection:
            insert = {"title": title, "title_folded": title.casefold(), "now": now}
            await connection.execute(INSERT_0001, insert)
            update = {"description": description, "folded": description.casefold()}
            await connection.execute(_UPDATE, {**update, "now": now, "id": first})
            await connection.execute(_DELETE, {"id": first + 1})
    finally:
        await engine.dispose()


async def populated_at(settings: Settings, revision: str) -> None:
    """NOTES notes put in before the listing indexes (as `notes-bench scale` does), the
    schema then at `revision`, and a write, an update and a delete made there."""
    url = settings.database_url
    await asyncio.to_thread(upgrade_database, url)
    await asyncio.to_thread(downgrade_database, url, BEFORE_INDEXES)
    await asyncio.to_thread(seed, url, NOTES)
    if revision != BEFORE_INDEXES:
        await asyncio.to_thread(upgrade_database, url, revision)
    await _write(settings, WRITTEN_BEFORE, 5)


@pytest.mark.rule("LIST-8")
async def test_0005_upgrades_a_populated_database_and_downgrades_cleanly(
    settings: Settings,
) -> None:
    url = settings.database_url
    await populated_at(settings, BEFORE_INDEXES)

    await asyncio.to_thread(upgrade_database, url)
    tables, indexes = await _names(url)
    assert "ix_notes_priority_desc_id" in indexes
    assert ("notes_search" in tables) or ("ix_notes_title_folded_trgm" in indexes)
    await _write(settings, WRITTEN_AFTER, 7)
    await _assert_search_exact(settings)

    await asyncio.to_thread(downgrade_database, url, BEFORE_INDEXES)
    tables, indexes = await _names(url)
    assert not {name for name in tables if name.startswith("notes_search")}
    assert not {name for name in indexes if "desc" in name or "trgm" in name}
    assert await _stored(url, "SELECT count(*) FROM notes") == [(NOTES,)]  # +1 -1 twice
    # A write while downgraded is found after the next upgrade (the index is rebuilt).
    await _write(settings, ("ÄRGER again", "neu"), 9)
    await asyncio.to_thread(upgrade_database, url)
    await _assert_search_exact(settings)


@pytest.mark.rule("LIST-8")
async def test_search_of_an_update_and_a_delete_is_in_step_at_once(database: Backend) -> None:
    note = await insert(database, title="Ærøskøbing 100%")
    assert [n["id"] for n in await listing(database, ("q", "ÆRØ"))] == [note.id]
    await update(database, note.id, title="Odense_50")
    assert await listing(database, ("q", "ærø")) == []
    assert [n["id"] for n in await listing(database, ("q", "se_5"))] == [note.id]
    assert await listing(database, ("q", "se%5")) == []
    await delete(database, note.id)
    assert await listing(database, ("q", "odense")) == []
