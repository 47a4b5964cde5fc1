"""Log lines: plain text for people (the default) or one JSON object a line for a
collector; either way each line written while a request is handled names its id.

`configure_logging` is called once per process (the CLI, each worker); the access
log is `AccessLogger`, which aiohttp calls once an answer has gone out.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from pythonjsonlogger.orjson import OrjsonFormatter

from notes.settings import LogFormat
from notes.web.request_ids import REQUEST_ID_HEADER, current_request_id
from notes.web.route_template import route_template

TEXT_FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s [%(request_id)s] %(message)s"
ACCESS_LOGGER = "aiohttp.access"
_NO_ID = "-"


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record: the request being handled, if any. A record
    that names one already (the access log's, made after its request) keeps it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id() or _NO_ID
        return True


def json_formatter() -> logging.Formatter:
    # The record's own attributes (the access log's method, route, status, duration)
    # become members of the object; time is RFC 3339 UTC.
    return OrjsonFormatter(
        ["levelname", "name", "message", "process"],
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",
    )


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time (a test may swap it and close it)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _: object) -> None:
        pass


def configure_logging(log_format: LogFormat, *, level: int = logging.INFO) -> None:
    """Our one handler on the root logger, to stderr, in the format asked for; a
    handler of ours installed before (the CLI's, before the settings were read) goes."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, _StderrHandler):
            root.removeHandler(handler)
    handler = _StderrHandler()
    handler.addFilter(RequestIdFilter())
    formatter = json_formatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    handler.setFormatter(formatter)
    root.addHandler(handler)
    root.setLevel(level)


class AccessLogger(AbstractAccessLogger):
    """One line an answer: its request id, method, route template, status, duration.

    The text line reads like aiohttp's own (`remote "METHOD path HTTP/1.1" status
    size duration`); the fields are also attributes of the record, for the JSON form.
    """

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        version = request.version
        size = response.body_length
        self.logger.info(
            '%s "%s %s HTTP/%d.%d" %d %d %.3fs',
            request.remote,
            request.method,
            request.path_qs,
            version.major,
            version.minor,
            response.status,
            size,
            time,
            extra={
                "request_id": response.headers.get(REQUEST_ID_HEADER, _NO_ID),
                "method": request.method,
                "route": route_template(request),
                "status": response.status,
                "duration": round(time, 6),
                "remote": request.remote,
                "size": size,
            },
        )
