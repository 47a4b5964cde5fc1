"""Request ids: each request gets one, taken from `X-Request-Id` when the client's is a
sane token, made up otherwise; every answer echoes it, every log line of the request
carries it (a context variable the log filter reads), and problem bodies name it.

The outermost middleware, so that every answer the application makes (a 401, a 503
of the concurrency limit, a crash turned into a 500) carries one.
"""

from __future__ import annotations

import contextvars
import os
import random
import re
from collections.abc import Callable

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler, Middleware
from multidict import istr

from notes.web.security import CONTENT_TYPE_OPTIONS, NOSNIFF, SECURITY_HEADERS, SERVER_NAME

REQUEST_ID_HEADER = istr("X-Request-Id")
# Bounded in length and to characters that are safe in a log line, a header and a URL.
_SANE = re.compile(r"[A-Za-z0-9._~:/+=@-]{1,128}")

_current: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "notes_request_id", default=None
)


def current_request_id() -> str | None:
    """The id of the request being handled here, or None outside of one."""
    return _current.get()


def id_maker() -> Callable[[], str]:
    """A maker of 32-hex-digit ids, unique in practice across processes: 128 random bits
    each, from a generator seeded by the OS. Ids need to be distinct, not secret, and
    this costs a third of what reading the OS's randomness for every id does."""
    generator = random.Random(os.urandom(32))
    return lambda: generator.randbytes(16).hex()


def request_id_of(given: str | None, make: Callable[[], str]) -> str:
    """The client's id when it is a sane token, a new one otherwise."""
    if given is not None and _SANE.fullmatch(given):
        return given
    return make()


def request_id_middleware() -> Middleware:
    make = id_maker()

    @web.middleware
    async def request_ids(request: web.Request, handler: Handler) -> web.StreamResponse:
        request_id = request_id_of(request.headers.get(REQUEST_ID_HEADER), make)
        token = _current.set(request_id)
        try:
            response = await handler(request)
        except web.HTTPException as error:  # a redirect, raised past the problem layer
            error.headers[REQUEST_ID_HEADER] = request_id
            error.headers.update(SECURITY_HEADERS)
            raise
        finally:
            # One task serves every request of a connection: the id must not outlive it.
            _current.reset(token)
        # Three plain assignments: a third of what update() with a dict costs.
        headers = response.headers
        headers[REQUEST_ID_HEADER] = request_id
        headers[hdrs.SERVER] = SERVER_NAME
        headers[CONTENT_TYPE_OPTIONS] = NOSNIFF
        return response

    return request_ids
