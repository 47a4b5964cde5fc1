"""A stored note as the service passes it around, and its JSON representation."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

import orjson

from notes.domain.timestamps import already_datetime

# A note as the API shows it: CONTRACT.md's keys, in its order.
NoteObject = dict[str, Any]
# Naive datetimes are UTC here; orjson writes them as isoformat() + "Z" would.
_DUMPS_OPTIONS = orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z


def dumps(body: Any) -> bytes:
    """JSON text of a body, timestamps as RFC 3339 UTC with `Z`."""
    return orjson.dumps(body, option=_DUMPS_OPTIONS)


class NoteValues(NamedTuple):
    """The writable fields of a note, validated and normalised (timestamps naive UTC),
    in NoteRecord's order."""

    title: str
    description: str
    created_at: datetime
    created_by: str
    priority: int


class NoteRecord(NamedTuple):
    """A stored note, with the version its ETag is made of."""

    id: int
    title: str
    description: str
    created_at: datetime
    created_by: str
    priority: int
    updated_at: datetime
    version: int

    @classmethod
    def written(
        cls, note_id: int, values: NoteValues, *, updated_at: datetime, version: int
    ) -> NoteRecord:
        """The record of a row just written with these values: what reading it gives."""
        return cls(note_id, *values, updated_at, version)

    @property
    def values(self) -> NoteValues:
        return NoteValues._make(self[1:6])

    @property
    def etag(self) -> str:
        """Strong, and the same from every process: it is derived from stored state only."""
        return f'"{self.id}-{self.version}"'

    def to_json(self) -> NoteObject:
        """The representation of CONTRACT.md, keys in its order."""
        return note_objects((self,), already_datetime)[0]


def note_objects(
    rows: Iterable[Sequence[Any]], read_datetime: Callable[[Any], datetime]
) -> list[NoteObject]:
    """The representations of stored notes, from rows in `NoteRecord`'s field order
    (the version, if there, is left out); `read_datetime` makes their timestamps datetimes.

    One pass, and no record in between: a page is 50 notes (what that saves:
    benchmarks/README.md). Timestamps stay naive UTC datetimes:
    `dumps` writes them as RFC 3339 with `Z` (the text of `format_timestamp`).
    """
    return [
        {
            "id": row[0],
            "title": row[1],
            "description": row[2],
            "created_at": read_datetime(row[3]),
            "created_by": row[4],
            "priority": row[5],
            "updated_at": read_datetime(row[6]),
        }
        for row in rows
    ]


def representation(values: NoteValues, updated_at: datetime) -> bytes:
    """A note's JSON as the API shows it, but for its id (not known before an insert):
    what a listing keeps with each note and joins into a page. Its members follow a
    comma, not a brace, so that the id goes right in front (`with_id`): SQLite joins a
    page with no copy of any note's text in between (migration 0008)."""
    shown = dumps(
        {
            "title": values.title,
            "description": values.description,
            "created_at": values.created_at,
            "created_by": values.created_by,
            "priority": values.priority,
            "updated_at": updated_at,
        }
    )
    return b"," + shown[1:]


def with_id(note_id: int, stored: bytes) -> bytes:
    """The note's JSON from its stored `representation`: the id first, as `to_json`.
    The copy's first byte is skipped, whichever it is: copies PostgreSQL kept from
    before migration 0008 still open with a brace."""
    return b'{"id":%d,%b' % (note_id, stored[1:])
