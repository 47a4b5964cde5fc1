"""Contract v1.1, idempotency keys (IDEM): black-box, against any server of the contract.

A server whose OpenAPI document does not declare `Idempotency-Key` on `POST /notes`
(a v1 server) is not held to these rules: every check here is skipped for it.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from notes_conformance.checks.support import (
    Api,
    JsonObject,
    assert_note_response,
    assert_problem,
    note_payload,
    unique,
)
from notes_conformance.checks.tokens import Users

KEY = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"


NOT_DECLARED = f"the server's OpenAPI document declares no {KEY} on POST /notes (IDEM-9)"


def resolved(document: JsonObject, value: Any) -> Any:
    """`value`, or what its local `$ref` points at."""
    while isinstance(value, dict) and isinstance(value.get("$ref"), str):
        target: Any = document
        for part in value["$ref"].removeprefix("#/").split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        value = target
    return value


def create_operation(api: Api) -> tuple[JsonObject, JsonObject]:
    """The served document and its `POST /notes` operation; skips unless that
    declares the `Idempotency-Key` header (a v1 server)."""
    document: JsonObject = api.get("/openapi.json").json()
    operation = document.get("paths", {}).get("/notes", {}).get("post", {})
    parameters = [resolved(document, p) for p in operation.get("parameters", [])]
    if not any(
        isinstance(p, dict) and (p.get("in"), p.get("name")) == ("header", KEY) for p in parameters
    ):
        pytest.skip(NOT_DECLARED)
    return document, operation


@pytest.fixture
def keyed_api(api: Api) -> Api:
    create_operation(api)
    return api


def _post(api: Api, payload: Any, key: str | None, **headers: str) -> Any:
    given = {} if key is None else {KEY: key}
    return api.send_json("POST", "/notes", payload, headers={**given, **headers})


@pytest.mark.rule("IDEM-2")
def test_a_repeat_is_answered_as_the_first_and_creates_nothing(keyed_api: Api, owner: str) -> None:
    key = unique("key")
    payload = note_payload(owner, title="once", priority=3)
    first = _post(keyed_api, payload, key)
    created = assert_note_response(first, 201)
    assert REPLAYED not in first.headers
    keyed_api.send_json(
        "PATCH", first.headers["Location"], {"priority": 7}, headers={"If-Match": "*"}
    )
    again = _post(keyed_api, json.loads(json.dumps(payload, indent=2)), key)
    assert again.status_code == 201
    assert again.headers[REPLAYED] == "true"
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.json() == created
    assert [note["id"] for note in keyed_api.all_notes(created_by=owner)] == [created["id"]]


@pytest.mark.rule("IDEM-3")
def test_the_same_key_with_another_body_is_422(keyed_api: Api, owner: str) -> None:
    key = unique("key")
    assert _post(keyed_api, note_payload(owner, title="a"), key).status_code == 201
    problem = assert_problem(_post(keyed_api, note_payload(owner, title="b"), key), 422)
    assert key in problem["detail"]
    assert any(error["field"] == KEY for error in problem["errors"])
    assert len(keyed_api.all_notes(created_by=owner)) == 1


@pytest.mark.rule("IDEM-4")
# Malformed keys any HTTP hop carries unchanged (a byte above 0x7F may be re-encoded).
@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there"])
def test_a_malformed_key_is_400(keyed_api: Api, owner: str, key: str) -> None:
    response = keyed_api.request(
        "POST",
        "/notes",
        data=json.dumps(note_payload(owner)).encode(),
        headers={"Content-Type": "application/json", KEY: key},
    )
    problem = assert_problem(response, 400)
    assert KEY in problem["detail"]
    assert keyed_api.all_notes(created_by=owner) == []


@pytest.mark.rule("IDEM-1")
def test_without_a_key_each_post_creates(keyed_api: Api, owner: str) -> None:
    for _ in range(2):
        response = _post(keyed_api, note_payload(owner), None)
        assert_note_response(response, 201)
        assert REPLAYED not in response.headers
    assert len(keyed_api.all_notes(created_by=owner)) == 2


@pytest.mark.rule("IDEM-6")
def test_repeats_sent_together_make_one_note(keyed_api: Api, owner: str) -> None:
    key = unique("race")
    payload = note_payload(owner, title="raced")
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: _post(keyed_api, payload, key), range(8)))
    assert [response.status_code for response in answers] == [201] * 8
    assert len({response.headers["Location"] for response in answers}) == 1
    assert sum(REPLAYED not in response.headers for response in answers) == 1
    assert len(keyed_api.all_notes(created_by=owner)) == 1


@pytest.mark.rule("IDEM-7")
def test_a_key_is_its_users_own(v11_users: Users) -> None:
    a, b = v11_users.a, v11_users.b
    create_operation(a)
    key = unique("shared-key")
    payload = {"title": unique("one-key-two-users")}
    note_a = assert_note_response(_post(a, payload, key), 201)
    first_b = _post(b, payload, key)
    note_b = assert_note_response(first_b, 201)
    assert REPLAYED not in first_b.headers, "B got A's answer"
    assert note_b["id"] != note_a["id"]
    again_b = _post(b, payload, key)
    assert again_b.status_code == 201
    assert again_b.headers.get(REPLAYED) == "true"
    assert again_b.headers["Location"] == first_b.headers["Location"]
    assert b.read(note_a["id"]).status_code == 404  # and A's note is still A's alone


@pytest.mark.rule("IDEM-9")
def test_the_document_declares_the_replay_header_and_the_refusals(api: Api) -> None:
    document, operation = create_operation(api)
    responses = operation.get("responses", {})
    created = resolved(document, responses.get("201", {}))
    headers = {name.lower() for name in created.get("headers", {})}
    assert REPLAYED.lower() in headers, f"the 201 declares {sorted(headers)}"
    assert {"400", "422"} <= set(responses), f"POST /notes declares {sorted(responses)}"
