"""`q` served by a trigram index, the contract's LIKE predicate kept as the judge.

On SQLite the candidates come from the FTS5 table `notes_search` (trigram tokenizer
over the folded columns, migration 0005); on PostgreSQL the LIKE itself is served by
the pg_trgm GIN indexes, so the candidate clause renders as nothing there. Either way
the LIKE on the folded columns is applied to every candidate, so the result is exactly
the contract's substring match (LIST-8) whatever the index returns.

Trigrams need three characters: a shorter `q` is the LIKE alone.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import BindParameter
from sqlalchemy.types import Boolean, Text

TRIGRAM = 3


class TrigramCandidates(ColumnElement[bool]):
    """Notes whose folded title or description may hold the phrase (a superset)."""

    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True  # a predicate: no "= 1" after it on SQLite

    def __init__(self, id_column: ColumnElement[Any], phrase: BindParameter[str]) -> None:
        self.id_column = id_column
        self.phrase = phrase


@compiles(TrigramCandidates)
def _everywhere(element: TrigramCandidates, compiler: Any, **kw: Any) -> str:
    return "1 = 1"  # the LIKE beside it is served by the pg_trgm GIN indexes


@compiles(TrigramCandidates, "sqlite")
def _on_sqlite(element: TrigramCandidates, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.id_column, **kw)
    phrase = compiler.process(element.phrase, **kw)
    return f"{column} IN (SELECT rowid FROM notes_search WHERE notes_search MATCH {phrase})"


def trigram_candidates(id_column: ColumnElement[Any]) -> TrigramCandidates:
    return TrigramCandidates(id_column, bindparam("phrase", type_=Text()))


def uses_trigrams(folded: str) -> bool:
    return len(folded) >= TRIGRAM


def fts_phrase(folded: str) -> str:
    """An FTS5 phrase: a string in double quotes, each double quote doubled."""
    return '"' + folded.replace('"', '""') + '"'
