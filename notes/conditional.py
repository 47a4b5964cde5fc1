"""Conditional requests (RFC 9110 section 13): If-Match and If-None-Match."""

from __future__ import annotations

import re

from notes.errors import PreconditionFailed

_ENTITY_TAG = re.compile(r'\s*(W/)?("[^"]*")\s*(?:,|$)')


def _entity_tags(header: str) -> list[tuple[bool, str]]:
    """(weak, opaque tag) pairs of a comma-separated list; unparseable parts are skipped."""
    return [(bool(weak), tag) for weak, tag in _ENTITY_TAG.findall(header)]


def if_match_holds(header: str | None, etag: str) -> bool:
    """Strong comparison: a weak tag never matches; `*` matches any current note."""
    if header is None:
        return True
    if header.strip() == "*":
        return True
    return any(not weak and tag == etag for weak, tag in _entity_tags(header))


def require_if_match(header: str | None, etag: str) -> None:
    if not if_match_holds(header, etag):
        raise PreconditionFailed()


def if_none_match_matches(header: str | None, etag: str) -> bool:
    """Weak comparison, as RFC 9110 asks for If-None-Match: True means "not modified"."""
    if header is None:
        return False
    if header.strip() == "*":
        return True
    return any(tag == etag for _, tag in _entity_tags(header))
