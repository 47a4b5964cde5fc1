"""Answers leave no cyclic garbage behind.

`serve` collects cyclic garbage rarely (`cli.tune_garbage_collector`), so whatever a
request leaves in a reference cycle stays until a full collection. A 404 once did: its
error's traceback held the worker's frame, and through it every job, future and page
of its batch, which kept a server under load at 270-350 MB instead of 120 MB. Reference
counting alone must free what a request made.
"""

from __future__ import annotations

import asyncio
import gc
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from aiohttp.test_utils import TestClient

import notes
from notes.domain.errors import NotesError

NOTES_PACKAGE = str(Path(notes.__file__).parent)


@contextmanager
def cyclic_garbage() -> Iterator[list[object]]:
    """What became cyclic garbage in the block, found by a collection after it."""
    gc.collect()
    gc.disable()
    found: list[object] = []
    try:
        yield found
    finally:
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            gc.collect()
            found.extend(gc.garbage)
        finally:
            gc.garbage.clear()
            gc.set_debug(0)
            gc.enable()


def ours(garbage: list[object]) -> Counter[str]:
    """The service's errors, and frames of its code, among the garbage."""
    kinds: Counter[str] = Counter()
    for item in garbage:
        if isinstance(item, NotesError):
            kinds[type(item).__name__] += 1
        elif isinstance(item, FrameType) and item.f_code.co_filename.startswith(NOTES_PACKAGE):
            kinds[f"frame {item.f_code.co_name}"] += 1
    return kinds


async def answer(client: TestClient[Any, Any], method: str, path: str, **options: Any) -> int:
    """The status of a request whose body was read to the end."""
    async with client.request(method, path, **options) as response:
        await response.read()
        return response.status


async def test_missing_notes_and_failed_conditions_leave_no_cycles(
    client: TestClient[Any, Any],
) -> None:
    created = await client.post(
        "/notes", json={"title": "t", "description": "d", "created_by": "me", "priority": 1}
    )
    assert created.status == 201
    note = await created.json()

    body = {"title": "u", "description": "d", "created_by": "me", "priority": 2}
    with cyclic_garbage() as garbage:
        # Concurrent, so that reads and writes share batches with the failing ones.
        statuses = await asyncio.gather(
            *(answer(client, "GET", "/notes?limit=5") for _ in range(10)),
            *(answer(client, "GET", f"/notes/{note['id']}") for _ in range(10)),
            *(answer(client, "GET", "/notes/999999") for _ in range(10)),
            *(answer(client, "PUT", "/notes/999999", json=body) for _ in range(5)),
            *(answer(client, "DELETE", "/notes/999999") for _ in range(5)),
            *(
                answer(
                    client, "PUT", f"/notes/{note['id']}", json=body, headers={"If-Match": '"0"'}
                )
                for _ in range(5)
            ),
        )
        # A health check reads and writes once more: the stores let go of the futures
        # they watched (`Deadlines`), which leaves only what cycles still hold.
        assert await answer(client, "GET", "/health") == 200
    assert Counter(statuses) == {200: 20, 404: 20, 412: 5}
    assert not ours(garbage), ours(garbage)


async def test_refused_requests_leave_no_cycles(client: TestClient[Any, Any]) -> None:
    with cyclic_garbage() as garbage:
        statuses = await asyncio.gather(
            answer(
                client,
                "POST",
                "/notes",
                data=b"{not json",
                headers={"Content-Type": "application/json"},
            ),
            answer(client, "POST", "/notes", json={"title": 5}),
            answer(client, "POST", "/notes", json=[1, 2]),
            answer(client, "GET", "/notes?limit=0"),
            answer(client, "GET", "/notes?sort=nope"),
            answer(client, "GET", "/notes?cursor=forged"),
            answer(client, "GET", "/notes/abc"),
            answer(client, "GET", "/nowhere"),
            answer(client, "PATCH", "/notes/1", json={"priority": "high"}),
            answer(client, "DELETE", "/notes"),
        )
        assert await answer(client, "GET", "/health") == 200
    assert all(400 <= status < 500 for status in statuses), statuses
    assert not ours(garbage), ours(garbage)
