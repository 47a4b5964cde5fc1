"""Create the notes a run reads and updates, concurrently, and remember their ETags."""

from __future__ import annotations

import asyncio
import dataclasses
import json

import aiohttp

from notes_bench.loadgen import JSON_HEADERS, note_body

SEED_CONCURRENCY = 32
SEED_TIMEOUT_S = 30.0


class SeedError(RuntimeError):
    """The server refused or mangled a seed note: no benchmark can run on it."""


@dataclasses.dataclass(kw_only=True)
class NotePool:
    """The seeded notes: ids in creation order and the latest known ETag of each."""

    ids: list[int] = dataclasses.field(default_factory=list)
    etags: dict[int, str] = dataclasses.field(default_factory=dict)


async def _create(session: aiohttp.ClientSession, serial: int) -> tuple[int, str | None]:
    body = note_body(f"seed note {serial}", serial)
    async with session.post("/notes", data=body, headers=JSON_HEADERS) as response:
        text = await response.text()
        if response.status != 201:
            raise SeedError(f"POST /notes answered {response.status}, not 201: {text[:300]}")
        note = json.loads(text)
        if not isinstance(note, dict) or not isinstance(note.get("id"), int):
            raise SeedError(f"POST /notes answered a body without an integer id: {text[:300]}")
        return note["id"], response.headers.get("ETag")


async def _seed(url: str, count: int, headers: dict[str, str]) -> NotePool:
    pool = NotePool()
    serials = iter(range(1, count + 1))
    results: list[tuple[int, int, str | None]] = []

    async def worker(session: aiohttp.ClientSession) -> None:
        for serial in serials:
            note_id, etag = await _create(session, serial)
            results.append((serial, note_id, etag))

    connector = aiohttp.TCPConnector(limit=SEED_CONCURRENCY)
    timeout = aiohttp.ClientTimeout(total=SEED_TIMEOUT_S)
    async with (
        aiohttp.ClientSession(
            url, connector=connector, timeout=timeout, headers=headers
        ) as session,
        asyncio.TaskGroup() as group,
    ):
        for _ in range(min(SEED_CONCURRENCY, count)):
            group.create_task(worker(session))
    for _, note_id, etag in sorted(results):
        pool.ids.append(note_id)
        if etag is not None:
            pool.etags[note_id] = etag
    return pool


def seed_notes(url: str, count: int, *, token: str | None = None) -> NotePool:
    """POST ``count`` notes to the server at ``url`` (with a user's `token` in token
    mode, v1.1); the first error stops the run."""
    if count <= 0:
        return NotePool()
    try:
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        return asyncio.run(_seed(url, count, headers))
    except ExceptionGroup as group:
        first = group.exceptions[0]
        if isinstance(first, SeedError):
            raise first from None
        raise SeedError(f"seeding failed: {first!r}") from first
