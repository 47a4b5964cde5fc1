"""Fill a migrated SQLite database with many notes straight through sqlite3 (not the API).

The notes are those of issue 13: 1,000 authors, priorities 0-9, titles of four words
from a 20-word vocabulary plus a number. On SQLite the rows go in by `executemany` in
one transaction, synchronous writes off and the table's indexes made again afterwards:
a benchmark database, not a durable one. The rows are made in Python, from one random
draw a note, which is what most of the time goes to (benchmarks/README.md).
"""

from __future__ import annotations

import asyncio
import functools
import random
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta

from sqlalchemy.engine import make_url

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
DAY = 86_400
UPDATED_SPAN = 10**8  # seconds after EPOCH an update may be


@functools.cache
def _day(days: int) -> str:
    return f"{EPOCH + timedelta(days=days):%Y-%m-%d}"


@functools.cache
def _clock() -> tuple[str, ...]:
    """Each second of a day as " HH:MM:SS.ffffff", made once."""
    return tuple(f" {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}.000000" for s in range(DAY))


def _as_text(seconds: int) -> str:
    """EPOCH + `seconds` as SQLAlchemy's SQLite dialect stores it."""
    return _day(seconds // DAY) + _clock()[seconds % DAY]


def _as_datetime(seconds: int) -> datetime:
    return EPOCH + timedelta(seconds=seconds)


def note_rows(
    first: int, count: int, *, as_text: bool = True, seed: int = 13
) -> Iterator[tuple[object, ...]]:
    # One 64-bit draw a note, cut into its choices (61.5 bits): formatting datetimes
    # and calling the generator six times a note were most of the seeding's time.
    chooser = random.Random(seed + first)
    moment = _as_text if as_text else _as_datetime
    words, authors = WORDS, [f"user{n:04d}" for n in range(AUTHORS)]
    for note_id in range(first, first + count):
        bits = chooser.getrandbits(64)
        bits, a = divmod(bits, 20)
        bits, b = divmod(bits, 20)
        bits, c = divmod(bits, 20)
        bits, d = divmod(bits, 20)
        bits, by = divmod(bits, 20)
        bits, author = divmod(bits, AUTHORS)
        bits, priority = divmod(bits, 10)
        title = f"{words[a]} {words[b]} {words[c]} {words[d]} {note_id}"
        description = f"note {note_id} by {words[by]}"
        created, updated = moment(note_id), moment(bits % UPDATED_SPAN)
        yield (note_id, title, description, created, authors[author], priority, updated)


def _notes_indexes(connection: sqlite3.Connection) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the indexes made on notes (not the automatic ones)."""
    return connection.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'notes'"
        " AND sql IS NOT NULL"
    ).fetchall()


def seed_sqlite(path: str, count: int) -> None:
    """Add `count` notes after the highest id in the migrated database at `path`.

    The indexes on notes are dropped while the rows go in and made again after: one
    sort an index rather than a million random insertions into each. Triggers stay, so
    a search table present is kept in step (slowly: seed before making it).
    """
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        for pragma in ("synchronous = OFF", "cache_size = -262144", "temp_store = MEMORY"):
            connection.execute(f"PRAGMA {pragma}")
        connection.execute("PRAGMA journal_mode = WAL")
        (last,) = connection.execute("SELECT coalesce(max(id), 0) FROM notes").fetchone()
        connection.execute("BEGIN")
        indexes = _notes_indexes(connection)
        for name, _ in indexes:
            connection.execute(f'DROP INDEX "{name}"')
        done = 0
        while done < count:
            batch = min(BATCH, count - done)
            rows = ((*row, row[1], row[2]) for row in note_rows(last + done + 1, batch))
            connection.executemany(INSERT, rows)
            done += batch
        for _, sql in indexes:
            connection.execute(sql)
        connection.execute("COMMIT")
    finally:
        connection.close()


# The columns of 0001, in the order `note_rows` (with the version) gives them: the seed
# goes into a schema before the later migrations, which fill what they add.
COLUMNS = (
    "id",
    "title",
    "description",
    "created_at",
    "created_by",
    "priority",
    "updated_at",
    "version",
    "title_folded",
    "description_folded",
)


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
                (*row, 1, row[1], row[2])
                for row in note_rows(last + done + 1, batch, as_text=False)
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
