"""What the web layer asks of stored notes: the port that storage implements."""

from __future__ import annotations

from typing import Any, Protocol

from notes.domain.conditions import IfMatch
from notes.domain.idempotency import Created, IdempotencyKey
from notes.domain.listing import ListQuery, Page
from notes.domain.records import NoteRecord
from notes.domain.users import Caller


class NoteStore(Protocol):
    """Notes kept somewhere durable. Every method raises a domain error (``NotesError``)
    for an answer of the contract: a missing note, a failed precondition, a database
    that cannot be reached. Every method acts for a caller (``domain.users``): in
    token mode a user who is no admin reaches their own notes only, and another's
    note is missing to them (v1.1, OWN-3, OWN-4)."""

    async def list_page(self, query: ListQuery, *, caller: Caller) -> Page:
        """One page of the listing, as JSON, and where the next page starts."""

    async def create_note(self, fields: dict[str, Any], *, caller: Caller) -> NoteRecord: ...

    async def create_note_once(
        self, fields: dict[str, Any], key: IdempotencyKey, *, caller: Caller
    ) -> Created:
        """A create with an Idempotency-Key (v1.1): the note, or the answer kept for
        the key."""

    async def get_note(self, note_id: int, *, caller: Caller) -> NoteRecord: ...

    async def update_note(
        self, note_id: int, changes: dict[str, Any], if_match: IfMatch | None, *, caller: Caller
    ) -> NoteRecord: ...

    async def delete_note(
        self, note_id: int, if_match: IfMatch | None, *, caller: Caller
    ) -> None: ...

    async def check_health(self) -> None:
        """Raise unless requests can be served now."""

    async def check_ready(self) -> None:
        """Raise unless requests can be served now and the schema is the expected one."""

    async def close(self) -> None: ...
