"""Several server processes on one PostgreSQL database behave as one service.

Two single-process servers and one `--workers 2` server (four processes, four pools)
share a fresh database. Requests are spread across all of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp
import pytest
from sqlalchemy import make_url

from tests.scaleout.client import (
    OPERATIONS,
    PROBLEM_JSON,
    JsonObject,
    conditional_write,
    create_note,
    get_note,
    http_session,
    unique,
    walk,
)
from tests.scaleout.conftest import CURSOR_SECRET, Cluster, StartServer

pytestmark = pytest.mark.postgres

RACE_ROUNDS = 20
CONTENDERS_PER_SERVER = 3


async def test_if_match_races_between_processes_have_exactly_one_winner(cluster: Cluster) -> None:
    owner = unique("race")
    urls = cluster.urls
    contenders = len(urls) * CONTENDERS_PER_SERVER
    wins: dict[str, int] = dict.fromkeys(OPERATIONS, 0)
    async with contextlib.AsyncExitStack() as stack:
        # One session (so one kept-alive connection) per contender, opened before the race.
        sessions = [
            await stack.enter_async_context(http_session(limit=1)) for _ in range(contenders)
        ]
        for round_number in range(RACE_ROUNDS):
            note, etag = await create_note(
                sessions[0],
                urls[round_number % len(urls)],
                {"title": f"round {round_number}", "created_by": owner},
            )
            plan = [
                (i, OPERATIONS[(i + round_number) % len(OPERATIONS)], urls[i % len(urls)])
                for i in range(contenders)
            ]
            for index, (_, _, base_url) in enumerate(plan):
                status, _, seen = await get_note(sessions[index], base_url, note["id"])
                assert (status, seen) == (200, etag)
            attempts = await asyncio.gather(
                *(
                    conditional_write(
                        sessions[i],
                        contender=i,
                        method=method,
                        base_url=base_url,
                        note_id=note["id"],
                        etag=etag,
                        owner=owner,
                    )
                    for i, method, base_url in plan
                )
            )
            winners = [a for a in attempts if a.status in (200, 204)]
            statuses = sorted((a.status, a.method, a.base_url) for a in attempts)
            assert len(winners) == 1, statuses
            winner = winners[0]
            losers = [a for a in attempts if a is not winner]
            # Once a DELETE has won, a later loser finds no note: 404 comes before
            # preconditions (RFC 9110, 13.2.1). Otherwise every loser is a 412.
            allowed = {412, 404} if winner.method == "DELETE" else {412}
            assert {a.status for a in losers} <= allowed, statuses
            assert {a.content_type for a in losers} == {PROBLEM_JSON}
            wins[winner.method] += 1
            for base_url in urls:
                status, body, seen = await get_note(sessions[0], base_url, note["id"])
                if winner.method == "DELETE":
                    assert winner.status == 204
                    assert status == 404
                else:
                    assert (status, body, seen) == (200, winner.body, winner.etag)
                    assert seen != etag
    assert sum(wins.values()) == RACE_ROUNDS


CREATE_CLIENTS = 24
CREATES_PER_CLIENT = 10


def _note_fields(rng: random.Random, owner: str, client: int, number: int) -> JsonObject:
    return {
        "title": f"client {client} note {number} \u00e9\u4e2d{rng.randrange(10**6)}",
        "description": "".join(rng.choice("abc \u00df\U0001f600%_\\") for _ in range(20)),
        "created_by": owner,
        "priority": rng.randint(-(2**31), 2**31 - 1),
        "created_at": f"20{rng.randrange(10, 30)}-0{rng.randrange(1, 10)}-1{client % 10}"
        f"T0{number}:00:00.{rng.randrange(10**6):06d}Z",
    }


async def test_concurrent_creates_through_every_process_lose_nothing(cluster: Cluster) -> None:
    owner = unique("creates")
    rng = random.Random(5)
    urls = cluster.urls
    fields = {
        (client, number): _note_fields(rng, owner, client, number)
        for client in range(CREATE_CLIENTS)
        for number in range(CREATES_PER_CLIENT)
    }

    async def client_run(client: int) -> list[JsonObject]:
        base_url = urls[client % len(urls)]
        created = []
        async with http_session(fresh_connections=base_url == cluster.multi.base_url) as session:
            for number in range(CREATES_PER_CLIENT):
                body, _ = await create_note(session, base_url, fields[client, number])
                created.append(body)
        return created

    results = await asyncio.gather(*(client_run(client) for client in range(CREATE_CLIENTS)))
    created = [note for notes in results for note in notes]
    total = CREATE_CLIENTS * CREATES_PER_CLIENT
    assert len({note["id"] for note in created}) == total
    for client, notes in enumerate(results):
        for number, note in enumerate(notes):
            sent = fields[client, number]
            assert {key: note[key] for key in ("title", "description", "created_by")} == {
                key: sent[key] for key in ("title", "description", "created_by")
            }
            assert note["priority"] == sent["priority"]
            assert datetime.fromisoformat(note["created_at"]) == datetime.fromisoformat(
                sent["created_at"]
            )
    async with http_session() as session:
        for base_url in urls:
            listed = await walk(
                session, base_url, {"created_by": owner, "limit": "37"}, max_pages=total
            )
            assert sorted(listed, key=lambda note: note["id"]) == sorted(
                created, key=lambda note: note["id"]
            )


SortKey = Callable[[JsonObject], tuple[Any, ...]]
SORTS: dict[str, SortKey] = {
    "id": lambda note: (note["id"],),
    "title": lambda note: (note["title"], note["id"]),
    "-priority": lambda note: (-note["priority"], note["id"]),
    "created_at": lambda note: (datetime.fromisoformat(note["created_at"]), note["id"]),
}
STABLE_NOTES = 60
VOLATILE_NOTES = 40
PAGE_SIZE = 7
INSERTS_PER_PAGE = 3
DELETES_PER_PAGE = 2
BACKGROUND_WRITES = 200
# Few distinct values, so that ties (broken by id) are common; titles mix case,
# accents and symbols, whose order is by code point on every backend.
TITLE_PARTS = ("a", "B", "_", "\u00e9", "Z", "b", "%", "\u4e2d", "A")


def _keyed_fields(rng: random.Random, owner: str, label: str) -> JsonObject:
    return {
        "title": "".join(rng.choice(TITLE_PARTS) for _ in range(rng.randrange(1, 3))),
        "description": label,
        "created_by": owner,
        "priority": rng.randrange(-3, 4),
        "created_at": f"2020-01-0{rng.randrange(1, 4)}T00:00:00Z",
    }


@pytest.mark.parametrize("sort", list(SORTS))
async def test_listing_through_one_process_keeps_keyset_guarantee_while_others_write(
    cluster: Cluster, sort: str
) -> None:
    owner = unique("walk")
    rng = random.Random(sort)
    reader_url, writer_url, background_url = cluster.urls
    async with http_session() as session, http_session() as background_session:
        stable: set[int] = set()
        volatile: list[int] = []
        for number in range(STABLE_NOTES + VOLATILE_NOTES):
            label = "stable" if number % 5 < 3 else "volatile"
            body, _ = await create_note(session, writer_url, _keyed_fields(rng, owner, label))
            (stable.add(body["id"]) if label == "stable" else volatile.append(body["id"]))
        assert len(stable) == STABLE_NOTES

        async def delete_volatile(target: aiohttp.ClientSession, base_url: str) -> None:
            if volatile:
                note_id = volatile.pop(rng.randrange(len(volatile)))
                async with target.delete(f"{base_url}/notes/{note_id}") as response:
                    assert response.status in (204, 404)

        async def insert(target: aiohttp.ClientSession, base_url: str) -> None:
            body, _ = await create_note(target, base_url, _keyed_fields(rng, owner, "new"))
            volatile.append(body["id"])

        done = asyncio.Event()

        async def background_writer() -> int:
            writes = 0
            while not done.is_set() and writes < BACKGROUND_WRITES:
                await insert(background_session, background_url)
                await delete_volatile(background_session, background_url)
                writes += 2
            return writes

        background = asyncio.create_task(background_writer())
        seen: list[JsonObject] = []
        url: str | None = f"{reader_url}/notes"
        params: dict[str, str] | None = {"created_by": owner, "sort": sort, "limit": str(PAGE_SIZE)}
        pages = 0
        try:
            while url is not None:
                pages += 1
                assert pages <= 10 * (STABLE_NOTES + VOLATILE_NOTES), "the walk does not end"
                async with session.get(url, params=params) as response:
                    page = await response.json()
                    assert response.status == 200, page
                assert url.startswith(reader_url)
                seen.extend(page["notes"])
                url, params = page["next"], None
                for _ in range(INSERTS_PER_PAGE):
                    await insert(session, writer_url)
                for _ in range(DELETES_PER_PAGE):
                    await delete_volatile(session, writer_url)
        finally:
            done.set()
            background_writes = await background
    assert background_writes > 0
    ids = [note["id"] for note in seen]
    assert len(ids) == len(set(ids)), "a note was listed twice"
    assert stable <= set(ids), f"skipped: {sorted(stable - set(ids))}"
    keys = [SORTS[sort](note) for note in seen]
    assert keys == sorted(keys), "the walk is out of order"


async def test_etag_of_a_note_is_the_same_from_every_process(cluster: Cluster) -> None:
    owner = unique("etag")
    urls = cluster.urls
    async with http_session() as session, http_session(fresh_connections=True) as fresh:
        for number in range(8):
            note, etag = await create_note(
                session, urls[number % len(urls)], {"title": f"etag {number}", "created_by": owner}
            )
            for base_url in urls:
                # Fresh connections reach both workers of the multi-worker server.
                for _ in range(4 if base_url == cluster.multi.base_url else 1):
                    assert await get_note(fresh, base_url, note["id"]) == (200, note, etag)
            changer = urls[(number + 1) % len(urls)]
            async with session.patch(
                f"{changer}/notes/{note['id']}",
                json={"priority": number + 1},
                headers={"If-Match": etag},
            ) as response:
                assert response.status == 200
                changed, new_etag = await response.json(), response.headers["ETag"]
            assert new_etag != etag
            for base_url in urls:
                for _ in range(4 if base_url == cluster.multi.base_url else 1):
                    assert await get_note(fresh, base_url, note["id"]) == (200, changed, new_etag)
                    async with fresh.get(
                        f"{base_url}/notes/{note['id']}", headers={"If-None-Match": new_etag}
                    ) as response:
                        assert (response.status, response.headers["ETag"]) == (304, new_etag)
                    async with fresh.patch(
                        f"{base_url}/notes/{note['id']}",
                        json={"priority": 0},
                        headers={"If-Match": etag},
                    ) as response:
                        assert response.status == 412


def _on(base_url: str, next_url: str) -> str:
    """The same `next` link, sent to another process (as a load balancer may)."""
    parts = urlsplit(next_url)
    return f"{base_url}{parts.path}?{parts.query}"


async def test_each_page_from_another_process_still_walks_the_listing_exactly_once(
    cluster: Cluster, start_server: StartServer
) -> None:
    # A node that names the same database differently, with the deployment's secret
    # (cursors are signed); and one without it, whose signatures differ.
    # The asyncpg dialect's default, spelled out: the same database, another URL.
    other_spelling = (
        make_url(cluster.database_url)
        .update_query_dict({"prepared_statement_cache_size": "100"})
        .render_as_string(hide_password=False)
    )
    assert other_spelling != cluster.database_url
    twin = start_server(other_spelling, env={"NOTES_CURSOR_SECRET": CURSOR_SECRET})
    stranger = start_server(other_spelling)
    await asyncio.gather(asyncio.to_thread(twin.wait_ready), asyncio.to_thread(stranger.wait_ready))
    urls = [*cluster.urls, twin.base_url]
    for sort in ("title", "-priority"):
        await _walk_across(urls, stranger.base_url, sort)


async def _walk_across(urls: list[str], stranger_url: str, sort: str) -> None:
    owner = unique("balanced")
    rng = random.Random(f"balanced {sort}")
    async with http_session() as session:
        stable: set[int] = set()
        for number in range(STABLE_NOTES):
            body, _ = await create_note(
                session, urls[number % len(urls)], _keyed_fields(rng, owner, "stable")
            )
            stable.add(body["id"])
        seen: list[JsonObject] = []
        url: str | None = f"{urls[0]}/notes?created_by={owner}&sort={quote(sort)}&limit={PAGE_SIZE}"
        for page_number in range(1, 10 * STABLE_NOTES):
            assert url is not None
            async with session.get(url) as response:
                page = await response.json()
                assert response.status == 200, page
            seen.extend(page["notes"])
            if page["next"] is None:
                break
            if page_number == 1:
                async with session.get(_on(stranger_url, page["next"])) as response:
                    problem = await response.json()
                    assert (response.status, response.content_type) == (422, PROBLEM_JSON)
                    assert "cursor" in str(problem)
            await create_note(session, urls[-1], _keyed_fields(rng, owner, "new"))
            url = _on(urls[page_number % len(urls)], page["next"])
        else:
            raise AssertionError("the walk does not end")
    ids = [note["id"] for note in seen]
    assert len(ids) == len(set(ids)), "a note was listed twice"
    assert stable <= set(ids), f"skipped: {sorted(stable - set(ids))}"
    keys = [SORTS[sort](note) for note in seen]
    assert keys == sorted(keys), "the walk is out of order"
