"""`q` served by a trigram index, the contract's LIKE predicate kept as the judge.

On SQLite the candidates come from the FTS5 table `notes_search` (trigram tokenizer
over the folded columns, migration 0005); on PostgreSQL the LIKE itself is served by
the pg_trgm GIN indexes, and there is no candidate step. Either way the LIKE on the
folded columns is applied to every note listed, so the result is exactly the
contract's substring match (LIST-8) whatever the index returns.

Trigrams need three characters: a shorter `q` is the LIKE alone. So is a common one:
judging every one of 200,000 candidates costs more than scanning in sort order until a
page of matches is found (docs/scale.md).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Integer, bindparam, column, func, literal_column, select, table
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import Text

from notes.storage.statements import StatementRunner

TRIGRAM = 3
# A text in more notes than this is common. Scanning in sort order with the LIKE alone
# then finds a page of 51 within about 51 / (COMMON / notes) rows (25,000 of a
# million), as costly as judging COMMON candidates (docs/scale.md).
COMMON = 2000

_search = table("notes_search", column("rowid", Integer))
# In rowid order; the LIMIT stops FTS5 as soon as the text is known to be common.
FTS_CANDIDATES = (
    select(_search.c.rowid)
    .where(literal_column("notes_search").match(bindparam("phrase", type_=Text())))
    .limit(bindparam("cap", type_=Integer))
)


def uses_trigrams(folded: str) -> bool:
    return len(folded) >= TRIGRAM


def fts_phrase(folded: str) -> str:
    """An FTS5 phrase: a string in double quotes, each double quote doubled."""
    return '"' + folded.replace('"', '""') + '"'


def candidates(runner: StatementRunner, folded: str, *, budget: float | None = None) -> str | None:
    """The ids of the notes that may hold `folded` (a superset), as a JSON array for
    `candidate_clause`; or None when a trigram table would not narrow the listing
    usefully: a text under three characters, a common text, or PostgreSQL (whose
    trigram indexes serve the LIKE itself)."""
    if runner.dialect_name != "sqlite" or not uses_trigrams(folded):
        return None
    params = {"phrase": fts_phrase(folded), "cap": COMMON + 1}
    rows = runner.fetch_stored(FTS_CANDIDATES, params, budget=budget)
    if len(rows) > COMMON:
        return None
    return json.dumps([row[0] for row in rows])


def candidate_clause(id_column: ColumnElement[Any]) -> ColumnElement[bool]:
    """`id` among the `candidates` (SQLite: the planner looks each one up by rowid)."""
    ids = func.json_each(bindparam("candidates", type_=Text())).table_valued("value")
    return id_column.in_(select(ids.c.value))
