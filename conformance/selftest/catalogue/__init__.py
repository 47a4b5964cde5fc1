"""Every violation, by area of docs/contract.md, and the controls."""

from __future__ import annotations

from conformance.selftest.catalogue import (
    cond,
    controls,
    crud,
    doc,
    err,
    health,
    listing,
    ops,
    req,
    res,
    val,
)
from conformance.selftest.violation import Violation

VIOLATIONS: tuple[Violation, ...] = (
    *res.VIOLATIONS,
    *val.VIOLATIONS,
    *crud.VIOLATIONS,
    *cond.VIOLATIONS,
    *listing.VIOLATIONS,
    *req.VIOLATIONS,
    *err.VIOLATIONS,
    *doc.VIOLATIONS,
    *health.VIOLATIONS,
    *ops.VIOLATIONS,
)
CONTROLS: tuple[Violation, ...] = controls.CONTROLS
FAST: tuple[Violation, ...] = tuple(violation for violation in VIOLATIONS if violation.fast)


def by_id(ids: list[str]) -> tuple[Violation, ...]:
    """The violations and controls named, in the order given; KeyError for an unknown id."""
    known = {violation.id: violation for violation in (*VIOLATIONS, *CONTROLS)}
    return tuple(known[name] for name in ids)
