"""Idempotency keys (contract v1.1, IDEM): a retried create never makes a second note.

A client sends ``Idempotency-Key`` with ``POST /notes`` (the IETF httpapi draft "The
Idempotency-Key HTTP Header Field"). The first request with a key creates the note and
keeps its answer with the key; a repeat with the same key and the same body gets that
answer again, marked as a replay; the same key with another body is refused.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from datetime import datetime
from typing import Any, NamedTuple

from notes.domain.errors import FieldProblem, MalformedRequest, ValidationFailed
from notes.domain.records import NoteRecord

KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
# Printable ASCII, the space included (not at either end: a proxy may trim it).
_KEY = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?")


class MalformedIdempotencyKey(MalformedRequest):
    def __init__(self) -> None:
        super().__init__(
            f"{KEY_HEADER} must be one header of 1 to {MAX_KEY_LENGTH} printable ASCII "
            "characters, with no space at either end."
        )


class IdempotencyKeyReused(ValidationFailed):
    """422 as every refusal of a request's content is (ERR-3): one error, whose field
    is the header's name (as a query parameter's is its name, ERR-5)."""

    def __init__(self, key: str) -> None:
        super().__init__(
            [
                FieldProblem(
                    KEY_HEADER,
                    "this key was first used with another request body: a key stands for "
                    "one request. Use a new key for a new note.",
                )
            ]
        )
        self.detail = f"{KEY_HEADER} {key!r} was first used with another request body."
        self.key = key


@dataclasses.dataclass(frozen=True, slots=True)
class IdempotencyKey:
    key: str
    request_hash: str


class Created(NamedTuple):
    """A create's note, and whether it is the answer kept for a repeated key."""

    note: NoteRecord
    replayed: bool


def idempotency_key(values: list[str], body: dict[str, Any]) -> IdempotencyKey | None:
    """The request's key with its body's hash; None without the header (IDEM-1)."""
    if not values:
        return None
    if len(values) > 1 or not _KEY.fullmatch(values[0]):
        raise MalformedIdempotencyKey()
    return IdempotencyKey(values[0], request_hash(body))


def request_hash(body: dict[str, Any]) -> str:
    """SHA-256 of the body's JSON in one canonical form: key order and spacing do not
    make two bodies differ, any value does."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def record_to_text(note: NoteRecord) -> str:
    """The note as it was created, kept with its key to be answered again."""
    return json.dumps(
        [
            note.id,
            note.title,
            note.description,
            note.created_at.isoformat(),
            note.created_by,
            note.priority,
            note.updated_at.isoformat(),
            note.version,
        ],
        ensure_ascii=True,
    )


def record_from_text(text: str) -> NoteRecord:
    (note_id, title, description, created_at, created_by, priority, updated_at, version) = (
        json.loads(text)
    )
    return NoteRecord(
        note_id,
        title,
        description,
        datetime.fromisoformat(created_at),
        created_by,
        priority,
        datetime.fromisoformat(updated_at),
        version,
    )
