"""POST /notes: defaults, every bound of every writable field, and the representation."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

import pytest

from notes_conformance.checks.support import (
    INT32_MAX,
    INT32_MIN,
    NOTE_KEYS,
    Api,
    JsonObject,
    assert_note_response,
    assert_problem,
    note_payload,
    parse_time,
)

ASTRAL = "\U0001d11e"  # MUSICAL SYMBOL G CLEF: one code point, two UTF-16 units, four UTF-8 bytes


@pytest.mark.rule("CRUD-1", "CRUD-2", "RES-1", "RES-2", "COND-1")
def test_create_returns_201_with_the_note_location_and_etag(api: Api, owner: str) -> None:
    response = api.send_json(
        "POST",
        "/notes",
        note_payload(
            owner,
            title="note two",
            description="sample notes",
            created_at="2017-08-23T00:00:00Z",
            priority=4,
        ),
    )
    note = assert_note_response(response, 201)
    assert list(note) == NOTE_KEYS
    assert note["title"] == "note two"
    assert note["description"] == "sample notes"
    assert parse_time(note["created_at"]) == datetime(2017, 8, 23, tzinfo=UTC)
    assert note["created_by"] == owner
    assert note["priority"] == 4
    location = urljoin(response.url, response.headers["Location"])
    assert location == api.url(f"/notes/{note['id']}")
    read = api.read(note["id"])
    assert read.json() == note
    assert read.headers["ETag"] == response.headers["ETag"]


@pytest.mark.rule("CRUD-2", "VAL-2", "VAL-3", "VAL-5", "RES-9")
def test_create_applies_defaults(api: Api, owner: str) -> None:
    response = api.send_json("POST", "/notes", {"title": "t", "created_by": owner})
    note = assert_note_response(response, 201)
    assert note["description"] == ""
    assert note["priority"] == 0
    created_at = parse_time(note["created_at"])
    updated_at = parse_time(note["updated_at"])
    # The server's own clock (the Date header), not ours: a foreign server may drift.
    server_now = parsedate_to_datetime(response.headers["Date"])
    assert abs(created_at - server_now) < timedelta(minutes=2)
    assert abs(updated_at - created_at) < timedelta(minutes=2)


@pytest.mark.rule("RES-3", "RES-4")
def test_ids_are_distinct_and_never_reused_after_delete(api: Api, owner: str) -> None:
    first = api.create(note_payload(owner))
    second = api.create(note_payload(owner))
    assert second["id"] != first["id"]
    assert api.delete(f"/notes/{second['id']}").status_code == 204
    third = api.create(note_payload(owner))
    assert third["id"] not in {first["id"], second["id"]}


@pytest.mark.rule("CRUD-4")
def test_ids_grow(api: Api, owner: str) -> None:
    first = api.create(note_payload(owner))
    second = api.create(note_payload(owner))
    assert api.delete(f"/notes/{second['id']}").status_code == 204
    third = api.create(note_payload(owner))
    assert first["id"] < second["id"] < third["id"]


@pytest.mark.rule("RES-9")
def test_updated_at_is_set_by_the_server_even_for_an_old_created_at(api: Api, owner: str) -> None:
    note = api.create(note_payload(owner, created_at="2001-01-01T00:00:00Z"))
    assert parse_time(note["updated_at"]) > datetime(2020, 1, 1, tzinfo=UTC)


@pytest.mark.rule("VAL-1", "VAL-2", "VAL-4", "VAL-5", "VAL-6", "RES-5")
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "x"),
        ("title", "x" * 200),
        ("title", ASTRAL * 200),
        ("title", "e\u0301" * 100),
        ("description", ""),
        ("description", "d" * 10_000),
        ("description", ASTRAL * 10_000),
        ("created_by", "c"),
        ("created_by", "c" * 100),
        ("created_by", ASTRAL * 100),
        ("priority", INT32_MIN),
        ("priority", INT32_MAX),
        ("priority", 0),
        ("priority", -1),
    ],
    ids=lambda value: str(value)[:12] if not isinstance(value, str) else f"len{len(value)}",
)
def test_values_inside_the_bounds_are_accepted_and_stored_exactly(
    api: Api, owner: str, field: str, value: object
) -> None:
    payload = note_payload(owner, **{field: value})
    response = api.send_json("POST", "/notes", payload)
    note = assert_note_response(response, 201)
    assert note[field] == value
    assert api.read(note["id"]).json()[field] == value


@pytest.mark.rule("VAL-1", "VAL-2", "VAL-4", "VAL-5", "VAL-6", "VAL-9", "VAL-14", "ERR-8")
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", ""),
        ("title", "x" * 201),
        ("title", ASTRAL * 201),
        ("title", "e\u0301" * 100 + "e"),
        ("title", 123),
        ("title", None),
        ("title", ["x"]),
        ("description", "d" * 10_001),
        ("description", ASTRAL * 10_001),
        ("description", 5),
        ("created_by", ""),
        ("created_by", "c" * 101),
        ("created_by", ASTRAL * 101),
        ("created_by", None),
        ("created_by", {"name": "x"}),
        ("priority", INT32_MIN - 1),
        ("priority", INT32_MAX + 1),
        ("priority", 10**30),
        ("priority", -(10**30)),
        ("priority", True),
        ("priority", False),
        ("priority", "4"),
        ("priority", "four"),
        ("priority", 4.5),
        ("priority", -0.5),
        ("priority", [4]),
        ("created_at", 1503446400),
        ("created_at", "yesterday"),
        ("created_at", ""),
        ("created_at", "2017-08-23"),
        ("created_at", "2017-13-01T00:00:00Z"),
        ("created_at", "2017-02-30 00:00"),
        ("created_at", "2017-08-23 24:00"),
        ("created_at", "2017-08-23T00:00:00+25:00"),
        ("created_at", "2017-08-23T00:00:00+24:00"),
        ("created_at", "2017-08-23T00:00:00-24:00"),
        ("created_at", "2017-08-23T00:00:00+00:60"),
        ("created_at", "2017-08-23T00:00:60Z"),
        ("created_at", "2017-08-23 00:60"),
        ("created_at", "2017-08-23 00:00:00.1234567"),
        ("created_at", "2017-08-23T00:00Z"),
        ("created_at", " 2017-08-23 00:00"),
    ],
    ids=lambda value: (
        str(value)[:16] if not isinstance(value, str) else f"{value[:16]}-{len(value)}"
    ),
)
def test_values_outside_the_bounds_are_422_naming_the_field(
    api: Api, owner: str, field: str, value: object
) -> None:
    response = api.send_json("POST", "/notes", note_payload(owner, **{field: value}))
    assert_problem(response, 422, field=field)
    assert api.all_notes(created_by=owner) == []


@pytest.mark.rule("VAL-11")
def test_a_whole_number_float_priority_is_taken_as_an_integer(api: Api, owner: str) -> None:
    response = api.send_json("POST", "/notes", note_payload(owner, priority=4.0))
    note = assert_note_response(response, 201)
    assert note["priority"] == 4
    assert isinstance(note["priority"], int)


@pytest.mark.rule("VAL-7")
@pytest.mark.parametrize("field", ["title", "description", "created_by", "created_at"])
def test_nul_is_rejected_in_every_string_field(api: Api, owner: str, field: str) -> None:
    values = {
        "title": "bad\u0000title",
        "description": "bad\u0000",
        "created_by": owner + "\u0000",
        "created_at": "2017-08-23\u000000:00",
    }
    response = api.send_json("POST", "/notes", note_payload(owner, **{field: values[field]}))
    assert_problem(response, 422, field=field)
    assert api.all_notes(created_by=owner) == []


@pytest.mark.rule("VAL-1", "VAL-4")
@pytest.mark.parametrize("missing", ["title", "created_by"])
def test_required_fields_are_required(api: Api, owner: str, missing: str) -> None:
    payload = note_payload(owner, description="d")
    del payload[missing]
    assert_problem(api.send_json("POST", "/notes", payload), 422, field=missing)


@pytest.mark.rule("VAL-8", "ERR-8")
@pytest.mark.parametrize("key", ["id", "updated_at", "titel", "Title", "extra\u00e9"])
def test_unknown_or_read_only_keys_are_422_naming_the_key(api: Api, owner: str, key: str) -> None:
    payload = note_payload(owner, **{key: 1})
    problem = assert_problem(api.send_json("POST", "/notes", payload), 422)
    assert any(key in error["field"] or key in error["message"] for error in problem["errors"])
    assert api.all_notes(created_by=owner) == []


@pytest.mark.rule("ERR-4")
def test_every_problem_is_listed(api: Api, owner: str) -> None:
    payload: JsonObject = {"title": "", "created_by": owner, "priority": "high", "colour": "red"}
    problem = assert_problem(api.send_json("POST", "/notes", payload), 422)
    fields = " ".join(error["field"] + " " + error["message"] for error in problem["errors"])
    for name in ("title", "priority", "colour"):
        assert name in fields, problem
    assert len(problem["errors"]) >= 3


@pytest.mark.rule("VAL-12", "VAL-13", "RES-6", "RES-8")
@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("2017-08-23T00:00:00Z", datetime(2017, 8, 23, tzinfo=UTC)),
        ("2017-08-23T00:00:00+00:00", datetime(2017, 8, 23, tzinfo=UTC)),
        ("2017-08-23T02:30:00+02:30", datetime(2017, 8, 23, tzinfo=UTC)),
        ("2017-08-22T19:00:00-05:00", datetime(2017, 8, 23, tzinfo=UTC)),
        ("2017-08-23T23:59:00+23:59", datetime(2017, 8, 23, tzinfo=UTC)),
        ("2017-08-22T00:01:00-23:59", datetime(2017, 8, 23, tzinfo=UTC)),
        ("2017-08-23T00:00:00.123456Z", datetime(2017, 8, 23, 0, 0, 0, 123456, tzinfo=UTC)),
        ("2017-08-23T00:00:00.5Z", datetime(2017, 8, 23, 0, 0, 0, 500000, tzinfo=UTC)),
        ("2017-08-23 00:00", datetime(2017, 8, 23, tzinfo=UTC)),
        ("2017-08-23 13:45:07", datetime(2017, 8, 23, 13, 45, 7, tzinfo=UTC)),
        ("2017-08-23 13:45:07.123456", datetime(2017, 8, 23, 13, 45, 7, 123456, tzinfo=UTC)),
        ("0001-01-01T00:00:00Z", datetime(1, 1, 1, tzinfo=UTC)),
        ("0001-01-01T01:00:00+01:00", datetime(1, 1, 1, tzinfo=UTC)),
        ("0001-01-01 00:00", datetime(1, 1, 1, tzinfo=UTC)),
        ("9999-12-31T23:59:59Z", datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)),
        ("9999-12-31T22:59:59-01:00", datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)),
        ("9999-12-31 23:59:59.999999", datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
    ],
)
def test_created_at_is_converted_to_utc(api: Api, owner: str, given: str, stored: datetime) -> None:
    response = api.send_json("POST", "/notes", note_payload(owner, created_at=given))
    note = assert_note_response(response, 201)
    assert note["created_at"].endswith("Z")
    assert parse_time(note["created_at"]) == stored
    assert parse_time(api.read(note["id"]).json()["created_at"]) == stored


@pytest.mark.rule("VAL-15")
@pytest.mark.parametrize(
    "given",
    [
        "0001-01-01T00:30:00+01:00",
        "0001-01-01T00:00:00+00:01",
        "9999-12-31T23:30:00-01:00",
        "9999-12-31T23:59:59-00:01",
        "0000-01-01T00:00:00Z",
        "0000-12-31 23:59",
        "10000-01-01T00:00:00Z",
    ],
)
def test_created_at_outside_years_1_to_9999_in_utc_is_422(api: Api, owner: str, given: str) -> None:
    response = api.send_json("POST", "/notes", note_payload(owner, created_at=given))
    assert_problem(response, 422, field="created_at")


@pytest.mark.rule("VAL-10")
def test_a_whole_number_float_priority_is_taken_or_refused(api: Api, owner: str) -> None:
    response = api.send_json("POST", "/notes", note_payload(owner, priority=1e2))
    if response.status_code == 422:
        assert_problem(response, 422, field="priority")
        assert api.all_notes(created_by=owner) == []
    else:
        note = assert_note_response(response, 201)
        assert note["priority"] == 100  # and a JSON integer: assert_note_response


RECOMMENDED_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z")


@pytest.mark.rule("RES-7")
@pytest.mark.parametrize("given", ["2017-08-23 00:00", "2017-08-23T10:20:30.123456+02:00"])
def test_times_are_written_in_the_recommended_form(api: Api, owner: str, given: str) -> None:
    note = api.create(note_payload(owner, created_at=given))
    for key in ("created_at", "updated_at"):
        assert RECOMMENDED_TIME.fullmatch(note[key]), f"{key}: {note[key]!r}"
