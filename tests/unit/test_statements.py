"""The statement runners: SQLite's own (compiled once, storing what SQLAlchemy would store)
and the plain SQLAlchemy one read and write the same rows."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Connection, create_engine, select

from notes.storage import repository
from notes.storage.compiled import StatementCache
from notes.storage.migrations import upgrade_database
from notes.storage.models import NoteRow
from notes.storage.sqlite import SqliteRunner
from notes.storage.statements import SqlAlchemyRunner


@pytest.fixture
def database_file(tmp_path: Path) -> Path:
    path = tmp_path / "statements.db"
    upgrade_database(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
def connection(database_file: Path) -> Iterator[Connection]:
    engine = create_engine(f"sqlite:///{database_file}")
    with engine.connect() as connection:
        yield connection
    engine.dispose()


def test_each_statement_is_compiled_once(connection: Connection) -> None:
    cache = StatementCache(connection.dialect)
    first = cache.compiled(repository.SELECT_BY_ID)
    assert cache.compiled(repository.SELECT_BY_ID) is first
    other = cache.compiled(repository.INSERT_NOTE)
    assert other is not first
    assert other.statement is repository.INSERT_NOTE
    assert cache.compiled(repository.INSERT_NOTE) is other
    assert cache.compiled(repository.SELECT_BY_ID) is first


@pytest.mark.parametrize(
    ("created_at", "stored"),
    [
        (datetime(2017, 8, 23), "2017-08-23 00:00:00.000000"),
        (datetime(2017, 8, 23, 13, 45, 7, 120), "2017-08-23 13:45:07.000120"),
    ],
)
def test_the_fast_path_stores_datetimes_as_sqlalchemy_does(
    connection: Connection, database_file: Path, created_at: datetime, stored: str
) -> None:
    runner = SqliteRunner(connection, StatementCache(connection.dialect))
    fields = {"title": "t", "description": "", "created_by": "me", "priority": 0}
    with connection.begin():
        note = repository.insert_note(
            runner, fields={**fields, "created_at": created_at}, caller=None
        )
    # The text itself: SQLAlchemy's SQLite format, which sorts and compares as text.
    with sqlite3.connect(database_file) as raw:
        assert raw.execute("SELECT created_at FROM notes").fetchone() == (stored,)
    # And SQLAlchemy's own result processing reads it back unchanged.
    row = connection.execute(select(NoteRow.created_at).where(NoteRow.id == note.id)).one()
    assert row.created_at == created_at == note.created_at


def test_rows_as_stored_and_how_to_read_their_datetimes(connection: Connection) -> None:
    created_at = datetime(2017, 8, 23, 13, 45, 7, 120)
    fields = {"title": "t", "description": "", "created_by": "me", "priority": 0}
    fast = SqliteRunner(connection, StatementCache(connection.dialect))
    plain = SqlAlchemyRunner(connection)
    with connection.begin():
        note = repository.insert_note(
            fast, fields={**fields, "created_at": created_at}, caller=None
        )
    params = {"note_id": note.id}
    # The fast path leaves SQLite's text for the caller to read ...
    (stored,) = fast.fetch_stored(repository.SELECT_BY_ID, params)
    assert stored[3] == "2017-08-23 13:45:07.000120"
    assert fast.read_datetime(stored[3]) == created_at
    # ... SQLAlchemy's rows hold datetimes already.
    (processed,) = plain.fetch_stored(repository.SELECT_BY_ID, params)
    assert processed[3] == created_at
    assert plain.read_datetime(processed[3]) is processed[3]
    assert tuple(fast.fetch(repository.SELECT_BY_ID, params)[0]) == tuple(processed) == note


def test_insert_answers_the_new_rows_key(connection: Connection) -> None:
    fast = SqliteRunner(connection, StatementCache(connection.dialect))
    plain = SqlAlchemyRunner(connection)
    fields = {"title": "t", "description": "", "created_by": "me", "priority": 0}
    with connection.begin():
        made = [
            repository.insert_note(runner, fields=fields, caller=None)
            for runner in (fast, plain, fast)
        ]
    assert [note.id for note in made] == [1, 2, 3]
    with connection.begin():
        read = [repository.get_note(fast, note_id=note_id, caller=None) for note_id in (1, 2, 3)]
    assert read == made
