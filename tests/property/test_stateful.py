"""The notes API as a state machine: random sequences of requests against the real server,
each mirrored on the in-memory model, with the two compared after every step.

Every example gets a fresh database and its own server on a loopback port, so a failing
sequence replays exactly when Hypothesis shrinks it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)
from yarl import URL

from tests.property import strategies as gen
from tests.property.budget import server_settings
from tests.property.checks import assert_note_reply, assert_problem, walk
from tests.property.model import (
    Body,
    Fields,
    Model,
    Note,
    assert_strong_etag,
    fields_after_patch,
    fields_after_put,
    fields_for_create,
    parse_returned_timestamp,
    wire,
)
from tests.property.service import LiveService, Reply

# Edge-of-contract notes, and small ones whose sort keys tie (pages then split ties).
NEW_NOTES = gen.create_bodies | gen.tie_prone_bodies
WRITE_METHODS = ("PUT", "PATCH", "DELETE")
# If-Match values that hold for the current ETag: absent, "*", the tag, a list holding it.
GOOD_IF_MATCH = ("absent", "star", "current", "list")
STALE_IF_MATCH = ("fabricated", "weak", "list")


def good_if_match(kind: str, etag: str) -> dict[str, str]:
    headers = {
        "absent": {},
        "star": {"If-Match": "*"},
        "current": {"If-Match": etag},
        "list": {"If-Match": f'"not-this-one", {etag}'},
    }
    return headers[kind]


def stale_if_match(kind: str, etag: str) -> str:
    """An If-Match value that strong comparison with ``etag`` must reject."""
    other = f'"x{etag[1:]}'
    values = {"fabricated": other, "weak": f"W/{etag}", "list": f"{other}, W/{etag}"}
    return values[kind]


class NotesMachine(RuleBasedStateMachine):
    """Rules send requests and move the model; invariants compare server and model.

    ``notes`` holds the ids of live notes, ``deleted`` those of deleted ones (a delete
    consumes an id from the first and adds it to the second).
    """

    notes = Bundle("notes")
    deleted = Bundle("deleted")

    def __init__(self, database_url: str) -> None:
        super().__init__()
        self.service = LiveService(database_url)
        self.model = Model()
        # Notes the last step wrote or tried to write: the next invariant re-reads them.
        self.touched: list[int] = []
        self.note_turn = 0
        self.deleted_turn = 0

    def teardown(self) -> None:
        self.service.close()

    # Helpers: the server's answer checked against the model, and the model moved on.

    def _post(self, body: Body, content_type: str | None, ensure_ascii: bool) -> int:
        reply = self.service.request(
            "POST",
            "/notes",
            json_body=wire(body),
            content_type=content_type,
            ensure_ascii=ensure_ascii,
        )
        doc = assert_note_reply(reply, 201)
        note_id = doc["id"]
        assert type(note_id) is int, f"id {note_id!r} is not an integer"
        assert note_id >= 1, f"id {note_id} is not positive"
        assert note_id not in self.model.deleted, f"id {note_id} of a deleted note was reused"
        location = reply.headers.get("Location")
        assert location is not None, "201 without Location"
        assert URL(reply.url).join(URL(location)) == self.service.url(f"/notes/{note_id}"), (
            f"Location {location!r} is not /notes/{note_id}"
        )
        etag = assert_strong_etag(reply.headers.get("ETag"))
        parse_returned_timestamp(doc["updated_at"])
        fields = fields_for_create(
            body, server_created_at=parse_returned_timestamp(doc["created_at"])
        )
        note = Note(id=note_id, fields=fields, updated_at=doc["updated_at"], etags=[etag])
        assert doc == note.representation(), f"POST {wire(body)} answered {doc}"
        self.model.add(note)
        self.touched.append(note_id)
        return note_id

    def _etag_after(self, note_id: int, reply: Reply) -> str:
        """The note's ETag after a write: the reply's header, or a GET when it has none."""
        if "ETag" in reply.headers:
            return assert_strong_etag(reply.headers["ETag"])
        return assert_strong_etag(self._get(note_id).headers.get("ETag"))

    def _get(self, note_id: int, headers: dict[str, str] | None = None) -> Reply:
        return self.service.request("GET", f"/notes/{note_id}", headers=headers)

    def _expect_write(self, note: Note, new_fields: Fields, reply: Reply) -> None:
        """A successful PUT or PATCH: a change moves updated_at and the ETag, a no-op neither."""
        doc = assert_note_reply(reply)
        etag = self._etag_after(note.id, reply)
        self.touched.append(note.id)
        if new_fields != note.fields:
            parse_returned_timestamp(doc["updated_at"])
            assert doc["updated_at"] != note.updated_at, "a change left updated_at as it was"
            assert etag not in note.etags, f"a change brought back an old ETag {etag}"
            note.fields = new_fields
            note.updated_at = doc["updated_at"]
            note.etags.append(etag)
        else:
            assert doc["updated_at"] == note.updated_at, (
                "a write that changed nothing moved updated_at"
            )
            assert etag == note.etag, "a write that changed nothing changed the ETag"
        assert doc == note.representation(), f"{reply.method} answered {doc}"

    def _body_for(self, method: str, data: st.DataObject) -> Body | None:
        if method == "PUT":
            return data.draw(gen.put_bodies, label="body")
        if method == "PATCH":
            return data.draw(gen.patches, label="patch")
        return None

    # Rules.

    @initialize(target=notes, bodies=st.lists(NEW_NOTES, max_size=6))
    def seed(self, bodies: list[Body]) -> Any:
        return multiple(*(self._post(body, "application/json", False) for body in bodies))

    @rule(
        target=notes,
        body=NEW_NOTES,
        content_type=gen.json_content_types,
        ensure_ascii=st.booleans(),
    )
    def create(self, body: Body, content_type: str | None, ensure_ascii: bool) -> int:
        return self._post(body, content_type, ensure_ascii)

    @rule(note_id=notes)
    def get(self, note_id: int) -> None:
        note = self.model.notes[note_id]
        reply = self._get(note_id)
        assert assert_note_reply(reply) == note.representation()
        assert reply.headers.get("ETag") == note.etag, "GET's ETag is not the note's"

    @rule(note_id=notes)
    def head(self, note_id: int) -> None:
        reply = self.service.request("HEAD", f"/notes/{note_id}")
        assert reply.status == 200, str(reply)
        assert reply.body == b"", "HEAD answered with a body"
        assert reply.headers.get("ETag") == self.model.notes[note_id].etag

    @rule(
        note_id=notes,
        body=gen.put_bodies,
        if_match=st.sampled_from(GOOD_IF_MATCH),
        content_type=gen.json_content_types,
        ensure_ascii=st.booleans(),
    )
    def put(
        self, note_id: int, body: Body, if_match: str, content_type: str | None, ensure_ascii: bool
    ) -> None:
        note = self.model.notes[note_id]
        reply = self.service.request(
            "PUT",
            f"/notes/{note_id}",
            json_body=wire(body),
            headers=good_if_match(if_match, note.etag),
            content_type=content_type,
            ensure_ascii=ensure_ascii,
        )
        self._expect_write(note, fields_after_put(note.fields, body), reply)

    @rule(
        note_id=notes,
        patch=gen.patches,
        if_match=st.sampled_from(GOOD_IF_MATCH),
        content_type=gen.patch_content_types,
        ensure_ascii=st.booleans(),
    )
    def patch(
        self, note_id: int, patch: Body, if_match: str, content_type: str | None, ensure_ascii: bool
    ) -> None:
        note = self.model.notes[note_id]
        reply = self.service.request(
            "PATCH",
            f"/notes/{note_id}",
            json_body=wire(patch),
            headers=good_if_match(if_match, note.etag),
            content_type=content_type,
            ensure_ascii=ensure_ascii,
        )
        self._expect_write(note, fields_after_patch(note.fields, patch), reply)

    @rule(note_id=notes, data=st.data())
    def write_nothing_new(self, note_id: int, data: st.DataObject) -> None:
        """PUT or PATCH the values the note already has (a created_at perhaps in another
        form of the same instant): not a change, so updated_at and the ETag stay."""
        note = self.model.notes[note_id]
        current = note.fields
        same_instant = gen.timestamp_forms(current.created_at)
        method = data.draw(st.sampled_from(["PUT", "PATCH"]), label="method")
        body: dict[str, object] = {}
        if method == "PUT":
            body = {"title": current.title, "created_by": current.created_by}
        optional: dict[str, st.SearchStrategy[object]] = {
            "title": st.just(current.title),
            "created_by": st.just(current.created_by),
            "description": st.just(current.description),
            "priority": st.just(current.priority),
            "created_at": same_instant,
        }
        if method == "PUT":
            # Omitting a field that holds its default is no change either.
            optional = {k: v for k, v in optional.items() if k not in body}
            if current.description != "":
                body["description"] = current.description
                del optional["description"]
            if current.priority != 0:
                body["priority"] = current.priority
                del optional["priority"]
        else:
            if current.description == "":
                optional["description"] = st.sampled_from(["", None])
            if current.priority == 0:
                optional["priority"] = st.sampled_from([0, None])
        body.update(data.draw(st.fixed_dictionaries({}, optional=optional), label="fields"))
        expected = (
            fields_after_put(current, body)
            if method == "PUT"
            else fields_after_patch(current, body)
        )
        assert expected == current, "the test's own no-op body is not a no-op"
        reply = self.service.request(method, f"/notes/{note_id}", json_body=wire(body))
        self._expect_write(note, expected, reply)

    @rule(target=deleted, note_id=consumes(notes), if_match=st.sampled_from(GOOD_IF_MATCH))
    def delete(self, note_id: int, if_match: str) -> int:
        note = self.model.notes[note_id]
        reply = self.service.request(
            "DELETE", f"/notes/{note_id}", headers=good_if_match(if_match, note.etag)
        )
        assert reply.status == 204, str(reply)
        assert reply.body == b"", "204 with a body"
        self.model.remove(note_id)
        return note_id

    @rule(
        note_id=notes,
        method=st.sampled_from(WRITE_METHODS),
        kind=st.sampled_from(STALE_IF_MATCH),
        data=st.data(),
    )
    def write_with_wrong_etag(
        self, note_id: int, method: str, kind: str, data: st.DataObject
    ) -> None:
        """If-Match that does not match strongly (a weak copy of the current tag included)."""
        note = self.model.notes[note_id]
        self._expect_precondition_failed(note, method, stale_if_match(kind, note.etag), data)

    @precondition(lambda self: any(len(note.etags) > 1 for note in self.model.notes.values()))
    @rule(method=st.sampled_from(WRITE_METHODS), data=st.data())
    def write_with_superseded_etag(self, method: str, data: st.DataObject) -> None:
        """If-Match holding an ETag the note had before its last change."""
        changed = sorted(i for i, note in self.model.notes.items() if len(note.etags) > 1)
        note = self.model.notes[data.draw(st.sampled_from(changed), label="note_id")]
        old = data.draw(st.sampled_from(note.etags[:-1]), label="old_etag")
        self._expect_precondition_failed(note, method, old, data)

    def _expect_precondition_failed(
        self, note: Note, method: str, if_match: str, data: st.DataObject
    ) -> None:
        body = self._body_for(method, data)
        reply = self.service.request(
            method,
            f"/notes/{note.id}",
            json_body=None if body is None else wire(body),
            headers={"If-Match": if_match},
        )
        assert_problem(reply, 412)
        self.touched.append(note.id)  # the invariant checks that nothing changed

    @rule(note_id=notes, method=st.sampled_from(["GET", "HEAD"]), data=st.data())
    def read_if_none_match(self, note_id: int, method: str, data: st.DataObject) -> None:
        note = self.model.notes[note_id]
        current = {
            "current": note.etag,
            "weak": f"W/{note.etag}",  # If-None-Match compares weakly
            "list": f'"other", {note.etag}',
            "star": "*",
        }
        stale = {"fabricated": f'"x{note.etag[1:]}'}
        stale.update({f"superseded {i}": etag for i, etag in enumerate(note.etags[:-1])})
        kind = data.draw(st.sampled_from(sorted(current) + sorted(stale)), label="kind")
        header = current.get(kind) or stale[kind]
        reply = self.service.request(method, f"/notes/{note_id}", headers={"If-None-Match": header})
        if kind in current:
            assert reply.status == 304, f"If-None-Match {header}: {reply}"
            assert reply.body == b"", "304 with a body"
            assert reply.headers.get("ETag") == note.etag, "304 without the current ETag"
        else:
            assert reply.status == 200, f"If-None-Match {header}: {reply}"
            assert reply.headers.get("ETag") == note.etag
            if method == "GET":
                assert assert_note_reply(reply) == note.representation()

    @rule(note_id=deleted, method=st.sampled_from(("GET", "HEAD", *WRITE_METHODS)), data=st.data())
    def touch_deleted(self, note_id: int, method: str, data: st.DataObject) -> None:
        self._expect_not_found(note_id, method, data)

    @rule(
        offset=st.integers(1, 3),
        method=st.sampled_from(("GET", "HEAD", *WRITE_METHODS)),
        data=st.data(),
    )
    def touch_unassigned(self, offset: int, method: str, data: st.DataObject) -> None:
        """An id never handed out yet: 404, and a PUT to it creates nothing."""
        self._expect_not_found(self.model.max_id + offset, method, data)

    def _expect_not_found(self, note_id: int, method: str, data: st.DataObject) -> None:
        body = self._body_for(method, data)
        reply = self.service.request(
            method, f"/notes/{note_id}", json_body=None if body is None else wire(body)
        )
        assert_problem(reply, 404)

    @rule(data=st.data())
    def list_notes(self, data: st.DataObject) -> None:
        """A listing with a random sort, filters, q and limit, walked to its last page."""
        notes = sorted(self.model.notes.values(), key=lambda note: note.id)
        query = data.draw(gen.listing_queries(notes), label="query")
        expected = query.expected(self.model)
        got = walk(self.service, query.params(), limit=query.page_size, expected=len(expected))
        assert got == [note.representation() for note in expected], f"GET /notes {query}"

    # Invariants, checked after every step.

    @invariant()
    def listing_equals_model(self) -> None:
        """All notes, by id: exactly the model's, so every write and every 412 is checked."""
        expected = [note.representation() for note in self.model.listing()]
        got = walk(self.service, [("limit", "1000")], limit=1000, expected=len(expected))
        assert got == expected, "the server's notes are not the model's"

    @invariant()
    def etags_change_only_with_notes(self) -> None:
        """Notes the last step touched, and one other in turn, still read as the model says,
        ETag included: an ETag moves with a change and with nothing else."""
        alive = sorted(self.model.notes)
        check = {note_id for note_id in self.touched if note_id in self.model.notes}
        if alive:
            check.add(alive[self.note_turn % len(alive)])
            self.note_turn += 1
        for note_id in sorted(check):
            note = self.model.notes[note_id]
            reply = self._get(note_id)
            assert assert_note_reply(reply) == note.representation()
            assert reply.headers.get("ETag") == note.etag, f"ETag of note {note_id} moved"
        self.touched.clear()

    @precondition(lambda self: bool(self.model.deleted))
    @invariant()
    def deleted_ids_stay_gone(self) -> None:
        deleted = self.model.deleted
        for note_id in {deleted[-1], deleted[self.deleted_turn % len(deleted)]}:
            assert_problem(self._get(note_id), 404)
        self.deleted_turn += 1


def test_notes_state_machine(make_database_url: Callable[[], str]) -> None:
    class OnFreshDatabase(NotesMachine):
        """One fresh database per example, so that each run (and its replays) starts empty."""

        def __init__(self) -> None:
            super().__init__(make_database_url())

    run_state_machine_as_test(OnFreshDatabase, settings=server_settings(2.0))
