"""PUT /notes/{id}: full replacement that keeps created_at, never creates, validates like POST."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from notes_conformance.checks.support import (
    INT32_MAX,
    INT32_MIN,
    Api,
    assert_note_response,
    assert_problem,
    note_payload,
    parse_time,
)


@pytest.mark.rule("CRUD-7", "CRUD-8", "RES-9", "COND-3")
def test_put_replaces_every_field_and_resets_omitted_optionals(api: Api, owner: str) -> None:
    post = api.send_json(
        "POST",
        "/notes",
        note_payload(
            owner, title="before", description="old", priority=7, created_at="2017-08-23 00:00"
        ),
    )
    created = post.json()
    response = api.send_json(
        "PUT", f"/notes/{created['id']}", {"title": "after", "created_by": owner + "-2"}
    )
    note = assert_note_response(response)
    assert note["id"] == created["id"]
    assert note["title"] == "after"
    assert note["created_by"] == owner + "-2"
    assert note["description"] == ""
    assert note["priority"] == 0
    assert note["created_at"] == created["created_at"]
    assert parse_time(note["updated_at"]) > parse_time(created["updated_at"])
    assert response.headers["ETag"] != post.headers["ETag"]
    read = api.read(created["id"])
    assert read.json() == note
    assert read.headers["ETag"] == response.headers["ETag"]


@pytest.mark.rule("COND-1", "COND-3")
def test_put_changes_the_etag(api: Api, owner: str) -> None:
    post = api.send_json("POST", "/notes", note_payload(owner, title="one"))
    assert post.status_code == 201
    note_id = post.json()["id"]
    put = api.send_json("PUT", f"/notes/{note_id}", note_payload(owner, title="two"))
    assert put.status_code == 200
    assert put.headers["ETag"] != post.headers["ETag"]
    assert api.etag(note_id) == put.headers["ETag"]


@pytest.mark.rule("CRUD-8")
def test_put_sets_created_at_when_given(api: Api, owner: str) -> None:
    created = api.create(note_payload(owner, created_at="2017-08-23 00:00"))
    payload = note_payload(owner, created_at="2020-02-29T12:00:00+01:00")
    note = assert_note_response(api.send_json("PUT", f"/notes/{created['id']}", payload))
    assert parse_time(note["created_at"]) == datetime(2020, 2, 29, 11, tzinfo=UTC)


@pytest.mark.rule("CRUD-7")
def test_put_with_every_field(api: Api, owner: str) -> None:
    created = api.create(note_payload(owner))
    payload = note_payload(
        owner,
        title="t" * 200,
        description="d" * 10_000,
        created_at="2017-08-23 00:00",
        priority=INT32_MIN,
    )
    note = assert_note_response(api.send_json("PUT", f"/notes/{created['id']}", payload))
    assert {key: note[key] for key in ("title", "description", "priority", "created_by")} == {
        "title": "t" * 200,
        "description": "d" * 10_000,
        "priority": INT32_MIN,
        "created_by": owner,
    }
    assert parse_time(note["created_at"]) == datetime(2017, 8, 23, tzinfo=UTC)


@pytest.mark.rule("CRUD-14", "CRUD-15")
def test_a_put_that_changes_nothing_keeps_updated_at_and_etag(api: Api, owner: str) -> None:
    post = api.send_json(
        "POST", "/notes", note_payload(owner, description="same", priority=INT32_MAX)
    )
    created = post.json()
    same = {"title": created["title"], "created_by": owner, "description": "same"}
    same["priority"] = INT32_MAX
    put = api.send_json("PUT", f"/notes/{created['id']}", same)
    assert assert_note_response(put) == created
    assert put.headers["ETag"] == post.headers["ETag"]
    # The same again, with created_at spelled in another offset: still no change.
    same["created_at"] = created["created_at"].replace("Z", "+00:00")
    put = api.send_json("PUT", f"/notes/{created['id']}", same)
    assert assert_note_response(put) == created
    assert put.headers["ETag"] == post.headers["ETag"]


@pytest.mark.rule("CRUD-15")
def test_a_put_that_omits_default_optionals_is_no_change(api: Api, owner: str) -> None:
    post = api.send_json("POST", "/notes", note_payload(owner))
    created = post.json()
    put = api.send_json("PUT", f"/notes/{created['id']}", note_payload(owner))
    assert put.json() == created
    assert put.headers["ETag"] == post.headers["ETag"]


@pytest.mark.rule("CRUD-9")
def test_put_never_creates(api: Api, owner: str) -> None:
    created = api.create(note_payload(owner))
    assert api.delete(f"/notes/{created['id']}").status_code == 204
    response = api.send_json("PUT", f"/notes/{created['id']}", note_payload(owner))
    assert_problem(response, 404)
    assert_problem(api.read(created["id"]), 404)
    assert api.all_notes(created_by=owner) == []


@pytest.mark.rule("VAL-1", "VAL-4", "ERR-8")
@pytest.mark.parametrize("missing", ["title", "created_by"])
def test_put_requires_title_and_created_by(api: Api, owner: str, missing: str) -> None:
    created = api.create(note_payload(owner, description="kept?"))
    payload = note_payload(owner, description="new")
    del payload[missing]
    assert_problem(api.send_json("PUT", f"/notes/{created['id']}", payload), 422, field=missing)
    assert api.read(created["id"]).json() == created


@pytest.mark.rule("VAL-7", "VAL-8", "VAL-9", "VAL-15", "ERR-8")
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", ""),
        ("title", "x" * 201),
        ("description", "d" * 10_001),
        ("created_by", "c" * 101),
        ("priority", INT32_MAX + 1),
        ("priority", True),
        ("priority", "1"),
        ("priority", 1.5),
        ("created_at", "0001-01-01T00:00:00+00:01"),
        ("title", "nul\u0000"),
        ("id", 1),
        ("updated_at", "2017-08-23T00:00:00Z"),
    ],
)
def test_put_validates_like_post_and_changes_nothing(
    api: Api, owner: str, field: str, value: object
) -> None:
    post = api.send_json("POST", "/notes", note_payload(owner))
    created = post.json()
    response = api.send_json(
        "PUT", f"/notes/{created['id']}", note_payload(owner, **{field: value})
    )
    assert_problem(response, 422, field=field)
    read = api.read(created["id"])
    assert read.json() == created
    assert read.headers["ETag"] == post.headers["ETag"]
