"""PostgreSQL: asyncpg connections of our own set, statements compiled by SQLAlchemy.

A unit of work (the repository's synchronous functions) runs in a greenlet on one
connection of ``connections.ConnectionSet``, its statements awaited on asyncpg by
``asyncpg_runner.AsyncpgRunner``. A read is one statement in autocommit; a write is a
transaction, except a lone statement (a create), which is its own transaction in
autocommit and spares the BEGIN and COMMIT round trips.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, TypeVar

import asyncpg
from sqlalchemy import make_url
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.util import greenlet_spawn

from notes.domain.errors import DatabaseUnavailable, ListingOverBudget, WriteConflict
from notes.domain.observer import DatabaseObserver
from notes.settings import Settings
from notes.storage import repository
from notes.storage.asyncpg_runner import AsyncpgRunner
from notes.storage.backend import Work, checked
from notes.storage.compiled import StatementCache
from notes.storage.connections import STATEMENT_CACHE_SIZE, ConnectionSet

T = TypeVar("T")
logger = logging.getLogger(__name__)

# SQLSTATE classes of "the database cannot serve this now": connection exceptions,
# insufficient resources, operator intervention (shutdown, cancel), system errors.
_UNAVAILABLE_CLASSES = ("08", "53", "57", "58")
_UNAVAILABLE = (
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
)


def _unavailable(error: BaseException) -> bool:
    if isinstance(error, _UNAVAILABLE):
        return True
    sqlstate = getattr(error, "sqlstate", None)
    return isinstance(sqlstate, str) and sqlstate[:2] in _UNAVAILABLE_CLASSES


# SQLAlchemy's asyncpg dialect takes these in the URL for itself, not for asyncpg.
_DIALECT_ONLY = ("prepared_statement_name_func", "async_creator_fn")


def connect_arguments(database_url: str) -> dict[str, Any]:
    """``asyncpg.connect``'s keyword arguments for a SQLAlchemy URL, read the way
    SQLAlchemy's asyncpg dialect reads it (host, port, query arguments such as ``ssl``),
    so that every URL that worked before works the same."""
    _, arguments = asyncpg_dialect().create_connect_args(make_url(database_url))  # type: ignore[no-untyped-call]
    for name in _DIALECT_ONLY:
        arguments.pop(name, None)
    arguments["statement_cache_size"] = arguments.pop(
        "prepared_statement_cache_size", STATEMENT_CACHE_SIZE
    )
    return dict(arguments)


class PostgresBackend:
    """Units of work on connections lent in turn, each bounded by ``database_timeout``."""

    def __init__(self, settings: Settings, observer: DatabaseObserver | None = None) -> None:
        self._timeout = settings.database_timeout
        self._connections = ConnectionSet(
            connect_arguments(settings.database_url),
            size=settings.pool_size,
            overflow=settings.pool_max_overflow,
            connect_timeout=settings.database_timeout,
        )
        self._cache = StatementCache(asyncpg_dialect())  # type: ignore[no-untyped-call]
        self._observer = observer

    async def read(self, work: Work[T]) -> T:
        return await self._run(work, transaction=False)

    async def write(self, work: Work[T], *, one_statement: bool = False) -> T:
        return await self._run(work, transaction=not one_statement)

    async def _run(self, work: Work[T], *, transaction: bool) -> T:
        try:
            async with asyncio.timeout(self._timeout):
                return await self._on_a_connection(work, transaction)
        except TimeoutError:
            logger.warning("database did not answer within %s s", self._timeout)
            raise DatabaseUnavailable() from None

    async def _on_a_connection(self, work: Work[T], transaction: bool) -> T:
        connections = self._connections
        try:
            connection = await connections.acquire()
        except Exception as error:
            _raise_if_unavailable(error)
            raise
        finally:
            self._report()
        broken = True
        try:
            runner = AsyncpgRunner(connection, self._cache)
            if transaction:
                async with connection.transaction():
                    result: T = await greenlet_spawn(work, runner)
            else:
                result = await greenlet_spawn(work, runner)
            broken = False
            return result
        except asyncpg.UniqueViolationError as error:
            broken = False  # the transaction's block rolled back; the session is fine
            raise WriteConflict() from error
        except asyncpg.PostgresError as error:
            # A statement that failed on the server leaves the connection usable.
            broken = _unavailable(error)
            _raise_if_unavailable(error)
            raise
        except Exception as error:
            # A domain error (404, 412) is raised before anything is written, and the
            # transaction's block has rolled back: the connection is as good as new.
            # Over its budget, asyncpg cancelled the statement: a fresh connection is
            # simpler than waiting for the cancellation to land.
            over_budget = isinstance(error, ListingOverBudget)
            broken = over_budget or _unavailable(error) or connection.is_in_transaction()
            _raise_if_unavailable(error)
            raise
        finally:
            # Cancelled or timed out mid-statement: the session's state is unknown.
            connections.release(connection, broken=broken)
            self._report()

    def _report(self) -> None:
        if self._observer is not None:
            connections = self._connections
            self._observer.pool(
                size=connections.open,
                checked_out=connections.lent,
                overflow=connections.overflow,
                waiting=connections.waiting,
            )

    async def check_health(self) -> None:
        await checked(self.read(repository.check_schema))

    async def close(self) -> None:
        await self._connections.close()


def _raise_if_unavailable(error: BaseException) -> None:
    """Turn "the database is not there" into a 503; anything else stays what it is."""
    if _unavailable(error):
        logger.warning("database unavailable: %s", type(error).__name__, exc_info=error)
        raise DatabaseUnavailable() from error
