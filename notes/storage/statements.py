"""How a unit of work runs statements: one small interface, whatever the backend.

Every query is a SQLAlchemy Core statement whose values are ``bindparam``s, so one
statement object serves every request. The repository hands statements and their
parameters to a ``StatementRunner``; each backend gives it the fastest runner it has.
SQLite and PostgreSQL each have one on the driver's own connection
(``sqlite.SqliteRunner``, ``asyncpg_runner.AsyncpgRunner``); ``SqlAlchemyRunner``, through
SQLAlchemy's own execution and result layer, is the reference the tests hold them to.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.selectable import Select

from notes.domain.timestamps import already_datetime

Row = Sequence[Any]
Statement = Select[Any] | UpdateBase


class StatementRunner(Protocol):
    """What a unit of work is given to run its statements."""

    def fetch(self, statement: Statement, params: Mapping[str, Any]) -> list[Row]:
        """The rows of `statement` run with `params`, datetimes as datetimes."""

    def fetch_stored(
        self, statement: Statement, params: Mapping[str, Any], *, budget: float | None = None
    ) -> list[Row]:
        """The rows as the driver returns them, datetimes maybe still as stored: a
        caller with many rows reads them with `read_datetime` in its own pass, rather
        than copying every row here first. A statement still running after `budget`
        seconds is stopped: ``ListingOverBudget``."""

    @property
    def dialect_name(self) -> str:
        """Which SQL the database speaks ("sqlite", "postgresql"), so which tables it has."""

    @property
    def read_datetime(self) -> Callable[[Any], datetime]:
        """What makes a datetime of a value of `fetch_stored`'s rows."""

    def insert(self, statement: Statement, params: Mapping[str, Any]) -> int:
        """Insert one row; its new primary key."""

    def execute(self, statement: Statement, params: Mapping[str, Any]) -> None:
        """Run a statement that returns no rows."""


class SqlAlchemyRunner:
    """Statements through SQLAlchemy's own execution and result layer."""

    __slots__ = ("connection",)

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def fetch(self, statement: Statement, params: Mapping[str, Any]) -> list[Row]:
        # Rows are tuples already (Result.tuples() is deprecated in SQLAlchemy 2.1).
        return list(self.connection.execute(statement, dict(params)))

    def fetch_stored(
        self, statement: Statement, params: Mapping[str, Any], *, budget: float | None = None
    ) -> list[Row]:
        # SQLAlchemy's rows hold datetimes already. The reference keeps no budget.
        return self.fetch(statement, params)

    @property
    def dialect_name(self) -> str:
        return self.connection.dialect.name

    @property
    def read_datetime(self) -> Callable[[Any], datetime]:
        return already_datetime

    def insert(self, statement: Statement, params: Mapping[str, Any]) -> int:
        # SQLAlchemy gets the key its own way (RETURNING on PostgreSQL).
        inserted = self.connection.execute(statement, dict(params)).inserted_primary_key
        assert inserted is not None
        return int(inserted[0])

    def execute(self, statement: Statement, params: Mapping[str, Any]) -> None:
        self.connection.execute(statement, dict(params))
