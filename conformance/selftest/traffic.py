"""What passes through the proxy: a request (Exchange), its answer (Reply), and the
helpers violations use to read and rewrite them."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from multidict import CIMultiDict, MultiDictProxy
from yarl import URL

JsonObject = dict[str, Any]
PROBLEM_JSON = "application/problem+json"
ITEM_PATH = re.compile(r"^/notes/([1-9][0-9]*)\Z")
WRITES = frozenset({"POST", "PUT", "PATCH"})


def dumps(value: object) -> bytes:
    """Compact JSON, keys in the order given, non-ASCII as is: how our server writes it."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Exchange:
    """A request as the proxy received it (and as it will forward it)."""

    method: str
    raw_path: str  # path and query, percent-encoded as the client sent them
    headers: CIMultiDict[str]
    body: bytes = b""
    chunked: bool = False

    @property
    def url(self) -> URL:
        return URL(self.raw_path, encoded=True)

    @property
    def path(self) -> str:
        return self.url.path

    @property
    def query(self) -> MultiDictProxy[str]:
        return self.url.query

    def param(self, name: str) -> str | None:
        return self.query.get(name)

    @property
    def note_id(self) -> int | None:
        """The id of `/notes/{id}` when it is written the plain decimal way."""
        match = ITEM_PATH.match(self.path)
        return int(match.group(1)) if match else None

    @property
    def is_listing(self) -> bool:
        return self.method == "GET" and self.path == "/notes"

    @property
    def is_create(self) -> bool:
        return self.method == "POST" and self.path == "/notes"

    @property
    def is_item_write(self) -> bool:
        return self.method in {"PUT", "PATCH"} and self.note_id is not None

    @property
    def media_type(self) -> str | None:
        value = self.headers.get("Content-Type")
        return None if value is None else value.split(";")[0].strip().lower()

    def json_object(self) -> JsonObject | None:
        """The body when it is a JSON object, else None."""
        try:
            value = json.loads(self.body)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def with_json(self, value: object) -> Exchange:
        return replace(self, body=dumps(value))

    def with_path(self, path: str) -> Exchange:
        return replace(self, raw_path=str(self.url.with_path(path, encoded=True)))

    def with_params(self, **changes: str | None) -> Exchange:
        """The same request with query parameters set, or dropped where None."""
        return replace(self, raw_path=relative(with_params(self.url, **changes)))

    def with_header(self, name: str, value: str | None) -> Exchange:
        headers = CIMultiDict(self.headers)
        headers.popall(name, None)
        if value is not None:
            headers[name] = value
        return replace(self, headers=headers)

    def with_method(self, method: str) -> Exchange:
        return replace(self, method=method)


def with_params(url: URL, **changes: str | None) -> URL:
    kept = [(key, value) for key, value in url.query.items() if key not in changes]
    added = [(key, value) for key, value in changes.items() if value is not None]
    return url.with_query(kept + added)


def relative(url: URL) -> str:
    return url.raw_path_qs


@dataclass(frozen=True)
class Reply:
    """An answer, from the server or made up by a violation."""

    status: int
    headers: CIMultiDict[str]
    body: bytes = b""

    @property
    def media_type(self) -> str | None:
        value = self.headers.get("Content-Type")
        return None if value is None else value.split(";")[0].strip().lower()

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def is_problem(self) -> bool:
        return self.media_type == PROBLEM_JSON

    def json(self) -> Any:
        return json.loads(self.body)

    def json_object(self) -> JsonObject | None:
        if self.media_type not in {"application/json", PROBLEM_JSON} or not self.body:
            return None
        try:
            value = json.loads(self.body)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def with_json(self, value: object) -> Reply:
        return replace(self, body=dumps(value))

    def with_status(self, status: int) -> Reply:
        return replace(self, status=status)

    def with_header(self, name: str, value: str | None) -> Reply:
        headers = CIMultiDict(self.headers)
        headers.popall(name, None)
        if value is not None:
            headers[name] = value
        return replace(self, headers=headers)

    def with_body(self, body: bytes, media_type: str | None = None) -> Reply:
        reply = replace(self, body=body)
        return reply if media_type is None else reply.with_header("Content-Type", media_type)


def problem(
    status: int,
    detail: str,
    *,
    errors: list[JsonObject] | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """A problem+json answer, as a server that makes one up would write it."""
    body: JsonObject = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    all_headers = CIMultiDict({"Content-Type": PROBLEM_JSON, **(headers or {})})
    return Reply(status, all_headers, dumps(body))


def invalid(field: str, message: str) -> Reply:
    """A 422 naming one body member."""
    return problem(
        422, "The request body is invalid.", errors=[{"field": f"$.{field}", "message": message}]
    )


def is_note(value: object) -> bool:
    return isinstance(value, dict) and "id" in value and "updated_at" in value


def map_notes(reply: Reply, edit: Callable[[JsonObject], JsonObject | None]) -> Reply | None:
    """The reply with every note it carries (a note, or a page's notes) passed through
    `edit`; None when `edit` changed none of them (it returns None to leave a note)."""
    body = reply.json_object() if reply.media_type == "application/json" else None
    if body is None:
        return None
    if is_note(body):
        changed = edit(dict(body))
        return None if changed is None else reply.with_json(changed)
    notes = body.get("notes")
    if not isinstance(notes, list):
        return None
    edited = [edit(dict(note)) if is_note(note) else None for note in notes]
    if all(note is None for note in edited):
        return None
    new_notes = [new if new is not None else old for new, old in zip(edited, notes, strict=True)]
    return reply.with_json({**body, "notes": new_notes})


def page_of(reply: Reply) -> JsonObject | None:
    """The body of a listing page, or None when the reply is no page."""
    body = reply.json_object() if reply.status == 200 else None
    return body if body is not None and isinstance(body.get("notes"), list) else None


def now_rfc3339() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entity_tags(header: str) -> list[str]:
    """The members of an If-Match or If-None-Match list (`*` is one member)."""
    return [tag.strip() for tag in header.split(",") if tag.strip()]
