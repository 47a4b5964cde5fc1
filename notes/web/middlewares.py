"""Where every error becomes problem+json: domain errors, aiohttp's own, and bugs."""

from __future__ import annotations

import logging

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler, Middleware

from notes.domain.errors import NotesError, Overloaded, ValidationFailed
from notes.web.responses import problem_response

logger = logging.getLogger(__name__)
# What went wrong, by the error's class name: the metrics count problems by it.
PROBLEM_TYPE = web.ResponseKey("problem_type", str)
# Headers of aiohttp's own errors that the client still needs (405's Allow).
_KEPT_HEADERS = (hdrs.ALLOW,)


def _detail(request: web.Request, error: web.HTTPException) -> str:
    if isinstance(error, web.HTTPMethodNotAllowed):
        allowed = ", ".join(sorted(error.allowed_methods))
        return f"{request.method} is not allowed on {request.path}; allowed: {allowed}."
    if isinstance(error, web.HTTPNotFound):
        return f"There is nothing at {request.path}."
    # aiohttp's own text says what went wrong (e.g. the body-size limit it enforces).
    return error.text or error.reason


@web.middleware
async def problem_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except NotesError as error:
        problems = error.problems if isinstance(error, ValidationFailed) else None
        headers = {"Retry-After": "1"} if isinstance(error, Overloaded) else None
        response = problem_response(error.status, error.detail, errors=problems, headers=headers)
        response[PROBLEM_TYPE] = type(error).__name__
        return response
    except web.HTTPException as error:
        if error.status < 400:
            raise
        headers = {
            str(name): error.headers[name] for name in _KEPT_HEADERS if name in error.headers
        }
        response = problem_response(error.status, _detail(request, error), headers=headers)
        response[PROBLEM_TYPE] = type(error).__name__
        return response
    except Exception:
        # Never a stack trace, SQL or a driver's words to the client: they go to the log.
        logger.exception("unhandled error in %s %s", request.method, request.path)
        response = problem_response(500, "The server failed to answer this request.")
        response[PROBLEM_TYPE] = "InternalError"
        return response


def concurrency_limit(limit: int) -> Middleware:
    """Refuse requests beyond `limit` in flight (503, Retry-After) rather than queue
    without bound; runs inside the problem middleware, which shapes the answer."""
    in_flight = 0

    @web.middleware
    async def limit_concurrency(request: web.Request, handler: Handler) -> web.StreamResponse:
        nonlocal in_flight
        if in_flight >= limit:
            raise Overloaded()
        in_flight += 1
        try:
            return await handler(request)
        finally:
            in_flight -= 1

    return limit_concurrency
