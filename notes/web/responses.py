"""JSON and problem+json answers, serialised once with orjson."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import orjson
from aiohttp import web

from notes.domain.errors import FieldProblem
from notes.domain.records import NoteRecord, dumps
from notes.web.request_ids import current_request_id

PROBLEM_JSON = "application/problem+json"


def json_response(
    body: Any, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=dumps(body), status=status, headers=headers, content_type="application/json"
    )


def note_response(
    note: NoteRecord, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    return json_response(
        note.to_json(), status=status, headers={"ETag": note.etag, **(headers or {})}
    )


def problem_response(
    status: int,
    detail: str,
    *,
    errors: list[FieldProblem] | None = None,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    """An RFC 9457 body; `about:blank` types, so `title` is the status's own phrase."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = [{"field": e.field, "message": e.message} for e in errors]
    request_id = current_request_id()
    if request_id is not None:  # the same as the answer's X-Request-Id
        body["request_id"] = request_id
    return web.Response(
        body=orjson.dumps(body), status=status, headers=headers, content_type=PROBLEM_JSON
    )
