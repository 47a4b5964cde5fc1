"""Core statements compiled once per dialect: SQL text, parameter order, fixed values.

Both backends run the repository's statements on the driver's own connection
(``sqlite.SqliteRunner``, ``asyncpg_runner.AsyncpgRunner``), skipping SQLAlchemy's
execution and result layer per statement; this is the one place that makes the SQL.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import Insert

from notes.storage.statements import Statement


@dataclasses.dataclass(frozen=True, slots=True)
class CompiledStatement:
    statement: Statement  # held so that its id() cannot be reused by another object
    sql: str
    parameter_names: tuple[str, ...]
    # Values the statement carries itself (a literal 1 in VALUES, a `version + 1`).
    fixed_values: dict[str, Any]
    datetime_columns: tuple[int, ...]
    # A pattern match (`q`): its best plan depends on the pattern's value (a trigram
    # index, or none for a short one), so it must be planned for each value.
    plan_per_value: bool = False

    def values(self, params: Mapping[str, Any]) -> list[Any]:
        """The statement's positional values, from named ones."""
        given = {**self.fixed_values, **params} if self.fixed_values else params
        return [given[name] for name in self.parameter_names]


class StatementCache:
    """Each statement compiled for one dialect on first use, then looked up by identity."""

    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect
        self._compiled: dict[int, CompiledStatement] = {}
        self._returning_key: dict[int, tuple[Insert, Statement]] = {}

    def compiled(self, statement: Statement) -> CompiledStatement:
        entry = self._compiled.get(id(statement))
        if entry is None or entry.statement is not statement:
            entry = self._compile(statement)
            self._compiled[id(statement)] = entry
        return entry

    def compiled_returning_key(self, statement: Insert) -> CompiledStatement:
        """The INSERT with ``RETURNING`` its table's primary key."""
        known = self._returning_key.get(id(statement))
        if known is None or known[0] is not statement:
            returning = statement.returning(*statement.table.primary_key.columns)  # type: ignore[attr-defined]
            known = (statement, returning)
            self._returning_key[id(statement)] = known
        return self.compiled(known[1])

    def _compile(self, statement: Statement) -> CompiledStatement:
        compiled = statement.compile(dialect=self._dialect)
        assert isinstance(compiled, SQLCompiler)
        datetime_columns = tuple(
            index
            for index, column in enumerate(statement.exported_columns)
            if isinstance(column.type, DateTime)
        )
        return CompiledStatement(
            statement,
            compiled.string,
            tuple(compiled.positiontup or ()),
            {k: v for k, v in compiled.params.items() if v is not None},
            datetime_columns,
            plan_per_value=" LIKE " in compiled.string,
        )
