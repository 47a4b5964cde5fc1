"""ERR: problem+json, the 422 `errors` list, what errors never contain or cause."""

from __future__ import annotations

from collections.abc import Callable

from conformance.selftest.traffic import (
    WRITES,
    Exchange,
    JsonObject,
    Reply,
    problem,
)
from conformance.selftest.violation import (
    Context,
    Handler,
    Violation,
    answer_instead,
    rewrite_reply,
)

LEAK = " (sqlalchemy.exc.NoResultFound: SELECT notes.id FROM notes WHERE notes.id = ?)"


def problem_edit(
    edit: Callable[[Reply, JsonObject], Reply | None], status: int | None = None
) -> Callable[[Exchange, Reply], Reply | None]:
    """`edit` applied to problems (of `status`, when given)."""

    def apply(exchange: Exchange, reply: Reply) -> Reply | None:
        body = reply.json_object() if reply.is_problem else None
        if body is None or (status is not None and reply.status != status):
            return None
        return edit(reply, body)

    return apply


def as_plain_json(reply: Reply, body: JsonObject) -> Reply | None:
    return reply.with_header("Content-Type", "application/json")


def as_text(reply: Reply, body: JsonObject) -> Reply | None:
    lines = [f"{error.get('field')}: {error.get('message')}" for error in body.get("errors", [])]
    return reply.with_body("\n".join(lines).encode(), "text/plain; charset=utf-8")


def status_as_string(reply: Reply, body: JsonObject) -> Reply | None:
    return reply.with_json({**body, "status": str(body.get("status"))})


def status_400(reply: Reply, body: JsonObject) -> Reply | None:
    return reply.with_json({**body, "status": 400})


def no_detail(reply: Reply, body: JsonObject) -> Reply | None:
    return reply.with_json({key: value for key, value in body.items() if key != "detail"})


def first_error_only(reply: Reply, body: JsonObject) -> Reply | None:
    errors = body.get("errors", [])
    return reply.with_json({**body, "errors": errors[:1]}) if len(errors) > 1 else None


def field_is_root(reply: Reply, body: JsonObject) -> Reply | None:
    errors = [{**error, "field": "$"} for error in body.get("errors", [])]
    return reply.with_json({**body, "errors": errors})


def leaks_sql(exchange: Exchange, reply: Reply) -> Reply | None:
    body = reply.json_object() if reply.is_problem and reply.status == 404 else None
    if body is None or not exchange.path.startswith("/notes/"):
        return None
    return reply.with_json({**body, "detail": str(body.get("detail", "")) + LEAK})


def partial_patch() -> Handler:
    """A PATCH with one bad member applies the good ones before answering 422."""

    async def handle(exchange: Exchange, context: Context) -> Reply:
        reply = await context.forward(exchange)
        body = exchange.json_object() if exchange.method == "PATCH" else None
        if reply.status != 422 or body is None or exchange.note_id is None:
            return reply
        named = " ".join(
            str(error.get("field")) for error in (reply.json_object() or {}).get("errors", [])
        )
        good = {key: value for key, value in body.items() if key not in named}
        if not good or len(good) == len(body):
            return reply
        applied = await context.fetch(
            "PATCH", f"/notes/{exchange.note_id}", exchange.with_json(good).body
        )
        if applied.status == 200:
            context.hit()
        return reply

    return handle


def fails_on_quotes(exchange: Exchange) -> Reply | None:
    body = exchange.json_object() if exchange.method in WRITES else None
    texts = [value for value in (body or {}).values() if isinstance(value, str)]
    if not any("'" in text for text in texts):
        return None
    return problem(500, "Internal server error.")


VIOLATIONS = (
    Violation(
        "V-ERR-PROBLEM-AS-JSON",
        ("ERR-1",),
        "problems are labelled application/json, not application/problem+json",
        rewrite_reply(problem_edit(as_plain_json)),
        fast=True,
    ),
    Violation(
        "V-ERR-422-AS-TEXT",
        ("ERR-1", "ERR-3"),
        "a 422 is a text/plain list of field: message lines",
        rewrite_reply(problem_edit(as_text, 422)),
    ),
    Violation(
        "V-ERR-STATUS-STRING",
        ("ERR-2",),
        'the problem\'s status is a string ("422")',
        rewrite_reply(problem_edit(status_as_string)),
    ),
    Violation(
        "V-ERR-STATUS-MISMATCH",
        ("ERR-2",),
        "a 422 problem says status 400",
        rewrite_reply(problem_edit(status_400, 422)),
    ),
    Violation(
        "V-ERR-NO-DETAIL",
        ("ERR-2",),
        "problems have no detail",
        rewrite_reply(problem_edit(no_detail)),
    ),
    Violation(
        "V-ERR-FIRST-ERROR-ONLY",
        ("ERR-4",),
        "a 422 lists only the first problem (fail-fast validation)",
        rewrite_reply(problem_edit(first_error_only, 422)),
        fast=True,
    ),
    Violation(
        "V-ERR-FIELD-IS-ROOT",
        ("ERR-5",),
        'every 422 entry says field "$" (the body), not the member',
        rewrite_reply(problem_edit(field_is_root, 422)),
    ),
    Violation(
        "V-ERR-LEAKS-SQL",
        ("ERR-7",),
        "a 404 on a note names the SQL and the exception",
        rewrite_reply(leaks_sql),
    ),
    Violation(
        "V-ERR-PARTIAL-PATCH",
        ("ERR-8",),
        "a PATCH with one bad member applies the others, then answers 422",
        partial_patch,
    ),
    Violation(
        "V-ERR-500-ON-QUOTES",
        ("ERR-9",),
        "a string with a ' in a body is a 500 (SQL built by hand)",
        answer_instead(fails_on_quotes),
    ),
)
