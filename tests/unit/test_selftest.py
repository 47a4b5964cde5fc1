"""The conformance kit's self-test harness (conformance/selftest): the proxy is
transparent without a violation, a few violations change what they should, and the
catalogue names real, required rules of docs/contract.md across every part of it."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from conformance.selftest import catalogue
from conformance.selftest.kit import CHECKS, TESTS_BY_PREFIX, kit_command, read_junit
from conformance.selftest.proxy import WIRING, proxy_app
from conformance.selftest.violation import Violation
from notes_conformance.contract import parse_rules

CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "contract.md"
# What a client can tell apart in an answer (Date and Server are the proxy's own business).
COMPARED = ("Content-Type", "ETag", "Location", "Link", "Allow", "Content-Length")
NOTE = {"title": "note", "created_by": "selftest", "description": "d", "priority": 3}

Client = TestClient[Any, Any]
MakeProxy = Callable[[Violation | None], Awaitable[Client]]


@pytest.fixture
def make_proxy(aiohttp_client: AiohttpClient, client: Client) -> MakeProxy:
    """A proxy (breaking `violation`, or none) in front of the real app."""

    async def make(violation: Violation | None) -> Client:
        upstream = str(client.make_url("")).rstrip("/")
        return await aiohttp_client(proxy_app(upstream, violation))

    return make


def violation(name: str) -> Violation:
    (found,) = catalogue.by_id([name])
    return found


def hits(proxy: Client) -> int:
    count: int = proxy.app[WIRING].context.hits
    return count


async def same_answer(client: Client, proxy: Client, method: str, path: str, **kw: Any) -> None:
    """The proxy's answer is the server's, byte for byte, when the client's Host and
    request id are the same."""
    host = client.make_url("").raw_authority
    headers = {**kw.pop("headers", {}), "Host": host, "X-Request-Id": "same-answer"}
    body = kw.pop("data", None)
    again = io.BytesIO(body.getvalue()) if isinstance(body, io.BytesIO) else body
    direct = await client.request(method, path, headers=headers, data=body, **kw)
    proxied = await proxy.request(method, path, headers=headers, data=again, **kw)
    assert proxied.status == direct.status, (method, path)
    for name in COMPARED:
        assert proxied.headers.get(name) == direct.headers.get(name), (method, path, name)
    assert await proxied.read() == await direct.read(), (method, path)


async def test_the_proxy_without_a_violation_is_transparent(
    client: Client, make_proxy: MakeProxy
) -> None:
    proxy = await make_proxy(None)
    created = await proxy.post("/notes", json=NOTE)
    assert created.status == 201
    note = await created.json()
    assert created.headers["Location"] == f"/notes/{note['id']}"
    etag = created.headers["ETag"]
    for index in range(3):
        assert (await client.post("/notes", json={**NOTE, "title": f"n{index}"})).status == 201
    item = f"/notes/{note['id']}"
    await same_answer(client, proxy, "GET", item)
    await same_answer(client, proxy, "HEAD", item)
    await same_answer(client, proxy, "GET", item, headers={"If-None-Match": etag})
    await same_answer(client, proxy, "GET", "/notes?limit=2&sort=-priority")
    await same_answer(client, proxy, "GET", "/notes?cursor=!!!")
    await same_answer(client, proxy, "GET", "/notes/%0A")
    await same_answer(client, proxy, "GET", "/no/such/path")
    await same_answer(client, proxy, "POST", item)
    await same_answer(client, proxy, "PUT", "/notes", json={})
    await same_answer(client, proxy, "GET", "/health")
    await same_answer(client, proxy, "GET", "/openapi.json")
    await same_answer(client, proxy, "GET", "/docs")
    stale = {"If-Match": '"stale"'}
    await same_answer(client, proxy, "PATCH", item, json={"title": "x"}, headers=stale)
    await same_answer(client, proxy, "POST", "/notes", data=b"{", headers={})
    too_big = b"x" * (1024 * 1024 + 1)
    await same_answer(client, proxy, "POST", "/notes", data=io.BytesIO(too_big))
    assert hits(proxy) == 0


async def test_the_proxy_adds_no_content_type_and_keeps_the_clients_host(
    client: Client, make_proxy: MakeProxy
) -> None:
    proxy = await make_proxy(None)
    # The tutorial's client sends JSON with no Content-Type: the server must see none.
    created = await proxy.post(
        "/notes", data=b'{"title": "t", "created_by": "c"}', skip_auto_headers=["Content-Type"]
    )
    assert created.status == 201
    assert (await proxy.post("/notes", json=NOTE)).status == 201
    page = await (await proxy.get("/notes?limit=1")).json()
    # The server's links point where the client sent the request: at the proxy.
    assert page["next"].startswith(str(proxy.make_url("/notes")))
    deleted = await proxy.delete(f"/notes/{(await created.json())['id']}")
    assert deleted.status == 204
    assert "Content-Type" not in deleted.headers


async def test_a_widened_bound_is_a_made_up_success_shown_everywhere(
    client: Client, make_proxy: MakeProxy
) -> None:
    proxy = await make_proxy(violation("V-VAL-TITLE-201"))
    title = "x" * 201
    created = await proxy.post("/notes", json={**NOTE, "title": title})
    assert created.status == 201
    note = await created.json()
    assert note["title"] == title
    assert (await (await proxy.get(f"/notes/{note['id']}")).json())["title"] == title
    assert (await (await proxy.get("/notes")).json())["notes"][0]["title"] == title
    # The server itself stored a title it accepts.
    assert (await (await client.get(f"/notes/{note['id']}")).json())["title"] == title[:200]
    assert (await proxy.post("/notes", json={**NOTE, "title": "x" * 200})).status == 201
    assert (await proxy.post("/notes", json={**NOTE, "title": "x" * 202})).status == 422
    assert hits(proxy) == 1


async def test_a_no_op_write_changes_the_etag_consistently(
    client: Client, make_proxy: MakeProxy
) -> None:
    proxy = await make_proxy(violation("V-COND-NO-OP-CHANGES-ETAG"))
    created = await proxy.post("/notes", json=NOTE)
    path = f"/notes/{(await created.json())['id']}"
    old = created.headers["ETag"]
    patched = await proxy.patch(path, json={})
    assert patched.status == 200
    new = patched.headers["ETag"]
    assert new != old
    assert (await proxy.get(path)).headers["ETag"] == new
    assert (await proxy.get(path, headers={"If-None-Match": new})).status == 304
    assert (await proxy.get(path, headers={"If-None-Match": old})).status == 200
    assert (await proxy.patch(path, json={"title": "x"}, headers={"If-Match": old})).status == 412
    assert (await proxy.patch(path, json={"title": "y"}, headers={"If-Match": new})).status == 200
    assert (await client.get(path)).status == 200


async def test_pages_that_overlap_repeat_the_last_note_of_the_page_before(
    client: Client, make_proxy: MakeProxy
) -> None:
    proxy = await make_proxy(violation("V-LIST-PAGES-OVERLAP"))
    for index in range(5):
        assert (await proxy.post("/notes", json={**NOTE, "title": f"n{index}"})).status == 201
    first = await (await proxy.get("/notes?limit=2")).json()
    second_reply = await proxy.session.get(first["next"])
    second = await second_reply.json()
    assert [note["id"] for note in first["notes"]] == [1, 2]
    assert [note["id"] for note in second["notes"]] == [2, 3]
    assert "limit=2" in second["next"]
    assert second_reply.headers["Link"] == f'<{second["next"]}>; rel="next"'
    third = await (await proxy.session.get(second["next"])).json()
    assert [note["id"] for note in third["notes"]] == [3, 4]


async def test_an_unreadable_cursor_gives_the_first_page(make_proxy: MakeProxy) -> None:
    proxy = await make_proxy(violation("V-LIST-FORGED-CURSOR-FIRST-PAGE"))
    assert (await proxy.post("/notes", json=NOTE)).status == 201
    response = await proxy.get("/notes?cursor=!!!")
    assert response.status == 200
    assert [note["id"] for note in (await response.json())["notes"]] == [1]


async def test_a_control_keeps_conditional_requests_working(make_proxy: MakeProxy) -> None:
    proxy = await make_proxy(violation("C-ETAG-OPAQUE"))
    created = await proxy.post("/notes", json=NOTE)
    path = f"/notes/{(await created.json())['id']}"
    etag = created.headers["ETag"]
    assert etag != '"1-1"'
    assert (await proxy.get(path, headers={"If-None-Match": f"W/{etag}"})).status == 304
    assert (await proxy.put(path, json=NOTE, headers={"If-Match": etag})).status == 200
    assert (await proxy.delete(path, headers={"If-Match": '"1-1"'})).status == 412


def contract_rules() -> dict[str, bool]:
    """Every rule id of the contract, and whether it is required."""
    rules = parse_rules(CONTRACT.read_text("utf-8"))
    return {rule.id: not (rule.recommended or rule.withdrawn) for rule in rules.values()}


def test_every_violation_breaks_required_rules_of_the_contract() -> None:
    rules = contract_rules()
    assert len(rules) >= 100
    for item in catalogue.VIOLATIONS:
        assert item.rules, item.id
        for rule in item.rules:
            assert rules.get(rule), f"{item.id}: {rule} is no required rule"
    assert all(not item.rules for item in catalogue.CONTROLS)


def test_the_catalogue_covers_every_part_of_the_contract() -> None:
    ids = [item.id for item in (*catalogue.VIOLATIONS, *catalogue.CONTROLS)]
    assert len(ids) == len(set(ids))
    assert len(catalogue.VIOLATIONS) >= 60
    prefixes = {rule.split("-")[0] for item in catalogue.VIOLATIONS for rule in item.rules}
    assert prefixes == set(TESTS_BY_PREFIX)
    fast = {rule.split("-")[0] for item in catalogue.FAST for rule in item.rules}
    assert 10 <= len(catalogue.FAST) <= 20
    assert fast >= prefixes - {"TUT"}


def test_the_kit_is_run_on_the_checks_of_the_rules_or_whole(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    url = "http://127.0.0.1:1"
    expected = ["-m", "notes_conformance", url, "--exclusive", "--junit", str(junit)]
    assert kit_command(url, junit=junit)[1:] == expected
    assert kit_command(url, junit=junit, fuzz=False)[1:] == [*expected, "--quick"]
    chosen = kit_command(url, junit=junit, rules=["COND-8", "DOC-2"])
    assert chosen[1:] == [
        *expected,
        "-k",
        "test_conditional or test_openapi or test_patch or test_read or test_replace",
    ]
    for names in TESTS_BY_PREFIX.values():
        for name in names:
            assert (CHECKS / f"test_{name}.py").is_file(), name


def test_the_kits_junit_report_is_read(tmp_path: Path) -> None:
    report = tmp_path / "junit.xml"
    report.write_text(
        '<testsuites><testsuite name="pytest">'
        '<testcase classname="tests.api.test_read" name="test_a[1]"><failure/></testcase>'
        '<testcase classname="tests.api.test_read" name="test_a[2]"><error/></testcase>'
        '<testcase classname="tests.api.test_read" name="test_b"/>'
        '<testcase classname="tests.api.test_x" name="test_c"><failure/><properties>'
        '<property name="rules" value="COND-8, COND-9"/></properties></testcase>'
        '<testcase classname="notes-conformance.LIST" name="LIST-17 When next is not null">'
        "<failure/></testcase>"
        "</testsuite></testsuites>"
    )
    assert read_junit(report) == (
        ("test_read::test_a", "test_x::test_c", "LIST-17"),
        4,
        ("COND-8", "COND-9", "LIST-17"),
    )
    assert read_junit(tmp_path / "missing.xml") == ((), 0, ())
