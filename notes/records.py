"""A stored note as the service passes it around, and its JSON representation."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any, NamedTuple


@dataclasses.dataclass(frozen=True, slots=True)
class NoteValues:
    """The writable fields of a note, validated and normalised (timestamps naive UTC)."""

    title: str
    description: str
    created_at: datetime
    created_by: str
    priority: int


class NoteRecord(NamedTuple):
    """A stored note. A named tuple: a page of them is built from rows at C speed."""

    id: int
    title: str
    description: str
    created_at: datetime
    created_by: str
    priority: int
    updated_at: datetime
    version: int

    @property
    def values(self) -> NoteValues:
        return NoteValues(
            title=self.title,
            description=self.description,
            created_at=self.created_at,
            created_by=self.created_by,
            priority=self.priority,
        )

    @property
    def etag(self) -> str:
        """Strong, and the same from every process: it is derived from stored state only."""
        return f'"{self.id}-{self.version}"'

    def to_json(self) -> dict[str, Any]:
        """The representation of CONTRACT.md, keys in its order.

        Timestamps stay naive UTC datetimes: `responses.dumps` writes them as RFC 3339
        with `Z` (the same text as `format_timestamp`, formatted by orjson in Rust).
        A dict display, not dict(zip(...)): 2.5 times faster, and a page calls it 50 times.
        """
        note_id, title, description, created_at, created_by, priority, updated_at, _ = self
        return {
            "id": note_id,
            "title": title,
            "description": description,
            "created_at": created_at,
            "created_by": created_by,
            "priority": priority,
            "updated_at": updated_at,
        }
