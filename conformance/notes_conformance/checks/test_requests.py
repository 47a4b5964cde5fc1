"""What the server accepts as a request: content types, malformed bodies, sizes, methods."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from notes_conformance.checks.support import (
    MIB,
    Api,
    allowed_methods,
    assert_note_response,
    assert_problem,
    note_payload,
)


@pytest.fixture
def note_path(api: Api, owner: str) -> str:
    return f"/notes/{api.create(note_payload(owner))['id']}"


def body_for(method: str, owner: str) -> dict[str, object]:
    return {"title": "x"} if method == "PATCH" else note_payload(owner)


JSON_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "application/json;charset=UTF-8",
    "Application/JSON",
    "application/merge-patch+json",
    "application/vnd.notes+json",
    "application/problem+json",
    None,
]
OTHER_TYPES = [
    "text/plain",
    "text/json",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/xml",
    "application/octet-stream",
    "application/jsonx",
]
# Not media types at all: v1 leaves them to the server, 400 or 415 (an empty value may
# also be read as JSON).
NOT_MEDIA_TYPES = ["json", ";;;"]


@pytest.mark.rule("REQ-1")
@pytest.mark.parametrize("content_type", JSON_TYPES)
def test_json_content_types_are_read_as_json_on_post(
    api: Api, owner: str, content_type: str | None
) -> None:
    response = api.send_json("POST", "/notes", note_payload(owner), content_type=content_type)
    assert_note_response(response, 201)


@pytest.mark.rule("REQ-1")
@pytest.mark.parametrize("content_type", JSON_TYPES)
@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_json_content_types_are_read_as_json_on_put_and_patch(
    api: Api, owner: str, note_path: str, method: str, content_type: str | None
) -> None:
    response = api.send_json(method, note_path, body_for(method, owner), content_type=content_type)
    assert_note_response(response, 200)


@pytest.mark.rule("REQ-2")
@pytest.mark.parametrize("content_type", OTHER_TYPES + NOT_MEDIA_TYPES)
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_other_content_types_are_415_and_change_nothing(
    api: Api, owner: str, note_path: str, method: str, content_type: str
) -> None:
    before = api.get(note_path).json()
    path = "/notes" if method == "POST" else note_path
    response = api.send_json(method, path, body_for(method, owner), content_type=content_type)
    statuses = {400, 415} if content_type in NOT_MEDIA_TYPES else {415}
    assert response.status_code in statuses, f"{response.status_code}: {response.text[:300]}"
    assert_problem(response, response.status_code)
    assert api.get(note_path).json() == before
    assert api.all_notes(created_by=owner) == [before]


MALFORMED = [
    b"",
    b"{",
    b'{"title": "x",}',
    b"{'title': 'x'}",
    b'{"title": "x"} trailing',
    b'{"title": "a", "created_by": "b", "priority": NaN}',
    b'{"title": "a", "created_by": "b", "priority": Infinity}',
    b'{"title": "\xff\xfe", "created_by": "b"}',
    b'{"title": "\xc3\x28", "created_by": "b"}',
    b'{"title": "\xed\xa0\x80", "created_by": "b"}',
    b"\x00",
    b"   ",
]


@pytest.mark.rule("REQ-3", "REQ-4", "ERR-8")
@pytest.mark.parametrize("body", MALFORMED, ids=range(len(MALFORMED)))
@pytest.mark.parametrize("content_type", ["application/json", None])
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_malformed_json_empty_bodies_and_bad_utf8_are_400(
    api: Api, owner: str, note_path: str, method: str, content_type: str | None, body: bytes
) -> None:
    before = api.get(note_path).json()
    path = "/notes" if method == "POST" else note_path
    headers = {} if content_type is None else {"Content-Type": content_type}
    assert_problem(api.request(method, path, data=body, headers=headers), 400)
    assert api.get(note_path).json() == before
    assert api.all_notes(created_by=owner) == [before]


def _post_unpaired_surrogate(api: Api, owner: str) -> requests.Response:
    body = b'{"title": "\\ud800", "created_by": "%s"}' % owner.encode()
    return api.request("POST", "/notes", data=body, headers={"Content-Type": "application/json"})


@pytest.mark.rule("ERR-9")
def test_an_unpaired_surrogate_escape_is_not_a_500(api: Api, owner: str) -> None:
    response = _post_unpaired_surrogate(api, owner)
    assert response.status_code < 500, response.text


@pytest.mark.rule("REQ-7")
def test_an_unpaired_surrogate_escape_is_refused_and_stores_nothing(api: Api, owner: str) -> None:
    response = _post_unpaired_surrogate(api, owner)
    assert response.status_code in {400, 422}
    assert_problem(response, response.status_code)
    assert api.all_notes(created_by=owner) == []


@pytest.mark.rule("REQ-5")
@pytest.mark.parametrize("body", [b"[]", b'"note"', b"42", b"null", b"true", b'[{"title": "x"}]'])
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_json_that_is_not_an_object_is_422(
    api: Api, note_path: str, method: str, body: bytes
) -> None:
    path = "/notes" if method == "POST" else note_path
    assert_problem(api.request(method, path, data=body), 422)


def padded(size: int, owner: str) -> bytes:
    """A valid create body of exactly ``size`` bytes (JSON allows any amount of whitespace)."""
    core = b'{"title": "big", "created_by": "%s"' % owner.encode()
    body = core + b" " * (size - len(core) - 1) + b"}"
    assert len(body) == size
    return body


@pytest.mark.rule("REQ-8")
def test_a_body_of_exactly_one_mib_is_accepted(api: Api, owner: str) -> None:
    response = api.request("POST", "/notes", data=padded(MIB, owner))
    assert_note_response(response, 201)


@pytest.mark.rule("REQ-8", "ERR-8")
@pytest.mark.parametrize("size", [MIB + 1, 2 * MIB])
def test_a_body_over_one_mib_is_413(api: Api, owner: str, size: int) -> None:
    response = api.request(
        "POST", "/notes", data=padded(size, owner), headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 413)
    assert api.all_notes(created_by=owner) == []


@pytest.mark.rule("REQ-8")
@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_a_body_over_one_mib_is_413_on_put_and_patch(
    api: Api, owner: str, note_path: str, method: str
) -> None:
    before = api.get(note_path).json()
    assert_problem(api.request(method, note_path, data=padded(MIB + 1, owner)), 413)
    assert api.get(note_path).json() == before


@pytest.mark.rule("REQ-8")
def test_a_chunked_body_over_one_mib_is_413(api: Api, owner: str) -> None:
    body = padded(MIB + 1, owner)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    response = api.request("POST", "/notes", data=chunks())
    assert_problem(response, 413)
    assert api.all_notes(created_by=owner) == []


@pytest.mark.rule("REQ-8")
def test_a_chunked_body_within_the_limit_is_accepted(api: Api, owner: str) -> None:
    body = padded(64 * 1024, owner)

    def chunks() -> Iterator[bytes]:
        yield body[:1000]
        yield body[1000:]

    assert_note_response(api.request("POST", "/notes", data=chunks()), 201)


@pytest.mark.rule("REQ-11")
@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("DELETE", "/notes", {"GET", "POST"}),
        ("PUT", "/notes", {"GET", "POST"}),
        ("PATCH", "/notes", {"GET", "POST"}),
        ("POST", "/notes/{id}", {"GET", "PUT", "PATCH", "DELETE"}),
        ("POST", "/health", {"GET"}),
        ("DELETE", "/health", {"GET"}),
        ("POST", "/openapi.json", {"GET"}),
        ("PUT", "/docs", {"GET"}),
    ],
)
def test_an_unsupported_method_is_405_with_allow(
    api: Api, note_path: str, method: str, path: str, expected: set[str]
) -> None:
    real_path = path.replace("/notes/{id}", note_path)
    response = api.request(method, real_path, json={})
    assert_problem(response, 405)
    allowed = allowed_methods(response)
    assert expected <= allowed
    assert method not in allowed


@pytest.mark.rule("REQ-11")
def test_405_on_a_missing_note_still_says_allow(api: Api) -> None:
    response = api.request("POST", "/notes/987654321")
    assert response.status_code in {404, 405}
    assert_problem(response, response.status_code)
    if response.status_code == 405:
        assert {"GET", "PUT", "PATCH", "DELETE"} <= allowed_methods(response)


@pytest.mark.rule("REQ-13")
def test_an_unknown_path_is_a_404_problem(api: Api) -> None:
    assert_problem(api.get("/no/such/path"), 404)
    assert_problem(api.get("/notes/1/extra"), 404)


@pytest.mark.rule("REQ-6")
def test_a_member_named_twice_is_422_naming_it(api: Api, owner: str) -> None:
    body = b'{"title": "a", "title": "b", "created_by": "%s"}' % owner.encode()
    response = api.request(
        "POST", "/notes", data=body, headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 422, field="title")
    assert api.all_notes(created_by=owner) == []


@pytest.mark.rule("REQ-10")
def test_only_the_plain_decimal_spelling_of_an_id_names_its_note(api: Api, note_path: str) -> None:
    note_id = note_path.rsplit("/", 1)[1]
    for spelling in (f"0{note_id}", f"+{note_id}", f"{note_id}.0", f"%20{note_id}"):
        assert_problem(api.get(f"/notes/{spelling}"), 404)


@pytest.mark.rule("REQ-12")
def test_a_405_says_which_method_was_refused_and_which_are_allowed(api: Api) -> None:
    problem = assert_problem(api.request("DELETE", "/notes"), 405)
    assert "DELETE" in problem["detail"]
    for allowed in ("GET", "POST"):
        assert allowed in problem["detail"], problem["detail"]
