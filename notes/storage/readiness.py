"""Readiness: the schema in the database is the one this code's migrations end at.

A process started before `notes db upgrade` ran (or after a downgrade) answers
`/health` yet would fail on the first query that needs a new column: readiness says
so first. The expected revisions are the heads of the migration scripts shipped with
this code, read from their folder, never written down twice.
"""

from __future__ import annotations

import functools

from alembic.script import ScriptDirectory
from sqlalchemy import Column, MetaData, String, Table, select

from notes.storage.migrations import MIGRATIONS_DIR
from notes.storage.statements import StatementRunner

# Alembic's own bookkeeping table, declared here only to read it.
_alembic_version = Table("alembic_version", MetaData(), Column("version_num", String(32)))
SELECT_REVISIONS = select(_alembic_version.c.version_num)


@functools.cache
def head_revisions() -> frozenset[str]:
    """The revisions a fully migrated database is at. Blocking (reads the scripts)."""
    return frozenset(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads())


def schema_revisions(runner: StatementRunner) -> frozenset[str]:
    return frozenset(row[0] for row in runner.fetch(SELECT_REVISIONS, {}))
