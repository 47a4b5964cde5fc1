"""GET and HEAD /notes/{id}: the representation, its ETag, and ids that name no note."""

from __future__ import annotations

import pytest

from notes_conformance.checks.support import Api, assert_note_response, assert_problem, note_payload

BAD_IDS = ["abc", "-1", "0", "99999999999999999999", "1.5", "1e3", "0x10", "%20", "one"]
# Positive integers past every integer column a backend may use: still just "not found".
MISSING_IDS = ["2147483647", "2147483648", "9223372036854775807", "9223372036854775808"]


@pytest.mark.rule("CRUD-5", "COND-1")
def test_get_returns_the_note_with_an_etag(api: Api, owner: str) -> None:
    created = api.create(note_payload(owner, title="read me", priority=-3))
    response = api.read(created["id"])
    note = assert_note_response(response)
    assert note == created


@pytest.mark.rule("CRUD-5", "COND-3")
def test_get_twice_gives_the_same_etag(api: Api, owner: str) -> None:
    created = api.create(note_payload(owner))
    assert api.etag(created["id"]) == api.etag(created["id"])


@pytest.mark.rule("CRUD-6")
def test_head_has_the_headers_of_get_and_no_body(api: Api, owner: str) -> None:
    created = api.create(note_payload(owner))
    got = api.read(created["id"])
    head = api.head(f"/notes/{created['id']}")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["ETag"] == got.headers["ETag"]
    assert head.headers["Content-Type"] == got.headers["Content-Type"]


@pytest.mark.rule("REQ-14")
def test_browser_accept_header_still_gets_json(api: Api, owner: str) -> None:
    created = api.create(note_payload(owner))
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = api.get(f"/notes/{created['id']}", headers={"Accept": browser})
    assert assert_note_response(response) == created


@pytest.mark.rule("CRUD-6", "CRUD-13", "REQ-9")
def test_get_missing_note_is_404(api: Api, owner: str) -> None:
    created = api.create(note_payload(owner))
    assert api.delete(f"/notes/{created['id']}").status_code == 204
    assert_problem(api.read(created["id"]), 404)
    head = api.head(f"/notes/{created['id']}")
    assert head.status_code == 404
    assert head.content == b""


@pytest.mark.rule("REQ-9")
@pytest.mark.parametrize("note_id", BAD_IDS + MISSING_IDS)
@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_ids_that_name_no_note_are_404(api: Api, owner: str, method: str, note_id: str) -> None:
    body = note_payload(owner) if method in {"PUT", "PATCH"} else None
    response = api.request(method, f"/notes/{note_id}", json=body)
    assert_problem(response, 404)


@pytest.mark.rule("REQ-9", "CRUD-6")
@pytest.mark.parametrize("note_id", BAD_IDS[:4] + MISSING_IDS)
def test_head_on_ids_that_name_no_note_is_404(api: Api, note_id: str) -> None:
    response = api.head(f"/notes/{note_id}")
    assert response.status_code == 404
    assert response.content == b""
