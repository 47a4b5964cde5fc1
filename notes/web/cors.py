"""CORS for the origins in NOTES_CORS_ORIGINS (none by default), with aiohttp-cors.

Preflights are answered for every route; the answers expose the headers a browser
script needs (ETag, Location, Link, X-Request-Id) and allow the ones it sends
(Authorization, If-Match, If-None-Match, Content-Type, X-Request-Id). Credentials
(cookies) are never allowed: the API has none, and so `*` in the list can never
combine with them.
"""

from __future__ import annotations

import aiohttp_cors
from aiohttp import hdrs, web

from notes.web.request_ids import REQUEST_ID_HEADER

EXPOSED_HEADERS = (hdrs.ETAG, hdrs.LOCATION, hdrs.LINK, hdrs.RETRY_AFTER, REQUEST_ID_HEADER)
ALLOWED_HEADERS = (
    hdrs.AUTHORIZATION,
    hdrs.IF_MATCH,
    hdrs.IF_NONE_MATCH,
    hdrs.CONTENT_TYPE,
    REQUEST_ID_HEADER,
)
ALLOWED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
# Seconds a browser may keep a preflight's answer.
PREFLIGHT_MAX_AGE = 600


async def _vary_on_origin(request: web.Request, response: web.StreamResponse) -> None:
    # The answer's CORS headers depend on Origin: a shared cache must keep them apart.
    vary = response.headers.get(hdrs.VARY)
    if vary is None:
        response.headers[hdrs.VARY] = hdrs.ORIGIN
    elif hdrs.ORIGIN.lower() not in vary.lower():
        response.headers[hdrs.VARY] = f"{vary}, {hdrs.ORIGIN}"


def setup_cors(app: web.Application, origins: tuple[str, ...]) -> None:
    """Enable CORS on every route registered so far; nothing at all without origins."""
    if not origins:
        return
    options = aiohttp_cors.ResourceOptions(  # type: ignore[no-untyped-call]
        allow_credentials=False,
        expose_headers=EXPOSED_HEADERS,
        allow_headers=ALLOWED_HEADERS,
        allow_methods=ALLOWED_METHODS,
        max_age=PREFLIGHT_MAX_AGE,
    )
    cors = aiohttp_cors.setup(app, defaults=dict.fromkeys(origins, options))
    for route in list(app.router.routes()):
        cors.add(route)
    app.on_response_prepare.append(_vary_on_origin)
