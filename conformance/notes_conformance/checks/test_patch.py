"""PATCH /notes/{id}: JSON Merge Patch (RFC 7396) with the contract's null rules."""

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

MERGE_PATCH = "application/merge-patch+json"


@pytest.mark.rule("CRUD-10", "REQ-1", "COND-3")
@pytest.mark.parametrize(
    "content_type", [MERGE_PATCH, "application/json", "application/json; charset=utf-8", None]
)
def test_patch_changes_only_the_given_fields(
    api: Api, owner: str, content_type: str | None
) -> None:
    post = api.send_json(
        "POST", "/notes", note_payload(owner, title="before", description="kept", priority=3)
    )
    created = post.json()
    response = api.send_json(
        "PATCH", f"/notes/{created['id']}", {"title": "after"}, content_type=content_type
    )
    note = assert_note_response(response)
    assert note == {**created, "title": "after", "updated_at": note["updated_at"]}
    assert parse_time(note["updated_at"]) > parse_time(created["updated_at"])
    assert response.headers["ETag"] != post.headers["ETag"]
    read = api.read(created["id"])
    assert read.json() == note
    assert read.headers["ETag"] == response.headers["ETag"]


@pytest.mark.rule("CRUD-10")
def test_patch_every_writable_field(api: Api, owner: str) -> None:
    created = api.create(note_payload(owner))
    patch = {
        "title": "t" * 200,
        "description": "d" * 10_000,
        "created_by": "c" * 100,
        "priority": INT32_MAX,
        "created_at": "2017-08-23T02:00:00+02:00",
    }
    note = assert_note_response(
        api.send_json("PATCH", f"/notes/{created['id']}", patch, content_type=MERGE_PATCH)
    )
    assert note["title"] == patch["title"]
    assert note["description"] == patch["description"]
    assert note["created_by"] == patch["created_by"]
    assert note["priority"] == INT32_MAX
    assert parse_time(note["created_at"]) == datetime(2017, 8, 23, tzinfo=UTC)


@pytest.mark.rule("CRUD-11")
@pytest.mark.parametrize(("field", "default"), [("description", ""), ("priority", 0)])
def test_null_resets_description_and_priority(
    api: Api, owner: str, field: str, default: object
) -> None:
    created = api.create(note_payload(owner, description="words", priority=INT32_MIN))
    response = api.send_json("PATCH", f"/notes/{created['id']}", {field: None})
    note = assert_note_response(response)
    assert note[field] == default
    other = "priority" if field == "description" else "description"
    assert note[other] == created[other]


@pytest.mark.rule("CRUD-12", "ERR-8")
@pytest.mark.parametrize("field", ["title", "created_by", "created_at"])
def test_null_is_422_for_title_created_by_and_created_at(api: Api, owner: str, field: str) -> None:
    post = api.send_json("POST", "/notes", note_payload(owner))
    created = post.json()
    response = api.send_json(
        "PATCH", f"/notes/{created['id']}", {field: None}, content_type=MERGE_PATCH
    )
    assert_problem(response, 422, field=field)
    read = api.read(created["id"])
    assert read.json() == created
    assert read.headers["ETag"] == post.headers["ETag"]


@pytest.mark.rule("CRUD-14", "CRUD-15")
@pytest.mark.parametrize(
    "patch",
    [
        {},
        {"title": "same"},
        {"description": None, "priority": None},
        {"created_by": "OWNER"},
        {"created_at": "2017-08-23 02:00"},
    ],
)
def test_a_patch_that_changes_nothing_keeps_updated_at_and_etag(
    api: Api, owner: str, patch: dict[str, object]
) -> None:
    post = api.send_json(
        "POST", "/notes", note_payload(owner, title="same", created_at="2017-08-23T02:00:00Z")
    )
    created = post.json()
    body = {key: owner if value == "OWNER" else value for key, value in patch.items()}
    response = api.send_json("PATCH", f"/notes/{created['id']}", body, content_type=MERGE_PATCH)
    assert assert_note_response(response) == created
    assert response.headers["ETag"] == post.headers["ETag"]
    assert api.etag(created["id"]) == post.headers["ETag"]


@pytest.mark.rule("VAL-7", "VAL-8", "VAL-9", "VAL-15", "ERR-8")
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", ""),
        ("title", "x" * 201),
        ("description", "d" * 10_001),
        ("created_by", ""),
        ("created_by", "c" * 101),
        ("priority", INT32_MIN - 1),
        ("priority", False),
        ("priority", "2"),
        ("priority", 2.5),
        ("created_at", "9999-12-31T23:00:00-01:00"),
        ("created_at", "not a time"),
        ("description", "nul\u0000"),
        ("created_by", "\u0000"),
        ("id", 5),
        ("updated_at", None),
        ("typo", "x"),
    ],
)
def test_patch_validates_and_changes_nothing(
    api: Api, owner: str, field: str, value: object
) -> None:
    post = api.send_json("POST", "/notes", note_payload(owner))
    created = post.json()
    response = api.send_json(
        "PATCH", f"/notes/{created['id']}", {"title": "would change", field: value}
    )
    assert_problem(response, 422, field=field)
    read = api.read(created["id"])
    assert read.json() == created
    assert read.headers["ETag"] == post.headers["ETag"]


@pytest.mark.rule("REQ-5")
@pytest.mark.parametrize("body", [[], [{"op": "replace", "path": "/title", "value": "x"}], "x", 1])
def test_a_patch_that_is_not_an_object_is_422(api: Api, owner: str, body: object) -> None:
    created = api.create(note_payload(owner))
    response = api.send_json("PATCH", f"/notes/{created['id']}", body, content_type=MERGE_PATCH)
    assert_problem(response, 422)
    assert api.read(created["id"]).json() == created


@pytest.mark.rule("REQ-9", "CRUD-13")
def test_patch_missing_note_is_404(api: Api, owner: str) -> None:
    created = api.create(note_payload(owner))
    assert api.delete(f"/notes/{created['id']}").status_code == 204
    response = api.send_json("PATCH", f"/notes/{created['id']}", {"title": "x"})
    assert_problem(response, 404)
    assert_problem(api.read(created["id"]), 404)
