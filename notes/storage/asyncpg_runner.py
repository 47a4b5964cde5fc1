"""Statements compiled once and run on an asyncpg connection, from synchronous work.

The repository's units of work are synchronous (one body of logic for both backends).
On PostgreSQL they run in a greenlet (SQLAlchemy's ``greenlet_spawn``), and each
statement is awaited on the asyncpg connection through ``await_only``: asyncpg's own
prepared-statement cache, rows as asyncpg returns them, none of SQLAlchemy's
execution and result layer per statement (benchmarks/README.md, "PostgreSQL against its floor").
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

import asyncpg
from sqlalchemy.sql.dml import Insert
from sqlalchemy.util import await_only

from notes.domain.errors import ListingOverBudget
from notes.domain.timestamps import already_datetime
from notes.storage.compiled import StatementCache
from notes.storage.statements import Row, Statement

T = TypeVar("T")


class AsyncpgRunner:
    """A ``StatementRunner`` on one asyncpg connection."""

    __slots__ = ("_cache", "connection")

    def __init__(self, connection: asyncpg.Connection, cache: StatementCache) -> None:
        self.connection = connection
        self._cache = cache

    def fetch(self, statement: Statement, params: Mapping[str, Any]) -> list[Row]:
        return self._rows(statement, params, None)

    def fetch_stored(
        self, statement: Statement, params: Mapping[str, Any], *, budget: float | None = None
    ) -> list[Row]:
        # asyncpg's rows hold datetimes already. Past the budget the statement is
        # cancelled as the database timeout cancels one (the connection is then closed).
        try:
            return self._rows(statement, params, budget)
        except TimeoutError:
            assert budget is not None
            raise ListingOverBudget(budget) from None

    def _rows(
        self, statement: Statement, params: Mapping[str, Any], timeout: float | None
    ) -> list[Row]:
        entry = self._cache.compiled(statement)
        values = entry.values(params)
        if entry.plan_per_value:
            # Not from asyncpg's statement cache: after five runs PostgreSQL may keep one
            # generic plan for a cached statement, and for `LIKE $1` that plan cannot use
            # the trigram indexes (a search then reads the table). A statement prepared
            # for this one run is planned with its value (benchmarks/README.md).
            prepared = await_only(self.connection.prepare(entry.sql))
            fresh: list[Row] = await_only(_within(prepared.fetch(*values), timeout))
            return fresh
        rows: list[Row] = await_only(_within(self.connection.fetch(entry.sql, *values), timeout))
        return rows

    @property
    def dialect_name(self) -> str:
        return "postgresql"

    @property
    def read_datetime(self) -> Callable[[Any], datetime]:
        return already_datetime

    def insert(self, statement: Statement, params: Mapping[str, Any]) -> int:
        assert isinstance(statement, Insert)
        entry = self._cache.compiled_returning_key(statement)
        key: int = await_only(self.connection.fetchval(entry.sql, *entry.values(params)))
        return key

    def execute(self, statement: Statement, params: Mapping[str, Any]) -> None:
        entry = self._cache.compiled(statement)
        await_only(self.connection.execute(entry.sql, *entry.values(params)))


async def _within(query: Awaitable[T], seconds: float | None) -> T:
    """`query`, cancelled after `seconds`, as the database timeout cancels one. Not
    asyncpg's own `timeout=`: with it, a server stopped during a database stall
    crashed at shutdown (SIGSEGV under uvloop, tests/scaleout; the cause inside
    asyncpg or uvloop was not pinned down)."""
    if seconds is None:
        return await query
    async with asyncio.timeout(seconds):
        return await query
