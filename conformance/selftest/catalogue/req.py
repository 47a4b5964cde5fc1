"""REQ: media types, bodies, 400, 413, 415, path ids, 405 and Allow."""

from __future__ import annotations

import json
import re

from conformance.selftest.traffic import WRITES, Exchange, Reply, dumps, problem
from conformance.selftest.violation import (
    Violation,
    answer_instead,
    rewrite_reply,
    rewrite_request,
)

MIB = 1024 * 1024
INT64_MAX = 2**63 - 1
ID_SEGMENT = re.compile(r"^/notes/([^/]+)\Z")


def body_of_write(exchange: Exchange) -> bool:
    return exchange.method in WRITES and exchange.path.startswith("/notes")


def refused_415(reason: str) -> Reply:
    return problem(415, f"Unsupported media type: {reason}.")


def no_content_type_refused(exchange: Exchange) -> Reply | None:
    if not body_of_write(exchange) or "Content-Type" in exchange.headers:
        return None
    return refused_415("no Content-Type")


def parameters_refused(exchange: Exchange) -> Reply | None:
    value = exchange.headers.get("Content-Type", "")
    if not body_of_write(exchange) or ";" not in value or "json" not in value.lower():
        return None
    return refused_415(value)


def suffix_refused(exchange: Exchange) -> Reply | None:
    media_type = exchange.media_type or ""
    if not body_of_write(exchange) or not media_type.endswith("+json"):
        return None
    if media_type == "application/merge-patch+json":
        return None
    return refused_415(media_type)


def text_read_as_json(exchange: Exchange) -> Exchange | None:
    if not body_of_write(exchange) or exchange.media_type != "text/plain":
        return None
    return exchange.with_header("Content-Type", "application/json")


def bad_utf8_replaced(exchange: Exchange) -> Exchange | None:
    if not body_of_write(exchange):
        return None
    try:
        exchange.body.decode("utf-8")
    except UnicodeDecodeError:
        text = exchange.body.decode("utf-8", errors="replace")
        return Exchange(
            exchange.method, exchange.raw_path, exchange.headers, text.encode(), exchange.chunked
        )
    return None


def malformed_as_422(exchange: Exchange, reply: Reply) -> Reply | None:
    if not body_of_write(exchange) or reply.status != 400:
        return None
    detail = str((reply.json_object() or {}).get("detail", "malformed JSON"))
    return problem(422, detail, errors=[{"field": "$", "message": detail}])


def not_an_object_400(exchange: Exchange) -> Reply | None:
    if not body_of_write(exchange):
        return None
    try:
        value = json.loads(exchange.body)
    except ValueError:
        return None
    return None if isinstance(value, dict) else problem(400, "The body must be a JSON object.")


def limit_exclusive(exchange: Exchange) -> Reply | None:
    if body_of_write(exchange) and len(exchange.body) == MIB:
        return problem(413, "The body is larger than 1 MiB.")
    return None


def chunked_unlimited(exchange: Exchange) -> Exchange | None:
    """The size limit is checked on Content-Length only: a chunked body of any size is read."""
    if not exchange.chunked or len(exchange.body) <= MIB or not body_of_write(exchange):
        return None
    try:
        value = json.loads(exchange.body)
    except ValueError:
        return None
    return Exchange(exchange.method, exchange.raw_path, exchange.headers, dumps(value), True)


def without_allow(exchange: Exchange, reply: Reply) -> Reply | None:
    return reply.with_header("Allow", None) if "Allow" in reply.headers else None


def method_404(exchange: Exchange, reply: Reply) -> Reply | None:
    return problem(404, "Not found.") if reply.status == 405 else None


def allow_without_patch(exchange: Exchange, reply: Reply) -> Reply | None:
    allow = reply.headers.get("Allow")
    if allow is None or "PATCH" not in allow:
        return None
    methods = [method.strip() for method in allow.split(",") if method.strip() != "PATCH"]
    return reply.with_header("Allow", ", ".join(methods))


def id_segment(exchange: Exchange) -> str | None:
    match = ID_SEGMENT.match(exchange.path)
    return None if match is None else match.group(1)


def bad_id_422(exchange: Exchange) -> Reply | None:
    segment = id_segment(exchange)
    if segment is None or segment.isdigit():
        return None
    return problem(
        422, "The id is not an integer.", errors=[{"field": "id", "message": "not an integer"}]
    )


def huge_id_500(exchange: Exchange) -> Reply | None:
    segment = id_segment(exchange)
    if segment is None or not segment.isdigit() or int(segment) <= INT64_MAX:
        return None
    return problem(500, "Internal server error.")


def unknown_path_as_text(exchange: Exchange, reply: Reply) -> Reply | None:
    if reply.status != 404 or exchange.path == "/notes" or ID_SEGMENT.match(exchange.path):
        return None
    return reply.with_body(b"404: Not Found", "text/plain; charset=utf-8")


def html_for_browsers(exchange: Exchange, reply: Reply) -> Reply | None:
    accept = exchange.headers.get("Accept", "")
    if not accept.startswith("text/html") or reply.media_type != "application/json":
        return None
    return reply.with_header("Content-Type", "text/html; charset=utf-8")


VIOLATIONS = (
    Violation(
        "V-REQ-NO-CONTENT-TYPE-415",
        ("REQ-1", "TUT-1"),
        "a body without Content-Type is 415 (the tutorial's client sends none)",
        answer_instead(no_content_type_refused),
    ),
    Violation(
        "V-REQ-CHARSET-415",
        ("REQ-1",),
        "application/json; charset=utf-8 is 415 (the type compared as a whole string)",
        answer_instead(parameters_refused),
    ),
    Violation(
        "V-REQ-SUFFIX-415",
        ("REQ-1",),
        "application/vnd.notes+json and application/problem+json bodies are 415",
        answer_instead(suffix_refused),
    ),
    Violation(
        "V-REQ-TEXT-PLAIN-READ",
        ("REQ-2",),
        "a text/plain body is read as JSON",
        rewrite_request(text_read_as_json),
        fast=True,
    ),
    Violation(
        "V-REQ-BAD-UTF8-REPLACED",
        ("REQ-3",),
        "bytes that are not UTF-8 are read with U+FFFD in their place",
        rewrite_request(bad_utf8_replaced),
    ),
    Violation(
        "V-REQ-MALFORMED-422",
        ("REQ-4",),
        "a body that is not JSON is 422 instead of 400",
        rewrite_reply(malformed_as_422),
    ),
    Violation(
        "V-REQ-NOT-AN-OBJECT-400",
        ("REQ-5",),
        "JSON that is not an object is 400 instead of 422",
        answer_instead(not_an_object_400),
    ),
    Violation(
        "V-REQ-413-AT-1-MIB",
        ("REQ-8",),
        "a body of exactly 1 MiB is 413 (the limit is exclusive)",
        answer_instead(limit_exclusive),
    ),
    Violation(
        "V-REQ-CHUNKED-UNLIMITED",
        ("REQ-8",),
        "a chunked body over 1 MiB is read (the limit is checked on Content-Length only)",
        rewrite_request(chunked_unlimited),
    ),
    Violation(
        "V-REQ-405-NO-ALLOW",
        ("REQ-11",),
        "a 405 has no Allow header",
        rewrite_reply(without_allow),
        fast=True,
    ),
    Violation(
        "V-REQ-405-AS-404",
        ("REQ-11",),
        "a method the path does not have is 404 instead of 405",
        rewrite_reply(method_404),
    ),
    Violation(
        "V-REQ-ALLOW-WITHOUT-PATCH",
        ("REQ-11",),
        "the Allow of /notes/{id} leaves out PATCH",
        rewrite_reply(allow_without_patch),
    ),
    Violation(
        "V-REQ-BAD-ID-422",
        ("REQ-9",),
        "an id that is not an integer (abc, 1.5) is 422 instead of 404",
        answer_instead(bad_id_422),
    ),
    Violation(
        "V-REQ-HUGE-ID-500",
        ("REQ-9", "ERR-9"),
        "an id past 64 bits is a 500 (the driver overflows)",
        answer_instead(huge_id_500),
    ),
    Violation(
        "V-REQ-UNKNOWN-PATH-TEXT",
        ("REQ-13", "ERR-1"),
        "a path outside the contract is the framework's text/plain 404",
        rewrite_reply(unknown_path_as_text),
    ),
    Violation(
        "V-REQ-HTML-FOR-BROWSERS",
        ("REQ-14", "TUT-4"),
        "a browser's Accept gets the JSON labelled text/html",
        rewrite_reply(html_for_browsers),
    ),
)
