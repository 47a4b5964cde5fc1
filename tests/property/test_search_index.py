"""`q` through the trigram indexes (migration 0005) against the model's substring match.

Texts from a small alphabet of ASCII, non-ASCII letters with one-to-one case mappings
and LIKE's special characters, so that searches of three or more characters (the
trigram path: FTS5 on SQLite, pg_trgm on PostgreSQL) often match, often nearly match,
and often hold `%`, `_` or `\\`; shorter ones take the LIKE alone. Notes are also
changed and deleted between searches: the search table must follow in the same
transaction.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.property.budget import server_settings
from tests.property.checks import assert_note_reply, walk
from tests.property.model import ListingQuery, Model, assert_strong_etag, note_from_reply
from tests.property.service import LiveService
from tests.property.strategies import CASE_CHANGES

ALPHABET = "abcAB ÄäÉéΣσÆæЖж中%_\\/"
search_texts = st.text(st.sampled_from(ALPHABET), min_size=3, max_size=24)


@st.composite
def searches(draw: st.DrawFn, texts: list[str]) -> str:
    """A piece of a stored text in another case, sometimes with one character changed."""
    source = draw(st.sampled_from(texts))
    start = draw(st.integers(0, max(len(source) - 1, 0)))
    length = draw(st.integers(1, 8))
    piece = source[start : start + length] or source
    if draw(st.booleans()):
        at = draw(st.integers(0, len(piece) - 1))
        piece = piece[:at] + draw(st.sampled_from(ALPHABET)) + piece[at + 1 :]
    return draw(st.sampled_from(CASE_CHANGES))(piece)


def _create(service: LiveService, model: Model, title: str, description: str) -> int:
    body = {"title": title, "description": description, "created_by": "s"}
    reply = service.request("POST", "/notes", json_body=body)
    doc = assert_note_reply(reply, 201)
    model.add(note_from_reply(doc, assert_strong_etag(reply.headers.get("ETag"))))
    return int(doc["id"])


@pytest.mark.rule("LIST-8")
@server_settings(3.0, shared_fixture=True)
@given(
    texts=st.lists(st.tuples(search_texts, search_texts), min_size=1, max_size=8),
    data=st.data(),
)
def test_indexed_search_is_the_models_substring_match(
    service: LiveService, texts: list[tuple[str, str]], data: st.DataObject
) -> None:
    model = Model()
    try:
        ids = [_create(service, model, title, description) for title, description in texts]
        # A change and a delete: the search table must have followed both.
        changed = data.draw(st.sampled_from(ids))
        title = data.draw(search_texts)
        reply = service.request("PATCH", f"/notes/{changed}", json_body={"title": title})
        doc = assert_note_reply(reply, 200)
        model.notes[changed] = note_from_reply(doc, assert_strong_etag(reply.headers.get("ETag")))
        if len(ids) > 1:
            gone = data.draw(st.sampled_from([i for i in ids if i != changed]))
            assert service.request("DELETE", f"/notes/{gone}").status == 204
            model.remove(gone)
        stored = [
            text
            for note in model.notes.values()
            for text in (note.fields.title, note.fields.description or "")
            if text
        ]
        for q in data.draw(st.lists(searches(stored), min_size=1, max_size=8)):
            query = ListingQuery(q=q, limit=1000)
            expected = [note.representation() for note in query.expected(model)]
            got = walk(service, query.params(), limit=1000, expected=len(expected))
            assert got == expected, f"GET /notes?q={q!r}"
    finally:
        for note_id in model.notes:
            service.request("DELETE", f"/notes/{note_id}")
