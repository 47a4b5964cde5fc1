"""The hostile inputs: each a request as raw bytes, and the answers the contract allows.

A case builds its bytes from the id of an existing note (the *target*), so that
requests aimed at odd spellings of its id, or with broken bodies, can be checked to
leave it untouched.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
from collections.abc import Callable

from tests.reliability.rawhttp import request_bytes

MIB = 1024 * 1024
DEEP = 100_000
OWNER = "hostile-suite"
CLIENT_ERRORS = frozenset(range(400, 500))


@dataclasses.dataclass(frozen=True, slots=True)
class Case:
    name: str
    build: Callable[[int], bytes]
    allowed: frozenset[int]
    # aiohttp's own parser answers some malformed requests itself, in text/plain.
    problem_json: bool = True

    def __str__(self) -> str:
        return self.name


def _statuses(*statuses: int) -> frozenset[int]:
    return frozenset(statuses)


def post(body: bytes, content_type: str | None = "application/json") -> Callable[[int], bytes]:
    return lambda _target: request_bytes("POST", "/notes", body, content_type=content_type)


def to_target(
    method: str, body: bytes | None, content_type: str = "application/json"
) -> Callable[[int], bytes]:
    return lambda target: request_bytes(method, f"/notes/{target}", body, content_type=content_type)


def raw(data: bytes) -> Callable[[int], bytes]:
    return lambda _target: data


def fields_json(**extra: str) -> bytes:
    """A note as JSON text, with ``extra`` members spliced in as raw JSON values."""
    members = ['"title":"hostile"', f'"created_by":"{OWNER}"']
    members += [f'"{key}":{value}' for key, value in extra.items()]
    return ("{" + ",".join(members) + "}").encode()


def _padded(size: int) -> bytes:
    """A valid note of exactly ``size`` bytes: JSON allows whitespace after the object."""
    note = json.dumps({"title": f"size {size}", "created_by": OWNER}).encode()
    return note + b" " * (size - len(note))


def _chunked(body: bytes, chunk: int = 65536) -> bytes:
    head = (
        b"POST /notes HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    pieces = [
        f"{len(body[i : i + chunk]):x}\r\n".encode() + body[i : i + chunk] + b"\r\n"
        for i in range(0, len(body), chunk)
    ]
    return head + b"".join(pieces) + b"0\r\n\r\n"


def _encoded(body: bytes, encoding: str) -> Callable[[int], bytes]:
    return lambda _target: request_bytes(
        "POST", "/notes", body, headers={"Content-Encoding": encoding}
    )


SIZE_CASES = [
    Case("body 1 MiB - 1", post(_padded(MIB - 1)), _statuses(201)),
    Case("body exactly 1 MiB", post(_padded(MIB)), _statuses(201)),
    Case("body 1 MiB + 1", post(_padded(MIB + 1)), _statuses(413)),
    Case("body 16 MiB", post(_padded(16 * MIB)), _statuses(413)),
    Case("chunked body over 1 MiB", raw(_chunked(_padded(2 * MIB))), _statuses(413)),
    Case(
        "gzip body inflating past 1 MiB",
        _encoded(gzip.compress(_padded(64 * MIB)), "gzip"),
        _statuses(413, 415),
    ),
    Case("valid gzip body", _encoded(gzip.compress(fields_json()), "gzip"), _statuses(201, 415)),
    Case("invalid gzip body", _encoded(b"not gzip at all", "gzip"), _statuses(400, 415)),
    # Only the CRC and length trailer missing: the JSON inside is whole, so a 201 is fine.
    Case(
        "gzip body without its trailer",
        _encoded(gzip.compress(fields_json())[:-8], "gzip"),
        _statuses(201, 400, 415),
    ),
    Case(
        "gzip body cut in half",
        _encoded(gzip.compress(_padded(4096))[:40], "gzip"),
        _statuses(400, 415),
    ),
]


def _nested_value(depth: int) -> str:
    return "[" * depth + "]" * depth


NESTING_CASES = [
    Case("array nested 100,000 deep", post(_nested_value(DEEP).encode()), _statuses(400, 422)),
    Case(
        "object nested 100,000 deep",
        post(('{"a":' * DEEP + "1" + "}" * DEEP).encode()),
        _statuses(400, 422),
    ),
    Case(
        "title: array nested 100,000 deep",
        post(f'{{"title":{_nested_value(DEEP)},"created_by":"{OWNER}"}}'.encode()),
        _statuses(400, 422),
    ),
    Case(
        "description: object nested 100,000 deep",
        post(fields_json(description='{"a":' * DEEP + "1" + "}" * DEEP)),
        _statuses(400, 422),
    ),
    Case("100,000 unclosed brackets", post(b"[" * DEEP), _statuses(400)),
    # Past the parser's depth, a run of escaped quotes that never closes: a string
    # search restarting at every quote took seconds for 37 KB (found in review).
    Case(
        "5,000 brackets, then 100,000 escaped quotes never closed",
        post(b"[" * 5000 + b'"\\' * 100_000),
        _statuses(400),
    ),
    Case(
        "PATCH with a value nested 100,000 deep",
        to_target("PATCH", f'{{"description":{_nested_value(DEEP)}}}'.encode()),
        _statuses(400, 422),
    ),
]

_NUMBERS = {
    "1e400": _statuses(422),
    "-1e400": _statuses(422),
    "1e-400": _statuses(201, 422),  # 0.0: JSON Schema may take it as the integer 0
    str(10**400): _statuses(422),
    str(-(10**400)): _statuses(422),
    "1" + "0" * 5000: _statuses(422),  # 10**5000, past int()'s 4300-digit guard
    str(2**31): _statuses(422),
    str(-(2**31) - 1): _statuses(422),
    "1.5": _statuses(422),
    '"4"': _statuses(422),
    "true": _statuses(422),
    "NaN": _statuses(400),
    "Infinity": _statuses(400),
    "-Infinity": _statuses(400),
}


def _label(number: str) -> str:
    return number if len(number) <= 12 else f"{number[0]}... ({len(number)} characters)"


NUMBER_CASES = [
    Case(f"priority {_label(text)}", post(fields_json(priority=text)), allowed)
    for text, allowed in _NUMBERS.items()
] + [
    Case(
        "title 1e400",
        post(f'{{"title":1e400,"created_by":"{OWNER}"}}'.encode()),
        _statuses(422),
    ),
    Case("created_at 1e400", post(fields_json(created_at="1e400")), _statuses(422)),
    # int() of it is quadratic: 40 s on the event loop before the fix (found in review).
    Case(
        "priority of 1,000,000 digits", post(fields_json(priority="9" * 1_000_000)), _statuses(422)
    ),
    Case(
        "PATCH priority 10**400",
        to_target("PATCH", f'{{"priority":{10**400}}}'.encode()),
        _statuses(422),
    ),
]

_BAD_STRINGS = {
    "U+0000": r'"a\u0000b"',
    "lone high surrogate": r'"\ud800"',
    "lone low surrogate": r'"\udfff"',
    "reversed surrogate pair": r'"\udc00\ud800"',
    "surrogate between letters": r'"a\ud800b"',
}


def _with_field(field: str, raw_value: str) -> bytes:
    fields = {"title": '"hostile"', "created_by": f'"{OWNER}"', field: raw_value}
    return ("{" + ",".join(f'"{k}":{v}' for k, v in fields.items()) + "}").encode()


STRING_CASES = [
    Case(f"{field}: {what}", post(_with_field(field, text)), _statuses(400, 422))
    for field in ("title", "description", "created_by", "created_at")
    for what, text in _BAD_STRINGS.items()
] + [
    Case("U+0000 in a key", post(fields_json(**{"a\\u0000": "1"})), _statuses(422)),
    Case("lone surrogate as a key", post(fields_json(**{"\\ud800": "1"})), _statuses(422)),
    Case("raw NUL byte in a string", post(b'{"title":"a\x00b","created_by":"x"}'), _statuses(400)),
    Case("PATCH title U+0000", to_target("PATCH", rb'{"title":"\u0000"}'), _statuses(422)),
    Case("PATCH lone surrogate", to_target("PATCH", rb'{"title":"\udbff"}'), _statuses(400, 422)),
    Case(
        "PUT lone surrogate",
        to_target("PUT", _with_field("description", r'"\ud800"')),
        _statuses(400, 422),
    ),
]

ENCODING_CASES = [
    Case("byte 0xff in a string", post(b'{"title":"\xff","created_by":"x"}'), _statuses(400)),
    Case(
        "latin-1 body declared latin-1",
        post(
            '{"title":"café","created_by":"x"}'.encode("latin-1"),
            "application/json; charset=latin-1",
        ),
        _statuses(400),
    ),
    Case("UTF-16 body", post(fields_json().decode().encode("utf-16")), _statuses(400)),
    Case("UTF-8 byte order mark", post(b"\xef\xbb\xbf" + fields_json()), _statuses(201, 400)),
    Case(
        "truncated UTF-8 sequence", post(b'{"title":"\xe2\x82","created_by":"x"}'), _statuses(400)
    ),
    Case("overlong UTF-8", post(b'{"title":"\xc0\xaf","created_by":"x"}'), _statuses(400)),
    Case(
        "UTF-8-encoded surrogate",
        post(b'{"title":"\xed\xa0\x80","created_by":"x"}'),
        _statuses(400),
    ),
    Case("empty body", post(b""), _statuses(400)),
    Case("whitespace body", post(b" \r\n\t "), _statuses(400)),
    Case("JSON null", post(b"null"), _statuses(422)),
    Case("JSON array", post(b"[]"), _statuses(422)),
]

_CONTENT_TYPES = {
    "text/plain": _statuses(415),
    "application/xml": _statuses(415),
    "multipart/form-data; boundary=x": _statuses(415),
    "application/x-www-form-urlencoded": _statuses(415),
    "text/json": _statuses(415),
    "application/jsonx": _statuses(415),
    "application/json; charset=utf-8": _statuses(201),
    "Application/JSON": _statuses(201),
    "application/vnd.api+json": _statuses(201),
    ";;;": _statuses(400, 415),
    "application/json; charset=utf-16": _statuses(201, 400, 415),
    "": _statuses(201, 400, 415),
}
CONTENT_TYPE_CASES = [
    Case(f"Content-Type {value!r}", post(fields_json(), value), allowed)
    for value, allowed in _CONTENT_TYPES.items()
] + [
    Case("no Content-Type", post(fields_json(), None), _statuses(201)),
    Case("PUT text/plain", to_target("PUT", fields_json(), "text/plain"), _statuses(415)),
    Case("PATCH text/plain", to_target("PATCH", b"{}", "text/plain"), _statuses(415)),
]

DUPLICATE_KEY_CASES = [
    Case(
        "duplicate title",
        post(b'{"title":"a","title":"b","created_by":"x"}'),
        _statuses(422),
    ),
    Case(
        "duplicate created_by",
        post(b'{"title":"a","created_by":"x","created_by":"x"}'),
        _statuses(422),
    ),
    Case(
        "PATCH duplicate priority",
        to_target("PATCH", b'{"priority":1,"priority":2}'),
        _statuses(422),
    ),
    Case(
        "duplicate key that is a lone surrogate",
        post(b'{"title":"a","created_by":"x","\\ud800":1,"\\ud800":2}'),
        _statuses(422),
    ),
    Case(
        "keys differing in case",
        post(b'{"title":"a","Title":"b","created_by":"x"}'),
        _statuses(422),
    ),
]


def _head(lines: list[bytes]) -> bytes:
    return b"\r\n".join(lines) + b"\r\n\r\n"


_HOST = b"Host: 127.0.0.1"
_CLOSE = b"Connection: close"
HEADER_CASES = [
    Case(
        "a 64 KiB header",
        raw(_head([b"GET /health HTTP/1.1", _HOST, _CLOSE, b"X-Big: " + b"a" * 65536])),
        _statuses(400, 431),
        problem_json=False,
    ),
    Case(
        "a 64 KiB URL",
        raw(_head([b"GET /notes?q=" + b"a" * 65536 + b" HTTP/1.1", _HOST, _CLOSE])),
        _statuses(400, 414),
        problem_json=False,
    ),
    Case(
        "200 headers",
        raw(_head([b"GET /health HTTP/1.1", _HOST, _CLOSE] + [b"X-%d: v" % i for i in range(200)])),
        _statuses(400, 431),
        problem_json=False,
    ),
    Case(
        "NUL in a header",
        raw(_head([b"GET /health HTTP/1.1", _HOST, _CLOSE, b"X-A: a\x00b"])),
        _statuses(400),
        problem_json=False,
    ),
    Case(
        "byte 0xff in a header",
        raw(_head([b"GET /health HTTP/1.1", _HOST, _CLOSE, b"X-A: \xff"])),
        _statuses(200, 400),
        problem_json=False,
    ),
    Case(
        "Content-Length and Transfer-Encoding",
        raw(
            _head(
                [
                    b"POST /notes HTTP/1.1",
                    _HOST,
                    _CLOSE,
                    b"Content-Length: 5",
                    b"Transfer-Encoding: chunked",
                ]
            )
            + b"0\r\n\r\n"
        ),
        _statuses(400),
        problem_json=False,
    ),
    Case(
        "Content-Length abc",
        raw(_head([b"POST /notes HTTP/1.1", _HOST, _CLOSE, b"Content-Length: abc"])),
        _statuses(400),
        problem_json=False,
    ),
    Case(
        "Content-Length -1",
        raw(_head([b"POST /notes HTTP/1.1", _HOST, _CLOSE, b"Content-Length: -1"])),
        _statuses(400),
        problem_json=False,
    ),
    Case(
        "two Content-Lengths",
        raw(
            _head(
                [b"POST /notes HTTP/1.1", _HOST, _CLOSE, b"Content-Length: 2", b"Content-Length: 3"]
            )
            + b"{}}"
        ),
        _statuses(400),
        problem_json=False,
    ),
    Case(
        "bad chunk size",
        raw(
            _head([b"POST /notes HTTP/1.1", _HOST, _CLOSE, b"Transfer-Encoding: chunked"])
            + b"zz\r\n"
        ),
        _statuses(400),
        problem_json=False,
    ),
    Case(
        "HTTP/9.9",
        raw(_head([b"GET /health HTTP/9.9", _HOST, _CLOSE])),
        _statuses(400, 505),
        problem_json=False,
    ),
    Case(
        "TLS hello on the HTTP port",
        raw(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\0" * 64),
        _statuses(400),
        problem_json=False,
    ),
    Case(
        "Expect: 200-ok",
        raw(
            _head([b"POST /notes HTTP/1.1", _HOST, _CLOSE, b"Expect: 200-ok", b"Content-Length: 2"])
            + b"{}"
        ),
        _statuses(417),
        problem_json=False,
    ),
    Case("TRACE /notes", raw(request_bytes("TRACE", "/notes")), _statuses(405)),
    Case(
        "absolute-form target",
        raw(_head([b"GET http://elsewhere.invalid/health HTTP/1.1", _HOST, _CLOSE])),
        _statuses(200, 400, 404),
    ),
]

# Spellings of an id that are not its one canonical form: every one is 404, for every
# method, and the note they resemble stays as it was.
_ODD_IDS = [
    "0{t}",
    "+{t}",
    "-{t}",
    "{t}.0",
    "{t}e0",
    "{t}%20",
    "%20{t}",
    "{t}%00",
    "0x{t}",
    "%2B{t}",
    "00000000000000000000{t}",
    "-0",
    "0",
    "-1",
    "01",
    "+1",
    "%EF%BC%91",  # a fullwidth digit one
    "%ff",
    "%",
    "%zz",
    "99999999999999999999",
    "9223372036854775808",
]


def _odd_id(method: str, spelling: str) -> Callable[[int], bytes]:
    def build(target: int) -> bytes:
        body = None
        if method == "PUT":
            body = fields_json()
        elif method == "PATCH":
            body = b'{"priority": 7}'
        return request_bytes(method, f"/notes/{spelling.format(t=target)}", body)

    return build


ID_CASES = [
    Case(f"{method} /notes/{spelling}", _odd_id(method, spelling), _statuses(404))
    for spelling in _ODD_IDS
    for method in ("GET", "PUT", "PATCH", "DELETE")
]

_QUERIES = {
    "limit=1&limit=2": _statuses(422),
    "limit=5&limit=5": _statuses(422),
    "sort=id&sort=-id": _statuses(422),
    "q=a&q=b": _statuses(422),
    "created_by=a&created_by=b": _statuses(422),
    "priority=1&priority=1": _statuses(422),
    "cursor=a&cursor=b": _statuses(422),
    "unknown=1&unknown=2": _statuses(200),
    "&".join(["limit=1"] * 500): _statuses(422),
    "limit=1&LIMIT=2": _statuses(200),
    "limit=": _statuses(422),
    "limit=+5": _statuses(422),
    "limit=1e3": _statuses(422),
    "limit=%D9%A3": _statuses(422),  # an Arabic-Indic digit three
    "limit=00010": _statuses(200, 422),
    "priority=-0": _statuses(200, 422),
    "sort=": _statuses(422),
    # invalid or hostile percent-encoding
    "q=%": _statuses(200, 400, 422),
    "q=%zz": _statuses(200, 400, 422),
    "q=%ff": _statuses(200, 400, 422),
    "q=%ed%a0%80": _statuses(200, 400, 422),
    "q=%c0%af": _statuses(200, 400, 422),
    "q=%u0041": _statuses(200, 400, 422),
    "q=%%%%": _statuses(200, 400, 422),
    "q=%00": _statuses(422),
    "created_by=%00": _statuses(422),
    "created_by=%ff": _statuses(200, 400, 422),
    "cursor=%ff": _statuses(400, 422),
    "cursor=%": _statuses(400, 422),
    "limit=%ff": _statuses(400, 422),
    "sort=%ff": _statuses(400, 422),
    "%ff=1": _statuses(200, 400),
    "q=%25%5F%5C": _statuses(200),
}
QUERY_CASES = [
    Case(f"GET /notes?{query[:40]}", raw(request_bytes("GET", f"/notes?{query}")), allowed)
    for query, allowed in _QUERIES.items()
] + [
    Case(
        "raw byte 0xff in the query",
        raw(_head([b"GET /notes?q=\xff HTTP/1.1", _HOST, _CLOSE])),
        _statuses(200, 400, 422),
        problem_json=False,
    ),
]

ALL_CASES = (
    SIZE_CASES
    + NESTING_CASES
    + NUMBER_CASES
    + STRING_CASES
    + ENCODING_CASES
    + CONTENT_TYPE_CASES
    + DUPLICATE_KEY_CASES
    + HEADER_CASES
    + ID_CASES
    + QUERY_CASES
)
