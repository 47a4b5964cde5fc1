"""Migration 0006 on a populated database: 100,000 notes, writes before and after the
upgrade, a clean downgrade; listings filtered by both `created_by` and `priority` give
the same notes in the same order, whatever index serves them."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest
from alembic.script import ScriptDirectory

from notes.domain.listing import SORT_VALUES
from notes.settings import Settings
from notes.storage.backend import Backend
from notes.storage.migrations import alembic_config, downgrade_database, upgrade_database
from tests.unit.test_common_search import listed_ids, read_rows
from tests.unit.test_database import listing
from tests.unit.test_listing_indexes import (
    NOTES,
    WRITTEN_AFTER,
    _names,
    _stored,
    _with_backend,
    _write,
    populated_at,
)

REVISION, BEFORE = "0006", "0005"


def _made_here() -> set[str]:
    script = ScriptDirectory.from_config(alembic_config("")).get_revision(REVISION)
    assert script is not None
    return {name for name, _ in script.module.CREATOR_PRIORITY_INDEXES}


async def _assert_both_filters_exact(settings: Settings) -> None:
    async def check(database: Backend) -> None:
        rows = await database.read(read_rows)
        # The author with the most notes, and one with few: the index and the sort's
        # order both matter for the first, ties by key for neither.
        authors = Counter(row["created_by"] for row in rows).most_common()
        for author in (authors[0][0], authors[-1][0]):
            for sort in SORT_VALUES:
                filters: dict[str, Any] = {"created_by": author, "priority": 3}
                expected = listed_ids(rows, "", sort, **filters)
                pairs = [(name, str(value)) for name, value in filters.items()]
                found = await listing(database, *pairs, ("sort", sort), ("limit", "1000"))
                assert [note["id"] for note in found] == expected, (author, sort)

    await _with_backend(settings, check)


@pytest.mark.rule("LIST-9", "LIST-10")
async def test_0006_upgrades_a_populated_database_and_downgrades_cleanly(
    settings: Settings,
) -> None:
    url = settings.database_url
    await populated_at(settings, BEFORE)
    made_here = _made_here()
    assert len(made_here) == 6
    assert not made_here & (await _names(url))[1]

    await asyncio.to_thread(upgrade_database, url, REVISION)
    assert made_here <= (await _names(url))[1]
    await _write(settings, WRITTEN_AFTER, 7)
    await _assert_both_filters_exact(settings)

    await asyncio.to_thread(downgrade_database, url, BEFORE)
    _, indexes = await _names(url)
    assert not made_here & indexes
    assert "ix_notes_created_by_priority_id" in indexes  # 0005's stay
    assert await _stored(url, "SELECT count(*) FROM notes") == [(NOTES,)]  # +1 -1 twice
    await _assert_both_filters_exact(settings)
    await asyncio.to_thread(upgrade_database, url)
    await _assert_both_filters_exact(settings)
