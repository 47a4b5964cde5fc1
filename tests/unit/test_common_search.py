"""`q` of a common text (in more than `search.COMMON` notes) is scanned in sort order
with the LIKE alone; a rarer one is judged among its trigram candidates (SQLite), or
served by pg_trgm (PostgreSQL). Every path must list exactly the contract's substring
match (LIST-8) in the sort's order (LIST-10), page after page through the cursors."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

import pytest
from sqlalchemy import select

from notes.domain.listing import SORT_VALUES, Cursor, ListQuery, sort_value
from notes.settings import Settings
from notes.storage import repository
from notes.storage.backend import Backend
from notes.storage.models import notes_table
from notes.storage.search import COMMON, candidates
from notes.storage.statements import StatementRunner
from notes_bench.scale_seed import seed

# "alpha" is in about one of these notes in four: common. "by alpha" (a description's
# end) in one in twenty, "lambda 1" in one in 150: both judged among candidates.
NOTES = 12_000
COMMON_TEXT, RARER_TEXTS = "ALPHA", ("by alpha", "lambda 1")
PAGE = 100
c = notes_table.c
ROWS = select(c.id, c.title, c.description, c.created_at, c.created_by, c.priority, c.updated_at)


def listed_ids(rows: list[dict[str, Any]], q: str, sort: str, **filters: Any) -> list[int]:
    """The ids a listing must give, in its order: the model's substring match of `q`
    (every note for ""), the filters' values, ties by id ascending."""
    folded = q.casefold()
    found = [
        row
        for row in rows
        if (folded in row["title"].casefold() or folded in row["description"].casefold())
        and all(row[name] == value for name, value in filters.items())
    ]
    key = sort.removeprefix("-")
    by_id = sorted(found, key=lambda row: row["id"])
    ordered = sorted(by_id, key=lambda row: row[key], reverse=sort.startswith("-"))
    return [row["id"] for row in ordered]


async def _walk(database: Backend, q: str, sort: str, **filters: Any) -> list[int]:
    """Every page of the listing, each after the cursor of the one before."""
    key, descending = sort.removeprefix("-"), sort.startswith("-")
    ids: list[int] = []
    after: Cursor | None = None
    while True:
        query = ListQuery(PAGE, key, descending, q=q, after=after, **filters)
        page = await database.read(partial(repository.list_notes, query=query, caller=None))
        ids += [note["id"] for note in page[:PAGE]]
        if len(page) <= PAGE:
            return ids
        last = page[PAGE - 1]
        after = Cursor(sort_value(last, key), last["id"])


def read_rows(runner: StatementRunner) -> list[dict[str, Any]]:
    """Every note as stored, with the columns a listing filters and sorts on."""
    names = [column.name for column in ROWS.selected_columns]
    return [dict(zip(names, row, strict=True)) for row in runner.fetch(ROWS, {})]


@pytest.fixture
async def stored(settings: Settings, database: Backend) -> list[dict[str, Any]]:
    await asyncio.to_thread(seed, settings.database_url, NOTES)
    return await database.read(read_rows)


async def test_the_texts_take_the_paths_they_are_meant_to(
    settings: Settings, database: Backend, stored: list[dict[str, Any]]
) -> None:
    """Else the test below would not test both paths."""
    assert len(listed_ids(stored, COMMON_TEXT, "id")) > COMMON
    for text in RARER_TEXTS:
        assert 50 < len(listed_ids(stored, text, "id")) < COMMON
        found = await database.read(partial(candidates, folded=text))
        assert (found is not None) == settings.is_sqlite  # PostgreSQL: no candidate step
    assert await database.read(partial(candidates, folded=COMMON_TEXT.casefold())) is None


@pytest.mark.rule("LIST-8", "LIST-10", "LIST-11")
@pytest.mark.parametrize("sort", SORT_VALUES)
async def test_common_and_rarer_texts_list_every_page_exactly(
    database: Backend, stored: list[dict[str, Any]], sort: str
) -> None:
    for text in (COMMON_TEXT, *RARER_TEXTS):
        assert await _walk(database, text, sort) == listed_ids(stored, text, sort), text
    # Behind a filter the common text is scanned in the filter's index order.
    for filters in ({"priority": 3}, {"created_by": stored[0]["created_by"]}):
        expected = listed_ids(stored, COMMON_TEXT, sort, **filters)
        assert await _walk(database, COMMON_TEXT, sort, **filters) == expected, filters
