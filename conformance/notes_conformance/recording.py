"""What the checks sent and received: the last exchange of each check, for the report,
and every note the run created, for the clean-up.

The checks' HTTP helper (`checks.support.Api`) and the schemathesis hooks call `record`;
the plugin opens a `Recorder` for the run and marks which check is running. A context
variable carries it, so that a check's worker threads record too when they are started
with a copy of the context, and nothing is recorded outside a run of the kit.
"""

from __future__ import annotations

import contextvars
import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urljoin

import requests
from requests.structures import CaseInsensitiveDict

# What a body or header block may take in the report.
TRIM = 600
# The prefix of every `created_by` the checks make up; a run adds its own id to it.
MARK = "nc-"


def _text(value: str | bytes) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else value


def trim(text: str, limit: int = TRIM) -> str:
    return (
        text if len(text) <= limit else f"{text[:limit]}... ({len(text) - limit} more characters)"
    )


@dataclass(frozen=True)
class Exchange:
    """One request and its answer, as the report shows them."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str
    status: int
    reason: str
    response_headers: dict[str, str]
    response_body: str

    @classmethod
    def build(
        cls,
        request: requests.PreparedRequest,
        status: int,
        reason: str,
        headers: Mapping[str, str],
        content: bytes,
    ) -> Exchange:
        body = request.body
        sent = body.decode("utf-8", "replace") if isinstance(body, bytes) else (body or "")
        return cls(
            method=request.method or "",
            url=request.url or "",
            request_headers={
                name: ("Bearer ..." if name.lower() == "authorization" else _text(value))
                for name, value in request.headers.items()
            },
            request_body=trim(str(sent)),
            status=status,
            reason=reason,
            response_headers=dict(headers),
            response_body=trim(content.decode("utf-8", "replace")),
        )

    def header(self, name: str) -> str | None:
        return next(
            (value for key, value in self.response_headers.items() if key.lower() == name.lower()),
            None,
        )


@dataclass(frozen=True)
class CreatedNote:
    """Where a note the run created lives, and the credentials that may delete it."""

    url: str
    authorization: str | None


@dataclass
class Recorder:
    """The run's record: the last exchange per check, and the notes created."""

    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    last: dict[str, Exchange] = field(default_factory=dict)
    created: dict[str, CreatedNote] = field(default_factory=dict)
    # The newest note id on the target before the run wrote (None: not known).
    newest_before: int | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def mark(self) -> str:
        """The `created_by` prefix of this run's notes."""
        return f"{MARK}{self.run_id}-"

    def note(self, check: str | None, exchange: Exchange, authorization: str | None) -> None:
        with self._lock:
            if check is not None:
                self.last[check] = exchange
            location = exchange.header("Location")
            if exchange.method == "POST" and exchange.status == 201 and location:
                url = urljoin(exchange.url, location)
                self.created[url] = CreatedNote(url, authorization)

    def forget(self, url: str) -> None:
        with self._lock:
            self.created.pop(url, None)


_recorder: contextvars.ContextVar[Recorder | None] = contextvars.ContextVar(
    "notes_conformance_recorder", default=None
)
_check: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "notes_conformance_check", default=None
)


def record_exchange(
    request: requests.PreparedRequest,
    status: int,
    reason: str,
    headers: Mapping[str, str],
    content: bytes,
) -> None:
    """Keep an exchange as the running check's last; remember a note it created."""
    recorder = _recorder.get()
    if recorder is not None:
        exchange = Exchange.build(request, status, reason, headers, content)
        authorization = request.headers.get("Authorization")
        recorder.note(
            _check.get(), exchange, None if authorization is None else _text(authorization)
        )


def record(response: requests.Response) -> None:
    """`record_exchange` for a response of `requests` (the checks' HTTP helper)."""
    record_exchange(
        response.request,
        response.status_code,
        response.reason or "",
        CaseInsensitiveDict(response.headers),
        response.content,
    )


def mark() -> str:
    """The prefix for a made-up `created_by`: the run's own, or the kit's outside a run."""
    recorder = _recorder.get()
    return MARK if recorder is None else recorder.mark


@contextmanager
def recording(recorder: Recorder) -> Iterator[Recorder]:
    token = _recorder.set(recorder)
    try:
        yield recorder
    finally:
        _recorder.reset(token)


@contextmanager
def running(check: str) -> Iterator[None]:
    token = _check.set(check)
    try:
        yield
    finally:
        _check.reset(token)


def headers_text(headers: Mapping[str, str]) -> str:
    return trim("\n".join(f"{name}: {value}" for name, value in headers.items()))
