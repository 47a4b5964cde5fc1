"""Indexes for listings at a million notes (issue 13).

Every sort key gets an index in each direction with the ascending ``id`` tiebreak
(``key DESC, id ASC`` serves ``sort=-key`` by index order), alone and behind the
``created_by`` and ``priority`` filters. ``q`` is served by trigram indexes over the
folded columns: an FTS5 table with the trigram tokenizer on SQLite, kept in step by
triggers (so in the writer's own transaction), and pg_trgm GIN indexes on PostgreSQL.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SORT_KEYS = ("priority", "created_at", "updated_at", "title")
PREFIXES = ((), ("created_by",), ("priority",))


# Made by 0001 already: (key, id) for every sort key and (created_by, id).
EXISTING = {f"ix_notes_{key}_id" for key in (*SORT_KEYS, "created_by")}


def _listing_indexes() -> list[tuple[str, list[str]]]:
    """(name, column expressions) of every index made here."""
    indexes: list[tuple[str, list[str]]] = []
    for prefix in PREFIXES:
        for key in (*SORT_KEYS, "id"):
            if key in prefix:
                continue
            # (prefix, id) serves both directions of id; the primary key serves none.
            directions = (False,) if key == "id" else (False, True)
            for descending in directions:
                columns = [*prefix, f"{key} DESC" if descending else key]
                if key != "id":
                    columns.append("id")
                name = "ix_notes_" + "_".join(column.replace(" ", "_") for column in columns)
                if columns != ["id"] and name.lower() not in EXISTING:
                    indexes.append((name.lower(), columns))
    return indexes


LISTING_INDEXES = _listing_indexes()

SQLITE_SEARCH = (
    # External content: the folded text is stored once, in notes. The text is folded
    # already (str.casefold), so the tokenizer must not fold it again its own way.
    "CREATE VIRTUAL TABLE notes_search USING fts5("
    "title_folded, description_folded, content='notes', content_rowid='id', "
    "tokenize='trigram case_sensitive 1')",
    "CREATE TRIGGER notes_search_insert AFTER INSERT ON notes BEGIN "
    "INSERT INTO notes_search(rowid, title_folded, description_folded) "
    "VALUES (new.id, new.title_folded, new.description_folded); END",
    "CREATE TRIGGER notes_search_delete AFTER DELETE ON notes BEGIN "
    "INSERT INTO notes_search(notes_search, rowid, title_folded, description_folded) "
    "VALUES ('delete', old.id, old.title_folded, old.description_folded); END",
    "CREATE TRIGGER notes_search_update AFTER UPDATE OF title_folded, description_folded "
    "ON notes BEGIN "
    "INSERT INTO notes_search(notes_search, rowid, title_folded, description_folded) "
    "VALUES ('delete', old.id, old.title_folded, old.description_folded); "
    "INSERT INTO notes_search(rowid, title_folded, description_folded) "
    "VALUES (new.id, new.title_folded, new.description_folded); END",
    "INSERT INTO notes_search(notes_search) VALUES ('rebuild')",
)
SQLITE_SEARCH_DROP = (
    "DROP TRIGGER IF EXISTS notes_search_update",
    "DROP TRIGGER IF EXISTS notes_search_delete",
    "DROP TRIGGER IF EXISTS notes_search_insert",
    "DROP TABLE IF EXISTS notes_search",
)
POSTGRES_SEARCH = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_notes_title_folded_trgm ON notes USING gin (title_folded gin_trgm_ops)",
    "CREATE INDEX ix_notes_description_folded_trgm ON notes "
    "USING gin (description_folded gin_trgm_ops)",
)
POSTGRES_SEARCH_DROP = (
    "DROP INDEX IF EXISTS ix_notes_description_folded_trgm",
    "DROP INDEX IF EXISTS ix_notes_title_folded_trgm",
)


def upgrade() -> None:
    for name, columns in LISTING_INDEXES:
        op.execute(f"CREATE INDEX {name} ON notes ({', '.join(columns)})")
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_SEARCH if dialect == "sqlite" else POSTGRES_SEARCH:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_SEARCH_DROP if dialect == "sqlite" else POSTGRES_SEARCH_DROP:
        op.execute(statement)
    for name, _ in reversed(LISTING_INDEXES):
        op.execute(f"DROP INDEX IF EXISTS {name}")
