"""Reading a request body: media type, size, UTF-8 and JSON, each failure its own status."""

from __future__ import annotations

import asyncio
import json
import re
from decimal import Decimal
from typing import Any, NoReturn

from aiohttp import hdrs, web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestPayloadError

from notes.domain.errors import (
    ClientGone,
    FieldProblem,
    MalformedRequest,
    RequestTimeout,
    UnsupportedMediaType,
    ValidationFailed,
    escape_surrogates,
)

# Python's int() refuses more than 4300 digits (a quadratic-time guard); the rules
# reject any integer this long anyway, so keep it as a number that is too large.
_LONGEST_INT = 4000


class _ObjectWithDuplicates(dict[str, Any]):
    """A JSON object that repeated a key; the path is found once the whole body is read."""

    def __init__(self, pairs: list[tuple[str, Any]], duplicates: list[str]) -> None:
        super().__init__(pairs)
        self.duplicates = duplicates


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) == len(pairs):
        return result
    seen: set[str] = set()
    duplicates: list[str] = []
    for key, _ in pairs:
        if key in seen and key not in duplicates:
            duplicates.append(key)
        seen.add(key)
    return _ObjectWithDuplicates(pairs, duplicates)


_CONTAINERS = (dict, list)


def _duplicate_paths(value: Any) -> list[str]:
    """The JSON paths of the repeated keys in `value`, depth first.

    Iterative: the body may nest as deep as the parser allowed, and the walk starts
    deeper in the stack than the parser did. Only containers are visited (a scalar
    repeats nothing), so a flat object, the body of every write, costs no path."""
    found: list[str] = []
    pending: list[tuple[str, Any]] = [("$", value)]
    while pending:
        path, node = pending.pop()
        if isinstance(node, _ObjectWithDuplicates):
            found.extend(f"{path}.{key}" for key in node.duplicates)
        if isinstance(node, dict):
            pending.extend(
                (f"{path}.{key}", child)
                for key, child in reversed(node.items())
                if isinstance(child, _CONTAINERS)
            )
        elif isinstance(node, list):
            pending.extend(
                (f"{path}[{index}]", child)
                for index, child in reversed(list(enumerate(node)))
                if isinstance(child, _CONTAINERS)
            )
    # Escaped here, on the few paths found, rather than on every key of every body.
    return [escape_surrogates(path) for path in found]


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def _parse_int(text: str) -> int | Decimal:
    return int(text) if len(text) <= _LONGEST_INT else Decimal(text)


# Built once: json.loads with hooks would build a decoder per request.
_DECODER = json.JSONDecoder(
    object_pairs_hook=_object,
    parse_constant=_reject_constant,
    parse_int=_parse_int,
)


def is_json_media_type(request: web.BaseRequest) -> bool:
    """application/json, application/*+json, or no Content-Type at all (the tutorial's)."""
    if hdrs.CONTENT_TYPE not in request.headers:
        return True
    media_type = request.content_type.lower()
    main, _, sub = media_type.partition("/")
    return main == "application" and (sub == "json" or sub.endswith("+json"))


# Possessive (*+): a string's body is taken once and never backtracked into.
_STRING_BODY = r'(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*+'
_STRING_LITERAL = re.compile(f'"{_STRING_BODY}"')
# Text outside strings, a whole string, and so on: one pass, left to right.
_STRINGS_CLOSE = re.compile(f'(?:[^"]*+"{_STRING_BODY}")*+[^"]*+')
_SCALAR = re.compile(r"true|false|null|-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_STRUCTURE = re.compile(r"[\[\]{}:,\s]*")
_CLOSING = {"]": "[", "}": "{"}


def _nests_properly(text: str) -> bool:
    """Whether text, too deep for the parser, is made of JSON tokens with brackets
    that nest. Not a full grammar (it does not check commas and colons), but garbage,
    stray characters and brackets that do not match are caught: a 400 and not a 422.

    Linear in the text. Searching for string literals anywhere, as `sub` does, would
    start a scan to the end at every quote of an unterminated run like `"\\"\\"...`
    (seconds for 37 KB, in review); so the strings are first checked to close, in
    one left-to-right pass, after which every quote `sub` meets opens a string."""
    if not _STRINGS_CLOSE.fullmatch(text):
        return False
    structure = _SCALAR.sub("", _STRING_LITERAL.sub("", text))
    if not _STRUCTURE.fullmatch(structure):
        return False
    stack: list[str] = []
    for char in structure:
        if char in "[{":
            stack.append(char)
        elif char in "]}" and (not stack or stack.pop() != _CLOSING[char]):
            return False
    return not stack


def _too_deep(text: str) -> MalformedRequest | ValidationFailed:
    """The answer to JSON nested beyond the parser's recursion limit.

    No field of a note holds an array or an object, so such a body breaks the rules
    (422) if it is JSON at all, and is malformed (400) if it is not.
    """
    if not _nests_properly(text):
        return MalformedRequest(
            "The body is not valid JSON: its brackets do not nest, or it holds stray characters."
        )
    if not text.lstrip().startswith("{"):
        return ValidationFailed.single("$", "must be a JSON object")
    return ValidationFailed.single("$", "nests too deeply: the fields of a note are not containers")


def decode_json_object(raw: bytes) -> dict[str, Any]:
    """Parse a body that must hold one JSON object."""
    if not raw.strip():
        raise MalformedRequest("The request needs a JSON body.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedRequest("The body is not UTF-8.") from None
    try:
        value = _DECODER.decode(text)
    except RecursionError:
        raise _too_deep(text) from None
    except ValueError as error:
        raise MalformedRequest(f"The body is not valid JSON: {error}") from None
    if duplicates := _duplicate_paths(value):
        raise ValidationFailed(
            [FieldProblem(path, "appears more than once") for path in duplicates]
        )
    if not isinstance(value, dict):
        raise ValidationFailed.single("$", "must be a JSON object")
    return value


async def read_json_object(request: web.Request, *, seconds: float) -> dict[str, Any]:
    if not is_json_media_type(request):
        raise UnsupportedMediaType(
            f"Send the body as application/json, not {request.content_type}."
        )
    # aiohttp raises 413 itself past the application's client_max_size.
    try:
        if request.content.is_eof():
            # The whole body came with the headers, as it nearly always does: reading
            # it cannot wait, so no timer is armed (a timer's cost: benchmarks/README.md).
            raw = await request.read()
        else:
            async with asyncio.timeout(seconds):  # a client that stalls mid-body
                raw = await request.read()
    except TimeoutError:
        raise RequestTimeout(seconds) from None
    except (RequestPayloadError, HttpProcessingError) as error:
        # A body that ends early or does not decode (Content-Encoding: gzip that is not).
        raise MalformedRequest(f"The body could not be read: {error.__class__.__name__}.") from None
    except ConnectionError:
        # The client went away mid-body: nobody is left to answer, and it is no
        # server error either.
        raise ClientGone() from None
    return decode_json_object(raw)
