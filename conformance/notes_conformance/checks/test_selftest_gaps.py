"""Checks the kit lacked, found by its self-test (conformance/selftest): violations that
survived every other test. Each names the violation it catches."""

from __future__ import annotations

import pytest

from notes_conformance.checks.support import Api, assert_note_response, note_payload


@pytest.mark.rule("RES-5")
def test_surrounding_whitespace_comes_back_as_written(api: Api, owner: str) -> None:
    """V-RES-TRIMMED: a server that trims the strings it stores."""
    padded = note_payload(
        f" {owner}\t", title="  a title between spaces  ", description="\n text \n"
    )
    created = assert_note_response(api.send_json("POST", "/notes", padded), 201)
    for key in ("title", "description", "created_by"):
        assert created[key] == padded[key], key
    assert api.read(created["id"]).json() == created
    replaced = {**padded, "title": "\ttabbed\t"}
    put = assert_note_response(api.send_json("PUT", f"/notes/{created['id']}", replaced))
    assert put["title"] == "\ttabbed\t"
    patched = api.send_json("PATCH", f"/notes/{created['id']}", {"description": " "})
    assert assert_note_response(patched)["description"] == " "
    assert api.all_notes(created_by=padded["created_by"]) == [api.read(created["id"]).json()]


@pytest.mark.rule("LIST-1")
def test_the_listing_shows_a_note_as_changed(api: Api, owner: str) -> None:
    """V-LIST-STALE-NOTES: a listing served from a cache that a write does not refresh."""
    note = api.create(note_payload(owner, title="before"))
    assert api.all_notes(created_by=owner) == [note]
    patched = api.send_json("PATCH", f"/notes/{note['id']}", {"title": "after", "priority": 5})
    changed = assert_note_response(patched)
    assert api.all_notes(created_by=owner) == [changed]
    replaced = api.send_json("PUT", f"/notes/{note['id']}", note_payload(owner, title="again"))
    assert api.all_notes(created_by=owner) == [assert_note_response(replaced)]
    assert api.all_notes(created_by=owner) == [api.read(note["id"]).json()]
