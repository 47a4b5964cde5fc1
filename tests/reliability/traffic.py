"""Client traffic for the reliability tests: writers that keep a ledger, readers, a full read-back.

Every loop is bounded twice: by a count of operations and by a stop event (set by the
test when its time is up or the server is gone).
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import time

import aiohttp

from tests.reliability.ledger import Ledger, Note

TRANSPORT_ERRORS = (aiohttp.ClientError, OSError, TimeoutError)


@dataclasses.dataclass(frozen=True, slots=True)
class WriteMix:
    """Chances of a POST and a PUT (the rest are DELETEs) once a writer owns a few notes."""

    post: float = 0.5
    put: float = 0.3
    description_size: int = 200
    keep: int = 3  # a writer always POSTs while it owns fewer notes than this


def note_fields(worker: int, sequence: int, rng: random.Random, size: int) -> Note:
    word = "".join(rng.choice("abcdefghij") for _ in range(7)) + " "
    filler = (word * (size // len(word) + 1))[:size]
    return {
        "title": f"w{worker}-{sequence}",
        "description": f"{worker}/{sequence} {filler}",
        "created_by": f"worker-{worker}",
        "priority": rng.randint(-(2**31), 2**31 - 1),
    }


async def write_stream(
    session: aiohttp.ClientSession,
    base_url: str,
    ledger: Ledger,
    *,
    worker: int,
    stop: asyncio.Event,
    max_ops: int,
    mix: WriteMix = WriteMix(),
    seed: int = 0,
) -> None:
    """POST, PUT and DELETE this writer's own notes until ``stop``, ``max_ops`` or an error.

    Any answer other than the expected 2xx, or none at all, leaves the write pending and
    ends the writer: its notes' state is no longer known for sure.
    """
    rng = random.Random(seed * 100_003 + worker)
    owned: list[int] = []
    for sequence in range(max_ops):
        if stop.is_set():
            return
        fields = note_fields(worker, sequence, rng, mix.description_size)
        roll = rng.random()
        try:
            if len(owned) < mix.keep or roll < mix.post:
                ledger.pending_creates[fields["title"]] = fields
                async with session.post(f"{base_url}/notes", json=fields) as response:
                    ledger.answered(response.status)
                    if response.status != 201:
                        return
                    body = await response.json()
                ledger.created(body)
                owned.append(int(body["id"]))
            elif roll < mix.post + mix.put:
                note_id = rng.choice(owned)
                ledger.pending[note_id] = fields
                async with session.put(f"{base_url}/notes/{note_id}", json=fields) as response:
                    ledger.answered(response.status)
                    if response.status != 200:
                        return
                    body = await response.json()
                ledger.replaced(note_id, body)
            else:
                note_id = owned.pop(rng.randrange(len(owned)))
                ledger.pending[note_id] = None
                async with session.delete(f"{base_url}/notes/{note_id}") as response:
                    ledger.answered(response.status)
                    if response.status != 204:
                        return
                ledger.deleted(note_id)
        except TRANSPORT_ERRORS:
            ledger.transport_errors += 1
            return


async def fetch_all(session: aiohttp.ClientSession, base_url: str) -> dict[int, Note]:
    """Every stored note, read back page by page through the listing."""
    notes: dict[int, Note] = {}
    url: str | None = f"{base_url}/notes?limit=1000"
    pages = 0
    while url is not None:
        pages += 1
        if pages > 10_000:
            raise AssertionError("the listing does not end")
        async with session.get(url) as response:
            assert response.status == 200, await response.text()
            page = await response.json()
        for note in page["notes"]:
            assert note["id"] not in notes, f"note {note['id']} listed twice"
            notes[int(note["id"])] = note
        url = page["next"]
    return notes


async def count_deleted_found(
    session: aiohttp.ClientSession, base_url: str, ledger: Ledger, *, limit: int = 200
) -> int:
    """GET up to ``limit`` acknowledged-deleted notes one by one: how many are not 404."""
    deleted = [note_id for note_id, body in ledger.acked.items() if body is None]
    deleted = [note_id for note_id in deleted if note_id not in ledger.pending][:limit]
    found = 0
    for note_id in deleted:
        async with session.get(f"{base_url}/notes/{note_id}") as response:
            if response.status != 404:
                found += 1
    return found


async def seed_notes(
    session: aiohttp.ClientSession,
    base_url: str,
    ledger: Ledger,
    *,
    count: int,
    description_size: int,
    concurrency: int = 32,
) -> None:
    """POST ``count`` notes (acknowledged into ``ledger``), ``concurrency`` at a time."""
    rng = random.Random(count)
    bodies = [note_fields(-1, sequence, rng, description_size) for sequence in range(count)]
    queue = iter(bodies)

    async def post_some() -> None:
        for fields in queue:
            async with session.post(f"{base_url}/notes", json=fields) as response:
                assert response.status == 201, await response.text()
                ledger.created(await response.json())

    await asyncio.gather(*(post_some() for _ in range(concurrency)))


@dataclasses.dataclass
class ReadLog:
    # (time.monotonic() when sent, when answered, status or 0 for a transport error)
    requests: list[tuple[float, float, int]] = dataclasses.field(default_factory=list)

    @property
    def server_errors(self) -> int:
        return sum(1 for _sent, _done, status in self.requests if status >= 500)


async def read_stream(
    session: aiohttp.ClientSession,
    url: str,
    log: ReadLog,
    *,
    stop: asyncio.Event,
    max_ops: int,
) -> None:
    """GET ``url`` again and again until ``stop``, ``max_ops`` or a transport error."""
    for _ in range(max_ops):
        if stop.is_set():
            return
        sent = time.monotonic()
        try:
            async with session.get(url) as response:
                await response.read()
                log.requests.append((sent, time.monotonic(), response.status))
        except TRANSPORT_ERRORS:
            log.requests.append((sent, time.monotonic(), 0))
            return


async def mixed_reads(
    session: aiohttp.ClientSession,
    base_url: str,
    ledger: Ledger,
    log: ReadLog,
    *,
    stop: asyncio.Event,
    max_ops: int,
    seed: int,
) -> None:
    """Listings (filtered, sorted, searched), single notes (perhaps deleted meanwhile), health."""
    rng = random.Random(seed)
    for _ in range(max_ops):
        if stop.is_set():
            return
        roll = rng.random()
        if roll < 0.4:
            sort = rng.choice(("id", "-id", "-updated_at", "title"))
            path = f"/notes?limit={rng.choice((10, 50, 100))}&sort={sort}"
        elif roll < 0.5:
            path = f"/notes?q=w{rng.randrange(100)}-&limit=20"
        elif roll < 0.9 and ledger.acked:
            path = f"/notes/{rng.choice(list(ledger.acked))}"
        else:
            path = "/health"
        sent = time.monotonic()
        try:
            async with session.get(f"{base_url}{path}") as response:
                await response.read()
                log.requests.append((sent, time.monotonic(), response.status))
        except TRANSPORT_ERRORS:
            log.requests.append((sent, time.monotonic(), 0))
            return
