"""Create the notes table.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

note_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
title = sa.String(200).with_variant(sa.String(200, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "notes",
        sa.Column("id", note_id, primary_key=True, autoincrement=True),
        sa.Column("title", title, nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title_folded", sa.Text(), nullable=False),
        sa.Column("description_folded", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_notes"),
        sqlite_autoincrement=True,
    )
    for columns in (
        ("priority", "id"),
        ("created_at", "id"),
        ("updated_at", "id"),
        ("title", "id"),
        ("created_by", "id"),
    ):
        op.create_index(f"ix_notes_{'_'.join(columns)}", "notes", list(columns))


def downgrade() -> None:
    op.drop_table("notes")
