"""A stored note's representation: keys in the contract's order, and its ETag."""

from __future__ import annotations

from datetime import datetime

import orjson
import pytest

from notes.domain.records import NoteRecord, NoteValues, note_objects
from notes.web.responses import note_response

RECORD = NoteRecord(
    id=1,
    title="note two",
    description="sample notes",
    created_at=datetime(2017, 8, 23),
    created_by="apcelent",
    priority=4,
    updated_at=datetime(2026, 11, 23, 10, 0, 0, 123_456),
    version=1,
)


def test_to_json_keys_in_the_contract_order() -> None:
    body = RECORD.to_json()
    assert list(body) == [
        "id",
        "title",
        "description",
        "created_at",
        "created_by",
        "priority",
        "updated_at",
    ]
    assert (body["id"], body["title"], body["description"]) == (1, "note two", "sample notes")
    assert (body["created_by"], body["priority"]) == ("apcelent", 4)


def test_representation_on_the_wire() -> None:
    response = note_response(RECORD)
    assert response.body == (
        b'{"id":1,"title":"note two","description":"sample notes",'
        b'"created_at":"2017-08-23T00:00:00Z","created_by":"apcelent","priority":4,'
        b'"updated_at":"2026-11-23T10:00:00.123456Z"}'
    )


@pytest.mark.parametrize(
    ("created_at", "text"),
    [
        (datetime(1, 1, 1), "0001-01-01T00:00:00Z"),
        (datetime(2017, 8, 23, 0, 0, 0, 1), "2017-08-23T00:00:00.000001Z"),
        (datetime(9999, 12, 31, 23, 59, 59, 999_999), "9999-12-31T23:59:59.999999Z"),
    ],
)
def test_timestamps_on_the_wire(created_at: datetime, text: str) -> None:
    response = note_response(RECORD._replace(created_at=created_at))
    assert isinstance(response.body, bytes)
    assert orjson.loads(response.body)["created_at"] == text


def test_to_json_does_not_leak_the_version() -> None:
    assert "version" not in RECORD.to_json()


def test_etag() -> None:
    assert RECORD.etag == '"1-1"'
    assert RECORD._replace(version=2).etag == '"1-2"'
    assert RECORD._replace(id=12, version=34).etag == '"12-34"'
    # derived from stored state only: an equal record has an equal tag
    assert RECORD._replace().etag == RECORD.etag
    # the version is what changes it, not the other fields
    assert RECORD._replace(title="other").etag == RECORD.etag


def test_values() -> None:
    assert RECORD.values == NoteValues(
        title="note two",
        description="sample notes",
        created_at=datetime(2017, 8, 23),
        created_by="apcelent",
        priority=4,
    )


def test_records_are_frozen() -> None:
    with pytest.raises(AttributeError):
        RECORD.title = "x"  # type: ignore[misc]


def test_note_response() -> None:
    response = note_response(RECORD, status=201, headers={"Location": "/notes/1"})
    assert response.status == 201
    assert response.headers["ETag"] == '"1-1"'
    assert response.headers["Location"] == "/notes/1"
    assert response.content_type == "application/json"
    assert isinstance(response.body, bytes)
    assert orjson.loads(response.body)["updated_at"] == "2026-11-23T10:00:00.123456Z"
    plain = note_response(RECORD)
    assert plain.status == 200
    assert plain.headers["ETag"] == '"1-1"'


def test_note_objects_from_rows() -> None:
    stored = ("2017-08-23 00:00:00.000000", "2026-11-23 10:00:00.123456")
    row = (*RECORD[:3], stored[0], *RECORD[4:6], stored[1])
    # With or without the version, read as the backend stores timestamps.
    assert note_objects([row, (*row, 9)], datetime.fromisoformat) == [RECORD.to_json()] * 2
    assert note_objects([], datetime.fromisoformat) == []
