"""Idempotency-Key (contract v1.1, IDEM) through the real app, on the backend under test."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient
from sqlalchemy import func, select

from notes.app import create_app
from notes.domain.idempotency import (
    MalformedIdempotencyKey,
    idempotency_key,
    request_hash,
)
from notes.settings import Settings
from notes.storage.models import idempotency_keys_table
from notes.storage.postgres import connect_arguments
from notes.storage.repository import SWEEP_EVERY
from notes.storage.store import DatabaseNoteStore
from notes.web.keys import NOTES
from tests.unit.test_app import problem
from tests.users import add_users

Client = TestClient[Any, Any]
NOTE = {"title": "groceries", "description": "milk", "created_by": "ann", "priority": 2}


def keyed(key: str, **headers: str) -> dict[str, str]:
    return {"Idempotency-Key": key, **headers}


async def post(client: Client, body: Any, key: str | None, **headers: str) -> Any:
    given = {} if key is None else keyed(key)
    return await client.post("/notes", json=body, headers={**given, **headers})


async def count(client: Client) -> int:
    response = await client.get("/notes", params={"limit": "100"})
    notes: list[Any] = (await response.json())["notes"]
    return len(notes)


@pytest.mark.rule("IDEM-2")
async def test_a_repeat_is_answered_as_the_first_even_after_the_note_changed(
    client: Client,
) -> None:
    first = await post(client, NOTE, "order-42")
    assert first.status == 201
    assert "Idempotent-Replayed" not in first.headers
    created = await first.json()
    changed = await client.patch(
        first.headers["Location"], json={"priority": 9}, headers={"If-Match": "*"}
    )
    assert changed.status == 200
    again = await post(client, NOTE, "order-42")
    assert again.status == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["ETag"] == first.headers["ETag"]
    assert await again.json() == created
    assert await count(client) == 1


@pytest.mark.rule("IDEM-2")
async def test_the_same_body_in_another_order_and_spacing_is_the_same_request(
    client: Client,
) -> None:
    first = await post(client, NOTE, "same")
    text = json.dumps(dict(reversed(NOTE.items())), indent=4)
    again = await client.post(
        "/notes", data=text, headers=keyed("same", **{"Content-Type": "application/json"})
    )
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await again.json() == await first.json()


@pytest.mark.rule("IDEM-3")
async def test_the_same_key_with_another_body_is_refused_and_creates_nothing(
    client: Client,
) -> None:
    assert (await post(client, NOTE, "k-1")).status == 201
    body = await problem(await post(client, {**NOTE, "priority": 3}, "k-1"), 422)
    assert "k-1" in body["detail"]
    assert [error["field"] for error in body["errors"]] == ["Idempotency-Key"]
    assert await count(client) == 1


@pytest.mark.rule("IDEM-4")
@pytest.mark.parametrize(
    "header",
    # (Spaces at either end never reach the server: HTTP parsers strip them.)
    ["", " ", "x" * 256, "caf\u00e9", "tab\there"],
)
async def test_a_malformed_key_is_400_and_creates_nothing(client: Client, header: str) -> None:
    raw = header.encode("latin-1").decode("latin-1")
    response = await client.post("/notes", json=NOTE, headers={"Idempotency-Key": raw})
    body = await problem(response, 400)
    assert "Idempotency-Key" in body["detail"]
    assert await count(client) == 0


@pytest.mark.rule("IDEM-4")
async def test_two_key_headers_are_400(client: Client) -> None:
    headers = [("Idempotency-Key", "a"), ("Idempotency-Key", "b")]
    await problem(await client.post("/notes", json=NOTE, headers=headers), 400)
    assert await count(client) == 0


@pytest.mark.rule("IDEM-1", "IDEM-4")
@pytest.mark.parametrize("key", ["a", "x" * 255, "with inner space", "!~\"#$%&'()*+,-./:;<=>?@"])
async def test_keys_of_every_printable_character_and_length_are_taken(
    client: Client, key: str
) -> None:
    first = await post(client, NOTE, key)
    assert first.status == 201
    again = await post(client, NOTE, key)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await count(client) == 1


@pytest.mark.rule("IDEM-1")
async def test_without_a_key_every_post_creates(client: Client) -> None:
    for _ in range(3):
        response = await post(client, NOTE, None)
        assert response.status == 201
        assert "Idempotent-Replayed" not in response.headers
    assert await count(client) == 3


@pytest.mark.rule("IDEM-2")
async def test_a_refused_body_keeps_no_key(client: Client) -> None:
    # A 422 for the body itself: the key stays free for the corrected request.
    await problem(await post(client, {"title": ""}, "fix-me"), 422)
    created = await post(client, NOTE, "fix-me")
    assert created.status == 201
    assert "Idempotent-Replayed" not in created.headers


@pytest.mark.rule("IDEM-6")
async def test_concurrent_repeats_make_one_note_and_the_same_answer(client: Client) -> None:
    answers = await asyncio.gather(*(post(client, NOTE, "race") for _ in range(16)))
    assert {response.status for response in answers} == {201}
    bodies = [await response.json() for response in answers]
    assert all(body == bodies[0] for body in bodies)
    assert sum("Idempotent-Replayed" not in response.headers for response in answers) == 1
    assert await count(client) == 1


@pytest.mark.rule("IDEM-5")
async def test_an_expired_key_is_a_new_request(
    aiohttp_client: AiohttpClient, settings: Settings
) -> None:
    client = await aiohttp_client(create_app(settings.model_copy(update={"idempotency_ttl": 0.2})))
    first = await (await post(client, NOTE, "short")).json()
    await asyncio.sleep(0.3)
    again = await post(client, {**NOTE, "title": "other"}, "short")  # another body is fine now
    assert again.status == 201
    assert "Idempotent-Replayed" not in again.headers
    assert (await again.json())["id"] != first["id"]
    assert await count(client) == 2


@pytest.mark.rule("IDEM-7")
async def test_in_token_mode_a_key_is_its_user_s(
    aiohttp_client: AiohttpClient, settings: Settings
) -> None:
    tokens = await add_users(settings, ("alice", "bob"), admins=())
    client = await aiohttp_client(create_app(settings.model_copy(update={"auth": "token"})))
    made = {}
    for name in ("alice", "bob"):
        auth = {"Authorization": f"Bearer {tokens[name]}"}
        response = await post(client, {"title": name}, "shared-key", **auth)
        assert response.status == 201
        assert "Idempotent-Replayed" not in response.headers
        made[name] = await response.json()
        again = await post(client, {"title": name}, "shared-key", **auth)
        assert again.headers["Idempotent-Replayed"] == "true"
        assert await again.json() == made[name]
    assert made["alice"]["id"] != made["bob"]["id"]


def test_the_hash_ignores_key_order_and_spacing_not_values() -> None:
    assert request_hash({"a": 1, "b": "x"}) == request_hash({"b": "x", "a": 1})
    assert request_hash({"a": 1}) != request_hash({"a": 1.0 + 1})
    assert request_hash({"a": "\u00e9"}) != request_hash({"a": "e"})
    assert idempotency_key([], {}) is None
    for malformed in (["a", "a"], ["del\x7f"], ["nul\x00"], [" lead"], ["trail "], ["\u20ac"]):
        with pytest.raises(MalformedIdempotencyKey):
            idempotency_key(malformed, {})


async def _refuse_key_records(database_url: str) -> None:
    """A trigger that makes every insert into idempotency_keys fail."""
    if database_url.startswith("sqlite"):
        path = database_url.split(":///", 1)[1]

        def plant() -> None:
            with sqlite3.connect(path) as connection:
                connection.execute(
                    "CREATE TRIGGER refuse BEFORE INSERT ON idempotency_keys "
                    "BEGIN SELECT RAISE(ABORT, 'refused'); END"
                )

        await asyncio.to_thread(plant)
        return
    connection = await asyncpg.connect(**connect_arguments(database_url))
    try:
        await connection.execute(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'refused'; END $$;"
            "CREATE TRIGGER refuse BEFORE INSERT ON idempotency_keys "
            "FOR EACH ROW EXECUTE FUNCTION refuse()"
        )
    finally:
        await connection.close()


@pytest.mark.rule("IDEM-8")
async def test_no_note_is_created_without_its_key_record(
    client: Client, settings: Settings
) -> None:
    assert (await post(client, NOTE, None)).status == 201  # migrated, working
    await _refuse_key_records(settings.database_url)
    response = await post(client, {**NOTE, "title": "keyed"}, "k")
    assert response.status == 500
    titles = [note["title"] for note in (await (await client.get("/notes")).json())["notes"]]
    assert titles == [NOTE["title"]]


@pytest.mark.rule("IDEM-5")
async def test_expired_keys_are_deleted_by_later_creates(
    aiohttp_client: AiohttpClient, settings: Settings
) -> None:
    app = create_app(settings.model_copy(update={"idempotency_ttl": 0.2}))
    client = await aiohttp_client(app)
    for number in range(20):
        assert (await post(client, {**NOTE, "title": f"{number}"}, f"old-{number}")).status == 201
    await asyncio.sleep(0.3)
    for number in range(SWEEP_EVERY):
        assert (await post(client, {**NOTE, "title": f"n{number}"}, f"new-{number}")).status == 201
    store = app[NOTES]
    assert isinstance(store, DatabaseNoteStore)
    counted = select(func.count()).select_from(idempotency_keys_table)
    (row,) = await store.backend.read(lambda runner: runner.fetch(counted, {}))
    assert row[0] == SWEEP_EVERY  # the 20 expired ones went with the new keys
