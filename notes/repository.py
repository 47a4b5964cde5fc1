"""Data access: every query of the service, as Core statements on an explicit connection.

The functions are synchronous on purpose. The database layer runs them either on
SQLite's own thread (one hop per request) or through the async engine's ``run_sync``
(asyncpg, no blocking): one body of logic for both backends.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, and_, delete, insert, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from notes.conditional import require_if_match
from notes.errors import NoteNotFound
from notes.listing import ListQuery
from notes.models import notes_table
from notes.records import NoteRecord, NoteValues
from notes.timestamps import utc_now

c = notes_table.c
NOTE_COLUMNS = (
    c.id,
    c.title,
    c.description,
    c.created_at,
    c.created_by,
    c.priority,
    c.updated_at,
    c.version,
)
SELECT_NOTE = select(*NOTE_COLUMNS)


def _record(row: Sequence[Any]) -> NoteRecord:
    return NoteRecord(*row)


def _stored(values: NoteValues) -> dict[str, Any]:
    return {
        "title": values.title,
        "description": values.description,
        "created_at": values.created_at,
        "created_by": values.created_by,
        "priority": values.priority,
        "title_folded": values.title.casefold(),
        "description_folded": values.description.casefold(),
    }


def insert_note(connection: Connection, *, fields: dict[str, Any]) -> NoteRecord:
    """Create a note from validated fields; `created_at` defaults to now."""
    now = utc_now()
    values = NoteValues(**{"created_at": now, **fields})
    statement = (
        insert(notes_table)
        .values(**_stored(values), updated_at=now, version=1)
        .returning(*NOTE_COLUMNS)
    )
    return _record(connection.execute(statement).one())


def get_note(connection: Connection, *, note_id: int) -> NoteRecord:
    row = connection.execute(SELECT_NOTE.where(c.id == note_id)).one_or_none()
    if row is None:
        raise NoteNotFound(note_id)
    return _record(row)


def _get_for_update(connection: Connection, note_id: int, if_match: str | None) -> NoteRecord:
    # FOR UPDATE serialises writers of one note on PostgreSQL; SQLite's writes are
    # serialised already (one writer, BEGIN IMMEDIATE), and it renders nothing here.
    row = connection.execute(SELECT_NOTE.where(c.id == note_id).with_for_update()).one_or_none()
    if row is None:
        raise NoteNotFound(note_id)
    current = _record(row)
    require_if_match(if_match, current.etag)
    return current


def update_note(
    connection: Connection, *, note_id: int, changes: dict[str, Any], if_match: str | None
) -> NoteRecord:
    """Apply validated field changes (a PUT's full set, or a merge patch's few).

    A change that leaves every field as it was is no change: the note, its ETag and
    its updated_at stay as they are.
    """
    current = _get_for_update(connection, note_id, if_match)
    return _store_changes(connection, current, dataclasses.replace(current.values, **changes))


def _store_changes(connection: Connection, current: NoteRecord, values: NoteValues) -> NoteRecord:
    if values == current.values:
        return current
    now = utc_now()
    statement = (
        update(notes_table)
        .where(c.id == current.id)
        .values(**_stored(values), updated_at=now, version=c.version + 1)
        .returning(*NOTE_COLUMNS)
    )
    return _record(connection.execute(statement).one())


def delete_note(connection: Connection, *, note_id: int, if_match: str | None) -> None:
    _get_for_update(connection, note_id, if_match)
    connection.execute(delete(notes_table).where(c.id == note_id))


def list_notes(connection: Connection, *, query: ListQuery) -> list[NoteRecord]:
    """One page, plus one more note when there is a next page (the caller trims it)."""
    key = c[query.sort_key]
    conditions: list[ColumnElement[bool]] = []
    if query.created_by is not None:
        conditions.append(c.created_by == query.created_by)
    if query.priority is not None:
        conditions.append(c.priority == query.priority)
    if query.q is not None:
        folded = query.q.casefold()
        conditions.append(
            or_(
                c.title_folded.contains(folded, autoescape=True),
                c.description_folded.contains(folded, autoescape=True),
            )
        )
    if query.after is not None:
        value, last_id = query.after.value, query.after.id
        beyond = key < value if query.descending else key > value
        if query.sort_key == "id":
            conditions.append(beyond)
        else:
            conditions.append(or_(beyond, and_(key == value, c.id > last_id)))
    ordering = [key.desc() if query.descending else key.asc()]
    if query.sort_key != "id":
        ordering.append(c.id.asc())
    statement = SELECT_NOTE.where(*conditions).order_by(*ordering).limit(query.limit + 1)
    return [_record(row) for row in connection.execute(statement)]


def ping(connection: Connection) -> None:
    connection.exec_driver_sql("SELECT 1").scalar_one()
