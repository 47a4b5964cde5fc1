"""DELETE /notes/{id}: 204 with no body, then the note is gone everywhere."""

from __future__ import annotations

import pytest

from notes_conformance.checks.support import Api, assert_problem, note_payload


@pytest.mark.rule("CRUD-13")
def test_delete_is_204_without_a_body_and_the_note_is_gone(api: Api, owner: str) -> None:
    kept = api.create(note_payload(owner, title="kept"))
    gone = api.create(note_payload(owner, title="gone"))
    response = api.delete(f"/notes/{gone['id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert_problem(api.read(gone["id"]), 404)
    assert api.all_notes(created_by=owner) == [kept]
    assert api.read(kept["id"]).json() == kept


@pytest.mark.rule("CRUD-13", "REQ-9")
def test_a_deleted_note_stays_404_for_every_method(api: Api, owner: str) -> None:
    note = api.create(note_payload(owner))
    assert api.delete(f"/notes/{note['id']}").status_code == 204
    path = f"/notes/{note['id']}"
    assert_problem(api.delete(path), 404)
    assert_problem(api.get(path), 404)
    assert_problem(api.send_json("PUT", path, note_payload(owner)), 404)
    assert_problem(api.send_json("PATCH", path, {"title": "x"}), 404)
    assert api.head(path).status_code == 404
    assert api.all_notes(created_by=owner) == []
