"""Ownership (v1.1) as a state machine: three users and an admin drive the real HTTP API
in token mode against a model of who owns what.

Every rule acts as a random user on a random note, theirs or another's, live or
deleted: reads, conditional reads, writes with and without If-Match, deletes, listings
walked page by page, cursors handed to another user, creates that claim another's
name. A user who is no admin must get from another's note exactly what a missing note
gives (404, the same body), and nothing they send may change it. Every such request is
a cross-user attempt; the run's count is printed at the end (OWNERSHIP line).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from tests.property import strategies as gen
from tests.property.budget import server_settings
from tests.property.checks import assert_note_reply, assert_problem, walk
from tests.property.model import (
    Body,
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
from tests.users import add_users

USERS = ("alice", "bob", "carol")
ADMIN = "root"
EVERYONE = (*USERS, ADMIN)
WRITES = ("PUT", "PATCH", "DELETE")
READS = ("GET", "HEAD")
# What a non-owner may send in If-Match / If-None-Match: the note's real tag, any, stale.
CONDITIONS = ("none", "current", "star", "stale")


@dataclasses.dataclass
class Tally:
    """Cross-user attempts: requests by a user who is no admin aimed at what is not theirs."""

    attempts: int = 0
    passed: bool = False


OWNERSHIP_TALLY = pytest.StashKey[Tally]()


def _without_owner(body: Body, keep: str | None) -> dict[str, object]:
    """A body as a v1.1 client sends it: no created_by, or the owner's own name."""
    sent = {key: value for key, value in body.items() if key != "created_by"}
    if keep is not None:
        sent["created_by"] = keep
    return sent


class OwnershipMachine(RuleBasedStateMachine):
    notes = Bundle("notes")
    deleted = Bundle("deleted")

    def __init__(self, database_url: str, tally: Tally) -> None:
        super().__init__()
        settings_kw: dict[str, Any] = {"auth": "token", "auth_failure_limit": 1_000_000}
        self.service = LiveService(database_url, **settings_kw)
        self.tokens = asyncio.run(add_users(self.service.settings, USERS, admins=(ADMIN,)))
        self.model = Model()
        self.tally = tally
        self.turn = 0

    def teardown(self) -> None:
        self.service.close()

    def send(self, user: str, method: str, path: str, **kwargs: Any) -> Reply:
        # One request id throughout, so that two answers can be compared byte for byte.
        headers = {
            "Authorization": f"Bearer {self.tokens[user]}",
            "X-Request-Id": "ownership",
            **kwargs.pop("headers", {}),
        }
        return self.service.request(method, path, headers=headers, **kwargs)

    def walk_as(self, user: str, params: list[tuple[str, str]], limit: int, count: int) -> Any:
        """A listing walked to its end by `user`, every page with their token."""
        self.service.headers = {"Authorization": f"Bearer {self.tokens[user]}"}
        try:
            return walk(self.service, params, limit=limit, expected=count)
        finally:
            self.service.headers = {}

    def reaches(self, user: str, note: Note) -> bool:
        return user == ADMIN or note.fields.created_by == user

    def attempt(self, user: str, note: Note | None = None) -> bool:
        """Count a cross-user attempt; whether this request is one."""
        crossing = user != ADMIN and (note is None or note.fields.created_by != user)
        self.tally.attempts += crossing
        return crossing

    def expect_as_missing(self, user: str, note_id: int, reply: Reply, **request: Any) -> None:
        """`reply` must be what the same request gets for a note that does not exist:
        sent again to an id never handed out, the answer is the same, that id's text
        aside."""
        assert_problem(reply, 404)
        unassigned = self.model.max_id + 1000
        again = self.send(user, reply.method, f"/notes/{unassigned}", **request)
        body = again.body.replace(str(unassigned).encode(), str(note_id).encode())
        assert (reply.status, reply.body) == (again.status, body), f"{user}: {reply} / {again}"

    def expect_unchanged(self, note: Note) -> None:
        owner = note.fields.created_by
        reply = self.send(owner, "GET", f"/notes/{note.id}")
        assert assert_note_reply(reply) == note.representation(), f"note {note.id} moved"
        assert reply.headers.get("ETag") == note.etag

    def _post(self, user: str, body: Body, name_it: bool) -> int:
        sent = _without_owner(body, user if name_it else None)
        reply = self.send(user, "POST", "/notes", json_body=wire(sent))
        doc = assert_note_reply(reply, 201)
        assert doc["created_by"] == user, f"{user} created a note of {doc['created_by']!r}"
        fields = fields_for_create(
            {**body, "created_by": user},
            server_created_at=parse_returned_timestamp(doc["created_at"]),
        )
        etag = assert_strong_etag(reply.headers.get("ETag"))
        note = Note(id=doc["id"], fields=fields, updated_at=doc["updated_at"], etags=[etag])
        assert doc == note.representation()
        self.model.add(note)
        return note.id

    # Rules.

    @initialize(
        target=notes,
        seeds=st.lists(st.tuples(st.sampled_from(EVERYONE), gen.tie_prone_bodies), max_size=6),
    )
    def seed(self, seeds: list[tuple[str, Body]]) -> Any:
        return multiple(*(self._post(user, body, False) for user, body in seeds))

    @rule(
        target=notes,
        user=st.sampled_from(EVERYONE),
        body=gen.create_bodies | gen.tie_prone_bodies,
        name_it=st.booleans(),
    )
    def create(self, user: str, body: Body, name_it: bool) -> int:
        return self._post(user, body, name_it)

    @rule(
        user=st.sampled_from(EVERYONE), other=st.sampled_from(EVERYONE), body=gen.tie_prone_bodies
    )
    def create_as_another(self, user: str, other: str, body: Body) -> None:
        """A create that names another user: 422, and no note is made."""
        if other == user:
            return
        self.tally.attempts += 1
        reply = self.send(user, "POST", "/notes", json_body=wire({**body, "created_by": other}))
        assert_problem(reply, 422)

    @rule(
        user=st.sampled_from(EVERYONE),
        note_id=notes,
        method=st.sampled_from(READS),
        condition=st.sampled_from(CONDITIONS),
    )
    def read(self, user: str, note_id: int, method: str, condition: str) -> None:
        note = self.model.notes[note_id]
        header = {"none": None, "current": note.etag, "star": "*", "stale": '"0-0"'}[condition]
        headers = {} if header is None else {"If-None-Match": header}
        reply = self.send(user, method, f"/notes/{note_id}", headers=headers)
        if self.attempt(user, note):
            self.expect_as_missing(user, note_id, reply, headers=headers)
        elif condition in ("current", "star"):
            assert reply.status == 304, str(reply)
        elif method == "GET":
            assert assert_note_reply(reply) == note.representation()
        else:
            assert reply.status == 200, str(reply)
            assert reply.body == b"", "HEAD answered with a body"

    @rule(
        user=st.sampled_from(EVERYONE),
        note_id=notes,
        method=st.sampled_from(("PUT", "PATCH")),
        condition=st.sampled_from(CONDITIONS),
        data=st.data(),
    )
    def write(self, user: str, note_id: int, method: str, condition: str, data: Any) -> None:
        note = self.model.notes[note_id]
        owner = note.fields.created_by
        name_it = data.draw(st.booleans(), label="name the owner")
        drawn: Body = data.draw(gen.put_bodies if method == "PUT" else gen.patches, label="body")
        sent = _without_owner(drawn, owner if name_it else None)
        header = {"none": None, "current": note.etag, "star": "*", "stale": '"0-0"'}[condition]
        headers = {} if header is None else {"If-Match": header}
        request = {"json_body": wire(sent), "headers": headers}
        reply = self.send(user, method, f"/notes/{note_id}", **request)
        if self.attempt(user, note):
            self.expect_as_missing(user, note_id, reply, **request)
            self.expect_unchanged(note)
            return
        if condition == "stale":
            assert_problem(reply, 412)
            self.expect_unchanged(note)
            return
        if method == "PUT":
            new_fields = fields_after_put(note.fields, {**drawn, "created_by": owner})
        else:
            new_fields = fields_after_patch(note.fields, {**sent, "created_by": owner})
        doc = assert_note_reply(reply)
        etag = assert_strong_etag(reply.headers.get("ETag"))
        if new_fields != note.fields:
            note.fields, note.updated_at = new_fields, doc["updated_at"]
            note.etags.append(etag)
        assert doc == note.representation(), f"{method} by {user} answered {doc}"
        assert etag == note.etag

    @rule(user=st.sampled_from(EVERYONE), note_id=notes, other=st.sampled_from(EVERYONE))
    def move_to_another(self, user: str, note_id: int, other: str) -> None:
        """A PATCH naming another owner: the owner never changes (422, or 404 for others)."""
        note = self.model.notes[note_id]
        if other == note.fields.created_by:
            return
        self.tally.attempts += user != ADMIN
        request: dict[str, Any] = {"json_body": {"created_by": other}}
        reply = self.send(user, "PATCH", f"/notes/{note_id}", **request)
        if self.reaches(user, note):
            assert_problem(reply, 422)
        else:
            self.expect_as_missing(user, note_id, reply, **request)
        self.expect_unchanged(note)

    @rule(user=st.sampled_from(EVERYONE), note_id=notes, condition=st.sampled_from(CONDITIONS))
    def try_delete(self, user: str, note_id: int, condition: str) -> None:
        """A delete that must not happen: by a non-owner (404), or with a stale tag (412)."""
        note = self.model.notes[note_id]
        crossing = self.attempt(user, note)
        if not crossing and condition != "stale":
            return
        header = {"none": None, "current": note.etag, "star": "*", "stale": '"0-0"'}[condition]
        headers = {} if header is None else {"If-Match": header}
        reply = self.send(user, "DELETE", f"/notes/{note_id}", headers=headers)
        if crossing:
            self.expect_as_missing(user, note_id, reply, headers=headers)
        else:
            assert_problem(reply, 412)
        self.expect_unchanged(note)

    @rule(target=deleted, note_id=consumes(notes), admin=st.booleans())
    def delete(self, note_id: int, admin: bool) -> int:
        note = self.model.notes[note_id]
        user = ADMIN if admin else note.fields.created_by
        reply = self.send(user, "DELETE", f"/notes/{note_id}", headers={"If-Match": note.etag})
        assert reply.status == 204, str(reply)
        self.model.remove(note_id)
        return note_id

    @rule(user=st.sampled_from(EVERYONE), note_id=deleted, method=st.sampled_from(READS + WRITES))
    def touch_deleted(self, user: str, note_id: int, method: str) -> None:
        request = {"json_body": {"title": "back"} if method in ("PUT", "PATCH") else None}
        reply = self.send(user, method, f"/notes/{note_id}", **request)
        self.expect_as_missing(user, note_id, reply, **request)

    @rule(user=st.sampled_from(EVERYONE), data=st.data())
    def list_notes(self, user: str, data: Any) -> None:
        visible = [n for n in self.model.notes.values() if self.reaches(user, n)]
        mine = Model(notes={note.id: note for note in visible})
        query = data.draw(
            gen.listing_queries(sorted(self.model.notes.values(), key=lambda n: n.id))
        )
        if user != ADMIN and query.created_by not in (None, user):
            self.tally.attempts += 1  # asking for another user's notes by name
        expected = query.expected(mine)
        got = self.walk_as(user, query.params(), query.page_size, len(expected))
        assert got == [note.representation() for note in expected], f"{user}: GET /notes {query}"

    @rule(owner=st.sampled_from(EVERYONE), other=st.sampled_from(EVERYONE))
    def hand_over_a_cursor(self, owner: str, other: str) -> None:
        reply = self.send(owner, "GET", "/notes", params=[("limit", "1")])
        next_url = reply.json()["next"]
        if next_url is None or owner == other:
            return
        self.tally.attempts += other != ADMIN
        assert_problem(self.send(other, "GET", urljoin(reply.url, next_url)), 422)

    # Invariants.

    @invariant()
    def each_user_sees_exactly_their_own(self) -> None:
        """In turn, one user's whole listing: exactly the notes the model says are theirs."""
        user = EVERYONE[self.turn % len(EVERYONE)]
        self.turn += 1
        visible = [n for n in self.model.listing() if self.reaches(user, n)]
        expected = [note.representation() for note in visible]
        got = self.walk_as(user, [("limit", "1000")], 1000, len(expected))
        assert got == expected, f"{user}'s listing is not the model's"


@pytest.fixture
def ownership_tally(pytestconfig: pytest.Config) -> Tally:
    return pytestconfig.stash.setdefault(OWNERSHIP_TALLY, Tally())


def test_no_user_reaches_anothers_notes(
    make_database_url: Callable[[], str], ownership_tally: Tally
) -> None:
    class OnFreshDatabase(OwnershipMachine):
        def __init__(self) -> None:
            super().__init__(make_database_url(), ownership_tally)

    run_state_machine_as_test(OnFreshDatabase, settings=server_settings(1.0))
    assert ownership_tally.attempts > 0
    ownership_tally.passed = True
