"""Reading a request body: media type, size, UTF-8 and JSON, each failure its own status."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any, NoReturn

from aiohttp import hdrs, web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestPayloadError

from notes.errors import ClientGone, MalformedRequest, UnsupportedMediaType, ValidationFailed

# Python's int() refuses more than 4300 digits (a quadratic-time guard); the rules
# reject any integer this long anyway, so keep it as a number that is too large.
_LONGEST_INT = 4000


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def _parse_int(text: str) -> int | Decimal:
    return int(text) if len(text) <= _LONGEST_INT else Decimal(text)


# Built once: json.loads with hooks would build a decoder per request.
_DECODER = json.JSONDecoder(
    object_pairs_hook=_object_without_duplicates,
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


_STRING_LITERAL = re.compile(r'"(?:[^"\\]|\\.)*"')


def _too_deep(text: str) -> MalformedRequest | ValidationFailed:
    """The answer to JSON nested beyond the parser's recursion limit.

    No field of a note holds an array or an object, so such a body breaks the rules
    (422) if it is JSON at all; unbalanced brackets make it malformed (400). The
    check is str.count over the text with its strings removed: linear, in C.
    """
    structure = _STRING_LITERAL.sub("", text)
    if structure.count("[") != structure.count("]") or structure.count("{") != structure.count("}"):
        return MalformedRequest("The body is not valid JSON: its brackets do not balance.")
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
    except _DuplicateKey as duplicate:
        raise ValidationFailed.single(f"$.{duplicate.key}", "appears more than once") from None
    except RecursionError:
        raise _too_deep(text) from None
    except ValueError as error:
        raise MalformedRequest(f"The body is not valid JSON: {error}") from None
    if not isinstance(value, dict):
        raise ValidationFailed.single("$", "must be a JSON object")
    return value


async def read_json_object(request: web.Request) -> dict[str, Any]:
    if not is_json_media_type(request):
        raise UnsupportedMediaType(
            f"Send the body as application/json, not {request.content_type}."
        )
    # aiohttp raises 413 itself past the application's client_max_size.
    try:
        raw = await request.read()
    except (RequestPayloadError, HttpProcessingError) as error:
        # A body that ends early or does not decode (Content-Encoding: gzip that is not).
        raise MalformedRequest(f"The body could not be read: {error.__class__.__name__}.") from None
    except ConnectionError:
        # The client went away mid-body: nobody is left to answer, and it is no
        # server error either.
        raise ClientGone() from None
    return decode_json_object(raw)
