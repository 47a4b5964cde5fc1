"""Headers every answer carries for browsers' sake, and the one page's content policy.

No `Server` version (aiohttp would write `Python/3.11 aiohttp/3.x`: a free hint to
whoever scans for a vulnerable version), and `nosniff`, so that a browser never runs
a JSON or text answer as a script or a page.
"""

from __future__ import annotations

from aiohttp import hdrs
from multidict import istr

SERVER_NAME = "notes"
# istr: a header name set on every answer is folded once, here, not on each answer.
CONTENT_TYPE_OPTIONS = istr("X-Content-Type-Options")
NOSNIFF = "nosniff"
SECURITY_HEADERS = {hdrs.SERVER: SERVER_NAME, CONTENT_TYPE_OPTIONS: NOSNIFF}

# /docs loads its scripts, styles and images from this server alone (no CDN, so it
# works offline); Swagger UI sets inline styles and draws icons from data: URIs, and
# fetches /openapi.json from here.
DOCS_CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)
