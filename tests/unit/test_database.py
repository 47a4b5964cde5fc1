"""The data layer through the real database (SQLite, or PostgreSQL when configured):
every query of `repository`, run the way the service runs it, on the backend `open_backend`
picks."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from multidict import MultiDict
from sqlalchemy import Connection, exc, func, select

from notes.domain.conditions import ANY, IfMatch
from notes.domain.errors import DatabaseUnavailable, NoteNotFound, PreconditionFailed
from notes.domain.listing import SORT_VALUES
from notes.domain.records import NoteObject, NoteRecord
from notes.domain.timestamps import utc_now
from notes.settings import Settings, SqliteSynchronous
from notes.storage import repository
from notes.storage.backend import Backend, translate_database_errors
from notes.storage.migrations import upgrade_database
from notes.storage.sqlite import SqliteBackend
from notes.storage.statements import StatementRunner
from notes.storage.store import open_backend
from tests.unit.test_listing import encode_cursor, parse_list_query


def note_fields(**overrides: Any) -> dict[str, Any]:
    return {"title": "t", "description": "", "created_by": "me", "priority": 0, **overrides}


async def insert(database: Backend, **overrides: Any) -> NoteRecord:
    return await database.write(
        partial(repository.insert_note, fields=note_fields(**overrides), caller=None)
    )


async def get(database: Backend, note_id: int) -> NoteRecord:
    return await database.read(partial(repository.get_note, note_id=note_id, caller=None))


async def update(
    database: Backend, note_id: int, if_match: str | None = None, **changes: Any
) -> NoteRecord:
    condition = _condition(if_match)
    return await database.write(
        partial(
            repository.update_note,
            note_id=note_id,
            changes=changes,
            if_match=condition,
            caller=None,
        )
    )


async def delete(database: Backend, note_id: int, if_match: str | None = None) -> None:
    condition = _condition(if_match)
    await database.write(
        partial(repository.delete_note, note_id=note_id, if_match=condition, caller=None)
    )


def _condition(if_match: str | None) -> IfMatch | None:
    """An If-Match value as the web layer hands it down: weak tags never match."""
    if if_match is None or if_match == "*":
        return None if if_match is None else ANY
    return IfMatch(frozenset() if if_match.startswith("W/") else frozenset({if_match}))


async def listing(database: Backend, *pairs: tuple[str, str]) -> list[NoteObject]:
    query = parse_list_query(MultiDict(pairs), default_limit=100, max_limit=1000)
    found = await database.read(partial(repository.list_notes, query=query, caller=None))
    return found[: query.limit]


async def check_health(database: Backend) -> None:
    """The database's own health check, or a ping where it has none."""
    checker: Any = getattr(database, "check_health", None)
    if checker is not None:
        await checker()
    else:
        await database.read(getattr(repository, "ping"))  # noqa: B009


def titles(notes: list[NoteObject]) -> list[str]:
    return [note["title"] for note in notes]


def ids(notes: list[NoteObject]) -> list[int]:
    return [note["id"] for note in notes]


# -- create, read, update, delete --------------------------------------------------------


async def test_insert_and_get(database: Backend) -> None:
    before = utc_now()
    note = await insert(
        database,
        title="note two",
        description="sample notes",
        created_at=datetime(2017, 8, 23),
        created_by="apcelent",
        priority=4,
    )
    after = utc_now()
    assert note.id == 1
    assert note.version == 1
    assert note.etag == '"1-1"'
    assert (note.title, note.description, note.created_by, note.priority) == (
        "note two",
        "sample notes",
        "apcelent",
        4,
    )
    assert note.created_at == datetime(2017, 8, 23)
    assert before <= note.updated_at <= after
    assert note.updated_at.tzinfo is None
    assert await get(database, 1) == note
    # created_at defaults to the time of creation
    before = utc_now()
    note = await insert(database)
    assert before <= note.created_at <= utc_now()
    assert note.created_at == note.updated_at


async def test_values_survive_the_round_trip(database: Backend) -> None:
    stored = await insert(
        database,
        title="𝄞" * 200,
        description="é\n\t\"'\\%_" * 1000,
        created_at=datetime(1, 1, 1, 0, 0, 0, 1),
        created_by="x" * 100,
        priority=-2147483648,
    )
    again = await get(database, stored.id)
    assert again == stored
    assert again.title == "𝄞" * 200
    assert again.created_at == datetime(1, 1, 1, 0, 0, 0, 1)
    top = await insert(
        database, created_at=datetime(9999, 12, 31, 23, 59, 59, 999_999), priority=2147483647
    )
    assert (await get(database, top.id)).created_at == datetime(9999, 12, 31, 23, 59, 59, 999_999)
    assert (await get(database, top.id)).priority == 2147483647


async def test_a_page_shows_each_note_as_reading_it_does(database: Backend) -> None:
    # A page's notes come from rows, not records: the same text, the same timestamps.
    await test_values_survive_the_round_trip(database)
    await insert(database, created_at=datetime(2017, 8, 23))
    await update(database, 1, description="changed")
    page = await listing(database)
    assert ids(page) == [1, 2, 3]
    assert page == [(await get(database, note_id)).to_json() for note_id in (1, 2, 3)]
    assert [type(note["created_at"]) for note in page] == [datetime] * 3


async def test_missing_notes(database: Backend) -> None:
    with pytest.raises(NoteNotFound) as caught:
        await get(database, 1)
    assert caught.value.status == 404
    assert caught.value.detail == "There is no note 1."
    with pytest.raises(NoteNotFound):
        await update(database, 1, title="x")
    with pytest.raises(NoteNotFound) as caught:
        await update(database, 5, if_match='"5-1"', title="x")
    assert str(caught.value) == caught.value.detail == "There is no note 5."
    with pytest.raises(NoteNotFound) as caught:
        await delete(database, 6, if_match="*")
    assert caught.value.detail == "There is no note 6."


async def test_update(database: Backend) -> None:
    note = await insert(database, created_at=datetime(2017, 8, 23))
    changed = await update(database, note.id, title="new", priority=9)
    assert changed.version == 2
    assert changed.etag == f'"{note.id}-2"'
    assert (changed.title, changed.priority) == ("new", 9)
    assert changed.created_at == note.created_at
    assert changed.description == note.description
    assert changed.updated_at >= note.updated_at
    assert await get(database, note.id) == changed
    # every change moves updated_at on
    note = await insert(database)
    await asyncio.sleep(0.002)
    changed = await update(database, note.id, description="d")
    assert changed.updated_at > note.updated_at
    # a change that changes nothing is no change
    note = await insert(database, title="same", priority=3)
    await asyncio.sleep(0.002)
    same = await update(database, note.id, title="same", priority=3, description="")
    assert same == note
    nothing = await update(database, note.id)
    assert nothing == note
    assert await get(database, note.id) == note


async def test_if_match(database: Backend) -> None:
    note = await insert(database)
    with pytest.raises(PreconditionFailed) as caught:
        await update(database, note.id, if_match='"1-2"', title="x")
    assert caught.value.status == 412
    with pytest.raises(PreconditionFailed):
        await update(database, note.id, if_match=f"W/{note.etag}", title="x")
    with pytest.raises(PreconditionFailed):
        await delete(database, note.id, if_match='"1-0"')
    assert await get(database, note.id) == note
    changed = await update(database, note.id, if_match=note.etag, title="x")
    assert changed.version == 2
    with pytest.raises(PreconditionFailed):
        await update(database, note.id, if_match=note.etag, title="y")
    assert (await get(database, note.id)).title == "x"
    starred = await update(database, note.id, if_match="*", title="z")
    assert starred.version == 3
    await delete(database, note.id, if_match=starred.etag)
    with pytest.raises(NoteNotFound):
        await get(database, note.id)


async def test_delete(database: Backend) -> None:
    keep = await insert(database, title="keep")
    gone = await insert(database, title="gone")
    await delete(database, gone.id)
    with pytest.raises(NoteNotFound):
        await get(database, gone.id)
    with pytest.raises(NoteNotFound):
        await delete(database, gone.id)
    assert await get(database, keep.id) == keep


async def test_ids_are_never_reused(database: Backend) -> None:
    assert [(await insert(database)).id for _ in range(3)] == [1, 2, 3]
    await delete(database, 3)
    assert (await insert(database)).id == 4
    await delete(database, 4)
    await delete(database, 2)
    assert (await insert(database)).id == 5


# -- listing -----------------------------------------------------------------------------

SORT_TITLES = ["b", "B", "a", "é", "z", "Z", "𝄞", "\uffff", "a", "b"]


async def _sortable(database: Backend) -> list[NoteRecord]:
    notes = []
    for index, title in enumerate(SORT_TITLES):
        notes.append(
            await insert(
                database,
                title=title,
                priority=[3, -1, 3, 0, 2147483647, -2147483648, 3, 0, -1, 2][index],
                created_at=datetime(2017, 8, 23) + timedelta(days=[2, 0, 1, 2, 0][index % 5]),
            )
        )
    # change some, so that updated_at is not the insertion order
    notes[0] = await update(database, notes[0].id, description="touched")
    notes[5] = await update(database, notes[5].id, description="touched")
    return notes


def _expected(notes: list[NoteRecord], sort: str) -> list[int]:
    key = sort.removeprefix("-")
    if key == "id":
        ordered = sorted(notes, key=lambda note: note.id, reverse=sort.startswith("-"))
        return [note.id for note in ordered]
    by_id = sorted(notes, key=lambda note: note.id)
    # stable sorts: ties keep id ascending, also when the key is descending
    ordered = sorted(by_id, key=lambda note: getattr(note, key), reverse=sort.startswith("-"))
    return [note.id for note in ordered]


async def test_listing_order_and_pages(database: Backend) -> None:
    notes = await _sortable(database)
    for sort in SORT_VALUES:
        await _check_order_and_pages(database, notes, sort)


async def _check_order_and_pages(database: Backend, notes: list[NoteRecord], sort: str) -> None:
    expected = _expected(notes, sort)
    assert ids(await listing(database, ("sort", sort))) == expected, sort
    # keyset pages of 3 visit the same notes in the same order
    seen: list[int] = []
    pairs: list[tuple[str, str]] = [("sort", sort), ("limit", "3")]
    while True:
        query = parse_list_query(MultiDict(pairs), default_limit=100, max_limit=1000)
        found = await database.read(partial(repository.list_notes, query=query, caller=None))
        page = found[:3]
        seen += ids(page)
        if len(found) <= 3:
            break
        assert len(found) == 4
        pairs = [("sort", sort), ("limit", "3"), ("cursor", encode_cursor(page[-1], sort))]
    assert seen == expected, sort


async def test_titles_compare_by_code_point(database: Backend) -> None:
    for title in ("é", "Z", "a", "\uffff", "𝄞", "B"):
        await insert(database, title=title)
    assert titles(await listing(database, ("sort", "title"))) == [
        "B",
        "Z",
        "a",
        "é",
        "\uffff",
        "𝄞",
    ]


async def test_ties_broken_by_id_ascending(database: Backend) -> None:
    for title in ("x", "y", "x", "y", "x"):
        await insert(database, title=title, priority=1)
    assert ids(await listing(database, ("sort", "-title"))) == [2, 4, 1, 3, 5]
    assert ids(await listing(database, ("sort", "priority"))) == [1, 2, 3, 4, 5]
    assert ids(await listing(database, ("sort", "-priority"))) == [1, 2, 3, 4, 5]


async def test_listing_one_more_than_the_limit(database: Backend) -> None:
    for _ in range(5):
        await insert(database)
    query = parse_list_query(MultiDict([("limit", "2")]), default_limit=100, max_limit=1000)
    found = await database.read(partial(repository.list_notes, query=query, caller=None))
    assert ids(found) == [1, 2, 3]
    after = parse_list_query(
        MultiDict([("limit", "2"), ("cursor", encode_cursor(found[1], "id"))]),
        default_limit=100,
        max_limit=1000,
    )
    assert ids(await database.read(partial(repository.list_notes, query=after, caller=None))) == [
        3,
        4,
        5,
    ]
    last = parse_list_query(
        MultiDict([("limit", "2"), ("cursor", encode_cursor(found[2], "-id")), ("sort", "-id")]),
        default_limit=100,
        max_limit=1000,
    )
    assert ids(await database.read(partial(repository.list_notes, query=last, caller=None))) == [
        2,
        1,
    ]


async def test_filters(database: Backend) -> None:
    await insert(database, created_by="me", priority=1)
    await insert(database, created_by="Me", priority=1)
    await insert(database, created_by="me", priority=2)
    await insert(database, created_by="me ", priority=-2147483648)
    assert ids(await listing(database, ("created_by", "me"))) == [1, 3]
    assert ids(await listing(database, ("created_by", "Me"))) == [2]
    assert ids(await listing(database, ("priority", "1"))) == [1, 2]
    assert ids(await listing(database, ("priority", "1"), ("created_by", "me"))) == [1]
    assert ids(await listing(database, ("priority", "-2147483648"))) == [4]
    assert await listing(database, ("created_by", "nobody")) == []
    assert await listing(database, ("created_by", "")) == []


async def test_q_is_case_insensitive_by_casefold(database: Backend) -> None:
    await insert(database, title="Straße")
    await insert(database, title="other", description="GROSSE STRASSE")
    await insert(database, title="unrelated")
    await insert(database, title="ΣΊΣΥΦΟΣ")
    assert ids(await listing(database, ("q", "STRASSE"))) == [1, 2]
    assert ids(await listing(database, ("q", "straße"))) == [1, 2]
    assert ids(await listing(database, ("q", "ss"))) == [1, 2]
    assert ids(await listing(database, ("q", "OTHER"))) == [2]
    assert ids(await listing(database, ("q", "σίσυφος"))) == [4]
    assert ids(await listing(database, ("q", ""))) == [1, 2, 3, 4]
    assert await listing(database, ("q", "absent")) == []
    # title or description
    await insert(database, title="needle")
    await insert(database, title="x", description="a NEEDLE in it")
    assert ids(await listing(database, ("q", "needle"))) == [5, 6]
    # the folded copies follow updates
    await update(database, 5, title="AFTER")
    assert ids(await listing(database, ("q", "needle"))) == [6]
    assert ids(await listing(database, ("q", "after"))) == [5]


async def test_q_special_characters_are_literal(database: Backend) -> None:
    for title in ("100%", "100 percent", "a_b", "axb", "back\\slash", "backslash", "a/b", "ab"):
        await insert(database, title=title)
    assert titles(await listing(database, ("q", "%"))) == ["100%"]
    assert titles(await listing(database, ("q", "0%"))) == ["100%"]
    assert titles(await listing(database, ("q", "_"))) == ["a_b"]
    assert titles(await listing(database, ("q", "a_b"))) == ["a_b"]
    assert titles(await listing(database, ("q", "\\"))) == ["back\\slash"]
    assert titles(await listing(database, ("q", "k\\s"))) == ["back\\slash"]
    assert titles(await listing(database, ("q", "/"))) == ["a/b"]
    assert titles(await listing(database, ("q", "%%"))) == []
    assert titles(await listing(database, ("q", "\\\\"))) == []


# -- concurrency, group commit, failures -------------------------------------------------


async def test_concurrent_writes_all_succeed(database: Backend) -> None:
    created = await asyncio.gather(*(insert(database, title=f"n{i}") for i in range(200)))
    assert sorted(note.id for note in created) == list(range(1, 201))
    everything = await listing(database, ("limit", "1000"))
    assert len(everything) == 200
    assert set(titles(everything)) == {f"n{i}" for i in range(200)}


def _blocker(release: threading.Event) -> Callable[[Any], None]:
    def work(_unit: Any) -> None:
        assert release.wait(10)

    return work


def _boom(_unit: Any) -> None:
    raise RuntimeError("a bug in a unit of work")


async def _held_batch(database: Backend, *writes: Any) -> list[Any]:
    """Run `writes` so that, on SQLite, they are queued behind one another and form a batch."""
    release = threading.Event()
    blocker = None
    if isinstance(database, SqliteBackend):
        blocker = asyncio.ensure_future(database.write(_blocker(release)))
        await asyncio.sleep(0.05)
    tasks = [asyncio.ensure_future(database.write(work)) for work in writes]
    await asyncio.sleep(0.05)
    release.set()
    if blocker is not None:
        await blocker
    return await asyncio.gather(*tasks, return_exceptions=True)


async def test_a_failing_write_does_not_spoil_its_batch(database: Backend) -> None:
    first = await insert(database, title="first")
    outcomes = await _held_batch(
        database,
        partial(repository.insert_note, fields=note_fields(title="a"), caller=None),
        partial(
            repository.update_note, note_id=999, changes={"title": "x"}, if_match=None, caller=None
        ),
        partial(repository.insert_note, fields=note_fields(title="b"), caller=None),
        partial(
            repository.update_note,
            note_id=first.id,
            changes={"title": "x"},
            if_match=IfMatch(frozenset({'"9"'})),
            caller=None,
        ),
        partial(
            repository.update_note,
            note_id=first.id,
            changes={"priority": 5},
            if_match=None,
            caller=None,
        ),
        partial(repository.delete_note, note_id=999, if_match=None, caller=None),
        partial(repository.insert_note, fields=note_fields(title="c"), caller=None),
    )
    assert isinstance(outcomes[1], NoteNotFound)
    assert isinstance(outcomes[3], PreconditionFailed)
    assert isinstance(outcomes[5], NoteNotFound)
    inserted = [outcomes[0], outcomes[2], outcomes[6]]
    assert all(isinstance(note, NoteRecord) for note in inserted)
    assert [note.title for note in inserted] == ["a", "b", "c"]
    assert len({note.id for note in inserted}) == 3
    for note in inserted:
        assert await get(database, note.id) == note
    updated = outcomes[4]
    assert isinstance(updated, NoteRecord)
    assert (updated.title, updated.priority, updated.version) == ("first", 5, 2)
    assert await get(database, first.id) == updated
    assert len(await listing(database)) == 4


def _insert_then_boom(unit: Any) -> None:
    repository.insert_note(unit, fields=note_fields(title="half done"), caller=None)
    raise RuntimeError("a bug after a write")


@pytest.mark.parametrize(
    ("crash", "message"),
    [(_boom, "a bug in a unit of work"), (_insert_then_boom, "a bug after a write")],
    ids=["before-writing", "after-writing"],
)
async def test_a_crashing_write_does_not_spoil_its_batch(
    database: Backend,
    caplog: pytest.LogCaptureFixture,
    crash: Callable[[Any], None],
    message: str,
) -> None:
    outcomes = await _held_batch(
        database,
        partial(repository.insert_note, fields=note_fields(title="a"), caller=None),
        crash,
        partial(repository.insert_note, fields=note_fields(title="b"), caller=None),
    )
    assert isinstance(outcomes[1], RuntimeError)
    assert str(outcomes[1]) == message
    assert [type(outcomes[0]), type(outcomes[2])] == [NoteRecord, NoteRecord]
    # What the crashing write did went with it; its neighbours' writes did not.
    assert sorted(titles(await listing(database))) == ["a", "b"]
    if isinstance(database, SqliteBackend):
        assert "a batch of 3 writes failed; retrying them one by one" in caplog.messages


async def test_a_failing_read_does_not_spoil_its_batch(database: Backend) -> None:
    note = await insert(database)
    outcomes = await asyncio.gather(
        *(
            database.read(partial(repository.get_note, note_id=i % 3, caller=None))
            for i in range(30)
        ),
        return_exceptions=True,
    )
    for index, outcome in enumerate(outcomes):
        if index % 3 == note.id:
            assert outcome == note
        else:
            assert isinstance(outcome, NoteNotFound)


async def test_a_crash_is_not_database_unavailable(database: Backend) -> None:
    with pytest.raises(RuntimeError, match=r"^a bug in a unit of work$"):
        await database.write(_boom)
    with pytest.raises(RuntimeError):
        await database.read(_boom)
    # and the database still works afterwards
    assert (await insert(database)).id == 1


def _connection(unit: Any) -> Connection:
    """The connection of a unit of work's argument (a Connection, or what wraps one)."""
    connection: Connection = unit if isinstance(unit, Connection) else unit.connection
    return connection


def _sleep_on_sqlite(_unit: Any) -> None:
    time.sleep(0.6)


def _sleep_on_postgres(unit: StatementRunner) -> None:
    unit.fetch(select(func.pg_sleep(0.6)), {})


async def test_database_timeout(database_url: str, backend: str) -> None:
    settings = Settings(database_url=database_url, database_timeout=0.2, access_log=False)
    slow = open_backend(settings)
    try:
        work = _sleep_on_sqlite if backend == "sqlite" else _sleep_on_postgres
        with pytest.raises(DatabaseUnavailable) as caught:
            await slow.write(work)
        assert caught.value.status == 503
        with pytest.raises(DatabaseUnavailable):
            await slow.read(work)
    finally:
        await asyncio.sleep(0.7)
        await slow.close()


async def test_a_queued_write_whose_caller_timed_out_never_runs(tmp_path: Path) -> None:
    # SQLite's writes wait in one queue. One whose caller was already answered 503 must
    # not commit later, when nobody would be told.
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'late.db'}"
    await asyncio.to_thread(upgrade_database, database_url)
    database = open_backend(Settings(database_url=database_url, database_timeout=0.2))
    release = threading.Event()
    try:
        blocker = asyncio.ensure_future(database.write(_blocker(release)))
        await asyncio.sleep(0.05)
        with pytest.raises(DatabaseUnavailable):
            await insert(database, title="too late")
        release.set()
        with pytest.raises(DatabaseUnavailable):
            await blocker
        # The writer takes jobs in order: once this one is done, the late one was seen.
        await insert(database, title="in time")
        assert titles(await listing(database)) == ["in time"]
    finally:
        release.set()
        await database.close()


@pytest.mark.parametrize(
    "url",
    [
        "sqlite+aiosqlite:////nonexistent-directory/for/notes.db",
        "postgresql+asyncpg://postgres@127.0.0.1:9/notes",
    ],
)
async def test_unreachable_database(url: str) -> None:
    unreachable = open_backend(Settings(database_url=url, database_timeout=2))
    try:
        with pytest.raises(DatabaseUnavailable) as caught:
            await check_health(unreachable)
        assert caught.value.detail == "The database cannot be reached right now; try again later."
        with pytest.raises(DatabaseUnavailable):
            await unreachable.write(
                partial(repository.insert_note, fields=note_fields(), caller=None)
            )
    finally:
        await unreachable.close()


def test_sqlite_needs_a_file() -> None:
    for url in ("sqlite+aiosqlite://", "sqlite+aiosqlite:///", "sqlite+aiosqlite:///:memory:"):
        with pytest.raises(ValueError, match=r"^SQLite needs a file"):
            open_backend(Settings(database_url=url))


async def test_sqlite_threads_are_named_daemons(database: Backend) -> None:
    # Named, for py-spy and thread dumps; daemons, so that a stuck database call can
    # never keep the process from exiting.
    if not isinstance(database, SqliteBackend):
        pytest.skip("only SQLite has threads of its own")
    ours = {
        thread.name: thread.daemon
        for thread in threading.enumerate()
        if thread.name.startswith("notes-sqlite-")
    }
    assert ours == {"notes-sqlite-writer": True, "notes-sqlite-reader": True}


async def test_sqlite_set_up_for_a_server(tmp_path: Path) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'pragmas.db'}"
    await asyncio.to_thread(upgrade_database, database_url)
    modes: tuple[tuple[SqliteSynchronous, int], ...] = (("FULL", 2), ("NORMAL", 1))
    for synchronous, code in modes:
        settings = Settings(
            database_url=database_url, sqlite_synchronous=synchronous, sqlite_busy_timeout=1.5
        )
        opened = open_backend(settings)
        assert isinstance(opened, SqliteBackend)

        def pragmas(unit: Any) -> tuple[Any, ...]:
            return tuple(
                _connection(unit).exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "busy_timeout", "synchronous")
            )

        try:
            assert await opened.write(pragmas) == ("wal", 1500, code)
            assert await opened.read(pragmas) == ("wal", 1500, code)
        finally:
            await opened.close()


class _DriverError(Exception):
    pass


@pytest.mark.parametrize(
    "error",
    [
        exc.OperationalError("SELECT 1", {}, _DriverError("gone")),
        exc.InterfaceError("SELECT 1", {}, _DriverError("closed")),
        exc.TimeoutError("pool exhausted"),
        ConnectionRefusedError(111, "refused"),
        OSError("no route"),
        TimeoutError(),
        exc.DBAPIError("SELECT 1", {}, _DriverError("reset"), connection_invalidated=True),
    ],
)
def test_unreachable_errors_become_503(error: Exception, caplog: pytest.LogCaptureFixture) -> None:
    with (
        caplog.at_level(logging.WARNING, logger="notes.storage.backend"),
        pytest.raises(DatabaseUnavailable) as caught,
        translate_database_errors(),
    ):
        raise error
    assert caught.value.__cause__ is error
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert record.exc_info is not None
    assert record.exc_info[1] is error
    assert record.getMessage() in (
        f"database unavailable: {type(error).__name__}",
        "database connection lost",
    )


@pytest.mark.parametrize(
    "error",
    [
        exc.IntegrityError("INSERT", {}, _DriverError("duplicate")),
        exc.DBAPIError("SELECT 1", {}, _DriverError("bad"), connection_invalidated=False),
        exc.ProgrammingError("SELEC", {}, _DriverError("syntax")),
        RuntimeError("a bug"),
        ValueError("a bug"),
        NoteNotFound(1),
        PreconditionFailed(),
    ],
)
def test_other_errors_pass_through(error: Exception) -> None:
    with pytest.raises(type(error)) as caught, translate_database_errors():
        raise error
    assert caught.value is error


def test_nothing_to_translate() -> None:
    with translate_database_errors():
        value = 1
    assert value == 1


async def test_a_crashing_read_does_not_spoil_its_batch(database: Backend) -> None:
    if not isinstance(database, SqliteBackend):
        pytest.skip("only SQLite batches reads")
    note = await insert(database)
    release = threading.Event()
    blocker = asyncio.ensure_future(database.read(_blocker(release)))
    await asyncio.sleep(0.05)
    reads: list[Callable[[Any], Any]] = [
        partial(repository.get_note, note_id=note.id, caller=None),
        _boom,
    ]
    tasks = [asyncio.ensure_future(database.read(work)) for work in reads]
    await asyncio.sleep(0.05)
    release.set()
    await blocker
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    assert isinstance(outcomes[1], RuntimeError)
    # A read changes nothing: one that crashes must not fail the reads batched with it.
    assert outcomes[0] == note


async def test_reads_batched_together_see_one_snapshot(database: Backend) -> None:
    if not isinstance(database, SqliteBackend):
        pytest.skip("only SQLite batches reads")
    await insert(database, title="before")
    release, paused, written = threading.Event(), threading.Event(), threading.Event()

    def pause_until_written(_unit: Any) -> None:
        paused.set()
        assert written.wait(10)

    blocker = asyncio.ensure_future(database.read(_blocker(release)))
    await asyncio.sleep(0.05)
    first = asyncio.ensure_future(listing(database))
    pause = asyncio.ensure_future(database.read(pause_until_written))
    second = asyncio.ensure_future(listing(database))
    await asyncio.sleep(0.05)
    release.set()
    await blocker
    assert await asyncio.to_thread(paused.wait, 10)
    await insert(database, title="during")  # committed between the batch's two listings
    written.set()
    await pause
    assert titles(await first) == titles(await second) == ["before"]
    # The batch's transaction ends with it: the next read sees the write.
    assert titles(await listing(database)) == ["before", "during"]
