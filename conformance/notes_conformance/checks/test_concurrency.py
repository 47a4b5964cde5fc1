"""Many clients at once: every write is kept and every id is distinct."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from notes_conformance.checks.support import Api, assert_note_shape, note_payload


@pytest.mark.rule("CRUD-3")
async def test_200_concurrent_posts_are_all_created_with_distinct_ids(api: Api, owner: str) -> None:
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def post(index: int) -> tuple[int, dict[str, object]]:
            payload = note_payload(owner, title=f"concurrent {index}", priority=index)
            async with session.post(api.url("/notes"), json=payload) as response:
                return response.status, await response.json()

        results = await asyncio.gather(*(post(index) for index in range(200)))
    assert [status for status, _ in results] == [201] * 200
    for _, note in results:
        assert_note_shape(note)
    ids = [note["id"] for _, note in results]
    assert len(set(ids)) == 200
    assert sorted((note["priority"], note["title"]) for _, note in results) == [
        (index, f"concurrent {index}") for index in range(200)
    ]
    listed = api.all_notes(created_by=owner, limit=1000)
    assert sorted(note["id"] for note in listed) == sorted(ids)  # type: ignore[type-var]


@pytest.mark.rule("CRUD-16")
async def test_concurrent_writes_and_deletes_of_one_note_never_fail(api: Api, owner: str) -> None:
    note = api.create(note_payload(owner))
    url = api.url(f"/notes/{note['id']}")
    async with aiohttp.ClientSession() as session:

        async def write(index: int) -> int:
            if index % 5 == 4:
                request = session.delete(url)
            elif index % 2:
                request = session.put(url, json=note_payload(owner, title=f"put {index}"))
            else:
                request = session.patch(url, json={"priority": index})
            async with request as response:
                await response.read()
                return response.status

        statuses = await asyncio.gather(*(write(index) for index in range(30)))
    assert set(statuses) <= {200, 204, 404}, statuses
    assert statuses.count(204) == 1
    assert api.read(note["id"]).status_code == 404
