"""HEALTH and TUT: /health, and the tutorial's client on a fresh database."""

from __future__ import annotations

from collections.abc import Callable

from conformance.selftest.catalogue.common import renumbered
from conformance.selftest.traffic import Exchange, Reply
from conformance.selftest.violation import Violation, rewrite_reply

FIRST_ID = 1000


def health_edit(body: bytes, media_type: str) -> Callable[[Exchange, Reply], Reply | None]:
    def edit(exchange: Exchange, reply: Reply) -> Reply | None:
        if exchange.path != "/health" or reply.status != 200:
            return None
        return reply.with_body(body, media_type)

    return edit


def ids_from_1000(inner: int, live: dict[int, int]) -> int:
    """A sequence that starts at 1000 (shared with another table, or seeded)."""
    return inner + FIRST_ID - 1


VIOLATIONS = (
    Violation(
        "V-HEALTH-STATUS-UP",
        ("HEALTH-1",),
        '/health answers {"status": "UP"} (Spring\'s word)',
        rewrite_reply(health_edit(b'{"status":"UP"}', "application/json")),
        fast=True,
    ),
    Violation(
        "V-HEALTH-TEXT",
        ("HEALTH-1",),
        "/health answers text/plain ok",
        rewrite_reply(health_edit(b"ok", "text/plain; charset=utf-8")),
    ),
    Violation(
        "V-TUT-IDS-FROM-1000",
        ("TUT-1",),
        "ids start at 1000: the tutorial's PUT /notes/1 finds nothing",
        renumbered(ids_from_1000),
    ),
)
