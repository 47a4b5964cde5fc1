"""PostgreSQL: SQLAlchemy's async engine over asyncpg, a pool of connections.

A unit of work runs on one pooled connection through ``run_sync``: the repository's
synchronous functions, with every statement awaited on asyncpg underneath.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from sqlalchemy import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from notes.domain.errors import DatabaseUnavailable
from notes.domain.observer import DatabaseObserver
from notes.settings import Settings
from notes.storage import repository
from notes.storage.backend import Work, checked, translate_database_errors
from notes.storage.statements import SqlAlchemyRunner

T = TypeVar("T")
logger = logging.getLogger(__name__)


class PostgresBackend:
    """A pool of connections, one per unit of work."""

    def __init__(self, settings: Settings, observer: DatabaseObserver | None = None) -> None:
        self._timeout = settings.database_timeout
        url = make_url(settings.database_url)
        connect_args: dict[str, Any] = {}
        if url.get_backend_name() == "postgresql":
            connect_args = {"timeout": settings.database_timeout}
        self._engine: AsyncEngine = create_async_engine(
            url,
            pool_size=settings.pool_size,
            max_overflow=settings.pool_max_overflow,
            pool_timeout=settings.database_timeout,
            connect_args=connect_args,
        )
        self._autocommit = self._engine.execution_options(isolation_level="AUTOCOMMIT")
        self._abandoned: set[asyncio.Future[Any]] = set()
        self._observer = observer
        # Units of work begun and not yet ended: those without a connection are waiting.
        self._in_flight = 0

    async def read(self, work: Work[T]) -> T:
        return await self._run(work, read_only=True)

    async def write(self, work: Work[T]) -> T:
        return await self._run(work, read_only=False)

    async def _run(self, work: Work[T], *, read_only: bool) -> T:
        runner = self._run_alone if read_only else self._run_in_transaction
        if self._observer is not None:
            return await self._observed(runner, work)
        return await self._run_task(runner(work))

    async def _observed(
        self, runner: Callable[[Work[T]], Coroutine[Any, Any, T]], work: Work[T]
    ) -> T:
        self._in_flight += 1
        self._report_pool()
        try:
            return await self._run_task(runner(work))
        finally:
            self._in_flight -= 1
            self._report_pool()

    def _report_pool(self) -> None:
        assert self._observer is not None
        pool = self._engine.pool
        checked_out = pool.checkedout()  # type: ignore[attr-defined]
        self._observer.pool(
            size=pool.checkedin() + checked_out,  # type: ignore[attr-defined]
            checked_out=checked_out,
            overflow=max(0, pool.overflow()),  # type: ignore[attr-defined]
            waiting=max(0, self._in_flight - checked_out),
        )

    async def _run_task(self, coroutine: Coroutine[Any, Any, T]) -> T:
        # The work runs as a task of its own so that a timeout answers at once: when
        # cancelled, SQLAlchemy closes a stalled asyncpg connection gracefully, which
        # may take seconds more; that clean-up finishes in the background.
        task = asyncio.ensure_future(coroutine)
        try:
            done, _ = await asyncio.wait({task}, timeout=self._timeout)
        except asyncio.CancelledError:
            task.cancel()
            raise
        if not done:
            task.cancel()
            self._abandoned.add(task)
            task.add_done_callback(self._abandoned.discard)
            logger.warning("database did not answer within %s s", self._timeout)
            raise DatabaseUnavailable()
        with translate_database_errors():
            return task.result()

    async def _run_in_transaction(self, work: Work[T]) -> T:
        async with self._engine.begin() as connection:
            return await connection.run_sync(_with_runner, work)

    async def _run_alone(self, work: Work[T]) -> T:
        # A read is one statement: in autocommit it is its own snapshot, without the
        # BEGIN and COMMIT round trips a transaction would add to it.
        async with self._autocommit.connect() as connection:
            return await connection.run_sync(_with_runner, work)

    async def check_health(self) -> None:
        await checked(self.read(repository.check_schema))

    async def close(self) -> None:
        for task in list(self._abandoned):
            with contextlib.suppress(BaseException):
                await task
        await self._engine.dispose()


def _with_runner(connection: Connection, work: Work[T]) -> T:
    return work(SqlAlchemyRunner(connection))
