"""Conditional requests (RFC 9110 section 13), read with aiohttp's own parser.

aiohttp parses If-Match and If-None-Match into ETags (``request.if_match``); this
adds only what the contract needs beyond it: a header that is present but names no
valid tag is a condition that nothing meets (412), not the absence of one, and a
quoted ``"*"`` is an opaque tag, not the wildcard.
"""

from __future__ import annotations

from aiohttp import hdrs, web

from notes.domain.conditions import ANY, IfMatch


def if_match(request: web.BaseRequest) -> IfMatch | None:
    """The write's precondition: strong comparison, so weak tags never match."""
    header = request.headers.get(hdrs.IF_MATCH)
    if header is None:
        return None
    if header.strip() == "*":
        return ANY
    tags = request.if_match or ()
    return IfMatch(frozenset(f'"{tag.value}"' for tag in tags if not tag.is_weak))


def not_modified(request: web.BaseRequest, etag: str) -> bool:
    """If-None-Match, by weak comparison: True when the client's copy is current."""
    header = request.headers.get(hdrs.IF_NONE_MATCH)
    if header is None:
        return False
    if header.strip() == "*":
        return True
    return any(f'"{tag.value}"' == etag for tag in request.if_none_match or ())
