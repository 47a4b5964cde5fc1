"""Helpers shared by the API suite: a small HTTP client, note factories and contract assertions.

Every helper speaks plain HTTP to a base URL, so the same tests run against our own server
and against any other implementation of the contract (conformance mode).
"""

from __future__ import annotations

import contextvars
import json
import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode, urljoin

import requests

from notes_conformance.recording import mark, record
from notes_conformance.tls import tls_verify

JsonObject = dict[str, Any]

NOTE_KEYS = ["id", "title", "description", "created_at", "created_by", "priority", "updated_at"]
WRITABLE_KEYS = ("title", "description", "created_at", "created_by", "priority")
PROBLEM_JSON = "application/problem+json"
RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")
INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1
MIB = 1024 * 1024
SORT_KEYS = ("id", "priority", "created_at", "updated_at", "title")
# What an error body must never reveal: a traceback, SQL, or the database driver speaking.
LEAK_MARKERS = (
    "Traceback",
    'File "',
    "sqlalchemy",
    "sqlite3",
    "aiosqlite",
    "asyncpg",
    "psycopg",
    "OperationalError",
    "IntegrityError",
    "DataError",
    "SELECT ",
    "INSERT INTO",
    "UPDATE notes",
    "DELETE FROM",
)


def unique(prefix: str = "api") -> str:
    """A string no other test (or other run against the same server) will produce; it
    starts with the run's mark, so that the clean-up finds the notes it names."""
    return f"{mark()}{prefix}-{uuid.uuid4().hex[:20]}"


@dataclass
class Api:
    """A `requests` session bound to the base URL of the server under test."""

    base_url: str
    session: requests.Session = field(default_factory=requests.Session)

    def url(self, path: str) -> str:
        return urljoin(self.base_url + "/", path.lstrip("/"))

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 60)
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("verify", tls_verify())
        url = with_query(self.url(path), kwargs.pop("params", None))
        response = self.session.request(method, url, **kwargs)
        record(response)
        return response

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def head(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("HEAD", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def send_json(
        self,
        method: str,
        path: str,
        payload: object,
        *,
        content_type: str | None = "application/json",
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Send ``payload`` serialized as JSON (``ensure_ascii=False``) with the given type."""
        all_headers = dict(headers or {})
        if content_type is not None:
            all_headers["Content-Type"] = content_type
        try:
            body = json.dumps(payload, ensure_ascii=False).encode()
        except UnicodeEncodeError:  # a lone surrogate: only a \u escape can carry it
            body = json.dumps(payload).encode()
        return self.request(method, path, data=body, headers=all_headers)

    def create(self, payload: Mapping[str, object]) -> JsonObject:
        response = self.send_json("POST", "/notes", dict(payload))
        assert response.status_code == 201, response.text
        note: JsonObject = response.json()
        return note

    def read(self, note_id: int) -> requests.Response:
        return self.get(f"/notes/{note_id}")

    def etag(self, note_id: int) -> str:
        response = self.read(note_id)
        assert response.status_code == 200, response.text
        return response.headers["ETag"]

    def list_page(self, path_or_url: str, **params: object) -> requests.Response:
        response = self.get(path_or_url, params=params or None)
        assert response.status_code == 200, response.text
        return response

    def walk(self, **params: object) -> Iterator[list[JsonObject]]:
        """Yield every page of ``GET /notes`` with ``params``, following ``next``."""
        response = self.list_page("/notes", **params)
        seen_urls: set[str] = set()
        while True:
            body = response.json()
            yield body["notes"]
            if body["next"] is None:
                return
            next_url = urljoin(response.url, body["next"])
            assert next_url not in seen_urls, f"pagination loops on {next_url}"
            seen_urls.add(next_url)
            response = self.list_page(next_url)

    def all_notes(self, **params: object) -> list[JsonObject]:
        return [note for page in self.walk(**params) for note in page]


def with_query(url: str, params: Mapping[str, object] | Sequence[tuple[str, object]] | None) -> str:
    """``url`` with ``params`` added to its query, a space written `%20`: the contract does
    not say how a `+` in a query reads (a space, as HTML forms write one, or a plus sign
    [RFC 3986]), so the kit never sends one."""
    pairs = params.items() if isinstance(params, Mapping) else params or ()
    query = urlencode([(k, v) for k, v in pairs if v is not None], doseq=True, quote_via=quote)
    return f"{url}{'&' if '?' in url else '?'}{query}" if query else url


def note_payload(owner: str, **fields: object) -> JsonObject:
    """A valid create body owned by ``owner``; ``fields`` override or add writable fields."""
    payload: JsonObject = {"title": "a note", "created_by": owner}
    payload.update(fields)
    return payload


def parse_time(value: str) -> datetime:
    assert RFC3339_UTC.match(value), f"not RFC 3339 UTC with Z: {value!r}"
    return datetime.fromisoformat(value).astimezone(UTC)


def assert_note_shape(note: Mapping[str, object]) -> None:
    """The representation rules every returned note follows, whatever its values."""
    assert list(note) == NOTE_KEYS
    assert type(note["id"]) is int
    assert note["id"] >= 1
    for key in ("title", "description", "created_by"):
        assert isinstance(note[key], str)
    assert type(note["priority"]) is int
    assert isinstance(note["created_at"], str)
    assert isinstance(note["updated_at"], str)
    parse_time(note["created_at"])
    parse_time(note["updated_at"])


def assert_note_response(response: requests.Response, status: int = 200) -> JsonObject:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].split(";")[0].strip() == "application/json"
    note: JsonObject = response.json()
    assert_note_shape(note)
    assert_strong_etag(response.headers.get("ETag"))
    return note


def assert_strong_etag(etag: str | None) -> str:
    assert etag is not None, "missing ETag"
    assert re.fullmatch(r'"[\x21\x23-\x7e\x80-\xff]*"', etag), f"not a strong ETag: {etag!r}"
    return etag


def assert_no_leak(text: str) -> None:
    for marker in LEAK_MARKERS:
        assert marker not in text, f"error body leaks {marker!r}: {text[:500]}"


def assert_problem(
    response: requests.Response, status: int, *, field: str | None = None
) -> JsonObject:
    """An RFC 9457 problem with ``status``; a 422 names ``field`` in one of its ``errors``."""
    assert response.status_code == status, f"{response.status_code}: {response.text[:1000]}"
    content_type = response.headers.get("Content-Type", "")
    assert content_type.split(";")[0].strip() == PROBLEM_JSON, content_type
    assert_no_leak(response.text)
    problem: JsonObject = response.json()
    assert isinstance(problem, dict)
    for key in ("type", "title", "detail"):
        assert isinstance(problem.get(key), str), f"problem {key!r}: {problem}"
    assert problem["status"] == status
    assert not isinstance(problem["status"], bool)
    if status == 422:
        errors = problem.get("errors")
        assert isinstance(errors, list), problem
        assert errors, problem
        for error in errors:
            assert isinstance(error, dict), problem
            assert isinstance(error.get("field"), str), problem
            assert isinstance(error.get("message"), str), problem
            assert error["message"], problem
        if field is not None:
            assert any(field in error["field"] for error in errors), (
                f"no error names {field!r}: {errors}"
            )
    return problem


def allowed_methods(response: requests.Response) -> set[str]:
    allow = response.headers.get("Allow")
    assert allow is not None, "405 without an Allow header"
    return {method.strip().upper() for method in allow.split(",") if method.strip()}


def create_many(api: Api, payloads: list[JsonObject], *, workers: int = 8) -> list[JsonObject]:
    """Create notes in parallel (each worker with its own connection); results in input order."""

    def create(payload: JsonObject) -> JsonObject:
        with requests.Session() as session:
            session.trust_env = False
            return Api(api.base_url, session).create(payload)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        # Each call in a copy of this context: the run's recorder sees the notes made.
        futures = [pool.submit(contextvars.copy_context().run, create, p) for p in payloads]
        return [future.result() for future in futures]
