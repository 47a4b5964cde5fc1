"""Listings against the model: every sort in both directions, filters, search and page sizes.

Many queries per set of notes make this the cheap, thorough complement of the state
machine's listings.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.property import strategies as gen
from tests.property.budget import server_settings
from tests.property.checks import assert_note_reply, walk
from tests.property.model import Body, Model, assert_strong_etag, note_from_reply, wire
from tests.property.service import LiveService


@server_settings(3.0, shared_fixture=True)
@given(bodies=st.lists(gen.tie_prone_bodies | gen.create_bodies, max_size=10), data=st.data())
def test_listings_agree_with_the_model(
    service: LiveService, bodies: list[Body], data: st.DataObject
) -> None:
    model = Model()
    try:
        for body in bodies:
            reply = service.request("POST", "/notes", json_body=wire(body))
            doc = assert_note_reply(reply, 201)
            model.add(note_from_reply(doc, assert_strong_etag(reply.headers.get("ETag"))))
        notes = sorted(model.notes.values(), key=lambda note: note.id)
        for query in data.draw(st.lists(gen.listing_queries(notes), min_size=1, max_size=8)):
            expected = [note.representation() for note in query.expected(model)]
            got = walk(service, query.params(), limit=query.page_size, expected=len(expected))
            assert got == expected, f"GET /notes {query}"
    finally:
        # Each example starts from an empty listing, so that a failure replays as it was.
        for note_id in model.notes:
            service.request("DELETE", f"/notes/{note_id}")
