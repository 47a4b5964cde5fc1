"""Token mode (v1.1) through the real app: 401s, 429s, ownership, cursors, the cache."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from openapi_spec_validator import validate
from pytest_aiohttp import AiohttpClient
from yarl import URL

from notes.app import create_app
from notes.domain.users import new_token
from notes.settings import Settings
from notes.web.auth import CHALLENGE, FailureLimiter, client_address
from notes.web.openapi import build_openapi
from tests.users import add_users, set_token

Client = TestClient[Any, Any]
MakeClient = Callable[..., Awaitable[Client]]
PROBLEM_JSON = "application/problem+json"


@pytest.fixture
async def tokens(settings: Settings) -> dict[str, str]:
    return await add_users(settings, ("alice", "bob"), admins=("root",))


@pytest.fixture
def make_client(
    aiohttp_client: AiohttpClient, settings: Settings, tokens: dict[str, str]
) -> MakeClient:
    async def make(**overrides: Any) -> Client:
        token_mode = settings.model_copy(update={"auth": "token", **overrides})
        return await aiohttp_client(create_app(token_mode))

    return make


@pytest.fixture
async def client(make_client: MakeClient) -> Client:
    return await make_client()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def create(client: Client, token: str, **fields: Any) -> dict[str, Any]:
    response = await client.post("/notes", json={"title": "t", **fields}, headers=bearer(token))
    assert response.status == 201, await response.text()
    note: dict[str, Any] = await response.json()
    return note


async def refused(response: Any, status: int) -> dict[str, Any]:
    assert response.status == status
    assert response.content_type == PROBLEM_JSON
    body: dict[str, Any] = await response.json(content_type=None)
    assert body["status"] == status
    # Each answer has its own request id; everything else must be the same.
    assert body.pop("request_id") == response.headers["X-Request-Id"]
    return body


def wrong_credentials(tokens: dict[str, str]) -> list[list[tuple[str, str]]]:
    """Authorization headers that must all get the one same 401."""
    alice = tokens["alice"]
    return (
        [
            [("Authorization", value)]
            for value in (
                "Bearer " + new_token(),  # unknown
                "Bearer",
                "Bearer ",
                f"Basic {alice}",
                f"Bearer {alice} extra",
                f"Bearer {alice[:-1]}",
                f"Bearer {alice}=",
                f"Token {alice}",
                alice,
                "Bearer ünïcödé",
            )
        ]
        + [[("Authorization", f"Bearer {alice}"), ("Authorization", f"Bearer {alice}")]]
    )


async def test_every_wrong_token_gets_the_same_401(
    make_client: MakeClient, tokens: dict[str, str]
) -> None:
    client = await make_client(auth_failure_limit=1000)
    answers = []
    for headers in [[], *wrong_credentials(tokens)]:
        for method, path in (("GET", "/notes"), ("GET", "/notes/1"), ("DELETE", "/notes/1")):
            response = await client.request(method, path, headers=headers)
            body = await refused(response, 401)
            assert response.headers["WWW-Authenticate"] == CHALLENGE
            answers.append(body)
    assert all(answer == answers[0] for answer in answers)


async def test_a_head_without_a_token_is_401_without_a_body(client: Client) -> None:
    response = await client.head("/notes/1")
    assert response.status == 401
    assert await response.read() == b""


async def test_the_scheme_is_case_insensitive(client: Client, tokens: dict[str, str]) -> None:
    for scheme in ("bearer", "BEARER", "Bearer  "):
        headers = {"Authorization": f"{scheme} {tokens['alice']}"}
        assert (await client.get("/notes", headers=headers)).status == 200


async def test_health_openapi_and_docs_stay_public(client: Client) -> None:
    for path in ("/health", "/openapi.json", "/docs", "/docs/assets/docs-init.js"):
        assert (await client.get(path)).status == 200, path
    assert (await client.get("/no/such/path")).status == 404


@pytest.mark.rule("DOC-16")
async def test_the_docs_page_offers_to_enter_a_token(client: Client) -> None:
    """Swagger UI shows its "Authorize" dialog for the document's bearer scheme, and the
    requests tried from the page carry the token entered there."""
    init = await (await client.get("/docs/assets/docs-init.js")).text()
    assert 'url: "/openapi.json"' in init
    document = await (await client.get("/openapi.json")).json()
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert document["paths"]["/notes"]["get"]["security"] == [{"bearerAuth": []}]


@pytest.mark.rule("AUTH-1")
async def test_open_mode_ignores_authorization(
    aiohttp_client: AiohttpClient, settings: Settings
) -> None:
    client = await aiohttp_client(create_app(settings))
    response = await client.post(
        "/notes", json={"title": "t", "created_by": "anyone"}, headers=bearer("nonsense")
    )
    assert response.status == 201


async def test_created_by_is_the_callers_name(client: Client, tokens: dict[str, str]) -> None:
    assert (await create(client, tokens["alice"]))["created_by"] == "alice"
    assert (await create(client, tokens["alice"], created_by="alice"))["created_by"] == "alice"
    response = await client.post(
        "/notes", json={"title": "t", "created_by": "bob"}, headers=bearer(tokens["alice"])
    )
    body = await refused(response, 422)
    assert body["errors"][0]["field"] == "$.created_by"
    assert "alice" in body["errors"][0]["message"]
    response = await client.post(
        "/notes", json={"title": "t", "created_by": None}, headers=bearer(tokens["alice"])
    )
    await refused(response, 422)


async def test_another_users_note_answers_as_a_missing_one(
    client: Client, tokens: dict[str, str]
) -> None:
    alice, bob = bearer(tokens["alice"]), bearer(tokens["bob"])
    note = await create(client, tokens["alice"])
    path = f"/notes/{note['id']}"
    etag = (await client.get(path, headers=alice)).headers["ETag"]

    async def answers() -> list[tuple[int, bytes]]:
        requests: list[tuple[str, dict[str, str], Any]] = [
            ("GET", {}, None),
            ("HEAD", {}, None),
            ("GET", {"If-None-Match": etag}, None),
            ("GET", {"If-None-Match": "*"}, None),
            ("PUT", {"If-Match": etag}, {"title": "x"}),
            ("PUT", {"If-Match": '"stale"'}, {"title": "x"}),
            ("PATCH", {"If-Match": "*"}, {"title": "x"}),
            ("PATCH", {}, {"created_by": "alice"}),
            ("DELETE", {"If-Match": etag}, None),
            ("DELETE", {"If-Match": '"stale"'}, None),
            ("DELETE", {}, None),
        ]
        seen = []
        for method, headers, body in requests:
            # One request id for every request: the rest of each answer must be identical.
            same_id = {**bob, **headers, "X-Request-Id": "probe"}
            response = await client.request(method, path, headers=same_id, json=body)
            seen.append((response.status, await response.read()))
        return seen

    while_it_exists = await answers()
    assert {status for status, _ in while_it_exists} == {404}
    unchanged = await client.get(path, headers=alice)
    assert unchanged.status == 200
    assert unchanged.headers["ETag"] == etag
    assert (await client.delete(path, headers=alice)).status == 204
    assert await answers() == while_it_exists


async def test_a_user_lists_only_their_own_notes(client: Client, tokens: dict[str, str]) -> None:
    mine = [await create(client, tokens["alice"], title=f"a{i}") for i in range(3)]
    await create(client, tokens["bob"], title="b")
    for query in ("", "?created_by=bob", "?q=b", "?sort=-title"):
        page = await (await client.get(f"/notes{query}", headers=bearer(tokens["alice"]))).json()
        assert {note["created_by"] for note in page["notes"]} <= {"alice"}
    page = await (await client.get("/notes", headers=bearer(tokens["alice"]))).json()
    assert page["notes"] == mine


async def test_an_admin_sees_and_changes_every_note(client: Client, tokens: dict[str, str]) -> None:
    root = bearer(tokens["root"])
    note = await create(client, tokens["alice"])
    await create(client, tokens["bob"])
    everyone = await (await client.get("/notes", headers=root)).json()
    assert [n["created_by"] for n in everyone["notes"]] == ["alice", "bob"]
    only_bob = await (await client.get("/notes?created_by=bob", headers=root)).json()
    assert [n["created_by"] for n in only_bob["notes"]] == ["bob"]
    path = f"/notes/{note['id']}"
    patched = await client.patch(path, json={"priority": 3, "created_by": "alice"}, headers=root)
    assert (await patched.json())["created_by"] == "alice"
    replaced = await client.put(path, json={"title": "by root"}, headers=root)
    assert (await replaced.json())["created_by"] == "alice"
    moved = await client.patch(path, json={"created_by": "root"}, headers=root)
    body = await refused(moved, 422)
    assert body["errors"][0]["field"] == "$.created_by"
    assert (await client.delete(path, headers=root)).status == 204


async def test_a_cursor_belongs_to_the_user_who_got_it(
    client: Client, tokens: dict[str, str]
) -> None:
    for name in ("alice", "bob", "root"):
        await create(client, tokens[name])
        await create(client, tokens[name])
    for owner, other in (("alice", "bob"), ("alice", "root"), ("root", "alice")):
        page = await (await client.get("/notes?limit=1", headers=bearer(tokens[owner]))).json()
        following = URL(page["next"]).relative()
        assert (await client.get(following, headers=bearer(tokens[owner]))).status == 200
        response = await client.get(following, headers=bearer(tokens[other]))
        body = await refused(response, 422)
        assert body["errors"][0]["field"] == "cursor"


async def test_a_revoked_token_stops_at_once_without_a_cache(
    make_client: MakeClient, settings: Settings, tokens: dict[str, str]
) -> None:
    client = await make_client(auth_cache_seconds=0)
    alice = bearer(tokens["alice"])
    assert (await client.get("/notes", headers=alice)).status == 200
    await set_token(settings, "alice", None)
    await refused(await client.get("/notes", headers=alice), 401)


async def test_the_cache_answers_within_its_bound(
    make_client: MakeClient, settings: Settings, tokens: dict[str, str]
) -> None:
    """With an hour's bound a revoked token still works: the answer came from the cache."""
    client = await make_client(auth_cache_seconds=60)
    alice = bearer(tokens["alice"])
    assert (await client.get("/notes", headers=alice)).status == 200
    await set_token(settings, "alice", None)
    assert (await client.get("/notes", headers=alice)).status == 200


async def test_repeated_failures_from_one_address_are_429(
    make_client: MakeClient, tokens: dict[str, str]
) -> None:
    client = await make_client(auth_failure_limit=3, auth_failure_window=600)
    for _ in range(5):  # no credentials at all is no guess: never counted
        await refused(await client.get("/notes"), 401)
    for _ in range(3):
        await refused(await client.get("/notes", headers=bearer(new_token())), 401)
    for headers in ({}, bearer(new_token()), bearer(tokens["alice"])):
        response = await client.get("/notes/1", headers=headers)
        body = await refused(response, 429)
        assert 590 <= int(response.headers["Retry-After"]) <= 600
        assert "retry" in body["detail"]
    assert (await client.get("/health")).status == 200


async def test_a_window_ends(make_client: MakeClient, tokens: dict[str, str]) -> None:
    client = await make_client(auth_failure_limit=1, auth_failure_window=0.2)
    await refused(await client.get("/notes", headers=bearer(new_token())), 401)
    await refused(await client.get("/notes", headers=bearer(tokens["alice"])), 429)
    await asyncio.sleep(0.3)
    assert (await client.get("/notes", headers=bearer(tokens["alice"]))).status == 200


def test_the_limiter_remembers_a_bounded_number_of_addresses() -> None:
    limiter = FailureLimiter(limit=2, window=600, clients=3)
    for number in range(100):
        limiter.failed(f"10.0.0.{number}")
        limiter.failed(f"10.0.0.{number}")
        assert len(limiter) <= 3
    assert limiter.retry_after("10.0.0.99") is not None
    assert limiter.retry_after("10.0.0.0") is None  # forgotten: the bound, not a leak


@pytest.mark.parametrize(
    ("remote", "key"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::9", "2001:db8:1:2::/64"),
        ("fe80::1%eth0", "fe80::/64"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        (None, ""),
        ("not:an:address:at:all", "not:an:address:at:all"),
    ],
)
def test_client_addresses(remote: str | None, key: str) -> None:
    assert client_address(remote) == key


@pytest.mark.rule("DOC-15")
def test_the_token_mode_document() -> None:
    document = build_openapi(Settings(auth="token"))
    validate(document)
    assert document["info"]["version"] == "1.1.0"
    scheme = document["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    for path, operations in document["paths"].items():
        for operation in operations.values():
            if path.startswith("/notes"):
                assert operation["security"] == [{"bearerAuth": []}]
                assert {"401", "429"} <= set(operation["responses"])
            else:
                assert "security" not in operation
                assert "401" not in operation["responses"]
    note_input = document["components"]["schemas"]["NoteInput"]
    assert note_input["required"] == ["title"]
    responses = document["components"]["responses"]
    assert "WWW-Authenticate" in responses["Problem401"]["headers"]
    assert "Retry-After" in responses["Problem429"]["headers"]
    # Open mode's document is v1's, untouched.
    assert "securitySchemes" not in build_openapi(Settings())["components"]
