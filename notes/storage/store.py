"""The notes store: the repository's units of work on the backend the URL names."""

from __future__ import annotations

from functools import partial
from typing import Any

from notes.domain.conditions import IfMatch
from notes.domain.listing import ListQuery
from notes.domain.records import NoteObject, NoteRecord
from notes.domain.users import Caller
from notes.settings import Settings
from notes.storage import repository
from notes.storage.backend import Backend
from notes.storage.postgres import PostgresBackend
from notes.storage.sqlite import SqliteBackend


def open_backend(settings: Settings) -> Backend:
    if settings.is_sqlite:
        return SqliteBackend(settings)
    return PostgresBackend(settings)


class DatabaseNoteStore:
    """``domain.store.NoteStore`` on a ``Backend``: reads on its read path, writes in
    a transaction on its write path."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    async def list_notes(self, query: ListQuery, *, caller: Caller) -> list[NoteObject]:
        return await self.backend.read(partial(repository.list_notes, query=query, caller=caller))

    async def create_note(self, fields: dict[str, Any], *, caller: Caller) -> NoteRecord:
        work = partial(repository.insert_note, fields=fields, caller=caller)
        return await self.backend.write(work)

    async def get_note(self, note_id: int, *, caller: Caller) -> NoteRecord:
        work = partial(repository.get_note, note_id=note_id, caller=caller)
        return await self.backend.read(work)

    async def update_note(
        self, note_id: int, changes: dict[str, Any], if_match: IfMatch | None, *, caller: Caller
    ) -> NoteRecord:
        work = partial(
            repository.update_note,
            note_id=note_id,
            changes=changes,
            if_match=if_match,
            caller=caller,
        )
        return await self.backend.write(work)

    async def delete_note(self, note_id: int, if_match: IfMatch | None, *, caller: Caller) -> None:
        work = partial(repository.delete_note, note_id=note_id, if_match=if_match, caller=caller)
        await self.backend.write(work)

    async def check_health(self) -> None:
        await self.backend.check_health()

    async def close(self) -> None:
        await self.backend.close()


def open_store(settings: Settings) -> DatabaseNoteStore:
    return DatabaseNoteStore(open_backend(settings))
