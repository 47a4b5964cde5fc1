"""The one interface every database backend implements, and what they share.

A backend runs a unit of work (a synchronous function of a ``StatementRunner``, see
``repository``) for reading or for writing, answers a health probe, and closes. How
it gets a connection, on which thread, through which driver, is its own business:
``sqlite`` and ``postgres`` each implement it in a module of their own.

Lower-layer failures are translated here, once: a database that cannot be reached
(or does not answer within ``database_timeout``) is ``DatabaseUnavailable``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from sqlalchemy import exc

from notes.domain.errors import DatabaseUnavailable, NotesError
from notes.storage.statements import StatementRunner

T = TypeVar("T")
Work = Callable[[StatementRunner], T]
logger = logging.getLogger(__name__)


class Backend(Protocol):
    async def read(self, work: Work[T]) -> T:
        """Run `work` on a connection that sees committed data."""

    async def write(self, work: Work[T], *, one_statement: bool = False) -> T:
        """Run `work` in a transaction; answer only once it is committed.

        ``one_statement``: `work` runs a single statement, which may then be its own
        transaction (autocommit, on PostgreSQL: no BEGIN and COMMIT round trips)."""

    async def check_health(self) -> None:
        """Raise DatabaseUnavailable unless requests can be served now."""

    async def close(self) -> None: ...


_UNAVAILABLE = (exc.OperationalError, exc.InterfaceError, exc.TimeoutError, OSError, TimeoutError)


class _DatabaseErrorTranslation:
    """A class rather than @contextmanager: every request enters one (see
    benchmarks/README.md, "Measured costs behind the design")."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _: object
    ) -> None:
        # No domain error (NotesError) is one of these: those pass through, as bugs do.
        if isinstance(error, _UNAVAILABLE):
            logger.warning("database unavailable: %s", type(error).__name__, exc_info=error)
            raise DatabaseUnavailable() from error
        if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
            logger.warning("database connection lost", exc_info=error)
            raise DatabaseUnavailable() from error


_TRANSLATION = _DatabaseErrorTranslation()


def translate_database_errors() -> _DatabaseErrorTranslation:
    """Turn "the database is not there" into a 503; anything else is a bug and stays one."""
    return _TRANSLATION


async def checked(probe: Awaitable[None]) -> None:
    """A health probe: any failure, a missing table included, means "not available"."""
    try:
        await probe
    except NotesError:
        raise
    except Exception as error:
        logger.warning("health probe failed: %s", type(error).__name__, exc_info=error)
        raise DatabaseUnavailable() from error
