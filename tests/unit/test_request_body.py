"""Reading a request body: media type, emptiness, UTF-8, JSON, and what the rules see."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson
import pytest
from aiohttp.test_utils import TestClient, make_mocked_request
from pytest_aiohttp import AiohttpClient

from notes.app import create_app
from notes.domain.errors import FieldProblem, MalformedRequest, NotesError, ValidationFailed
from notes.domain.schemas import NoteInput
from notes.domain.validation import validate
from notes.settings import Settings
from notes.web.request_body import decode_json_object, is_json_media_type
from notes.web.responses import problem_response

PROBLEM_JSON = "application/problem+json"
VALID = b'{"title": "t", "created_by": "me"}'


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "application/json;charset=UTF-8",
        "Application/JSON",
        "application/merge-patch+json",
        "application/vnd.x+json",
        "application/problem+json; charset=utf-8",
    ],
)
def test_json_media_types(content_type: str) -> None:
    request = make_mocked_request("POST", "/notes", headers={"Content-Type": content_type})
    assert is_json_media_type(request) is True


def test_no_content_type_is_json() -> None:
    assert is_json_media_type(make_mocked_request("POST", "/notes")) is True


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "text/json",
        "application/xml",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/jsonx",
        "application/json+xml",
        "application/octet-stream",
        "json",
        "",
    ],
)
def test_other_media_types(content_type: str) -> None:
    request = make_mocked_request("POST", "/notes", headers={"Content-Type": content_type})
    assert is_json_media_type(request) is False


def malformed(raw: bytes) -> str:
    with pytest.raises(MalformedRequest) as caught:
        decode_json_object(raw)
    assert caught.value.status == 400
    return caught.value.detail


def invalid(raw: bytes) -> list[FieldProblem]:
    with pytest.raises(ValidationFailed) as caught:
        decode_json_object(raw)
    return caught.value.problems


def test_objects_decoded() -> None:
    assert decode_json_object(VALID) == {"title": "t", "created_by": "me"}
    assert decode_json_object(b" \n{}\n ") == {}
    assert decode_json_object('{"t": "Stra\u00dfe 𝄞"}'.encode()) == {"t": "Straße 𝄞"}
    assert decode_json_object(b'{"a": {"a": 1}, "b": [1, 1]}') == {"a": {"a": 1}, "b": [1, 1]}
    assert decode_json_object(b'{"p": 4.0, "n": null, "b": true}') == {
        "p": 4.0,
        "n": None,
        "b": True,
    }


@pytest.mark.parametrize("raw", [b"", b" ", b"\n\t\r "])
def test_empty_body(raw: bytes) -> None:
    assert malformed(raw) == "The request needs a JSON body."


@pytest.mark.parametrize("raw", [b'{"t": "\xff"}', b"\xfe\xff{}", b'{"t": "\xc3"}', b"\x80"])
def test_not_utf8(raw: bytes) -> None:
    assert malformed(raw) == "The body is not UTF-8."


@pytest.mark.parametrize(
    "raw",
    [
        b"{",
        b"{'a': 1}",
        b'{"a": 1,}',
        b'{"a": 1} x',
        b'{"a": 1}{}',
        b"\xef\xbb\xbf{}",
        b'{"a": 01}',
        b'{"a": .5}',
        b'{"a": "\x01"}',
        b"undefined",
    ],
)
def test_malformed_json(raw: bytes) -> None:
    assert malformed(raw).startswith("The body is not valid JSON: ")


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_json_constants(constant: str) -> None:
    detail = malformed(b'{"priority": ' + constant.encode() + b"}")
    assert detail == f"The body is not valid JSON: {constant} is not JSON"


@pytest.mark.parametrize(
    "raw", [b"[]", b'[{"title": "t"}]', b"1", b'"x"', b"null", b"true", b"4.5"]
)
def test_not_an_object(raw: bytes) -> None:
    assert invalid(raw) == [FieldProblem("$", "must be a JSON object")]


def test_duplicate_keys() -> None:
    assert invalid(b'{"title": "a", "title": "b"}') == [
        FieldProblem("$.title", "appears more than once")
    ]
    assert invalid(b'{"x": 1, "y": 2, "x": 1}') == [FieldProblem("$.x", "appears more than once")]


def test_every_repeated_key_is_reported_once() -> None:
    assert invalid(b'{"x": 1, "x": 2, "y": 1, "y": 1, "x": 3}') == [
        FieldProblem("$.x", "appears more than once"),
        FieldProblem("$.y", "appears more than once"),
    ]


def test_nested_duplicate_key_path() -> None:
    assert invalid(b'{"a": {"b": 1, "b": 2}}') == [FieldProblem("$.a.b", "appears more than once")]
    assert invalid(b'{"a": {"c": {"d": 1, "d": 2}}}') == [
        FieldProblem("$.a.c.d", "appears more than once")
    ]
    assert invalid(b'{"a": [0, {"b": 1, "b": 2}]}') == [
        FieldProblem("$.a[1].b", "appears more than once")
    ]
    # the same key in different objects is no repeat
    assert decode_json_object(b'{"a": {"b": 1}, "c": {"b": 1}, "b": [{"b": 2}, {"b": 3}]}') == {
        "a": {"b": 1},
        "c": {"b": 1},
        "b": [{"b": 2}, {"b": 3}],
    }


def test_duplicate_keys_with_lone_surrogates_are_named_in_utf8() -> None:
    """Regression: the path held the surrogate itself, and writing the 422 failed (500)."""
    found = invalid(b'{"\\ud800": 1, "\\ud800": 2, "a\\udfff": {"b": 1, "b": 2}}')
    assert found == [
        FieldProblem("$.\\ud800", "appears more than once"),
        FieldProblem("$.a\\udfff.b", "appears more than once"),
    ]
    body = problem_response(422, "x", errors=found).body
    assert isinstance(body, bytes)
    assert orjson.loads(body)["errors"][0]["field"] == "$.\\ud800"


@pytest.mark.parametrize(
    ("digits", "expected"),
    [(400, 10**399), (4000, 10**3999)],
)
def test_long_integers_stay_integers(digits: int, expected: int) -> None:
    value = decode_json_object(b'{"p": 1' + b"0" * (digits - 1) + b"}")["p"]
    assert value == expected
    assert type(value) is int


@pytest.mark.parametrize("digits", [4001, 5000, 100_000])
def test_longer_integers_are_kept_as_decimals(digits: int) -> None:
    value = decode_json_object(b'{"p": -1' + b"0" * (digits - 1) + b"}")["p"]
    assert isinstance(value, Decimal)
    assert value == -(Decimal(10) ** (digits - 1))


@pytest.mark.parametrize(
    ("number", "message"),
    [
        (b"1" + b"0" * 400, "Input should be less than or equal to 2147483647"),
        (b"1" + b"0" * 4999, "Input should be less than or equal to 2147483647"),
        (b"-1" + b"0" * 4999, "Input should be greater than or equal to -2147483648"),
        (b"1e400", "must be an integer"),
        (b"-1e400", "must be an integer"),
        (b"2147483648", "Input should be less than or equal to 2147483647"),
        (b"2147483647.5", "must be an integer"),
    ],
)
def test_huge_numbers_are_out_of_range(number: bytes, message: str) -> None:
    payload = decode_json_object(b'{"title": "t", "created_by": "me", "priority": ' + number + b"}")
    with pytest.raises(ValidationFailed) as caught:
        validate(NoteInput, payload)
    assert caught.value.problems == [FieldProblem("$.priority", message)]


DEEP = 100_000


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * DEEP,
        b"[" * DEEP + b"]" * (DEEP - 1),
        b'{"a": ' * DEEP,
        b"[" * DEEP + b"]" * (DEEP - 1) + b"}",
        b'{"title": "]]]", "a": ' + b"[" * DEEP,
        # A string that never closes: 9 s for these 37 KB when every quote restarted a
        # search to the end (found in review); one pass now.
        b"[" * 5000 + b'"\\' * 16_000,
        b"[" * 5000 + b'"\\' * 500_000,
    ],
)
def test_deep_unbalanced_nesting_is_a_bad_request(raw: bytes) -> None:
    assert malformed(raw) == (
        "The body is not valid JSON: its brackets do not nest, or it holds stray characters."
    )


def test_deep_balanced_nesting_breaks_the_rules() -> None:
    assert invalid(b"[" * DEEP + b"]" * DEEP) == [FieldProblem("$", "must be a JSON object")]
    assert invalid(b" \n" + b"[" * DEEP + b"]" * DEEP) == [
        FieldProblem("$", "must be a JSON object")
    ]
    nested = b'{"a": ' + b"[" * DEEP + b"]" * DEEP + b"}"
    expected = [FieldProblem("$", "nests too deeply: the fields of a note are not containers")]
    assert invalid(nested) == expected
    assert invalid(b'\n {"a": "[[[", "b": ' + b"[" * DEEP + b"]" * DEEP + b"}") == expected


def test_deep_malformed_json_is_a_bad_request() -> None:
    assert malformed(b"[" * DEEP + b"]" * DEEP + b"x").startswith("The body is not valid JSON")


def test_moderate_nesting_reaches_the_rules() -> None:
    raw = b'{"title": ' + b"[" * 100 + b"]" * 100 + b', "created_by": "me"}'
    payload = decode_json_object(raw)
    with pytest.raises(ValidationFailed) as caught:
        validate(NoteInput, payload)
    assert caught.value.problems == [FieldProblem("$.title", "Input should be a valid string")]


def test_domain_errors_are_notes_errors() -> None:
    for error in (MalformedRequest("x"), ValidationFailed.single("$", "y")):
        assert isinstance(error, NotesError)


# -- through the real HTTP stack -----------------------------------------------------------


async def post(client: TestClient[Any, Any], body: bytes, content_type: str | None) -> Any:
    headers = {} if content_type is None else {"Content-Type": content_type}
    # aiohttp would send application/octet-stream for bytes: skip it to send none at all
    response = await client.post(
        "/notes", data=body, headers=headers, skip_auto_headers=["Content-Type"]
    )
    return response.status, response.content_type, await response.json()


JSON_TYPES = [
    None,
    "application/json",
    "application/json; charset=utf-8",
    "application/merge-patch+json",
    "application/vnd.x+json",
]
OTHER_TYPES = ["text/plain", "application/xml", "multipart/form-data; boundary=x"]
BODIES = [
    (b"", 400),
    (b"\xff", 400),
    (b"{", 400),
    (b'{"priority": NaN}', 400),
    (b'{"priority": Infinity, "title": "t", "created_by": "me"}', 400),
    (b'{"a": 1, "a": 1}', 422),
    (b"[]", 422),
    (b'{"title": "t", "created_by": "me", "priority": 1' + b"0" * 400 + b"}", 422),
    (b'{"title": "t", "created_by": "me", "priority": 1' + b"0" * 4999 + b"}", 422),
    (b"[" * 50_000 + b"]" * 50_000, 422),
    (b'{"title": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", 422),
    (b"[" * 50_000, 400),
]


async def test_media_types_through_http(client: TestClient[Any, Any]) -> None:
    for content_type in JSON_TYPES:
        status, media, body = await post(client, VALID, content_type)
        assert (status, media) == (201, "application/json"), content_type
        assert body["title"] == "t"
    for content_type in OTHER_TYPES:
        status, media, body = await post(client, VALID, content_type)
        assert (status, media) == (415, PROBLEM_JSON), content_type
        assert body["status"] == 415
        assert body["title"] == "Unsupported Media Type"
        assert body["detail"] == (
            f"Send the body as application/json, not {content_type.split(';')[0]}."
        )
    listing = await (await client.get("/notes")).json()
    assert len(listing["notes"]) == len(JSON_TYPES)


async def test_bodies_through_http(client: TestClient[Any, Any]) -> None:
    for body, status in BODIES:
        got, media, problem = await post(client, body, "application/json")
        assert (got, media) == (status, PROBLEM_JSON), body[:40]
        assert problem["status"] == status
        assert set(problem) == (
            {"type", "title", "status", "detail", "request_id"}
            | ({"errors"} if status == 422 else set())
        )
    listing = await (await client.get("/notes")).json()
    assert listing["notes"] == []


async def test_body_over_the_limit_is_413(aiohttp_client: AiohttpClient, database_url: str) -> None:
    settings = Settings(
        database_url=database_url, access_log=False, auto_migrate=True, max_body_size=64
    )
    client = await aiohttp_client(create_app(settings))
    small = b'{"title": "t", "created_by": "me", "description": "' + b"x" * 4 + b'"}'
    assert len(small) <= 64
    created = await client.post("/notes", data=small, headers={"Content-Type": "application/json"})
    assert created.status == 201
    big = b'{"title": "t", "created_by": "me", "description": "' + b"x" * 64 + b'"}'
    response = await client.post("/notes", data=big, headers={"Content-Type": "application/json"})
    assert response.status == 413
    assert response.content_type == PROBLEM_JSON
    assert (await response.json())["status"] == 413
