"""Each note keeps its JSON, so that a page is joined rather than built (issue 13).

A page of 50 notes cost about 100 us of Python on SQLite: reading 51 rows of 7 columns,
then making dicts, datetimes and JSON of them. Reading one stored copy per note and
joining them halves that (benchmarks/README.md).

The copy is the note as the API shows it but for its id (`records.representation`).
Every write of this version stores it. Existing notes get theirs here, in batches. A
NULL copy is always safe: a page holding one is built from the columns. A trigger nulls
the copy when an update changes a shown column but not the copy (an older version of
the service still running during a rolling upgrade), so a stale copy is never shown.
The fill holds the table until it commits (its time at a million notes: docs/scale.md).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from notes.domain.records import NoteValues, representation

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000
SHOWN = "title, description, created_at, created_by, priority, updated_at"

_notes = sa.table(
    "notes",
    sa.column("id", sa.Integer()),
    sa.column("title", sa.Text()),
    sa.column("description", sa.Text()),
    sa.column("created_at", sa.DateTime()),
    sa.column("created_by", sa.Text()),
    sa.column("priority", sa.Integer()),
    sa.column("updated_at", sa.DateTime()),
    sa.column("representation", sa.LargeBinary()),
)
_n = _notes.c
_NEXT_BATCH = (
    sa.select(
        _n.id, _n.title, _n.description, _n.created_at, _n.created_by, _n.priority, _n.updated_at
    )
    .where(_n.id > sa.bindparam("after"))
    .order_by(_n.id)
    .limit(BATCH)
)
_FILL = (
    sa.update(_notes)
    .where(_n.id == sa.bindparam("note_id"))
    .values(representation=sa.bindparam("stored", type_=sa.LargeBinary()))
)

SQLITE_TRIGGER = (
    f"CREATE TRIGGER notes_representation_stale AFTER UPDATE OF {SHOWN} ON notes "
    "WHEN new.representation IS old.representation BEGIN "
    "UPDATE notes SET representation = NULL WHERE id = new.id; END",
)
SQLITE_TRIGGER_DROP = ("DROP TRIGGER IF EXISTS notes_representation_stale",)
POSTGRES_TRIGGER = (
    "CREATE FUNCTION notes_representation_stale() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN NEW.representation := NULL; RETURN NEW; END $$",
    f"CREATE TRIGGER notes_representation_stale BEFORE UPDATE OF {SHOWN} ON notes "
    "FOR EACH ROW WHEN (new.representation IS NOT DISTINCT FROM old.representation) "
    "EXECUTE FUNCTION notes_representation_stale()",
)
POSTGRES_TRIGGER_DROP = (
    "DROP TRIGGER IF EXISTS notes_representation_stale ON notes",
    "DROP FUNCTION IF EXISTS notes_representation_stale()",
)


def _fill(connection: sa.Connection) -> None:
    after = 0
    while rows := connection.execute(_NEXT_BATCH, {"after": after}).all():
        connection.execute(
            _FILL,
            [
                {"note_id": row.id, "stored": representation(NoteValues(*row[1:6]), row[6])}
                for row in rows
            ],
        )
        after = rows[-1].id


# PostgreSQL: the indexes on notes that no constraint owns (the primary key's stays).
_POSTGRES_INDEXES = sa.text(
    "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x"
    " JOIN pg_class i ON i.oid = x.indexrelid"
    " WHERE x.indrelid = 'notes'::regclass"
    " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)"
)


def _drop_indexes(connection: sa.Connection) -> list[str]:
    """Drop them; their definitions, to make them again once the copies are in."""
    found = connection.execute(_POSTGRES_INDEXES).all()
    for name, _ in found:
        op.execute(f'DROP INDEX "{name}"')
    return [definition for _, definition in found]


def upgrade() -> None:
    op.add_column("notes", sa.Column("representation", sa.LargeBinary(), nullable=True))
    connection = op.get_bind()
    sqlite = connection.dialect.name == "sqlite"
    # A PostgreSQL update writes a new row version into every index (SQLite's touches
    # only indexes of changed columns): made again after the fill, not kept in step
    # row by row, the 31 indexes cost once.
    definitions = [] if sqlite else _drop_indexes(connection)
    _fill(connection)
    for definition in definitions:
        op.execute(definition)
    for statement in SQLITE_TRIGGER if sqlite else POSTGRES_TRIGGER:
        op.execute(statement)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in SQLITE_TRIGGER_DROP if sqlite else POSTGRES_TRIGGER_DROP:
        op.execute(statement)
    op.execute("ALTER TABLE notes DROP COLUMN representation")
