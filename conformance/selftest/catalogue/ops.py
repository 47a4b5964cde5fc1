"""OPS (v1.1): request ids, liveness and readiness, browser headers, CORS, forwarding.

The self-test's server has no CORS origins and trusts no proxy (the defaults), so the
violations here are the ones a default deployment can show: OPS-10, OPS-12 and OPS-13
need a configuration the kit is told of (--cors-origin, --trusted-proxy).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from yarl import URL

from conformance.selftest.traffic import Exchange, JsonObject, Reply, page_of
from conformance.selftest.violation import Violation, rewrite_reply

REQUEST_ID = "X-Request-Id"
CDN = "https://cdn.jsdelivr.net"
AIOHTTP_SERVER = "Python/3.11 aiohttp/3.14.5"
FORWARDED_HOST = re.compile(r'host="?([^";,\s]+)', re.IGNORECASE)
FORWARDED_PROTO = re.compile(r'proto="?([a-z]+)', re.IGNORECASE)


def header_edit(name: str, value: str | None) -> Callable[[Exchange, Reply], Reply | None]:
    """Every answer with header `name` set to `value` (None: dropped)."""

    def edit(exchange: Exchange, reply: Reply) -> Reply | None:
        return reply.with_header(name, value)

    return edit


def no_id_on_304(exchange: Exchange, reply: Reply) -> Reply | None:
    return reply.with_header(REQUEST_ID, None) if reply.status == 304 else None


def with_request_id(reply: Reply, value: str) -> Reply:
    """The answer with another request id, in its header and its problem's body."""
    body = reply.json_object() if reply.is_problem else None
    if body is not None and "request_id" in body:
        reply = reply.with_json({**body, "request_id": value})
    return reply.with_header(REQUEST_ID, value)


def id_ignored(exchange: Exchange, reply: Reply) -> Reply | None:
    """The server's own id always, whatever the client sent (the problem's too)."""
    if REQUEST_ID not in exchange.headers or REQUEST_ID not in reply.headers:
        return None
    return with_request_id(reply, f"made-{reply.headers[REQUEST_ID]}")


def one_id_for_all(exchange: Exchange, reply: Reply) -> Reply | None:
    """Ids from a counter that is never moved on: requests without one share "req-1"."""
    return None if REQUEST_ID in exchange.headers else with_request_id(reply, "req-1")


def problem_edit(edit: Callable[[JsonObject], None]) -> Callable[[Exchange, Reply], Reply | None]:
    def apply(exchange: Exchange, reply: Reply) -> Reply | None:
        body = reply.json_object() if reply.is_problem else None
        if body is None:
            return None
        edit(body)
        return reply.with_json(body)

    return apply


def no_request_id(body: JsonObject) -> None:
    body.pop("request_id", None)


def another_request_id(body: JsonObject) -> None:
    body["request_id"] = f"{body.get('request_id')}-log"


def nosniff_on_json_only(exchange: Exchange, reply: Reply) -> Reply | None:
    if reply.media_type in {"application/json", "application/problem+json"}:
        return None
    return reply.with_header("X-Content-Type-Options", None)


def policy_with_a_cdn(exchange: Exchange, reply: Reply) -> Reply | None:
    policy = reply.headers.get("Content-Security-Policy")
    if exchange.path != "/docs" or policy is None:
        return None
    return reply.with_header(
        "Content-Security-Policy", policy.replace("script-src 'self'", f"script-src 'self' {CDN}")
    )


def ready_as_text(exchange: Exchange, reply: Reply) -> Reply | None:
    if exchange.path != "/health/ready" or reply.status != 200:
        return None
    return reply.with_body(b"OK", "text/plain; charset=utf-8")


def live_is_missing(exchange: Exchange, reply: Reply) -> Reply | None:
    if exchange.path != "/health/live":
        return None
    return Reply(404, reply.headers, b'{"status":404}').with_header(
        "Content-Type", "application/problem+json"
    )


def origin_reflected(exchange: Exchange, reply: Reply) -> Reply | None:
    """CORS "on" for every origin: the request's Origin is echoed back."""
    origin = exchange.headers.get("Origin")
    if origin is None:
        return None
    return reply.with_header("Access-Control-Allow-Origin", origin)


def any_origin_with_credentials(exchange: Exchange, reply: Reply) -> Reply | None:
    if "Origin" not in exchange.headers:
        return None
    reply = reply.with_header("Access-Control-Allow-Origin", "*")
    return reply.with_header("Access-Control-Allow-Credentials", "true")


def forwarded_believed(exchange: Exchange, reply: Reply) -> Reply | None:
    """`next` and `Link` made of the forwarded host and scheme, whoever sent them."""
    page = page_of(reply) if exchange.is_listing else None
    forwarded = exchange.headers.get("Forwarded", "")
    host = exchange.headers.get("X-Forwarded-Host") or next(
        iter(FORWARDED_HOST.findall(forwarded)), None
    )
    if page is None or page.get("next") is None or host is None:
        return None
    proto = exchange.headers.get("X-Forwarded-Proto") or next(
        iter(FORWARDED_PROTO.findall(forwarded)), "http"
    )
    given = URL(page["next"])
    moved = str(URL.build(scheme=proto, authority=host, encoded=True).join(given.relative()))
    return reply.with_json({**page, "next": moved}).with_header("Link", f'<{moved}>; rel="next"')


VIOLATIONS = (
    Violation(
        "V-OPS-NO-REQUEST-ID-ON-304",
        ("OPS-1",),
        "a 304 carries no X-Request-Id (written by another code path)",
        rewrite_reply(no_id_on_304),
        fast=True,
    ),
    Violation(
        "V-OPS-REQUEST-ID-NOT-ECHOED",
        ("OPS-1",),
        "the client's X-Request-Id is never kept: the server's own id, always",
        rewrite_reply(id_ignored),
    ),
    Violation(
        "V-OPS-REQUEST-ID-REPEATED",
        ("OPS-1",),
        'requests without an X-Request-Id all get "req-1"',
        rewrite_reply(one_id_for_all),
    ),
    Violation(
        "V-OPS-PROBLEM-NO-REQUEST-ID",
        ("OPS-2",),
        "problems carry no request_id",
        rewrite_reply(problem_edit(no_request_id)),
    ),
    Violation(
        "V-OPS-PROBLEM-OTHER-REQUEST-ID",
        ("OPS-2",),
        "a problem's request_id is not the answer's X-Request-Id",
        rewrite_reply(problem_edit(another_request_id)),
    ),
    Violation(
        "V-OPS-LIVE-MISSING",
        ("OPS-4",),
        "GET /health/live is 404 (declared, not served)",
        rewrite_reply(live_is_missing),
    ),
    Violation(
        "V-OPS-READY-TEXT",
        ("OPS-5",),
        "GET /health/ready answers text/plain OK",
        rewrite_reply(ready_as_text),
    ),
    Violation(
        "V-OPS-SERVER-VERSION",
        ("OPS-6",),
        "every answer says Server: Python/3.11 aiohttp/3.14.5 (aiohttp's default)",
        rewrite_reply(header_edit("Server", AIOHTTP_SERVER)),
    ),
    Violation(
        "V-OPS-NOSNIFF-ON-JSON-ONLY",
        ("OPS-7",),
        "X-Content-Type-Options only on JSON answers (not /docs, not 304, not HEAD)",
        rewrite_reply(nosniff_on_json_only),
    ),
    Violation(
        "V-OPS-DOCS-SCRIPTS-FROM-A-CDN",
        ("OPS-8",),
        "/docs' Content-Security-Policy lets scripts load from a CDN",
        rewrite_reply(policy_with_a_cdn),
    ),
    Violation(
        "V-OPS-CORS-ANY-ORIGIN",
        ("OPS-9",),
        "CORS on for every origin, with none configured: Origin is echoed back",
        rewrite_reply(origin_reflected),
    ),
    Violation(
        "V-OPS-CORS-WILDCARD-CREDENTIALS",
        ("OPS-9", "OPS-11"),
        "answers to any Origin allow * with credentials",
        rewrite_reply(any_origin_with_credentials),
    ),
    Violation(
        "V-OPS-FORWARDED-FROM-ANYONE",
        ("OPS-14",),
        "next and Link use X-Forwarded-Host and Forwarded from any client",
        rewrite_reply(forwarded_believed),
    ),
)
