"""RES: the note as the server returns it."""

from __future__ import annotations

import html
import re
import unicodedata

from conformance.selftest.catalogue.common import Overrides, note_of
from conformance.selftest.traffic import WRITES, Exchange, JsonObject, Reply, map_notes
from conformance.selftest.violation import (
    Context,
    Handler,
    Violation,
    rewrite_reply,
    rewrite_request,
)

TEXT_FIELDS = ("title", "description", "created_by")
MILLIS = re.compile(r"(\.[0-9]{3})[0-9]+Z$")


def keys_sorted(exchange: Exchange, reply: Reply) -> Reply | None:
    return map_notes(reply, lambda note: dict(sorted(note.items())))


def extra_member(exchange: Exchange, reply: Reply) -> Reply | None:
    return map_notes(reply, lambda note: {**note, "deleted": False})


def id_as_string(exchange: Exchange, reply: Reply) -> Reply | None:
    if exchange.method != "GET" or exchange.note_id is None:
        return None
    return map_notes(reply, lambda note: {**note, "id": str(note["id"])})


def priority_as_float_in_pages(exchange: Exchange, reply: Reply) -> Reply | None:
    if not exchange.is_listing:
        return None
    return map_notes(reply, lambda note: {**note, "priority": float(note["priority"])})


def times_with_offset(exchange: Exchange, reply: Reply) -> Reply | None:
    def edit(note: JsonObject) -> JsonObject:
        return {
            key: value.replace("Z", "+00:00") if key in {"created_at", "updated_at"} else value
            for key, value in note.items()
        }

    return map_notes(reply, edit)


def created_at_in_millis(exchange: Exchange, reply: Reply) -> Reply | None:
    def edit(note: JsonObject) -> JsonObject | None:
        shortened = MILLIS.sub(r"\1Z", note["created_at"])
        return None if shortened == note["created_at"] else {**note, "created_at": shortened}

    return map_notes(reply, edit)


def html_escaped(exchange: Exchange, reply: Reply) -> Reply | None:
    def edit(note: JsonObject) -> JsonObject | None:
        escaped = {key: html.escape(note[key], quote=False) for key in ("title", "description")}
        if all(escaped[key] == note[key] for key in escaped):
            return None
        return {**note, **escaped}

    return map_notes(reply, edit)


def normalized(exchange: Exchange, form: str) -> Exchange | None:
    body = exchange.json_object() if exchange.method in WRITES else None
    if body is None:
        return None
    changed = {
        key: unicodedata.normalize("NFC", value) if form == "NFC" else value.strip()
        for key, value in body.items()
        if key in TEXT_FIELDS and isinstance(value, str)
    }
    if all(body[key] == value for key, value in changed.items()):
        return None
    return exchange.with_json({**body, **changed})


def updated_at_from_created_at() -> Handler:
    """At creation, updated_at is taken from the created_at the client gave."""
    shown = Overrides()
    stored: dict[int, str] = {}  # the real updated_at of a note not changed since

    async def handle(exchange: Exchange, context: Context) -> Reply:
        reply = await context.forward(exchange)
        note = note_of(reply)
        if exchange.is_create and note is not None:
            given = exchange.json_object() or {}
            if "created_at" in given:
                context.hit()
                stored[note["id"]] = note["updated_at"]
                shown.set(note["id"], "updated_at", note["created_at"])
        elif note is not None and stored.get(note["id"]) not in {None, note["updated_at"]}:
            shown.forget(note["id"])  # changed since: the server sets updated_at again
        return shown.apply(reply)

    return handle


VIOLATIONS = (
    Violation(
        "V-RES-KEYS-SORTED",
        ("RES-1",),
        "every note's members in alphabetical order (a serializer with sort_keys)",
        rewrite_reply(keys_sorted),
    ),
    Violation(
        "V-RES-EXTRA-MEMBER",
        ("RES-1",),
        'every note carries an eighth member, "deleted": false',
        rewrite_reply(extra_member),
        fast=True,
    ),
    Violation(
        "V-RES-ID-STRING",
        ("RES-2",),
        "GET /notes/{id} writes the id as a JSON string",
        rewrite_reply(id_as_string),
    ),
    Violation(
        "V-RES-PRIORITY-FLOAT",
        ("RES-2", "LIST-1"),
        "pages write priority as 4.0 (another serializer for the listing)",
        rewrite_reply(priority_as_float_in_pages),
    ),
    Violation(
        "V-RES-TIME-OFFSET",
        ("RES-6",),
        "times written with +00:00 instead of Z (datetime.isoformat)",
        rewrite_reply(times_with_offset),
    ),
    Violation(
        "V-RES-CREATED-AT-MILLIS",
        ("RES-8",),
        "created_at kept to the millisecond (a DATETIME(3) column)",
        rewrite_reply(created_at_in_millis),
    ),
    Violation(
        "V-RES-NFC",
        ("RES-5",),
        "strings are stored NFC-normalized (e + U+0301 becomes é)",
        rewrite_request(lambda exchange: normalized(exchange, "NFC")),
    ),
    Violation(
        "V-RES-TRIMMED",
        ("RES-5",),
        "title, description and created_by are stored with surrounding whitespace trimmed",
        rewrite_request(lambda exchange: normalized(exchange, "strip")),
    ),
    Violation(
        "V-RES-HTML-ESCAPED",
        ("RES-5",),
        "title and description come back HTML-escaped (&lt;script&gt;)",
        rewrite_reply(html_escaped),
    ),
    Violation(
        "V-RES-UPDATED-AT-FROM-CREATED-AT",
        ("RES-9",),
        "a created note's updated_at is the created_at the client gave",
        updated_at_from_created_at,
    ),
)
