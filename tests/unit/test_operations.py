"""Operations through the real app: request ids, security headers, live/ready, JSON
logs, metrics (docs/contract.md, "v1.1: operations"; docs/deploy.md)."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pytest_aiohttp import AiohttpClient, AiohttpServer
from sqlalchemy import make_url

from notes.app import create_app
from notes.settings import Settings
from notes.web.logs import AccessLogger, configure_logging
from notes.web.request_ids import id_maker, request_id_of
from tests.unit.held import only_slot_held

NOTE = {"title": "ops", "created_by": "operator"}
REQUEST_ID = "X-Request-Id"
# A histogram's _count: the number of answers.
ANSWERS = "notes_http_request_duration_seconds_count"


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a Prometheus text exposition, by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def sample(
    found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


# Request ids (OPS-1 .. OPS-3)


@pytest.mark.parametrize(
    "given", ["abc-123", "0f8fad5b-d9cb-469f-a165-70867728950e", "a" * 128, "trace:1/2+3=@x"]
)
@pytest.mark.rule("OPS-1")
async def test_a_sane_request_id_is_echoed(client: TestClient[Any, Any], given: str) -> None:
    response = await client.get("/health", headers={REQUEST_ID: given})
    assert response.headers[REQUEST_ID] == given


@pytest.mark.parametrize("given", ["", "a" * 129, "two words", "semi;colon", "ü", "<script>"])
@pytest.mark.rule("OPS-1")
async def test_an_insane_request_id_is_replaced(client: TestClient[Any, Any], given: str) -> None:
    response = await client.get("/health", headers={REQUEST_ID: given})
    made = response.headers[REQUEST_ID]
    assert made != given
    assert request_id_of(made, id_maker()) == made  # the server's own ids are sane


@pytest.mark.rule("OPS-1")
async def test_every_answer_gets_a_new_id(client: TestClient[Any, Any]) -> None:
    ids = {(await client.get("/health/live")).headers[REQUEST_ID] for _ in range(5)}
    assert len(ids) == 5


@pytest.mark.rule("OPS-2")
async def test_problem_bodies_name_the_request_id(client: TestClient[Any, Any]) -> None:
    answers = [
        await client.get("/notes/404"),
        await client.get("/nowhere", headers={REQUEST_ID: "mine-1"}),
        await client.post("/notes/1"),  # 405, aiohttp's own
        await client.post("/notes", json={"title": ""}),  # 422
    ]
    for response in answers:
        body = await response.json(content_type=None)
        assert body["request_id"] == response.headers[REQUEST_ID]
    assert answers[1].headers[REQUEST_ID] == "mine-1"


@pytest.mark.rule("OPS-1", "OPS-2")
async def test_a_refused_request_gets_an_id_and_is_counted(
    aiohttp_client: AiohttpClient, database_url: str
) -> None:
    settings = Settings(
        database_url=database_url, auto_migrate=True, max_concurrent_requests=1, metrics=True
    )
    async with only_slot_held(aiohttp_client, settings) as client:
        refused = await client.get("/health/live", headers={REQUEST_ID: "refused-1"})
        assert refused.status == 503
        assert refused.headers[REQUEST_ID] == "refused-1"
        assert (await refused.json())["request_id"] == "refused-1"
    found = samples(await (await client.get("/metrics")).text())
    assert sample(found, "notes_http_requests_refused_total") == 1
    assert sample(found, "notes_http_problems_total", type="Overloaded") == 1
    refused_labels = {"method": "GET", "route": "/health/live", "status": "5xx"}
    assert sample(found, ANSWERS, **refused_labels) == 1


# Security headers (OPS-6 .. OPS-8)


@pytest.mark.rule("OPS-6", "OPS-7")
async def test_answers_name_no_versions_and_forbid_sniffing(client: TestClient[Any, Any]) -> None:
    created = await client.post("/notes", json=NOTE)
    for response in (
        created,
        await client.get("/notes/1"),
        await client.get("/notes/1", headers={"If-None-Match": created.headers["ETag"]}),
        await client.get("/nowhere"),
        await client.get("/docs"),
        await client.get("/openapi.json"),
    ):
        assert response.headers["Server"] == "notes"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.rule("OPS-8")
async def test_the_docs_page_has_a_content_security_policy(client: TestClient[Any, Any]) -> None:
    page = await client.get("/docs")
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in page.headers["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"  # no CDN, no inline script: works offline
    assert policy["connect-src"] == "'self'"  # it fetches /openapi.json from here
    assert "<script>" not in await page.text()  # every script is a file of ours
    assert "Content-Security-Policy" not in (await client.get("/openapi.json")).headers


# Liveness and readiness (OPS-4, OPS-5)


@pytest.mark.rule("OPS-4", "OPS-5")
async def test_live_and_ready_on_a_migrated_database(client: TestClient[Any, Any]) -> None:
    for path in ("/health/live", "/health/ready", "/health"):
        response = await client.get(path)
        assert response.status == 200, path
        assert await response.json() == {"status": "ok"}


@pytest.fixture
def sqlite_path(database_url: str) -> str:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database is None:
        pytest.skip("changes the schema revision through sqlite3")
    return url.database


@pytest.mark.rule("OPS-5")
async def test_ready_is_503_when_the_schema_is_not_at_head(
    client: TestClient[Any, Any], sqlite_path: str
) -> None:
    assert (await client.get("/health/ready")).status == 200
    with sqlite3.connect(sqlite_path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'elsewhere'")
    ready = await client.get("/health/ready")
    assert ready.status == 503
    assert ready.content_type == "application/problem+json"
    assert "schema" in (await ready.json())["detail"]
    assert (await client.get("/health")).status == 200  # /health is v1's, unchanged
    assert (await client.get("/health/live")).status == 200
    with sqlite3.connect(sqlite_path) as connection:
        connection.execute("DROP TABLE alembic_version")
    assert (await client.get("/health/ready")).status == 503


@pytest.mark.rule("OPS-5")
async def test_ready_expects_the_revision_of_the_code_that_started(
    client: TestClient[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Newer migrations installed on disk while a process runs are not its own: it
    stays ready on the schema it was started for (the self-test saw a process, started
    before a merge brought migration 0006, call itself not ready)."""
    newer_code_on_disk = frozenset({"a-revision-of-a-later-release"})
    monkeypatch.setattr("notes.storage.store.head_revisions", lambda: newer_code_on_disk)
    assert (await client.get("/health/ready")).status == 200


@pytest.mark.rule("OPS-4")
async def test_live_answers_when_the_database_does_not(
    aiohttp_client: AiohttpClient, tmp_path: Any
) -> None:
    # A database that is not there (its folder was never made): every query fails.
    missing = f"sqlite+aiosqlite:///{tmp_path / 'absent' / 'notes.db'}"
    client = await aiohttp_client(create_app(Settings(database_url=missing, auto_migrate=False)))
    assert (await client.get("/health/live")).status == 200
    assert (await client.get("/health/ready")).status == 503
    assert (await client.get("/health")).status == 503


# Logs (OPS-3)


@pytest.fixture
def json_logs() -> Iterator[None]:
    configure_logging("json")
    yield
    configure_logging("text")


@pytest.mark.rule("OPS-3")
async def test_json_log_lines_name_the_request(
    aiohttp_client: AiohttpClient,
    aiohttp_server: AiohttpServer,
    settings: Settings,
    json_logs: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = create_app(settings)

    async def fail(request: web.Request) -> web.Response:
        logging.getLogger("notes.test").warning("about to fail")
        raise RuntimeError("a bug")

    app.router.add_get("/fail", fail)
    server = await aiohttp_server(
        app, access_log_class=AccessLogger, access_log=logging.getLogger("aiohttp.access")
    )
    client: TestClient[Any, Any] = await aiohttp_client(server)
    capsys.readouterr()
    failed = await client.get("/fail", headers={REQUEST_ID: "log-me"})
    assert failed.status == 500
    await client.get("/notes/7")
    err = capsys.readouterr().err
    lines = [orjson.loads(line) for line in err.splitlines() if line]
    mine = [line for line in lines if line["request_id"] == "log-me"]
    assert [line["logger"] for line in mine] == [
        "notes.test",
        "notes.web.middlewares",
        "aiohttp.access",
    ]
    assert mine[0]["message"] == "about to fail"
    assert mine[1]["level"] == "ERROR"
    access = mine[2]
    assert (access["method"], access["route"], access["status"]) == ("GET", "/fail", 500)
    assert access["duration"] >= 0
    assert {"time", "level", "logger", "message"} <= access.keys()
    (other,) = [line for line in lines if line.get("route") == "/notes/{note_id}"]
    assert other["status"] == 404
    assert other["request_id"] not in ("log-me", "-")


@pytest.mark.rule("OPS-3")
def test_text_log_lines_name_the_request_id_or_a_dash(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("text")
    logging.getLogger("notes.test").warning("outside any request")
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.endswith("WARNING notes.test [-] outside any request")


# Metrics (deployment-specific: docs/deploy.md)


@pytest.fixture
async def metered(aiohttp_client: AiohttpClient, database_url: str) -> TestClient[Any, Any]:
    settings = Settings(database_url=database_url, auto_migrate=True, metrics=True)
    return await aiohttp_client(create_app(settings))


async def test_metrics_are_off_by_default(client: TestClient[Any, Any]) -> None:
    assert (await client.get("/metrics")).status == 404


async def test_metrics_count_by_route_template(metered: TestClient[Any, Any], backend: str) -> None:
    for _ in range(3):
        assert (await metered.post("/notes", json=NOTE)).status == 201
    for note_id in (1, 2, 3, 999):
        await metered.get(f"/notes/{note_id}")
    await metered.get("/no/such/path")
    await metered.request("PROPFIND", "/notes")
    response = await metered.get("/metrics")
    assert response.status == 200
    assert response.content_type == "text/plain"
    found = samples(await response.text())
    reads = {"method": "GET", "route": "/notes/{note_id}"}
    assert sample(found, ANSWERS, **reads, status="2xx") == 3
    assert sample(found, ANSWERS, **reads, status="4xx") == 1
    assert sample(found, ANSWERS, **reads, status="2xx") == 3
    unmatched = {"route": "unmatched", "status": "4xx"}
    assert sample(found, ANSWERS, method="GET", **unmatched) == 1
    assert sample(found, ANSWERS, method="other", **unmatched) == 1
    assert not any("/notes/1" in str(labels) for _, labels in found)  # never a raw path
    assert sample(found, "notes_http_problems_total", type="NoteNotFound") == 1
    assert sample(found, "notes_database_wait_seconds_count", operation="write") == 3
    assert sample(found, "notes_database_wait_seconds_count", operation="read") == 4
    assert sample(found, "notes_http_requests_in_flight") == 1  # this very request
    if backend == "sqlite":
        assert sample(found, "notes_sqlite_write_batch_size_sum") == 3
        assert sample(found, "notes_sqlite_commit_seconds_count") >= 1
    else:
        assert sample(found, "notes_postgres_pool_connections") >= 1
        assert sample(found, "notes_postgres_pool_checked_out") == 0
        assert sample(found, "notes_postgres_pool_waiting") == 0


async def test_sqlite_batches_count_each_write_once(
    metered: TestClient[Any, Any], backend: str
) -> None:
    if backend != "sqlite":
        pytest.skip("SQLite's group commit")
    created = await asyncio.gather(*(metered.post("/notes", json=NOTE) for _ in range(40)))
    assert all(response.status == 201 for response in created)
    found = samples(await (await metered.get("/metrics")).text())
    assert sample(found, "notes_sqlite_write_batch_size_sum") == 40
    assert sample(found, "notes_sqlite_write_batch_size_count") <= 40
