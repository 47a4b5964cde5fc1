"""Conditional requests (RFC 9110 section 13): If-Match and If-None-Match."""

from __future__ import annotations

import re

from notes.domain.errors import PreconditionFailed

# One member of an entity-tag list (RFC 9110 section 8.8.3): W/ is case-sensitive.
_LIST_MEMBER = re.compile(r'[ \t]*(?:(W/)?("[\x21\x23-\x7e\x80-\xff]*")[ \t]*)?(?:,|$)')


def _entity_tags(header: str) -> list[tuple[bool, str]]:
    """(weak, opaque tag) pairs of a comma-separated list; a list that does not parse as
    a whole matches nothing (junk around a tag must not make it match)."""
    tags: list[tuple[bool, str]] = []
    position = 0
    while position < len(header):
        member = _LIST_MEMBER.match(header, position)
        if member is None or member.end() == position:
            return []
        if member[2] is not None:
            tags.append((member[1] is not None, member[2]))
        position = member.end()
    return tags


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
