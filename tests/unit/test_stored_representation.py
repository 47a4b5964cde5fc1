"""Pages joined from each note's stored JSON (migration 0007) are the pages the columns
make, byte for byte: for every sort, through the cursors, for awkward text; and a copy
an older version left missing or stale is never shown."""

from __future__ import annotations

import asyncio
from datetime import datetime
from functools import partial
from typing import Any

import orjson
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from notes.domain.listing import SORT_VALUES, Cursor, ListQuery, Page, page_of
from notes.domain.records import dumps
from notes.domain.schemas import INT32_MAX, INT32_MIN
from notes.settings import Settings
from notes.storage import repository
from notes.storage.backend import Backend
from notes.storage.migrations import downgrade_database, upgrade_database
from tests.unit.test_database import get, insert
from tests.unit.test_listing_indexes import (
    INSERT_0001,
    NOTES,
    _names,
    _stored,
    _with_backend,
    _write,
    populated_at,
)

# JSON escapes, line and paragraph separators, a surrogate pair, code-point order.
AWKWARD = (
    ('quote " back \\ slash', "tab\t newline\n cr\r nul-free \x01 \x1f", 0),
    ("U+2028 \u2028 U+2029 \u2029", "é ß Σ", INT32_MAX),
    ("emoji 😀 and \ufffd", "</script>", INT32_MIN),
    ("B", "", -1),
    ("a", "plain", 7),
    ("é", "", 7),
)
# A whole second (no microseconds shown), and microseconds.
WHOLE_SECOND = datetime(2026, 3, 1, 12, 0, 0)
MICROSECONDS = datetime(2026, 3, 1, 12, 0, 0, 123456)


async def _page(database: Backend, query: ListQuery) -> Page:
    return await database.read(partial(repository.list_page, query=query, caller=None))


async def _column_page(database: Backend, query: ListQuery) -> Page:
    found = await database.read(partial(repository.list_notes, query=query, caller=None))
    return page_of(found, query.limit, query.sort_key)


async def _walk_both(database: Backend, sort: str, limit: int = 2, **filters: Any) -> int:
    """Walk every page both ways, asserting them equal; the notes seen."""
    key, descending = sort.removeprefix("-"), sort.startswith("-")
    after: Cursor | None = None
    seen = 0
    while True:
        query = ListQuery(limit, key, descending, after=after, **filters)
        joined, built = await _page(database, query), await _column_page(database, query)
        assert joined == built, (sort, after)
        seen += len(orjson.loads(joined.notes))
        if joined.last is None:
            return seen
        after = joined.last


async def _fill(database: Backend) -> list[int]:
    ids = []
    for index, (title, description, priority) in enumerate(AWKWARD):
        created_at = WHOLE_SECOND if index % 2 else MICROSECONDS
        note = await insert(
            database,
            title=title,
            description=description,
            priority=priority,
            created_at=created_at,
        )
        ids.append(note.id)
    return ids


@pytest.mark.rule("LIST-1", "LIST-10", "LIST-11")
async def test_joined_pages_are_the_column_pages_byte_for_byte(database: Backend) -> None:
    ids = await _fill(database)
    for sort in SORT_VALUES:
        assert await _walk_both(database, sort) == len(AWKWARD)
    assert await _walk_both(database, "title", priority=7, limit=1) == 2
    assert await _walk_both(database, "-priority", q="U+", limit=1) == 1
    # Each note in a page exactly as reading it shows it, in the same bytes.
    page = await _page(database, ListQuery(100))
    notes = [dumps((await get(database, note_id)).to_json()) for note_id in ids]
    assert page.notes == b"[" + b",".join(notes) + b"]"


_OLDER_UPDATE = text(
    "UPDATE notes SET title = :title, title_folded = :folded, version = version + 1 WHERE id = :id"
)


async def _as_older_version(settings: Settings, statement: Any, **params: Any) -> None:
    engine = create_async_engine(settings.database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(statement, params)
    finally:
        await engine.dispose()


async def test_a_copy_an_older_version_left_missing_or_stale_is_not_shown(
    settings: Settings, database: Backend
) -> None:
    ids = await _fill(database)
    await _as_older_version(
        settings, INSERT_0001, title="older", title_folded="older", now=datetime(2026, 1, 1)
    )
    # An older version changes a shown column and not the copy: the trigger drops it.
    await _as_older_version(settings, _OLDER_UPDATE, title="changed", folded="changed", id=ids[0])
    missing = await _stored(
        settings.database_url, "SELECT id FROM notes WHERE representation IS NULL"
    )
    assert sorted(row[0] for row in missing) == [ids[0], ids[-1] + 1]
    for sort in SORT_VALUES:
        assert await _walk_both(database, sort, limit=3) == len(AWKWARD) + 1
    page = orjson.loads((await _page(database, ListQuery(100))).notes)
    assert page[0]["title"] == "changed"
    assert page[-1]["title"] == "older"
    # This version's next write of the note stores its copy again.
    await _update_title(database, ids[0])
    missing = await _stored(
        settings.database_url, "SELECT id FROM notes WHERE representation IS NULL"
    )
    assert [row[0] for row in missing] == [ids[-1] + 1]


async def _update_title(database: Backend, note_id: int) -> None:
    await database.write(
        partial(
            repository.update_note,
            note_id=note_id,
            changes={"title": "again"},
            if_match=None,
            caller=None,
        )
    )


@pytest.mark.rule("LIST-1")
async def test_0007_fills_a_populated_database_and_downgrades_cleanly(
    settings: Settings,
) -> None:
    url = settings.database_url
    await populated_at(settings, "0006")
    _, indexes = await _names(url)
    await asyncio.to_thread(upgrade_database, url, "0007")
    counts = "SELECT count(*), count(representation) FROM notes"
    assert await _stored(url, counts) == [(NOTES, NOTES)]
    # PostgreSQL's indexes were dropped for the fill and made again.
    assert (await _names(url))[1] == indexes
    await _write(settings, ("after 0007", "stale"), 11)  # as an older version writes

    async def check(database: Backend) -> None:
        for sort in ("id", "-updated_at", "title"):
            query = ListQuery(50, sort.removeprefix("-"), sort.startswith("-"))
            assert await _page(database, query) == await _column_page(database, query)
        # Deep in the table, where the older version's writes are.
        assert await _walk_both(database, "-id", limit=500) == NOTES

    await _with_backend(settings, check)

    await asyncio.to_thread(downgrade_database, url, "0006")
    columns = await _stored(url, "SELECT * FROM notes LIMIT 1")
    assert "representation" not in columns[0]._fields
    await asyncio.to_thread(upgrade_database, url)
    assert await _stored(url, counts) == [(NOTES, NOTES)]
