"""Each note's stored JSON opens with a comma, not a brace, so SQLite joins a page in SQL.

SQLite builds a page in one aggregate, `group_concat(id || representation, ...)`:
behind `{"id":` and the id, the copy must go on with `,"title":...`. Cutting a brace
off every copy in the query cost a page a third of its SQL (benchmarks/README.md), so
SQLite's copies are rewritten here, once. Triggers mend a copy an older version still
writes with a brace during a rolling upgrade, in the same statement.

PostgreSQL is left alone: its pages are joined in Python (`records.with_id`), which
skips a copy's first byte whichever it is, so its copies may open either way; rewriting
them would cost what 0007's fill cost (docs/scale.md) for nothing. That is also why
the downgrade only drops the triggers: 0007's code skips the first byte too.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# X'7B' is "{", X'2C' is ",". A blob concatenated in SQLite is text: cast back.
OPENS_WITH_BRACE = "substr({copy}, 1, 1) = X'7B'"
WITH_A_COMMA = "CAST(X'2C' || substr({copy}, 2) AS BLOB)"

REWRITE = (
    f"UPDATE notes SET representation = {WITH_A_COMMA.format(copy='representation')}"
    f" WHERE {OPENS_WITH_BRACE.format(copy='representation')}"
)
# Recursive triggers are off (SQLite's default): the mending UPDATE fires neither again.
TRIGGERS = tuple(
    f"CREATE TRIGGER notes_representation_{event} AFTER {on} ON notes"
    f" WHEN {OPENS_WITH_BRACE.format(copy='new.representation')} BEGIN"
    f" UPDATE notes SET representation = {WITH_A_COMMA.format(copy='new.representation')}"
    " WHERE id = new.id; END"
    for event, on in (("inserted", "INSERT"), ("updated", "UPDATE OF representation"))
)
TRIGGERS_DROP = tuple(
    f"DROP TRIGGER IF EXISTS notes_representation_{event}" for event in ("inserted", "updated")
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(REWRITE)
    for statement in TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in TRIGGERS_DROP:
        op.execute(statement)
