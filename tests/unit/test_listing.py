"""The listing's query parameters and its opaque keyset cursor."""

from __future__ import annotations

import base64
import hashlib
import inspect
import json
from datetime import datetime
from typing import Any

import pytest
from multidict import MultiDict

from notes.domain import listing
from notes.domain.errors import FieldProblem, ValidationFailed
from notes.domain.listing import (
    NOTE_ID_MAX,
    SORT_KEYS,
    SORT_VALUES,
    Cursor,
    ListQuery,
    sort_value,
)
from notes.domain.records import NoteObject, NoteRecord

LIMIT = "must be an integer from 1 to 1000"
PRIORITY = "must be an integer from -2147483648 to 2147483647"
SORT = (
    "must be one of id, -id, priority, -priority, created_at, -created_at, "
    "updated_at, -updated_at, title, -title"
)
CURSOR = "is not a cursor this listing gave out for this sort"
NOTE = NoteRecord(
    id=5,
    title="Straße",
    description="d",
    created_at=datetime(2017, 8, 23, 1, 2, 3, 4),
    created_by="me",
    priority=-7,
    updated_at=datetime(2020, 1, 1),
    version=2,
)


# Cursors may be signed (a key argument, and a MAC before the payload): the helpers
# below speak to either form, so that these tests pin the behaviour, not the spelling.
CURSOR_KEY = hashlib.sha256(b"unit tests").digest()
SIGNED = "key" in inspect.signature(listing.encode_cursor).parameters
_encode: Any = listing.encode_cursor
_decode: Any = listing.decode_cursor
_parse: Any = listing.parse_list_query


def encode_cursor(note: NoteRecord | NoteObject, sort: str, key: bytes = CURSOR_KEY) -> str:
    shown = note.to_json() if isinstance(note, NoteRecord) else note
    encoded: str = _encode(shown, sort, key=key) if SIGNED else _encode(shown, sort)
    return encoded


def decode_cursor(token: str, sort: str, key: bytes = CURSOR_KEY) -> Cursor | None:
    decoded: Cursor | None = _decode(token, sort, key=key) if SIGNED else _decode(token, sort)
    return decoded


def parse_list_query(
    params: MultiDict[str], *, default_limit: int, max_limit: int, key: bytes = CURSOR_KEY
) -> ListQuery:
    options: dict[str, Any] = {"default_limit": default_limit, "max_limit": max_limit}
    if SIGNED:
        options["signing_key"] = key
    query: ListQuery = _parse(params, **options)
    return query


def sign(payload: bytes, key: bytes = CURSOR_KEY) -> str:
    mac = getattr(listing, "_mac", None)
    raw = payload if mac is None else mac(key, payload) + payload
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def parse(*pairs: tuple[str, str], max_limit: int = 1000) -> ListQuery:
    return parse_list_query(MultiDict(pairs), default_limit=100, max_limit=max_limit)


def rejected(*pairs: tuple[str, str], max_limit: int = 1000) -> list[FieldProblem]:
    with pytest.raises(ValidationFailed) as caught:
        parse(*pairs, max_limit=max_limit)
    return caught.value.problems


def token(*items: object) -> str:
    """A cursor made by hand, signed as the service would sign it."""
    return sign(json.dumps(list(items), ensure_ascii=False, separators=(",", ":")).encode())


def test_constants() -> None:
    assert SORT_KEYS == ("id", "priority", "created_at", "updated_at", "title")
    assert SORT_VALUES == (
        "id",
        "-id",
        "priority",
        "-priority",
        "created_at",
        "-created_at",
        "updated_at",
        "-updated_at",
        "title",
        "-title",
    )
    assert NOTE_ID_MAX == 9223372036854775807


def test_defaults() -> None:
    assert parse() == ListQuery(limit=100)
    query = parse()
    assert (query.sort_key, query.descending, query.sort) == ("id", False, "id")
    assert (query.created_by, query.priority, query.q, query.after) == (None, None, None, None)


def test_default_limit_is_the_callers() -> None:
    assert parse_list_query(MultiDict(), default_limit=7, max_limit=9).limit == 7


@pytest.mark.parametrize(("text", "limit"), [("1", 1), ("2", 2), ("999", 999), ("1000", 1000)])
def test_limit_accepted(text: str, limit: int) -> None:
    assert parse(("limit", text)).limit == limit


@pytest.mark.parametrize(
    "text",
    ["0", "1001", "-1", "abc", "1.5", " 1", "1 ", "+1", "", "1e2", "10000000000000000000000"],
)
def test_limit_rejected(text: str) -> None:
    assert rejected(("limit", text)) == [FieldProblem("limit", LIMIT)]


def test_limit_follows_max_limit() -> None:
    assert parse(("limit", "50"), max_limit=50).limit == 50
    assert rejected(("limit", "51"), max_limit=50) == [
        FieldProblem("limit", "must be an integer from 1 to 50")
    ]


@pytest.mark.parametrize("sort", SORT_VALUES)
def test_every_sort(sort: str) -> None:
    query = parse(("sort", sort))
    assert query.sort == sort
    assert query.sort_key == sort.removeprefix("-")
    assert query.descending is sort.startswith("-")


@pytest.mark.parametrize("sort", ["colour", "", "ID", "+id", "--id", "id ", "-", "version", "q"])
def test_bad_sort(sort: str) -> None:
    assert rejected(("sort", sort)) == [FieldProblem("sort", SORT)]


@pytest.mark.parametrize("name", ["limit", "cursor", "sort", "created_by", "priority", "q"])
def test_repeated_parameter(name: str) -> None:
    value = {"limit": "5", "sort": "id", "priority": "1"}.get(name, "x")
    assert FieldProblem(name, "must be given at most once") in rejected(
        (name, value), (name, value)
    )


def test_repeated_parameter_is_the_only_problem() -> None:
    assert rejected(("q", "a"), ("q", "b")) == [FieldProblem("q", "must be given at most once")]
    assert rejected(("limit", "1"), ("limit", "2")) == [
        FieldProblem("limit", "must be given at most once")
    ]


@pytest.mark.parametrize(
    ("text", "priority"),
    [("0", 0), ("-2147483648", -2147483648), ("2147483647", 2147483647), ("-5", -5)],
)
def test_priority_filter(text: str, priority: int) -> None:
    assert parse(("priority", text)).priority == priority


@pytest.mark.parametrize(
    "text", ["2147483648", "-2147483649", "x", "1.0", "", " 1", "99999999999999999999999"]
)
def test_bad_priority_filter(text: str) -> None:
    assert rejected(("priority", text)) == [FieldProblem("priority", PRIORITY)]


def test_text_filters() -> None:
    query = parse(("q", "50%_\\"), ("created_by", "Ünïcode 𝄞"))
    assert query.q == "50%_\\"
    assert query.created_by == "Ünïcode 𝄞"
    assert parse(("q", ""), ("created_by", "")) == ListQuery(limit=100, created_by="", q="")


@pytest.mark.parametrize("name", ["q", "created_by"])
@pytest.mark.parametrize("text", ["\x00", "a\x00", "\x00b"])
def test_nul_in_text_filters(name: str, text: str) -> None:
    assert rejected((name, text)) == [FieldProblem(name, "must not contain U+0000")]


def test_unknown_parameters_ignored() -> None:
    assert parse(("colour", "red"), ("page", "2"), ("limit", "3"), ("offset", "x")) == ListQuery(
        limit=3
    )
    # even repeated
    assert parse(("x", "1"), ("x", "2")) == ListQuery(limit=100)


def test_every_problem_at_once() -> None:
    assert rejected(
        ("limit", "0"),
        ("sort", "colour"),
        ("priority", "high"),
        ("created_by", "\x00"),
        ("q", "\x00"),
        ("cursor", "garbage"),
    ) == [
        FieldProblem("limit", LIMIT),
        FieldProblem("sort", SORT),
        FieldProblem("priority", PRIORITY),
        FieldProblem("created_by", "must not contain U+0000"),
        FieldProblem("q", "must not contain U+0000"),
        FieldProblem("cursor", CURSOR),
    ]


def test_full_query() -> None:
    cursor = encode_cursor(NOTE, "-priority")
    assert parse(
        ("limit", "10"),
        ("sort", "-priority"),
        ("created_by", "me"),
        ("priority", "-7"),
        ("q", "x"),
        ("cursor", cursor),
    ) == ListQuery(
        limit=10,
        sort_key="priority",
        descending=True,
        created_by="me",
        priority=-7,
        q="x",
        after=Cursor(value=-7, id=5),
    )


# -- cursors -----------------------------------------------------------------------------

EXPECTED_VALUES: dict[str, object] = {
    "id": 5,
    "priority": -7,
    "created_at": datetime(2017, 8, 23, 1, 2, 3, 4),
    "updated_at": datetime(2020, 1, 1),
    "title": "Straße",
}


@pytest.mark.parametrize("sort", SORT_VALUES)
def test_cursor_round_trip(sort: str) -> None:
    encoded = encode_cursor(NOTE, sort)
    assert "=" not in encoded
    assert set(encoded) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    expected = Cursor(value=EXPECTED_VALUES[sort.removeprefix("-")], id=5)  # type: ignore[arg-type]
    assert decode_cursor(encoded, sort) == expected
    assert parse(("sort", sort), ("cursor", encoded)).after == expected


def test_cursor_text() -> None:
    assert encode_cursor(NOTE, "-created_at") == token(
        "-created_at", "2017-08-23T01:02:03.000004Z", 5
    )
    assert encode_cursor(NOTE, "id") == token("id", 5, 5)
    assert encode_cursor(NOTE, "title") == token("title", "Straße", 5)


def test_cursor_round_trips_for_many_notes() -> None:
    for note_id in range(1, 400):
        note = NOTE._replace(id=note_id, title="t" * (note_id % 50), priority=note_id * 7919)
        for sort in SORT_VALUES:
            encoded = encode_cursor(note, sort)
            assert not encoded.endswith("=")
            decoded = decode_cursor(encoded, sort)
            assert decoded is not None, (note_id, sort, encoded)
            assert decoded.id == note_id


@pytest.mark.parametrize("sort", SORT_VALUES)
def test_cursor_for_another_sort_rejected(sort: str) -> None:
    encoded = encode_cursor(NOTE, sort)
    for other in SORT_VALUES:
        if other != sort:
            assert decode_cursor(encoded, other) is None
    other = "-id" if sort == "id" else "id"
    assert rejected(("sort", other), ("cursor", encoded)) == [FieldProblem("cursor", CURSOR)]


def test_cursor_is_checked_against_id_when_the_sort_is_bad() -> None:
    assert rejected(("sort", "colour"), ("cursor", encode_cursor(NOTE, "id"))) == [
        FieldProblem("sort", SORT)
    ]
    assert rejected(("sort", "colour"), ("cursor", encode_cursor(NOTE, "title"))) == [
        FieldProblem("sort", SORT),
        FieldProblem("cursor", CURSOR),
    ]


def test_cursor_is_checked_against_the_default_sort() -> None:
    assert rejected(("cursor", encode_cursor(NOTE, "title"))) == [FieldProblem("cursor", CURSOR)]
    assert parse(("cursor", encode_cursor(NOTE, "id"))).after == Cursor(value=5, id=5)


def test_sort_value() -> None:
    for key, value in EXPECTED_VALUES.items():
        assert sort_value(NOTE.to_json(), key) == value


@pytest.mark.parametrize(
    ("sort", "value", "note_id"),
    [
        ("id", 1, 1),
        ("id", NOTE_ID_MAX, NOTE_ID_MAX),
        ("id", -NOTE_ID_MAX - 1, 1),
        ("priority", 2147483647, 1),
        ("priority", -2147483648, 1),
        ("-priority", 0, NOTE_ID_MAX),
        ("title", "", 1),
        ("title", "𝄞", 1),
        ("created_at", "0001-01-01T00:00:00Z", 1),
        ("updated_at", "2017-08-23 00:00", 1),
    ],
)
def test_cursor_edges_accepted(sort: str, value: object, note_id: int) -> None:
    decoded = decode_cursor(token(sort, value, note_id), sort)
    assert decoded is not None
    assert decoded.id == note_id


@pytest.mark.parametrize(
    "encoded",
    [
        "",
        "garbage",
        "!!!!",
        "a",
        token("id", 5),
        token("id", 5, 5, 5),
        token("id", 5, 0),
        token("id", 5, -1),
        token("id", 5, NOTE_ID_MAX + 1),
        token("id", 5, "5"),
        token("id", 5, 5.0),
        token("id", 5, True),
        token("id", 5, None),
        token("id", "5", 5),
        token("id", 5.0, 5),
        token("id", True, 5),
        token("id", None, 5),
        token("id", NOTE_ID_MAX + 1, 5),
        token("id", -NOTE_ID_MAX - 2, 5),
        token("ID", 5, 5),
        token(None, 5, 5),
        sign(b'{"sort": "id"}'),
        sign(b'"id"'),
        sign(b"5"),
        sign(b"\xff\xfe"),
        sign(b'["id", 5, 5'),
    ],
)
def test_bad_id_cursors(encoded: str) -> None:
    assert decode_cursor(encoded, "id") is None
    assert rejected(("cursor", encoded)) == [FieldProblem("cursor", CURSOR)]


@pytest.mark.parametrize(
    ("sort", "value"),
    [
        ("priority", 2147483648),
        ("priority", -2147483649),
        ("priority", "1"),
        ("priority", 1.5),
        ("priority", False),
        ("title", 5),
        ("title", None),
        ("title", "a\x00"),
        ("-title", ["a"]),
        ("created_at", "yesterday"),
        ("created_at", "2017-02-30T00:00:00Z"),
        ("created_at", 1503446400),
        ("updated_at", "\x00"),
        ("-updated_at", None),
    ],
)
def test_bad_cursor_values(sort: str, value: object) -> None:
    assert decode_cursor(token(sort, value, 1), sort) is None


def test_cursor_padding_is_optional() -> None:
    encoded = encode_cursor(NOTE, "title")
    padded = encoded + "=" * (-len(encoded) % 4)
    assert decode_cursor(padded, "title") == decode_cursor(encoded, "title")


def test_cursor_lone_surrogate_json_rejected() -> None:
    raw = b'["title", "\\ud800", 1]'
    assert decode_cursor(base64.urlsafe_b64encode(raw).decode(), "title") is None


@pytest.mark.parametrize(
    ("name", "text", "value"), [("priority", "0" * 19 + "7", 7), ("limit", "0" * 19 + "7", 7)]
)
def test_twenty_characters_are_read(name: str, text: str, value: int) -> None:
    assert len(text) == 20
    assert getattr(parse((name, text)), name) == value


@pytest.mark.parametrize("name", ["priority", "limit"])
def test_twenty_one_characters_are_not(name: str) -> None:
    assert len(rejected((name, "0" * 20 + "7"))) == 1


@pytest.mark.skipif(not SIGNED, reason="cursors are not signed")
def test_signed_cursors() -> None:
    encoded = encode_cursor(NOTE, "id")
    other_key = hashlib.sha256(b"another deployment").digest()
    assert decode_cursor(encoded, "id", key=other_key) is None
    assert decode_cursor(encode_cursor(NOTE, "id", key=other_key), "id", key=other_key) == Cursor(
        value=5, id=5
    )
    unsigned = base64.urlsafe_b64encode(b'["id",5,5]').decode().rstrip("=")
    assert decode_cursor(unsigned, "id") is None
    raw = bytearray(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    for index in range(len(raw)):
        tampered = bytearray(raw)
        tampered[index] ^= 1
        forged = base64.urlsafe_b64encode(bytes(tampered)).decode().rstrip("=")
        assert decode_cursor(forged, "id") is None, index
    assert decode_cursor(sign(b"not json"), "id") is None
    assert decode_cursor(sign(b""), "id") is None


@pytest.mark.skipif(not hasattr(listing, "cursor_key"), reason="no cursor_key")
def test_cursor_key() -> None:
    cursor_key: Any = getattr(listing, "cursor_key")  # noqa: B009
    url = "sqlite+aiosqlite:///notes.db"
    assert cursor_key("", url) == cursor_key("", url)
    assert len(cursor_key("", url)) == 32
    assert cursor_key("", url) != cursor_key("", url + "x")
    assert cursor_key("s3cret", url) == cursor_key("s3cret", "postgresql+asyncpg://h/db")
    assert cursor_key("s3cret", url) != cursor_key("other", url)
    assert cursor_key("s3cret", url) != cursor_key("", url)
