"""What a client writes is what it reads back, timestamps normalized to UTC with ``Z``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from tests.property import strategies as gen
from tests.property.budget import server_settings
from tests.property.checks import assert_note_reply, assert_problem
from tests.property.model import (
    Body,
    Timestamp,
    assert_strong_etag,
    fields_after_put,
    fields_for_create,
    format_timestamp,
    parse_returned_timestamp,
    wire,
)
from tests.property.service import LiveService


def _expected(doc: dict[str, Any], body: Body, *, created_at: str | None = None) -> dict[str, Any]:
    """The note ``body`` describes, with what only the server can choose taken from ``doc``."""
    server_created_at = parse_returned_timestamp(created_at or doc["created_at"])
    fields = fields_for_create(body, server_created_at=server_created_at)
    return {
        "id": doc["id"],
        "title": fields.title,
        "description": fields.description,
        "created_at": format_timestamp(fields.created_at),
        "created_by": fields.created_by,
        "priority": fields.priority,
        "updated_at": doc["updated_at"],
    }


# The tutorial's own POST and PUT bodies, sent with no Content-Type as its client does.
TUTORIAL_CREATED_AT = Timestamp("2017-08-23 00:00", datetime(2017, 8, 23, tzinfo=UTC))
TUTORIAL_POST = {
    "title": "note two",
    "created_at": TUTORIAL_CREATED_AT,
    "created_by": "apcelent",
    "description": "sample notes",
    "priority": 4,
}
TUTORIAL_PUT = {**TUTORIAL_POST, "title": "note edit", "description": "sample notes edit"}


@server_settings(3.0, shared_fixture=True)
@example(body=TUTORIAL_POST, replacement=TUTORIAL_PUT, content_type=None, ensure_ascii=True)
@given(
    body=gen.create_bodies,
    replacement=gen.put_bodies,
    content_type=gen.json_content_types,
    ensure_ascii=st.booleans(),
)
def test_what_is_posted_and_put_is_what_is_got(
    service: LiveService,
    body: Body,
    replacement: Body,
    content_type: str | None,
    ensure_ascii: bool,
) -> None:
    created = service.request(
        "POST", "/notes", json_body=wire(body), content_type=content_type, ensure_ascii=ensure_ascii
    )
    doc = assert_note_reply(created, 201)
    parse_returned_timestamp(doc["updated_at"])
    assert doc == _expected(doc, body)
    etag = assert_strong_etag(created.headers.get("ETag"))

    fetched = service.request("GET", f"/notes/{doc['id']}")
    assert assert_note_reply(fetched) == doc
    assert fetched.headers.get("ETag") == etag, "GET's ETag differs from POST's"

    put = service.request(
        "PUT", f"/notes/{doc['id']}", json_body=wire(replacement), ensure_ascii=ensure_ascii
    )
    replaced = assert_note_reply(put)
    old = fields_for_create(body, server_created_at=parse_returned_timestamp(doc["created_at"]))
    new = fields_after_put(old, replacement)
    # created_at is kept when the replacement has none.
    assert replaced == _expected(replaced, replacement, created_at=format_timestamp(new.created_at))
    assert assert_note_reply(service.request("GET", f"/notes/{doc['id']}")) == replaced


@server_settings(1.0, shared_fixture=True)
@given(text=gen.unrepresentable_timestamps(), body=gen.create_bodies)
def test_created_at_outside_the_utc_range_is_refused(
    service: LiveService, text: str, body: Body
) -> None:
    """A valid RFC 3339 text whose instant is in year 0 or 10000 once in UTC is a 422."""
    reply = service.request("POST", "/notes", json_body={**wire(body), "created_at": text})
    assert_problem(reply, 422)
    fields = [error.get("field", "") for error in reply.json().get("errors", [])]
    assert any("created_at" in str(field) for field in fields), f"errors: {reply.json()}"
    listing = service.request("GET", "/notes", params=[("limit", "1")])
    assert listing.json()["notes"] == [], "a refused note was stored"
