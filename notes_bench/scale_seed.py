"""Fill a migrated SQLite database with many notes straight through sqlite3 (not the API).

The notes are those of issue 13: 1,000 authors, priorities 0-9, titles of four words
from a 20-word vocabulary plus a number. Rows go in by `executemany` in large
transactions, with synchronous writes off: a benchmark database, not a durable one.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta

from sqlalchemy.engine import make_url

from notes.storage.models import notes_table

WORDS = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "zeta",
    "eta",
    "theta",
    "iota",
    "kappa",
    "lambda",
    "mu",
    "nu",
    "xi",
    "omicron",
    "pi",
    "rho",
    "sigma",
    "tau",
    "upsilon",
]
AUTHORS = 1000
BATCH = 50_000
INSERT = (
    "INSERT INTO notes (id, title, description, created_at, created_by, priority, updated_at,"
    " version, title_folded, description_folded) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)"
)
EPOCH = datetime(2026, 1, 1)


def note_rows(
    first: int, count: int, *, as_text: bool = True, seed: int = 13
) -> Iterator[tuple[object, ...]]:
    chooser = random.Random(seed + first)
    for note_id in range(first, first + count):
        title = " ".join(chooser.choices(WORDS, k=4)) + f" {note_id}"
        description = f"note {note_id} by {chooser.choice(WORDS)}"
        created: object = EPOCH + timedelta(seconds=note_id)
        updated: object = EPOCH + timedelta(seconds=chooser.randrange(10**8))
        if as_text:  # as SQLAlchemy's SQLite dialect stores them
            created = f"{created:%Y-%m-%d %H:%M:%S.%f}"
            updated = f"{updated:%Y-%m-%d %H:%M:%S.%f}"
        author = f"user{chooser.randrange(AUTHORS):04d}"
        priority = chooser.randrange(10)
        yield (note_id, title, description, created, author, priority, updated, title, description)


def seed_sqlite(path: str, count: int) -> None:
    """Add `count` notes after the highest id in the migrated database at `path`."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute("PRAGMA journal_mode = WAL")
        (last,) = connection.execute("SELECT coalesce(max(id), 0) FROM notes").fetchone()
        done = 0
        while done < count:
            batch = min(BATCH, count - done)
            connection.execute("BEGIN")
            connection.executemany(INSERT, note_rows(last + done + 1, batch))
            connection.execute("COMMIT")
            done += batch
    finally:
        connection.close()


# The table's columns in their declared order, as `note_rows` (with the version) gives them.
COLUMNS = tuple(column.name for column in notes_table.columns)


async def seed_postgres(url: str, count: int) -> None:
    """The same notes into PostgreSQL, by COPY."""
    import asyncpg

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        last = await connection.fetchval("SELECT coalesce(max(id), 0) FROM notes")
        done = 0
        while done < count:
            batch = min(BATCH * 4, count - done)
            rows = [
                (*row[:7], 1, *row[7:]) for row in note_rows(last + done + 1, batch, as_text=False)
            ]
            await connection.copy_records_to_table("notes", records=rows, columns=COLUMNS)
            done += batch
        await connection.execute(
            "SELECT setval(pg_get_serial_sequence('notes', 'id'), (SELECT max(id) FROM notes))"
        )
        await connection.execute("ANALYZE notes")
    finally:
        await connection.close()


def seed(url: str, count: int) -> None:
    """Add `count` notes to the migrated database at `url` (SQLite or PostgreSQL)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        assert parsed.database is not None
        seed_sqlite(parsed.database, count)
    else:
        asyncio.run(seed_postgres(url, count))
