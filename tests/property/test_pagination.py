"""Keyset pagination while the listing changes under the walk.

Between page fetches, notes are inserted and deleted. Every note that existed for the
whole walk must be seen exactly once; nothing is ever seen twice; what is seen is in
order and is a note that really existed, as it was.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.property import strategies as gen
from tests.property.budget import server_settings
from tests.property.checks import assert_note_reply, pages
from tests.property.model import Body, Note, assert_strong_etag, note_from_reply, ordered, wire
from tests.property.service import LiveService

Action = tuple[str, Any]
actions: st.SearchStrategy[Action] = st.one_of(
    st.tuples(st.just("insert"), gen.tie_prone_bodies),
    st.tuples(st.just("delete"), st.integers(0, 1000)),
)


def _post(service: LiveService, body: Body) -> Note:
    reply = service.request("POST", "/notes", json_body=wire(body))
    doc = assert_note_reply(reply, 201)
    return note_from_reply(doc, assert_strong_etag(reply.headers.get("ETag")))


@server_settings(3.0, shared_fixture=True)
@given(
    initial=st.lists(gen.tie_prone_bodies, max_size=12),
    sort=gen.sorts,
    limit=st.integers(1, 4),
    created_by=st.none() | st.sampled_from(gen.TIE_PRONE_CREATORS),
    script=st.lists(st.lists(actions, max_size=3), max_size=6),
)
def test_pages_see_every_lasting_note_once_in_order(
    service: LiveService,
    initial: list[Body],
    sort: str,
    limit: int,
    created_by: str | None,
    script: list[list[Action]],
) -> None:
    alive: dict[int, Note] = {}
    try:
        _walk_while_changing(service, alive, initial, sort, limit, created_by, script)
    finally:
        # Each example starts from an empty listing, so that a failure replays as it was.
        for note_id in alive:
            service.request("DELETE", f"/notes/{note_id}")


def _walk_while_changing(
    service: LiveService,
    alive: dict[int, Note],
    initial: list[Body],
    sort: str,
    limit: int,
    created_by: str | None,
    script: list[list[Action]],
) -> None:
    for body in initial:
        note = _post(service, body)
        alive[note.id] = note
    ever = dict(alive)
    lasting = set(alive)
    params = [("sort", sort), ("limit", str(limit))]
    if created_by is not None:
        params.append(("created_by", created_by))
    inserts = sum(kind == "insert" for batch in script for kind, _ in batch)
    max_pages = (len(initial) + inserts) // limit + 2

    seen: list[dict[str, Any]] = []
    for page_number, page in enumerate(
        pages(service, params, limit=limit, max_pages=max_pages, stable=False)
    ):
        seen.extend(page)
        for kind, argument in script[page_number] if page_number < len(script) else []:
            if kind == "insert":
                note = _post(service, argument)
                alive[note.id] = ever[note.id] = note
            elif alive:
                victim = sorted(alive)[argument % len(alive)]
                reply = service.request("DELETE", f"/notes/{victim}")
                assert reply.status == 204, str(reply)
                del alive[victim]
                lasting.discard(victim)

    ids = [note["id"] for note in seen]
    assert len(ids) == len(set(ids)), f"a note was seen twice: {ids}"
    for doc in seen:
        assert doc["id"] in ever, f"note {doc['id']} never existed"
        assert doc == ever[doc["id"]].representation(), "a listed note differs from itself"
    wanted = {i for i in lasting if created_by in (None, ever[i].fields.created_by)}
    missed = wanted - set(ids)
    assert not missed, f"notes {sorted(missed)} existed throughout but were skipped"
    assert all(created_by in (None, doc["created_by"]) for doc in seen), "filter ignored"
    in_order = [note.id for note in ordered((ever[i] for i in ids), sort)]
    assert ids == in_order, f"pages are out of {sort} order"
