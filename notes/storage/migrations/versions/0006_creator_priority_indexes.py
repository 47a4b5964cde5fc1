"""Indexes for listings filtered by both `created_by` and `priority` (issue 13).

0005 gave each filter alone its (filter, key, id) indexes in both directions. With both
filters SQLite's planner (no statistics) picks the `priority` one to keep the sort's
order, and walks a tenth of the table for one author's notes (1,000,000 notes:
`created_by=..&priority=..&sort=-created_at` 43-90 ms). Only the keys that are not
already in (created_by, priority, id) need one: `id` and `priority` are served by it.
Each direction needs its own index: a backward scan of (key, id) is (key DESC, id DESC),
not the listing's (key DESC, id ASC), and the planner then prefers the one-filter index
that avoids a sort (EXPLAIN QUERY PLAN; docs/scale.md).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SORT_KEYS = ("created_at", "updated_at", "title")


def _creator_priority_indexes() -> list[tuple[str, list[str]]]:
    """(name, column expressions) of every index made here, named as 0005 names its own."""
    indexes = []
    for key in SORT_KEYS:
        for ordered in (key, f"{key} DESC"):
            columns = ["created_by", "priority", ordered, "id"]
            indexes.append(("ix_notes_" + "_".join(columns).replace(" ", "_").lower(), columns))
    return indexes


CREATOR_PRIORITY_INDEXES = _creator_priority_indexes()


def upgrade() -> None:
    for name, columns in CREATOR_PRIORITY_INDEXES:
        op.execute(f"CREATE INDEX {name} ON notes ({', '.join(columns)})")


def downgrade() -> None:
    for name, _ in reversed(CREATOR_PRIORITY_INDEXES):
        op.execute(f"DROP INDEX IF EXISTS {name}")
