"""The app through the real HTTP stack: handlers, the problem middleware, docs, health."""

from __future__ import annotations

import asyncio
import importlib.util
import logging
from datetime import datetime
from http import HTTPStatus
from importlib.machinery import ModuleSpec
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient
from sqlalchemy import insert
from yarl import URL

from notes.app import create_app
from notes.domain.errors import FieldProblem
from notes.settings import Settings
from notes.storage.models import notes_table
from notes.storage.statements import StatementRunner
from notes.storage.store import DatabaseNoteStore
from notes.web.docs import swagger_ui_assets
from notes.web.keys import NOTES
from notes.web.responses import problem_response

PROBLEM_JSON = "application/problem+json"
JSON = "application/json"
# "Unprocessable Entity" before Python 3.13, "Unprocessable Content" (RFC 9110) after
UNPROCESSABLE = HTTPStatus(422).phrase
NOTE = {
    "title": "note two",
    "created_at": "2017-08-23 00:00",
    "created_by": "apcelent",
    "description": "sample notes",
    "priority": 4,
}


async def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status == status
    assert response.content_type == PROBLEM_JSON
    body: dict[str, Any] = await response.json(content_type=None)
    assert body["type"] == "about:blank"
    assert body["status"] == status
    assert isinstance(body["detail"], str)
    return body


async def test_crud_through_http(client: TestClient[Any, Any]) -> None:
    created = await client.post("/notes", json=NOTE)
    assert created.status == 201
    assert created.content_type == JSON
    assert created.headers["Location"] == "/notes/1"
    assert created.headers["ETag"] == '"1-1"'
    body = await created.json()
    assert list(body) == [
        "id",
        "title",
        "description",
        "created_at",
        "created_by",
        "priority",
        "updated_at",
    ]
    assert body["created_at"] == "2017-08-23T00:00:00Z"
    assert body["updated_at"].endswith("Z")

    read = await client.get("/notes/1")
    assert read.status == 200
    assert read.headers["ETag"] == '"1-1"'
    assert await read.json() == body

    head = await client.head("/notes/1")
    assert head.status == 200
    assert head.headers["ETag"] == '"1-1"'
    assert await head.read() == b""

    not_modified = await client.get("/notes/1", headers={"If-None-Match": 'W/"1-1"'})
    assert not_modified.status == 304
    assert not_modified.headers["ETag"] == '"1-1"'
    assert await not_modified.read() == b""
    modified = await client.get("/notes/1", headers={"If-None-Match": '"1-0"'})
    assert modified.status == 200

    replaced = await client.put("/notes/1", json={"title": "note edit", "created_by": "x"})
    assert replaced.status == 200
    assert replaced.headers["ETag"] == '"1-2"'
    edited = await replaced.json()
    assert edited["title"] == "note edit"
    assert edited["description"] == ""
    assert edited["priority"] == 0
    assert edited["created_at"] == "2017-08-23T00:00:00Z"

    same = await client.put("/notes/1", json={"title": "note edit", "created_by": "x"})
    assert same.headers["ETag"] == '"1-2"'
    assert (await same.json())["updated_at"] == edited["updated_at"]

    patched = await client.patch(
        "/notes/1",
        data=b'{"priority": 7, "description": null}',
        headers={"Content-Type": "application/merge-patch+json", "If-Match": '"1-2"'},
    )
    assert patched.status == 200
    assert patched.headers["ETag"] == '"1-3"'
    assert (await patched.json())["priority"] == 7

    stale = await client.patch("/notes/1", json={"priority": 1}, headers={"If-Match": '"1-2"'})
    await problem(stale, 412)
    stale_put = await client.put(
        "/notes/1", json={"title": "lost", "created_by": "x"}, headers={"If-Match": '"1-2"'}
    )
    await problem(stale_put, 412)
    stale_delete = await client.delete("/notes/1", headers={"If-Match": '"1-2"'})
    await problem(stale_delete, 412)
    unchanged = await (await client.get("/notes/1")).json()
    assert (unchanged["title"], unchanged["priority"]) == ("note edit", 7)

    deleted = await client.delete("/notes/1", headers={"If-Match": '"1-3"'})
    assert deleted.status == 204
    assert await deleted.read() == b""
    await problem(await client.get("/notes/1"), 404)
    await problem(await client.delete("/notes/1"), 404)
    await problem(await client.put("/notes/1", json={"title": "t", "created_by": "b"}), 404)
    await problem(await client.patch("/notes/1", json={}), 404)
    assert (await client.post("/notes", json=NOTE)).headers["Location"] == "/notes/2"


async def test_listing_through_http(client: TestClient[Any, Any]) -> None:
    for index in range(3):
        assert (await client.post("/notes", json={**NOTE, "title": f"n{index}"})).status == 201
    first = await client.get("/notes", params={"limit": "2", "sort": "-id", "other": "x"})
    assert first.status == 200
    page = await first.json()
    assert [note["id"] for note in page["notes"]] == [3, 2]
    assert page["next"].startswith(str(client.make_url("/notes")))
    assert "other=x" in page["next"]
    assert first.headers["Link"] == f'<{page["next"]}>; rel="next"'
    second = await client.get(URL(page["next"]).path_qs)
    last = await second.json()
    assert [note["id"] for note in last["notes"]] == [1]
    assert last["next"] is None
    assert "Link" not in second.headers
    everything = await (await client.get("/notes")).json()
    assert [note["id"] for note in everything["notes"]] == [1, 2, 3]
    assert everything["next"] is None
    # exactly a page: no next page
    exact = await client.get("/notes", params={"limit": "3"})
    assert (await exact.json())["next"] is None
    assert "Link" not in exact.headers
    # the cursor is the page's last note
    for index in range(3, 5):
        assert (await client.post("/notes", json={**NOTE, "title": f"n{index}"})).status == 201
    walked: list[int] = []
    path = "/notes?limit=3"
    while path:
        page = await (await client.get(path)).json()
        walked += [note["id"] for note in page["notes"]]
        path = URL(page["next"]).path_qs if page["next"] else ""
    assert walked == [1, 2, 3, 4, 5]

    bad = await problem(await client.get("/notes", params={"limit": "0", "sort": "colour"}), 422)
    assert bad["errors"] == [
        {"field": "limit", "message": "must be an integer from 1 to 1000"},
        {
            "field": "sort",
            "message": "must be one of id, -id, priority, -priority, created_at, -created_at, "
            "updated_at, -updated_at, title, -title",
        },
    ]


async def test_validation_problem_body(client: TestClient[Any, Any]) -> None:
    response = await client.post(
        "/notes", json={"title": "", "created_by": "me", "id": 3, "priority": True}
    )
    body = await problem(response, 422)
    assert body["title"] == UNPROCESSABLE
    assert body["detail"] == "The request breaks the rules of the contract; see errors."
    assert body["errors"] == [
        {"field": "$.title", "message": "String should have at least 1 character"},
        {"field": "$.priority", "message": "must be an integer, not a boolean"},
        {
            "field": "$.id",
            "message": "is not a writable field "
            "(writable: title, description, created_at, created_by, priority)",
        },
    ]
    assert list(body) == ["type", "title", "status", "detail", "errors", "request_id"]
    nothing = await (await client.get("/notes")).json()
    assert nothing["notes"] == []


BAD_IDS = [
    "/notes/abc",
    "/notes/0",
    "/notes/-1",
    "/notes/01",
    "/notes/+1",
    "/notes/1.0",
    "/notes/99999999999999999999",
    "/notes/9223372036854775808",
    "/notes/%201",
]


async def test_bad_ids_are_404(client: TestClient[Any, Any]) -> None:
    assert (await client.post("/notes", json=NOTE)).status == 201
    for path in BAD_IDS:
        for method in ("GET", "DELETE", "PUT", "PATCH"):
            response = await client.request(method, path, json={"title": "t", "created_by": "me"})
            body = await problem(response, 404)
            assert body["title"] == "Not Found", (method, path)
    assert (await client.get("/notes/1")).status == 200


async def test_routing(client: TestClient[Any, Any]) -> None:
    body = await problem(await client.get("/notes/9223372036854775807"), 404)
    assert body["detail"] == "There is no note 9223372036854775807."
    body = await problem(await client.get("/notes/abc"), 404)
    assert body["detail"] == "There is no note abc."
    body = await problem(await client.delete("/notes/77"), 404)
    assert body["detail"] == "There is no note 77."
    body = await problem(await client.patch("/notes/78", json={}), 404)
    assert body["detail"] == "There is no note 78."
    body = await problem(await client.get("/nothing/here"), 404)
    assert body["title"] == "Not Found"
    assert body["detail"]
    assert set(body) == {"type", "title", "status", "detail", "request_id"}
    response = await client.delete("/notes")
    body = await problem(response, 405)
    assert body["title"] == "Method Not Allowed"
    assert body["detail"]
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "POST"}
    item = await client.post("/notes/1", json={})
    await problem(item, 405)
    assert set(item.headers["Allow"].replace(" ", "").split(",")) == {
        "GET",
        "HEAD",
        "PUT",
        "PATCH",
        "DELETE",
    }
    health = await client.post("/health")
    await problem(health, 405)
    assert set(health.headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD"}
    response = await client.get("/health")
    assert response.status == 200
    assert response.content_type == JSON
    assert await response.json() == {"status": "ok"}


async def test_docs_served_locally(client: TestClient[Any, Any]) -> None:
    page = await client.get("/docs")
    assert page.status == 200
    assert page.content_type == "text/html"
    html = await page.text()
    assert "http://" not in html
    assert "https://" not in html
    # A browser runs a script only if it is served as one.
    for asset, content_type in (
        ("/docs/assets/swagger-ui.css", "text/css"),
        ("/docs/assets/swagger-ui-bundle.js", "text/javascript"),
        ("/docs/assets/swagger-ui-standalone-preset.js", "text/javascript"),
        ("/docs/assets/docs-init.js", "text/javascript"),
    ):
        assert f'"{asset}"' in html
        response = await client.get(asset)
        assert (response.status, response.content_type) == (200, content_type), asset
        assert len(await response.read()) > 0
    init = await (await client.get("/docs/assets/docs-init.js")).text()
    assert 'url: "/openapi.json"' in init
    assert "validatorUrl: null" in init


async def test_docs_assets_are_whole_files_or_problem_json(
    client: TestClient[Any, Any],
) -> None:
    """Regression: aiohttp's static route answered a missing asset with an empty
    application/octet-stream 404, and a Range past the end with a 416 of the same kind."""
    css = await client.get("/docs/assets/swagger-ui.css")
    assert css.status == 200
    assert css.content_type == "text/css"
    assert css.headers["Cache-Control"] == "public, max-age=3600"
    whole = await css.read()
    past_the_end = await client.get(
        "/docs/assets/swagger-ui.css", headers={"Range": "bytes=999999999-"}
    )
    assert past_the_end.status == 200
    assert await past_the_end.read() == whole
    icon = await client.get("/docs/assets/favicon-32x32.png")
    assert (icon.status, icon.content_type) == (200, "image/png")
    # Missing, or present in swagger-ui-py's folder but not used by the page.
    for path in (
        "/docs/assets/nope",
        "/docs/assets/LICENSE",
        "/docs/assets/swagger-editor.js",
        "/docs/assets/..%2F..%2F__init__.py",
    ):
        body = await problem(await client.get(path), 404)
        assert body["detail"] == f"There is nothing at {URL(path).path}."


async def test_unreachable_database_is_503(aiohttp_client: AiohttpClient) -> None:
    settings = Settings(
        database_url="sqlite+aiosqlite:////nonexistent-directory/notes.db",
        access_log=False,
        auto_migrate=False,
        database_timeout=2,
    )
    client = await aiohttp_client(create_app(settings))
    for response in (
        await client.get("/health"),
        await client.get("/notes"),
        await client.post("/notes", json=NOTE),
        await client.get("/notes/1"),
    ):
        body = await problem(response, 503)
        assert body["title"] == "Service Unavailable"
        assert body["detail"] == "The database cannot be reached right now; try again later."
        assert "sqlite" not in str(body).lower()


async def test_an_unexpected_exception_is_a_bare_500(
    aiohttp_client: AiohttpClient, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    async def explode(request: web.Request) -> web.Response:
        raise RuntimeError("secret: SELECT * FROM notes; password=hunter2")

    app = create_app(settings)
    app.router.add_get("/explode", explode)
    client = await aiohttp_client(app)
    with caplog.at_level(logging.ERROR, logger="notes.web.middlewares"):
        response = await client.get("/explode")
    body = await problem(response, 500)
    assert body["title"] == "Internal Server Error"
    assert body["detail"] == "The server failed to answer this request."
    text = str(body)
    for secret in ("secret", "SELECT", "hunter2", "RuntimeError", "Traceback"):
        assert secret not in text
    # the log keeps what the client does not get
    assert "unhandled error in GET /explode" in caplog.text
    assert "hunter2" in caplog.text


async def test_http_exceptions_keep_their_status(
    aiohttp_client: AiohttpClient, settings: Settings
) -> None:
    async def teapot(request: web.Request) -> web.Response:
        raise web.HTTPConflict(text="it conflicts")

    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPFound("/notes")

    async def reasonless(request: web.Request) -> web.Response:
        raise web.HTTPGone()

    app = create_app(settings)
    app.router.add_get("/teapot", teapot)
    app.router.add_get("/moved", moved)
    app.router.add_get("/gone", reasonless)
    client = await aiohttp_client(app)
    body = await problem(await client.get("/teapot"), 409)
    assert body["detail"] == "it conflicts"
    assert body["title"] == "Conflict"
    redirect = await client.get("/moved", allow_redirects=False)
    assert redirect.status == 302
    assert redirect.headers["Location"] == "/notes"
    gone = await problem(await client.get("/gone"), 410)
    assert gone["detail"] == "410: Gone"


def test_problem_response_shape() -> None:
    response = problem_response(
        422, "see errors", errors=[FieldProblem("$.a", "bad")], headers={"Allow": "GET"}
    )
    assert response.status == 422
    assert response.content_type == PROBLEM_JSON
    assert response.headers["Allow"] == "GET"
    assert response.body == (
        b'{"type":"about:blank","title":"' + UNPROCESSABLE.encode() + b'","status":422,'
        b'"detail":"see errors","errors":[{"field":"$.a","message":"bad"}]}'
    )
    plain = problem_response(503, "down")
    assert plain.body == (
        b'{"type":"about:blank","title":"Service Unavailable","status":503,"detail":"down"}'
    )
    empty = problem_response(422, "x", errors=[])
    assert b"errors" not in (empty.body if isinstance(empty.body, bytes) else b"")


async def test_a_body_that_does_not_decode_is_400(client: TestClient[Any, Any]) -> None:
    # aiohttp's client would not send a body that claims gzip and is not: speak HTTP by hand
    body = b'{"title": "t", "created_by": "me"}'
    request = (
        b"POST /notes HTTP/1.1\r\nHost: notes\r\nContent-Type: application/json\r\n"
        b"Content-Encoding: gzip\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
    ) + body
    reader, writer = await asyncio.open_connection(client.host, client.port)
    try:
        writer.write(request)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()
    head, _, payload = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert b"Content-Type: application/problem+json" in head
    problem_body = orjson.loads(payload)
    assert problem_body["status"] == 400
    assert problem_body["detail"].startswith("The body could not be read")
    assert (await (await client.get("/notes")).json())["notes"] == []


async def test_a_never_migrated_database_is_unhealthy(
    aiohttp_client: AiohttpClient, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}",
        access_log=False,
        auto_migrate=False,
    )
    client = await aiohttp_client(create_app(settings))
    with caplog.at_level(logging.WARNING, logger="notes.storage.backend"):
        body = await problem(await client.get("/health"), 503)
    assert body["detail"] == "The database cannot be reached right now; try again later."
    # the log says why, with the traceback; the client is not told
    (record,) = [r for r in caplog.records if r.name == "notes.storage.backend"]
    assert record.exc_info is not None
    cause = record.exc_info[1]
    assert record.getMessage() == f"health probe failed: {type(cause).__name__}"
    assert type(cause).__name__ not in str(body)


async def test_cursors_are_bound_to_the_deployment(
    aiohttp_client: AiohttpClient, settings: Settings, tmp_path: Path
) -> None:
    first = await aiohttp_client(create_app(settings))
    for index in range(3):
        assert (await first.post("/notes", json={**NOTE, "title": f"n{index}"})).status == 201
    page = await (await first.get("/notes", params={"limit": "1"})).json()
    next_path = URL(page["next"]).path_qs
    # another process of the same deployment (same settings) follows it
    same = await aiohttp_client(create_app(settings))
    followed = await (await same.get(next_path)).json()
    assert [note["id"] for note in followed["notes"]] == [2]
    # a deployment with another secret does not
    other = await aiohttp_client(create_app(settings.model_copy(update={"cursor_secret": "other"})))
    refused = await problem(await other.get(next_path), 422)
    assert refused["errors"] == [
        {"field": "cursor", "message": "is not a cursor this listing gave out for this sort"}
    ]
    # nor does another deployment without a secret (keys come from the database URLs)
    elsewhere = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'elsewhere.db'}",
        access_log=False,
        auto_migrate=True,
    )
    stranger = await aiohttp_client(create_app(elsewhere))
    await problem(await stranger.get(next_path), 422)
    # and a cursor edited by hand is refused too
    cursor = URL(page["next"]).query["cursor"]
    forged = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    await problem(await first.get("/notes", params={"limit": "1", "cursor": forged}), 422)


async def test_the_largest_id_is_in_range(client: TestClient[Any, Any]) -> None:
    largest = 9223372036854775807

    def plant(unit: StatementRunner) -> None:
        unit.execute(
            insert(notes_table).values(
                id=largest,
                title="far",
                description="",
                created_at=datetime(2017, 8, 23),
                created_by="me",
                priority=0,
                updated_at=datetime(2017, 8, 23),
                version=1,
                title_folded="far",
                description_folded="",
            ),
            {},
        )

    store = client.app[NOTES]
    assert isinstance(store, DatabaseNoteStore)
    await store.backend.write(plant)
    response = await client.get(f"/notes/{largest}")
    assert response.status == 200
    assert (await response.json())["id"] == largest
    assert response.headers["ETag"] == f'"{largest}-1"'
    await problem(await client.get(f"/notes/{largest + 1}"), 404)


@pytest.mark.parametrize("found", [None, ModuleSpec("swagger_ui", None)])
def test_docs_need_swagger_ui_py(monkeypatch: pytest.MonkeyPatch, found: ModuleSpec | None) -> None:
    # Not installed, or installed as something that is not a package.
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: found)
    with pytest.raises(RuntimeError, match=r"^swagger-ui-py is not installed$"):
        swagger_ui_assets()
