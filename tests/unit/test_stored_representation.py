"""Pages joined from each note's stored JSON (migrations 0007 and 0008) are the pages the
columns make, byte for byte: for every sort, through the cursors, for awkward text; a
copy an older version left missing or stale is never shown, and one it wrote opening
with a brace (0007's form) is shown as any other."""

from __future__ import annotations

import asyncio
from datetime import datetime
from functools import partial
from typing import Any

import orjson
import pytest
from sqlalchemy import DateTime, LargeBinary, bindparam, text
from sqlalchemy.ext.asyncio import create_async_engine

from notes.domain.listing import SORT_VALUES, Cursor, ListQuery, Page, page_of
from notes.domain.records import NoteValues, dumps, representation
from notes.domain.schemas import INT32_MAX, INT32_MIN
from notes.domain.timestamps import utc_now
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


async def _pages_as_the_columns_make_them(database: Backend) -> None:
    """A populated database's first pages of three sorts, and every page of `-id`."""
    for sort in ("id", "-updated_at", "title"):
        query = ListQuery(50, sort.removeprefix("-"), sort.startswith("-"))
        assert await _page(database, query) == await _column_page(database, query)
    # Deep in the table, where the older version's writes are.
    assert await _walk_both(database, "-id", limit=500) == NOTES


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

    await _with_backend(settings, _pages_as_the_columns_make_them)

    await asyncio.to_thread(downgrade_database, url, "0006")
    columns = await _stored(url, "SELECT * FROM notes LIMIT 1")
    assert "representation" not in columns[0]._fields
    await asyncio.to_thread(upgrade_database, url)
    assert await _stored(url, counts) == [(NOTES, NOTES)]


# What 0007's code stored: the same members, opening with a brace.
_INSERT_0007 = text(
    "INSERT INTO notes (title, description, created_at, created_by, priority, updated_at,"
    " version, title_folded, description_folded, representation)"
    " VALUES (:title, '', :now, 'alice', 1, :now, 1, :folded, '', :copy)"
).bindparams(bindparam("now", type_=DateTime()), bindparam("copy", type_=LargeBinary()))
_UPDATE_0007 = text(
    "UPDATE notes SET title = :title, title_folded = :folded, updated_at = :now,"
    " representation = :copy, version = version + 1 WHERE id = :id"
).bindparams(bindparam("now", type_=DateTime()), bindparam("copy", type_=LargeBinary()))


def _copy_0007(values: NoteValues, updated_at: datetime) -> bytes:
    return b"{" + representation(values, updated_at)[1:]


async def _brace_copies(settings: Settings) -> int:
    first = (
        "substr(representation, 1, 1) = X'7B'"
        if settings.is_sqlite
        else "substring(representation from 1 for 1) = '\\x7b'::bytea"
    )
    found = await _stored(settings.database_url, f"SELECT count(*) FROM notes WHERE {first}")
    count: int = found[0][0]
    return count


@pytest.mark.rule("LIST-1", "LIST-10")
async def test_a_copy_0007s_code_wrote_with_a_brace_is_shown_as_any_other(
    settings: Settings, database: Backend
) -> None:
    ids = await _fill(database)
    now = utc_now()
    # 0007's code, still running during a rolling upgrade, inserts one note and renames
    # another, storing each copy as it did.
    inserted = NoteValues("older insert", "", now, "alice", 1)
    await _as_older_version(
        settings,
        _INSERT_0007,
        title=inserted.title,
        folded=inserted.title.casefold(),
        now=now,
        copy=_copy_0007(inserted, now),
    )
    renamed = (await get(database, ids[1])).values._replace(title="older rename")
    await _as_older_version(
        settings,
        _UPDATE_0007,
        title=renamed.title,
        folded=renamed.title.casefold(),
        now=now,
        copy=_copy_0007(renamed, now),
        id=ids[1],
    )
    # SQLite's triggers mend both copies; PostgreSQL's pages skip the brace.
    assert await _brace_copies(settings) == (0 if settings.is_sqlite else 2)
    for sort in SORT_VALUES:
        assert await _walk_both(database, sort, limit=3) == len(AWKWARD) + 1
    titles = [note["title"] for note in orjson.loads((await _page(database, ListQuery(100))).notes)]
    assert titles[1] == "older rename"
    assert titles[-1] == "older insert"


@pytest.mark.rule("LIST-1")
async def test_0008_opens_the_copies_of_a_populated_database_with_a_comma(
    settings: Settings,
) -> None:
    url = settings.database_url
    await populated_at(settings, "0007")
    # Copies as 0007's code made them (this version's 0007 already writes commas).
    brace = (
        "CAST(X'7B' || substr(representation, 2) AS BLOB)"
        if settings.is_sqlite
        else "'\\x7b'::bytea || substring(representation from 2)"
    )
    await _as_older_version(settings, text(f"UPDATE notes SET representation = {brace}"))
    counts = "SELECT count(*), count(representation) FROM notes"
    [(_, copies)] = await _stored(url, counts)
    assert copies > NOTES - 5  # the write at 0007 left a copy or two missing
    assert await _brace_copies(settings) == copies
    await asyncio.to_thread(upgrade_database, url, "0008")
    # PostgreSQL's are left as they are: its pages skip a copy's first byte.
    assert await _brace_copies(settings) == (0 if settings.is_sqlite else copies)
    assert await _stored(url, counts) == [(NOTES, copies)]
    await _write(settings, ("after 0008", "stale"), 11)  # as an older version writes

    await _with_backend(settings, _pages_as_the_columns_make_them)

    await asyncio.to_thread(downgrade_database, url, "0007")
    triggers = "SELECT name FROM sqlite_master WHERE name LIKE 'notes_representation_%ed'"
    if settings.is_sqlite:
        assert await _stored(url, triggers) == []
    await asyncio.to_thread(upgrade_database, url)
    await _with_backend(settings, _pages_as_the_columns_make_them)
