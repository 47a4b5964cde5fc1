"""Core statements with named parameters, compiled once, run on either backend.

Every query is a SQLAlchemy Core statement whose values are ``bindparam``s, so one
statement object serves every request. On PostgreSQL it runs through SQLAlchemy as
usual (asyncpg, via ``run_sync``). On SQLite it is compiled once to SQL text and run
on the connection's own ``sqlite3`` handle: measured here, a point read costs 7 µs
that way against 79 µs through SQLAlchemy's execution and result machinery.

The SQLite path converts values the way SQLAlchemy's SQLite dialect stores them
(datetimes as ``YYYY-MM-DD HH:MM:SS.ffffff`` text), so both paths read and write
the same rows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, DateTime
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.selectable import Select

from notes.domain.timestamps import already_datetime

Row = Sequence[Any]
Statement = Select[Any] | UpdateBase


@dataclasses.dataclass(frozen=True, slots=True)
class _CompiledForSqlite:
    statement: Statement  # held so that its id() cannot be reused by another object
    sql: str
    parameter_names: tuple[str, ...]
    # Values the statement carries itself (a literal 1 in VALUES, a `version + 1`).
    fixed_values: dict[str, Any]
    datetime_columns: tuple[int, ...]


class SqliteStatementCache:
    """SQL text, parameter order and datetime columns of each statement, made once."""

    def __init__(self) -> None:
        self._compiled: dict[int, _CompiledForSqlite] = {}

    def compiled(self, statement: Statement, connection: Connection) -> _CompiledForSqlite:
        entry = self._compiled.get(id(statement))
        if entry is None or entry.statement is not statement:
            compiled = statement.compile(dialect=connection.dialect)
            assert isinstance(compiled, SQLCompiler)
            datetime_columns = tuple(
                index
                for index, column in enumerate(statement.exported_columns)
                if isinstance(column.type, DateTime)
            )
            entry = _CompiledForSqlite(
                statement,
                compiled.string,
                tuple(compiled.positiontup or ()),
                {k: v for k, v in compiled.params.items() if v is not None},
                datetime_columns,
            )
            self._compiled[id(statement)] = entry
        return entry


def _sqlite_value(value: object) -> object:
    if isinstance(value, datetime):
        # SQLAlchemy's SQLite storage format: it compares and sorts as text.
        return value.isoformat(sep=" ", timespec="microseconds")
    return value


class StatementRunner:
    """What a unit of work is given: a connection, and the fastest way to use it."""

    def __init__(self, connection: Connection, sqlite_cache: SqliteStatementCache | None) -> None:
        self.connection = connection
        self._cache = sqlite_cache

    def fetch(self, statement: Statement, params: Mapping[str, Any]) -> list[Row]:
        """The rows of `statement` run with `params`, as plain tuples."""
        if self._cache is None:
            # Rows are tuples already (Result.tuples() is deprecated in SQLAlchemy 2.1).
            return list(self.connection.execute(statement, dict(params)))
        entry, cursor = self._run_raw(statement, params)
        rows: list[Row] = cursor.fetchall()
        if entry.datetime_columns and rows:
            rows = _with_datetimes(rows, entry.datetime_columns)
        return rows

    def fetch_stored(self, statement: Statement, params: Mapping[str, Any]) -> list[Row]:
        """The rows as the driver returns them, datetimes still as stored (text on
        SQLite): a caller with many rows reads them with `read_datetime` in its own
        pass, rather than copying every row here first."""
        if self._cache is None:
            return self.fetch(statement, params)  # SQLAlchemy's rows hold datetimes already
        rows: list[Row] = self._run_raw(statement, params)[1].fetchall()
        return rows

    @property
    def read_datetime(self) -> Callable[[Any], datetime]:
        """What makes a datetime of a value of `fetch_stored`'s rows."""
        return already_datetime if self._cache is None else _from_text

    def insert(self, statement: Statement, params: Mapping[str, Any]) -> int:
        """Insert one row; its new primary key.

        No RETURNING on SQLite: measured here (SQLite 3.40, WAL, transactions of 32
        inserts as group commit makes them), INSERT ... RETURNING took 17.5 us a row,
        the same INSERT and the cursor's lastrowid 9 us; in longer transactions each
        RETURNING also wrote to a temporary file. SQLAlchemy gets the key its own way
        (RETURNING on PostgreSQL).
        """
        if self._cache is None:
            inserted = self.connection.execute(statement, dict(params)).inserted_primary_key
            assert inserted is not None
            return int(inserted[0])
        key: int = self._run_raw(statement, params)[1].lastrowid
        return key

    def execute(self, statement: Statement, params: Mapping[str, Any]) -> None:
        """Run a statement that returns no rows."""
        if self._cache is None:
            self.connection.execute(statement, dict(params))
        else:
            self._run_raw(statement, params)

    def _run_raw(self, statement: Statement, params: Mapping[str, Any]) -> tuple[Any, Any]:
        assert self._cache is not None
        entry = self._cache.compiled(statement, self.connection)
        raw = self.connection.connection.driver_connection
        assert raw is not None
        given = {**entry.fixed_values, **params}
        values = [_sqlite_value(given[name]) for name in entry.parameter_names]
        return entry, raw.execute(entry.sql, values)


_from_text: Callable[[str], datetime] = datetime.fromisoformat


def _with_datetimes(rows: list[Row], columns: tuple[int, ...]) -> list[Row]:
    # One loop for the whole result, not a call a row: a page is 51 rows.
    converted: list[Row] = []
    for row in rows:
        values = list(row)
        for index in columns:
            if values[index] is not None:
                values[index] = _from_text(values[index])
        converted.append(values)
    return converted
