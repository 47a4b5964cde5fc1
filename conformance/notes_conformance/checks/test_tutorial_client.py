"""The original tutorial's client, verbatim but for the port, against a fresh database."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import requests

from notes_conformance.checks.support import NOTE_KEYS, Api, parse_time


@pytest.mark.rule("TUT-1", "TUT-2", "TUT-3", "REQ-1")
@pytest.mark.fresh_database
def test_the_tutorial_calls_work_unchanged(base_url: str, api: Api) -> None:
    created = requests.post(f'{base_url}/notes', data=json.dumps({"title": "note two",
        "created_at": "2017-08-23 00:00", "created_by": "apcelent",
        "description": "sample notes", "priority": 4}))  # fmt: skip
    assert created.status_code == 201
    note = created.json()
    assert list(note) == NOTE_KEYS
    assert note["id"] == 1
    assert {key: note[key] for key in NOTE_KEYS if key != "updated_at"} == {
        "id": 1,
        "title": "note two",
        "description": "sample notes",
        "created_at": note["created_at"],
        "created_by": "apcelent",
        "priority": 4,
    }
    assert parse_time(note["created_at"]) == datetime(2017, 8, 23, tzinfo=UTC)
    assert api.get("/notes").json() == {"notes": [note], "next": None}

    edited = requests.put(f'{base_url}/notes/1', data=json.dumps({"title": "note edit",
        "created_at": "2017-08-23 00:00", "created_by": "apcelent",
        "description": "sample notes edit", "priority": 4}))  # fmt: skip
    assert edited.status_code == 200
    after_edit = edited.json()
    assert after_edit["title"] == "note edit"
    assert after_edit["description"] == "sample notes edit"
    assert after_edit["created_at"] == note["created_at"]
    assert api.get("/notes").json() == {"notes": [after_edit], "next": None}

    deleted = requests.delete(f'{base_url}/notes/1')  # fmt: skip
    assert deleted.status_code == 204
    assert api.get("/notes").json() == {"notes": [], "next": None}


@pytest.mark.rule("TUT-4", "REQ-14")
@pytest.mark.fresh_database
def test_the_tutorial_listing_shows_the_notes_in_a_browser(api: Api) -> None:
    for title in ("note one", "note two"):
        payload = {"title": title, "created_at": "2017-08-23 00:00", "created_by": "apcelent"}
        assert api.post("/notes", data=json.dumps(payload)).status_code == 201
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = api.get("/notes", headers={"Accept": browser})
    assert response.status_code == 200
    body = response.json()
    # On a fresh database these are ids 1 and 2; after TUT-1's note (the kit runs both
    # on one server) the next two ids, in order.
    first = body["notes"][0]["id"] if body["notes"] else 1
    assert [(note["id"], note["title"]) for note in body["notes"]] == [
        (first, "note one"),
        (first + 1, "note two"),
    ]
    assert body["next"] is None
