"""The notes store: the repository's units of work on the backend the URL names."""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from typing import Any

from notes.domain.conditions import IfMatch
from notes.domain.errors import SchemaOutOfDate, WriteConflict
from notes.domain.idempotency import Created, IdempotencyKey
from notes.domain.listing import ListQuery, Page
from notes.domain.observer import DatabaseObserver
from notes.domain.records import NoteRecord
from notes.domain.users import Caller
from notes.settings import Settings
from notes.storage import repository
from notes.storage.backend import Backend
from notes.storage.observed import ObservedBackend
from notes.storage.postgres import PostgresBackend
from notes.storage.readiness import head_revisions, schema_revisions
from notes.storage.sqlite import SqliteBackend

logger = logging.getLogger(__name__)


def open_backend(settings: Settings, observer: DatabaseObserver | None = None) -> Backend:
    backend: Backend
    if settings.is_sqlite:
        backend = SqliteBackend(settings, observer)
    else:
        backend = PostgresBackend(settings, observer)
    # Unobserved, a request pays nothing for the metrics it does not keep.
    return backend if observer is None else ObservedBackend(backend, observer)


class DatabaseNoteStore:
    """``domain.store.NoteStore`` on a ``Backend``: reads on its read path, writes in
    a transaction on its write path."""

    def __init__(
        self,
        backend: Backend,
        *,
        idempotency_ttl: float,
        expected_revisions: frozenset[str],
        list_time_budget: float | None = None,
    ) -> None:
        self.backend = backend
        # The code's migration heads as they were when it started: scripts installed on
        # disk later are another version's, which this process does not run.
        self._expected_revisions = expected_revisions
        self._idempotency_ttl = idempotency_ttl
        self._keyed_creates = 0
        self._list_time_budget = list_time_budget

    async def list_page(self, query: ListQuery, *, caller: Caller) -> Page:
        work = partial(
            repository.list_page, query=query, caller=caller, budget=self._list_time_budget
        )
        return await self.backend.read(work)

    async def create_note(self, fields: dict[str, Any], *, caller: Caller) -> NoteRecord:
        work = partial(repository.insert_note, fields=fields, caller=caller)
        return await self.backend.write(work, one_statement=True)

    async def create_note_once(
        self, fields: dict[str, Any], key: IdempotencyKey, *, caller: Caller
    ) -> Created:
        self._keyed_creates += 1
        work = partial(
            repository.insert_note_once,
            fields=fields,
            caller=caller,
            key=key,
            ttl_seconds=self._idempotency_ttl,
            sweep=self._keyed_creates % repository.SWEEP_EVERY == 0,
        )
        try:
            return await self.backend.write(work)
        except WriteConflict:
            # The same key's first request committed while this one was writing
            # (PostgreSQL: the key's insert waited for it): this time it is found.
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

    async def check_ready(self) -> None:
        await self.backend.check_health()
        expected = self._expected_revisions
        try:
            found = await self.backend.read(schema_revisions)
        except Exception as error:  # no alembic_version table: never migrated
            logger.warning("schema revision unreadable: %s", type(error).__name__)
            raise SchemaOutOfDate() from error
        if found != expected:
            logger.warning("schema at %s, expected %s", sorted(found), sorted(expected))
            raise SchemaOutOfDate()

    async def close(self) -> None:
        await self.backend.close()


async def open_store(
    settings: Settings, observer: DatabaseObserver | None = None
) -> DatabaseNoteStore:
    # Alembic reads the scripts from disk: off the event loop.
    expected_revisions = await asyncio.to_thread(head_revisions)
    return DatabaseNoteStore(
        open_backend(settings, observer),
        idempotency_ttl=settings.idempotency_ttl,
        expected_revisions=expected_revisions,
        list_time_budget=settings.list_time_budget,
    )
