"""The kit's hooks into schemathesis: its generated notes are marked and recorded like
the hand-written checks' ones, so that the clean-up deletes them too."""

from __future__ import annotations

import uuid
from typing import Any

from schemathesis import Case, GenerationMode, HookContext, Response

from notes_conformance.recording import mark, record_exchange

CREATED_BY_MAX = 100  # code points (VAL-4)


def mark_created_by(case: Case[Any]) -> None:
    """A positive case's `created_by` gets the run's prefix (within VAL-4's length), so
    that what it creates is found as the kit's; negative cases are left as generated."""
    meta = case.meta
    if meta is None or meta.generation.mode != GenerationMode.POSITIVE:
        return
    if isinstance(case.body, dict):
        created_by = case.body.get("created_by")
        if isinstance(created_by, str):
            case.body["created_by"] = (mark() + created_by)[:CREATED_BY_MAX]


def fresh_idempotency_key(case: Case[Any]) -> None:
    """A positive case's `Idempotency-Key` (v1.1) is made unique: generated keys repeat
    ("0") with other bodies, which a server must refuse (IDEM-3, checked on its own);
    a key stands for one request. Negative cases keep theirs (a malformed one is 400)."""
    meta = case.meta
    if meta is None or meta.generation.mode != GenerationMode.POSITIVE or not case.headers:
        return
    for name in list(case.headers):
        if name.lower() == "idempotency-key":
            case.headers[name] = f"{mark()}{uuid.uuid4().hex}"


def whole_floats_as_integers(case: Case[Any]) -> None:
    """A positive case writes a whole-number float (`-338.0`, which JSON Schema counts as an
    integer) as the integer: VAL-10 lets a server refuse it, so only the checks of VAL-10
    and VAL-11 send one."""
    meta = case.meta
    if meta is None or meta.generation.mode != GenerationMode.POSITIVE:
        return
    if isinstance(case.body, dict):
        for key, value in case.body.items():
            if isinstance(value, float) and value.is_integer():
                case.body[key] = int(value)


def record_call(context: HookContext, case: Case[Any], response: Response) -> None:
    """schemathesis' `after_call` hook: the exchange goes to the run's record."""
    del context, case
    headers = {name: ", ".join(values) for name, values in response.headers.items()}
    record_exchange(
        response.request, response.status_code, response.message, headers, response.content
    )
