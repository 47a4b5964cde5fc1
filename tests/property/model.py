"""A plain in-memory model of the notes the contract describes: the oracle the server must match.

It holds what a client can know: the fields it wrote, and what the server chose (ids,
default ``created_at``, ``updated_at``, ETags). Search, filters, order and the effect of
PUT and PATCH are computed here from CONTRACT.md, never from the service's code.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Final

INT32_MIN: Final = -(2**31)
INT32_MAX: Final = 2**31 - 1
DEFAULT_DESCRIPTION: Final = ""
DEFAULT_PRIORITY: Final = 0
WRITABLE: Final = ("title", "description", "created_at", "created_by", "priority")
KEY_ORDER: Final = (
    "id",
    "title",
    "description",
    "created_at",
    "created_by",
    "priority",
    "updated_at",
)
SORT_KEYS: Final = ("id", "priority", "created_at", "updated_at", "title")
SORTS: Final = tuple(f"{prefix}{key}" for key in SORT_KEYS for prefix in ("", "-"))
RETURNED_TIMESTAMP: Final = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{6})?Z"
)
STRONG_ETAG: Final = re.compile(r'"[\x21\x23-\x7e\x80-\xff]*"')


@dataclasses.dataclass(frozen=True)
class Timestamp:
    """A ``created_at`` as a client writes it, and the instant (aware, UTC) it stands for."""

    text: str
    value: datetime


# A request body as the strategies build it: JSON values, with Timestamp for created_at.
Body = Mapping[str, object]


def wire(body: Body) -> dict[str, object]:
    """The JSON a client sends for ``body``."""
    return {k: v.text if isinstance(v, Timestamp) else v for k, v in body.items()}


def format_timestamp(value: datetime) -> str:
    """How the service returns an instant: UTC, ``Z``, the fraction only when non-zero."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


def parse_returned_timestamp(text: object) -> datetime:
    """Read a timestamp the service returned, insisting on the exact contract format."""
    assert isinstance(text, str), f"timestamp {text!r} is not a string"
    assert RETURNED_TIMESTAMP.fullmatch(text), f"timestamp {text!r} is not RFC 3339 UTC with Z"
    value = datetime.fromisoformat(text.removesuffix("Z")).replace(tzinfo=UTC)
    assert format_timestamp(value) == text, f"timestamp {text!r} is not in canonical form"
    return value


def assert_strong_etag(etag: str | None) -> str:
    assert etag is not None, "no ETag header"
    assert STRONG_ETAG.fullmatch(etag), f"ETag {etag!r} is not a strong entity tag"
    return etag


@dataclasses.dataclass(frozen=True)
class Fields:
    """The writable fields of a note, as the model predicts them."""

    title: str
    description: str
    created_at: datetime
    created_by: str
    priority: int


def _created_at(body: Body) -> datetime | None:
    value = body.get("created_at")
    if value is None:
        return None
    assert isinstance(value, Timestamp)
    return value.value


def fields_for_create(body: Body, *, server_created_at: datetime) -> Fields:
    """POST: required fields as given, defaults for the rest; ``created_at`` by the server
    only when the body has none."""
    created_at = _created_at(body)
    return Fields(
        title=str(body["title"]),
        description=str(body.get("description", DEFAULT_DESCRIPTION)),
        created_at=server_created_at if created_at is None else created_at,
        created_by=str(body["created_by"]),
        priority=int(body.get("priority", DEFAULT_PRIORITY)),  # type: ignore[call-overload]
    )


def fields_after_put(old: Fields, body: Body) -> Fields:
    """PUT: full replacement; omitted optional fields take defaults, except ``created_at``."""
    return fields_for_create(body, server_created_at=old.created_at)


def fields_after_patch(old: Fields, patch: Body) -> Fields:
    """JSON Merge Patch: keys present replace, ``null`` resets to the default."""
    changes: dict[str, object] = {}
    for key, value in patch.items():
        if value is None:
            changes[key] = DEFAULT_DESCRIPTION if key == "description" else DEFAULT_PRIORITY
        elif isinstance(value, Timestamp):
            changes[key] = value.value
        else:
            changes[key] = value
    return dataclasses.replace(old, **changes)  # type: ignore[arg-type]


@dataclasses.dataclass
class Note:
    id: int
    fields: Fields
    updated_at: str
    etags: list[str]

    @property
    def etag(self) -> str:
        return self.etags[-1]

    def representation(self) -> dict[str, object]:
        """The note as the server must return it, keys in contract order."""
        return {
            "id": self.id,
            "title": self.fields.title,
            "description": self.fields.description,
            "created_at": format_timestamp(self.fields.created_at),
            "created_by": self.fields.created_by,
            "priority": self.fields.priority,
            "updated_at": self.updated_at,
        }

    def sort_value(self, key: str) -> object:
        if key == "id":
            return self.id
        if key == "updated_at":
            return parse_returned_timestamp(self.updated_at)
        value: object = getattr(self.fields, key)
        return value

    def matches(self, *, created_by: str | None, priority: int | None, q: str | None) -> bool:
        if created_by is not None and self.fields.created_by != created_by:
            return False
        if priority is not None and self.fields.priority != priority:
            return False
        if q is None:
            return True
        needle = q.casefold()
        return (
            needle in self.fields.title.casefold() or needle in self.fields.description.casefold()
        )


def ordered(notes: Iterable[Note], sort: str) -> list[Note]:
    """Sorted by ``sort``; ties by id ascending, whichever the direction."""
    key = sort.removeprefix("-")
    by_id = sorted(notes, key=lambda note: note.id)
    # Python's sort is stable also with reverse=True, so equal keys keep id order.
    return sorted(by_id, key=lambda note: note.sort_value(key), reverse=sort.startswith("-"))  # type: ignore[arg-type, return-value]


def is_ordered(notes: list[Note], sort: str) -> bool:
    return ordered(notes, sort) == notes


@dataclasses.dataclass
class Model:
    notes: dict[int, Note] = dataclasses.field(default_factory=dict)
    deleted: list[int] = dataclasses.field(default_factory=list)
    max_id: int = 0

    def add(self, note: Note) -> None:
        assert note.id > self.max_id, f"id {note.id} is not above every earlier id ({self.max_id})"
        self.max_id = note.id
        self.notes[note.id] = note

    def remove(self, note_id: int) -> None:
        del self.notes[note_id]
        self.deleted.append(note_id)

    def listing(
        self,
        *,
        sort: str = "id",
        created_by: str | None = None,
        priority: int | None = None,
        q: str | None = None,
    ) -> list[Note]:
        found = (
            note
            for note in self.notes.values()
            if note.matches(created_by=created_by, priority=priority, q=q)
        )
        return ordered(found, sort)


def note_from_reply(doc: Mapping[str, object], etag: str) -> Note:
    """A note as the server returned it (for tests that check order, not content)."""
    return Note(
        id=int(doc["id"]),  # type: ignore[call-overload]
        fields=Fields(
            title=str(doc["title"]),
            description=str(doc["description"]),
            created_at=parse_returned_timestamp(doc["created_at"]),
            created_by=str(doc["created_by"]),
            priority=int(doc["priority"]),  # type: ignore[call-overload]
        ),
        updated_at=str(doc["updated_at"]),
        etags=[etag],
    )


@dataclasses.dataclass(frozen=True)
class ListingQuery:
    """The known parameters of ``GET /notes``; None leaves one out."""

    sort: str | None = None
    limit: int | None = None
    created_by: str | None = None
    priority: int | None = None
    q: str | None = None

    @property
    def page_size(self) -> int:
        return 100 if self.limit is None else self.limit

    def params(self) -> list[tuple[str, str]]:
        return [
            (name, str(value))
            for name, value in dataclasses.asdict(self).items()
            if value is not None
        ]

    def expected(self, model: Model) -> list[Note]:
        return model.listing(
            sort=self.sort or "id", created_by=self.created_by, priority=self.priority, q=self.q
        )
