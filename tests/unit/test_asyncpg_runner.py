"""PostgreSQL's runner (statements compiled once, run on asyncpg) reads and writes the
same rows as SQLAlchemy's own execution layer. On a real server (NOTES_TEST_DATABASE_URL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import asyncpg
import pytest
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.util import greenlet_spawn

from notes.domain.listing import ListQuery
from notes.storage import repository
from notes.storage.asyncpg_runner import AsyncpgRunner
from notes.storage.compiled import StatementCache
from notes.storage.postgres import connect_arguments
from notes.storage.statements import SqlAlchemyRunner

FIELDS = {"title": "Ünïcode", "description": "50% _done_", "created_by": "me", "priority": 3}


@pytest.fixture
async def runner(fresh_postgres_url: str) -> AsyncIterator[AsyncpgRunner]:
    connection = await asyncpg.connect(**connect_arguments(fresh_postgres_url))
    yield AsyncpgRunner(connection, StatementCache(asyncpg_dialect()))  # type: ignore[no-untyped-call]
    await connection.close()


async def _with_sqlalchemy(url: str, work: Any) -> Any:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            return await connection.run_sync(lambda sync: work(SqlAlchemyRunner(sync)))
    finally:
        await engine.dispose()


async def test_both_runners_read_and_write_the_same_rows(
    runner: AsyncpgRunner, fresh_postgres_url: str
) -> None:
    created_at = datetime(2017, 8, 23, 13, 45, 7, 120)
    fast = await greenlet_spawn(
        repository.insert_note, runner, fields={**FIELDS, "created_at": created_at}, caller=None
    )
    plain = await _with_sqlalchemy(
        fresh_postgres_url, lambda unit: repository.insert_note(unit, fields=FIELDS, caller=None)
    )
    assert plain.id == fast.id + 1
    for note in (fast, plain):
        read_fast = await greenlet_spawn(repository.get_note, runner, note_id=note.id, caller=None)
        read_plain = await _with_sqlalchemy(
            fresh_postgres_url,
            lambda unit, n=note: repository.get_note(unit, note_id=n.id, caller=None),
        )
        assert read_fast == read_plain == note
    assert fast.created_at == created_at
    query = ListQuery(limit=10, q="% _d")
    page_fast = await greenlet_spawn(repository.list_notes, runner, query=query, caller=None)
    page_plain = await _with_sqlalchemy(
        fresh_postgres_url, lambda unit: repository.list_notes(unit, query=query, caller=None)
    )
    assert page_fast == page_plain
    assert [item["id"] for item in page_fast] == [fast.id, plain.id]


async def test_a_search_is_planned_for_its_own_pattern(runner: AsyncpgRunner) -> None:
    # A cached `LIKE $1` statement may get one generic plan after five runs, one that
    # cannot use the trigram indexes; each search must be prepared for its one run.
    query = ListQuery(limit=10, q="alpha")
    for _ in range(8):
        await greenlet_spawn(repository.list_notes, runner, query=query, caller=None)
    reused = await runner.connection.fetchval(
        "SELECT count(*) FROM pg_prepared_statements"
        " WHERE statement LIKE '%LIKE%' AND generic_plans + custom_plans > 1"
    )
    assert reused == 0
    # Point reads keep asyncpg's cache: prepared once, run many times.
    note = await greenlet_spawn(repository.insert_note, runner, fields=FIELDS, caller=None)
    for _ in range(3):
        await greenlet_spawn(repository.get_note, runner, note_id=note.id, caller=None)
    kept = await runner.connection.fetchval(
        "SELECT max(generic_plans + custom_plans) FROM pg_prepared_statements"
        " WHERE statement LIKE '%WHERE notes.id = $1%'"
    )
    assert kept == 3
