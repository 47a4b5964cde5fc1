"""The floors: servers that do the least a server can, to measure against.

A floor answers ``GET /`` (the client ceiling's request) and ``GET /health``. The
load run measures the client's own ceiling against it, and ``notes-bench wrk`` gives
every figure as a share of it. Another floor (say aiohttp with raw asyncpg, for
PostgreSQL runs) is one module runnable as ``python -m MODULE --host H --port P
[--database-url URL]`` and one entry below. A floor that serves notes is measured on
the note requests too, and a run's share is then ours over the floor's, operation by
operation.
"""

from __future__ import annotations

import dataclasses
import sys

from notes.process import LOOPBACK, CommandForPort


@dataclasses.dataclass(frozen=True)
class Floor:
    name: str
    module: str
    summary: str
    takes_database: bool = False
    # Answers the note requests too (on our table): shares are then per operation.
    serves_notes: bool = False

    def command(self, database_url: str | None) -> CommandForPort:
        def command(port: int) -> list[str]:
            argv = [sys.executable, "-m", self.module, "--host", LOOPBACK, "--port", str(port)]
            if self.takes_database and database_url is not None:
                argv += ["--database-url", database_url]
            return argv

        return command


FLOORS = {
    floor.name: floor
    for floor in (
        Floor(
            "aiohttp",
            "notes_bench.bare_server",
            "a bare aiohttp handler: a fixed 15-byte JSON body for any GET, uvloop, no database",
        ),
        Floor(
            "asyncpg",
            "notes_bench.bare_asyncpg_server",
            "aiohttp on a raw asyncpg pool of 10, prepared statements, orjson, uvloop, our "
            "notes table; no validation, no ETag",
            takes_database=True,
            serves_notes=True,
        ),
    )
}
DEFAULT_FLOOR = "aiohttp"


def default_floor(database_url: str | None) -> str:
    """The floor a run is measured against: on PostgreSQL, the bare asyncpg handler."""
    if database_url is not None and database_url.startswith("postgresql"):
        return "asyncpg"
    return DEFAULT_FLOOR
