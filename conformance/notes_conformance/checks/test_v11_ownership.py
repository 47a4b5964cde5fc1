"""v1.1, ownership: a user reaches only their own notes; another's is as if missing.

Users A and B (and an admin, when a token is given) of one server in token mode. The
server may hold other notes: every listing here is narrowed by a unique `q`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

import pytest

from notes_conformance.checks.support import (
    Api,
    JsonObject,
    assert_note_response,
    assert_problem,
    unique,
)
from notes_conformance.checks.tokens import Users

WRITES = ("PUT", "PATCH", "DELETE")


def _name(api: Api) -> str:
    """The caller's user name: a note created without created_by carries it."""
    note = api.create({"title": unique("whoami")})
    api.delete(f"/notes/{note['id']}")
    name: str = note["created_by"]
    return name


def _attempts(etag: str) -> list[tuple[str, dict[str, str], Any]]:
    """Every way B may reach for A's note: reads, writes, conditional or not."""
    return [
        ("GET", {}, None),
        ("HEAD", {}, None),
        ("GET", {"If-None-Match": etag}, None),
        ("GET", {"If-None-Match": "*"}, None),
        ("HEAD", {"If-None-Match": etag}, None),
        ("PUT", {}, {"title": "taken"}),
        ("PUT", {"If-Match": etag}, {"title": "taken"}),
        ("PUT", {"If-Match": '"stale"'}, {"title": "taken"}),
        ("PATCH", {}, {"priority": 9}),
        ("PATCH", {"If-Match": "*"}, {"priority": 9}),
        ("PATCH", {"If-Match": '"stale"'}, {"priority": 9}),
        ("DELETE", {"If-Match": '"stale"'}, None),
        ("DELETE", {"If-Match": etag}, None),
        ("DELETE", {}, None),
    ]


def _answers(api: Api, note_id: int, etag: str) -> list[tuple[int, bytes]]:
    seen = []
    for method, headers, body in _attempts(etag):
        same_id = {**headers, "X-Request-Id": "probe"}  # the rest must be identical
        response = api.request(method, f"/notes/{note_id}", headers=same_id, json=body)
        seen.append((response.status_code, response.content))
    return seen


@pytest.mark.rule("OWN-1")
def test_a_new_note_is_the_callers(v11_users: Users) -> None:
    name = _name(v11_users.a)
    left_out = v11_users.a.create({"title": unique("mine")})
    assert left_out["created_by"] == name
    given = v11_users.a.create({"title": unique("mine"), "created_by": name})
    assert given["created_by"] == name
    title = unique("not-mine")
    other = v11_users.a.send_json(
        "POST", "/notes", {"title": title, "created_by": _name(v11_users.b)}
    )
    assert_problem(other, 422, field="created_by")
    assert v11_users.a.all_notes(q=title) == []
    assert v11_users.b.all_notes(q=title) == []


@pytest.mark.rule("OWN-2")
def test_the_owner_of_a_note_never_changes(v11_users: Users) -> None:
    a, name_b = v11_users.a, _name(v11_users.b)
    note = a.create({"title": unique("kept"), "priority": 1})
    path = f"/notes/{note['id']}"
    replaced = assert_note_response(a.send_json("PUT", path, {"title": "replaced"}))
    assert replaced["created_by"] == note["created_by"]
    same = a.send_json("PATCH", path, {"created_by": note["created_by"]})
    assert assert_note_response(same)["created_by"] == note["created_by"]
    etag = a.etag(note["id"])
    for method, body in (
        ("PUT", {"title": "x", "created_by": name_b}),
        ("PATCH", {"created_by": name_b}),
    ):
        assert_problem(a.send_json(method, path, body), 422, field="created_by")
    after = a.read(note["id"])
    assert after.headers["ETag"] == etag
    assert after.json()["created_by"] == note["created_by"]


@pytest.mark.rule("OWN-3")
def test_a_user_lists_only_their_own_notes(v11_users: Users) -> None:
    a, b = v11_users.a, v11_users.b
    marker = unique("list")
    mine = [a.create({"title": f"{marker} a{i}", "priority": i}) for i in range(5)]
    theirs = [b.create({"title": f"{marker} b{i}", "priority": i}) for i in range(4)]
    name_b = theirs[0]["created_by"]
    for params in (
        {"q": marker},
        {"q": marker, "limit": 2},
        {"q": marker, "sort": "-priority", "limit": 3},
        {"q": marker, "sort": "title"},
        {"q": marker, "priority": 1},
        {"q": marker, "created_by": name_b},
    ):
        listed = a.all_notes(**params)
        assert {note["id"] for note in listed} <= {note["id"] for note in mine}, params
    assert [note["id"] for note in a.all_notes(q=marker)] == [note["id"] for note in mine]
    assert [note["id"] for note in b.all_notes(q=marker, limit=1)] == [n["id"] for n in theirs]
    assert a.all_notes(q=marker, created_by=name_b) == []


@pytest.mark.rule("OWN-4")
@pytest.mark.rule("OWN-5")
@pytest.mark.rule("OWN-6")
def test_another_users_note_answers_exactly_as_a_missing_one(v11_users: Users) -> None:
    a, b = v11_users.a, v11_users.b
    note = a.create({"title": unique("private"), "description": "A's alone", "priority": 3})
    etag = a.etag(note["id"])
    while_it_exists = _answers(b, note["id"], etag)
    for status, _ in while_it_exists:
        assert status == 404, while_it_exists
    untouched = a.read(note["id"])
    assert untouched.headers["ETag"] == etag
    assert untouched.json() == note
    assert a.delete(f"/notes/{note['id']}").status_code == 204
    once_deleted = _answers(b, note["id"], etag)
    assert once_deleted == while_it_exists
    assert_problem(b.read(note["id"]), 404)


@pytest.mark.rule("OWN-6")
def test_nothing_b_sends_moves_as_note(v11_users: Users) -> None:
    a, b = v11_users.a, v11_users.b
    notes = [a.create({"title": unique("steady"), "priority": i}) for i in range(3)]
    etags = {note["id"]: a.etag(note["id"]) for note in notes}
    for note in notes:
        for method in WRITES:
            b.request(method, f"/notes/{note['id']}", json={"title": "b was here"})
    for note in notes:
        response = a.read(note["id"])
        assert response.json() == note
        assert response.headers["ETag"] == etags[note["id"]]


@pytest.mark.rule("OWN-9")
def test_a_cursor_belongs_to_the_user_who_got_it(v11_users: Users) -> None:
    marker = unique("cursor")
    for api in (v11_users.a, v11_users.b):
        for i in range(3):
            api.create({"title": f"{marker} {i}"})
    first = v11_users.a.get("/notes", params={"q": marker, "limit": 1})
    next_url = urljoin(first.url, first.json()["next"])
    assert v11_users.a.get(next_url).status_code == 200
    assert_problem(v11_users.b.get(next_url), 422, field="cursor")
    if v11_users.admin is not None:
        assert_problem(v11_users.admin.get(next_url), 422, field="cursor")


@pytest.mark.rule("OWN-7")
def test_an_admin_sees_and_changes_every_note(v11_users: Users) -> None:
    admin = v11_users.require_admin()
    marker = unique("admin")
    a_note = v11_users.a.create({"title": f"{marker} a"})
    b_note = v11_users.b.create({"title": f"{marker} b"})
    assert [n["id"] for n in admin.all_notes(q=marker)] == [a_note["id"], b_note["id"]]
    by_b = admin.all_notes(q=marker, created_by=b_note["created_by"])
    assert [n["id"] for n in by_b] == [b_note["id"]]
    assert admin.read(a_note["id"]).json() == a_note
    patched = admin.send_json("PATCH", f"/notes/{a_note['id']}", {"priority": 7})
    assert assert_note_response(patched)["priority"] == 7
    assert v11_users.a.read(a_note["id"]).json()["priority"] == 7
    assert admin.delete(f"/notes/{b_note['id']}").status_code == 204
    assert_problem(v11_users.b.read(b_note["id"]), 404)


@pytest.mark.rule("OWN-8")
def test_an_admins_writes_keep_the_owner(v11_users: Users) -> None:
    admin = v11_users.require_admin()
    note = v11_users.a.create({"title": unique("owned")})
    path = f"/notes/{note['id']}"
    replaced = assert_note_response(admin.send_json("PUT", path, {"title": "by the admin"}))
    assert replaced["created_by"] == note["created_by"]
    admin_name = _name(admin)
    moved = admin.send_json("PATCH", path, {"created_by": admin_name})
    assert_problem(moved, 422, field="created_by")
    assert v11_users.a.read(note["id"]).json()["created_by"] == note["created_by"]
    own: JsonObject = admin.create({"title": unique("the admin's")})
    assert own["created_by"] == admin_name
    assert_problem(v11_users.a.read(own["id"]), 404)
