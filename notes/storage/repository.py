"""Data access: every query of the service, as Core statements on an explicit connection.

The functions are synchronous on purpose. The database layer runs them either on
SQLite's own thread (one hop per request) or in a greenlet whose statements are awaited
on asyncpg (no blocking): one body of logic for both backends. Each statement is built
once with named parameters (``statements`` says why).

A unit of work that fails with a domain error (404, 412) does so before it writes
anything: SQLite's group commit relies on that to share one transaction between writes.

Every function takes the caller (``domain.users``): in token mode a user's statements
carry ``created_by = :owner``, so another user's note is not found, exactly as a
missing one is not (OWN-4), by the same statement.
"""

from __future__ import annotations

import functools
import time
from datetime import timedelta
from typing import Any, Literal

import orjson
from sqlalchemy import (
    Integer,
    LargeBinary,
    Text,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal_column,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.sql.elements import ColumnElement

from notes.domain.conditions import IfMatch, require
from notes.domain.errors import NoteNotFound
from notes.domain.idempotency import (
    Created,
    IdempotencyKey,
    IdempotencyKeyReused,
    record_from_text,
    record_to_text,
)
from notes.domain.listing import TIMESTAMP_SORT_KEYS, Cursor, ListQuery, Page, page_of
from notes.domain.records import (
    NoteObject,
    NoteRecord,
    NoteValues,
    note_objects,
    representation,
    with_id,
)
from notes.domain.timestamps import read_shown_timestamp, utc_now
from notes.domain.users import Caller, created_fields, owner_kept, scope
from notes.storage.models import idempotency_keys_table, notes_table
from notes.storage.search import candidate_clause, candidates
from notes.storage.statements import StatementRunner

c = notes_table.c
# What the API shows of a note, in NoteRecord's order; a record adds the version.
PUBLIC_COLUMNS = (
    c.id,
    c.title,
    c.description,
    c.created_at,
    c.created_by,
    c.priority,
    c.updated_at,
)
NOTE_COLUMNS = (*PUBLIC_COLUMNS, c.version)
STORED_COLUMNS = (
    "title",
    "description",
    "created_at",
    "created_by",
    "priority",
    "title_folded",
    "description_folded",
    "updated_at",
    "representation",
)
# Bind names differ from column names: SQLAlchemy reserves those for VALUES and SET.
_STORED = {name: bindparam(f"new_{name}", type_=c[name].type) for name in STORED_COLUMNS}

SELECT_BY_ID = select(*NOTE_COLUMNS).where(c.id == bindparam("note_id"))
SELECT_BY_ID_FOR_UPDATE = SELECT_BY_ID.with_for_update()
# A user's own note (v1.1): the same statements, with the owner in the WHERE clause.
SELECT_OWN_BY_ID = SELECT_BY_ID.where(c.created_by == bindparam("owner"))
SELECT_OWN_BY_ID_FOR_UPDATE = SELECT_OWN_BY_ID.with_for_update()
# Writes return nothing: what they store is known (`NoteRecord.written`), and RETURNING
# is slow on SQLite (`StatementRunner.insert`).
INSERT_NOTE = insert(notes_table).values(**_STORED, version=1)
UPDATE_NOTE = (
    update(notes_table)
    .where(c.id == bindparam("note_id"))
    .values(**_STORED, version=bindparam("new_version"))
)
DELETE_NOTE = delete(notes_table).where(c.id == bindparam("note_id"))
# Health: the table must be there (a never-migrated database is not healthy).
SCHEMA_PROBE = select(c.id).limit(bindparam("limit", type_=Integer))
# `q` is matched with LIKE; these make `%`, `_` and the escape itself literal.
LIKE_ESCAPE = "/"
# What a listing's statement selects (`_list_statement`).
ListingShape = Literal["columns", "stored", "joined"]
# What a page SQLite joins holds for a note without a stored copy.
MISSING_COPY = b"\x00"
# Outside a JSON string (where a quote is escaped) this only ever opens a note of a page.
NEXT_NOTE = b',{"id":'


def _stored(values: NoteValues, now: Any) -> dict[str, Any]:
    return {
        "new_title": values.title,
        "new_description": values.description,
        "new_created_at": values.created_at,
        "new_created_by": values.created_by,
        "new_priority": values.priority,
        "new_title_folded": values.title.casefold(),
        "new_description_folded": values.description.casefold(),
        "new_updated_at": now,
        "new_representation": representation(values, now),
    }


def insert_note(runner: StatementRunner, *, fields: dict[str, Any], caller: Caller) -> NoteRecord:
    """Create a note from validated fields; `created_at` defaults to now."""
    now = utc_now()
    values = NoteValues(**{"created_at": now, **created_fields(caller, fields)})
    note_id = runner.insert(INSERT_NOTE, _stored(values, now))
    return NoteRecord.written(note_id, values, updated_at=now, version=1)


k = idempotency_keys_table.c
_KEY_PARAMS: dict[str, Any] = {"owner": bindparam("owner"), "key": bindparam("key")}
SELECT_KEY = select(k.request_hash, k.answer, k.created_at).where(
    k.owner == bindparam("owner"), k.key == bindparam("key")
)
INSERT_KEY = insert(idempotency_keys_table).values(
    **_KEY_PARAMS,
    request_hash=bindparam("request_hash"),
    note_id=bindparam("note_id"),
    answer=bindparam("answer"),
    created_at=bindparam("created_at", type_=k.created_at.type),
)
DELETE_KEY = delete(idempotency_keys_table).where(
    k.owner == bindparam("owner"), k.key == bindparam("key")
)
# Every SWEEP_EVERY-th new key takes up to EXPIRED_KEYS_PER_SWEEP expired ones with it:
# the table stays bounded (more go than come) with no sweeper, and most keyed creates
# run one statement fewer.
SWEEP_EVERY = 8
EXPIRED_KEYS_PER_SWEEP = 64
DELETE_EXPIRED_KEYS = delete(idempotency_keys_table).where(
    tuple_(k.owner, k.key).in_(
        select(k.owner, k.key)
        .where(k.created_at <= bindparam("cutoff", type_=k.created_at.type))
        .order_by(k.created_at)
        .limit(EXPIRED_KEYS_PER_SWEEP)
    )
)


def insert_note_once(
    runner: StatementRunner,
    *,
    fields: dict[str, Any],
    caller: Caller,
    key: IdempotencyKey,
    ttl_seconds: float,
    sweep: bool = True,
) -> Created:
    """Create a note unless `key` was used already: then answer what it was answered
    (IDEM-2), or refuse another body with it (IDEM-3). The key is kept in the same
    transaction as the note. A refusal comes before anything is written."""
    now = utc_now()
    cutoff = now - timedelta(seconds=ttl_seconds)
    owner = "" if caller is None else caller.name
    kept = runner.fetch(SELECT_KEY, {"owner": owner, "key": key.key})
    if kept:
        request_hash, answer, created_at = kept[0]
        if created_at > cutoff:
            if request_hash != key.request_hash:
                raise IdempotencyKeyReused(key.key)
            return Created(record_from_text(answer), replayed=True)
        runner.execute(DELETE_KEY, {"owner": owner, "key": key.key})
    note = insert_note(runner, fields=fields, caller=caller)
    runner.execute(
        INSERT_KEY,
        {
            "owner": owner,
            "key": key.key,
            "request_hash": key.request_hash,
            "note_id": note.id,
            "answer": record_to_text(note),
            "created_at": now,
        },
    )
    if sweep:
        runner.execute(DELETE_EXPIRED_KEYS, {"cutoff": cutoff})
    return Created(note, replayed=False)


def _by_id(note_id: int, owner: str | None) -> dict[str, Any]:
    return {"note_id": note_id} if owner is None else {"note_id": note_id, "owner": owner}


def get_note(runner: StatementRunner, *, note_id: int, caller: Caller) -> NoteRecord:
    owner = scope(caller)
    statement = SELECT_BY_ID if owner is None else SELECT_OWN_BY_ID
    rows = runner.fetch(statement, _by_id(note_id, owner))
    if not rows:
        raise NoteNotFound(note_id)
    return NoteRecord._make(rows[0])


def _get_for_update(
    runner: StatementRunner, note_id: int, if_match: IfMatch | None, caller: Caller
) -> NoteRecord:
    # FOR UPDATE serialises writers of one note on PostgreSQL; SQLite's writes are
    # serialised already (one writer, BEGIN IMMEDIATE), and it renders nothing there.
    # Not found comes before If-Match: another user's note is never a 412 (OWN-5).
    owner = scope(caller)
    statement = SELECT_BY_ID_FOR_UPDATE if owner is None else SELECT_OWN_BY_ID_FOR_UPDATE
    rows = runner.fetch(statement, _by_id(note_id, owner))
    if not rows:
        raise NoteNotFound(note_id)
    current = NoteRecord._make(rows[0])
    require(if_match, current.etag)
    return current


def update_note(
    runner: StatementRunner,
    *,
    note_id: int,
    changes: dict[str, Any],
    if_match: IfMatch | None,
    caller: Caller,
) -> NoteRecord:
    """Apply validated field changes (a PUT's full set, or a merge patch's few).

    A change that leaves every field as it was is no change: the note, its ETag and
    its updated_at stay as they are.
    """
    current = _get_for_update(runner, note_id, if_match, caller)
    stored = current.values
    # The row is locked and its owner checked: the UPDATE below, by id, changes only it.
    values = stored._replace(**owner_kept(caller, current.created_by, changes))
    if values == stored:
        return current
    # The row is locked (FOR UPDATE; SQLite's single writer): the next version is ours.
    now, version = utc_now(), current.version + 1
    params = {**_stored(values, now), "note_id": note_id, "new_version": version}
    runner.execute(UPDATE_NOTE, params)
    return NoteRecord.written(note_id, values, updated_at=now, version=version)


def delete_note(
    runner: StatementRunner, *, note_id: int, if_match: IfMatch | None, caller: Caller
) -> None:
    _get_for_update(runner, note_id, if_match, caller)
    runner.execute(DELETE_NOTE, {"note_id": note_id})


@functools.cache
def _list_statement(
    sort_key: str,
    descending: bool,
    *,
    by_creator: bool,
    by_priority: bool,
    by_text: bool,
    by_candidates: bool = False,
    after: bool,
    owned: bool = False,
    shape: ListingShape = "columns",
) -> Any:
    """The listing's statement for one combination of options (at most 960 of them).

    `shape`: the shown columns; or each note's stored copy, its id and its sort key's
    value (for the cursor); or (SQLite) the page the copies make, joined."""
    key = c[sort_key]
    conditions: list[ColumnElement[bool]] = []
    if owned:  # token mode, a user who is no admin: their own notes only (OWN-3)
        conditions.append(c.created_by == bindparam("owner"))
    if by_creator:
        conditions.append(c.created_by == bindparam("created_by"))
    if by_priority:
        conditions.append(c.priority == bindparam("priority"))
    if by_text:
        pattern = bindparam("pattern", type_=c.title_folded.type)
        conditions.append(
            or_(
                c.title_folded.like(pattern, escape=LIKE_ESCAPE),
                c.description_folded.like(pattern, escape=LIKE_ESCAPE),
            )
        )
    if by_candidates:
        conditions.append(candidate_clause(c.id))
    if after:
        value = bindparam("after_value", type_=key.type)
        beyond = key < value if descending else key > value
        if sort_key == "id":
            conditions.append(beyond)
        else:
            # `key >= value` (<= descending) first: a range the (key, id) and
            # (key DESC, id) indexes seek to, rather than an OR that scans from the start.
            # Only ties with the cursor's key are then skipped row by row.
            reached = key <= value if descending else key >= value
            conditions.append(reached)
            conditions.append(or_(beyond, c.id > bindparam("after_id")))
    ordering = [key.desc() if descending else key.asc()]
    if sort_key != "id":
        ordering.append(c.id.asc())
    limit = bindparam("limit", type_=Integer)
    shown: tuple[Any, ...] = PUBLIC_COLUMNS
    if shape == "joined":
        shown = (c.id, c.representation)
    elif shape == "stored":
        shown = (c.representation, c.id) if sort_key == "id" else (c.representation, c.id, key)
    listing = select(*shown).where(*conditions).order_by(*ordering).limit(limit)
    if shape != "joined":
        return listing
    # The page joined by SQLite, one value rather than 51 rows of Python objects
    # (benchmarks/README.md). A missing copy (NULL) is marked, not skipped, with a byte
    # JSON never holds raw. The order is the subquery's: SQLite's aggregate takes the
    # rows as the LIMITed subquery yields them (it is not flattened into the aggregate).
    # PostgreSQL's pages stay rows, joined in Python: not measured to pay there.
    page = listing.subquery()
    note = cast(page.c.id, Text).concat(
        func.coalesce(page.c.representation, literal_column("X'00'"))
    )
    return select(
        cast(func.group_concat(note, literal_column("',{\"id\":'")), LargeBinary), func.count()
    )


def like_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, every character in it literal."""
    escaped = (
        text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )
    return f"%{escaped}%"


def list_notes(
    runner: StatementRunner, *, query: ListQuery, caller: Caller, budget: float | None = None
) -> list[NoteObject]:
    """One page, plus one more note when there is a next page (the caller trims it),
    as the API shows them, built from their columns: a page needs no ETags, and no
    records."""
    rows = _listing(runner, query, caller, budget, "columns")
    return note_objects(rows, runner.read_datetime)


def list_page(
    runner: StatementRunner, *, query: ListQuery, caller: Caller, budget: float | None = None
) -> Page:
    """One page as JSON, joined from the notes' stored copies; built from the columns
    (`list_notes`, in what is left of the budget) when a copy on it is missing."""
    started = time.monotonic()
    if runner.dialect_name == "sqlite":
        joined = _joined_page(runner, query, caller, budget)
        if joined is not None:
            return joined
        return _built_page(runner, query, caller, budget, started)
    rows = _listing(runner, query, caller, budget, "stored")
    shown = rows[: query.limit]
    if any(row[0] is None for row in shown):
        return _built_page(runner, query, caller, budget, started)
    last = None
    if len(rows) > query.limit:
        row = shown[-1]
        value = row[1] if query.sort_key == "id" else row[2]
        if query.sort_key in TIMESTAMP_SORT_KEYS:
            value = runner.read_datetime(value)
        last = Cursor(value=value, id=row[1])
    return Page(b"[" + b",".join([with_id(row[1], row[0]) for row in shown]) + b"]", last)


def _built_page(
    runner: StatementRunner, query: ListQuery, caller: Caller, budget: float | None, started: float
) -> Page:
    if budget is not None:
        budget = max(0.0, budget - (time.monotonic() - started))
    notes = list_notes(runner, query=query, caller=caller, budget=budget)
    return page_of(notes, query.limit, query.sort_key)


def _joined_page(
    runner: StatementRunner, query: ListQuery, caller: Caller, budget: float | None
) -> Page | None:
    """The page SQLite joined in one aggregate (`_list_statement`), or None when a copy
    on it is missing. The aggregate gives the notes as a JSON array's text but for its
    opening `[{"id":` and closing `]`, and how many notes there are."""
    joined, found = _listing(runner, query, caller, budget, "joined")[0]
    if not found:
        return Page(b"[]", None)
    if MISSING_COPY in joined:
        return None
    notes = b'[{"id":' + joined + b"]"
    if found <= query.limit:
        return Page(notes, None)
    # The one note past the page is cut off; the note before it gives the cursor. (The
    # page opens with `[`: a search from 0, 1 or None finds the same, hence the pragma.)
    end = notes.rfind(NEXT_NOTE)
    start = notes.rfind(NEXT_NOTE, 0, end) + 1 or 1  # pragma: no mutate
    last = orjson.loads(notes[start:end])
    value = last[query.sort_key]
    if query.sort_key in TIMESTAMP_SORT_KEYS:
        value = read_shown_timestamp(value)
    return Page(notes[:end] + b"]", Cursor(value=value, id=last["id"]))


def _listing(
    runner: StatementRunner,
    query: ListQuery,
    caller: Caller,
    budget: float | None,
    shape: ListingShape,
) -> list[Any]:
    owner = scope(caller)
    folded = None if query.q is None else query.q.casefold()
    found_in = None if folded is None else candidates(runner, folded, budget=budget)
    statement = _list_statement(
        query.sort_key,
        query.descending,
        by_creator=query.created_by is not None,
        by_priority=query.priority is not None,
        by_text=folded is not None,
        by_candidates=found_in is not None,
        after=query.after is not None,
        owned=owner is not None,
        shape=shape,
    )
    params: dict[str, Any] = {"limit": query.limit + 1}
    if owner is not None:
        params["owner"] = owner
    if query.created_by is not None:
        params["created_by"] = query.created_by
    if query.priority is not None:
        params["priority"] = query.priority
    if folded is not None:
        params["pattern"] = like_pattern(folded)
    if found_in is not None:
        params["candidates"] = found_in
    if query.after is not None:
        params["after_value"] = query.after.value
        if query.sort_key != "id":
            params["after_id"] = query.after.id
    return runner.fetch_stored(statement, params, budget=budget)


def check_schema(runner: StatementRunner) -> None:
    runner.fetch(SCHEMA_PROBE, {"limit": 1})
