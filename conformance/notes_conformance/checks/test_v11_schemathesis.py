"""schemathesis against a server in token mode, with user A's token (v1.1, OWN-10).

The same checks as test_schemathesis.py, every one of them (``ignored_auth`` among
them: it sends each operation without the token, and with a made-up one, and wants
a 401), on the token-mode document; half its examples, to keep the api run bounded.
Positive data only: negative data would send hundreds of malformed Authorization
headers, which a server counts as guesses (AUTH-5) until it answers 429; the bodies
and parameters it would try are the v1 run's, validated by the same code. A
created_by that is not the caller's own name is a 422 that no schema can describe,
so positive cases carry the caller's name, as a client of v1.1 does.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from schemathesis import BaseSchema, Case, GenerationMode, HookContext

from notes_conformance.checks.test_schemathesis import (
    MAX_EXAMPLES,
    POSITIVE_STATUSES,
    STEPS,
    _node_id_compatibility,
    bounded,
)
from notes_conformance.checks.tokens import Users
from notes_conformance.fuzzing import fresh_idempotency_key, record_call, whole_floats_as_integers

__all__ = ["_node_id_compatibility"]  # an autouse fixture, needed here too
EXAMPLES = max(MAX_EXAMPLES // 2, 10)


@pytest.fixture(scope="module")
def owner_name(v11_users: Users) -> str:
    note = v11_users.a.create({"title": "schemathesis: whoami"})
    name: str = note["created_by"]
    return name


@pytest.fixture(scope="module")
def token_schema(v11_users: Users, owner_name: str) -> BaseSchema:
    document = v11_users.anonymous().get("/openapi.json").json()
    schemes = {
        name: {"bearer": v11_users.tokens[0]}
        for name, scheme in document["components"].get("securitySchemes", {}).items()
        if scheme.get("type") == "http" and scheme.get("scheme", "").lower() == "bearer"
    }
    config = schemathesis.Config.from_dict(
        {
            "base-url": v11_users.base_url,
            "generation": {"mode": "positive", "max-examples": EXAMPLES},
            "checks": {
                "enabled": True,
                "positive_data_acceptance": {"expected-statuses": POSITIVE_STATUSES},
            },
            "phases": {"stateful": {"max-steps": STEPS}},
            "auth": {"openapi": schemes},
        }
    )
    loaded = schemathesis.openapi.from_url(f"{v11_users.base_url}/openapi.json", config=config)

    def as_the_owner(context: HookContext, case: Case[Any]) -> Case[Any]:
        del context
        meta = case.meta
        if meta is None or meta.generation.mode != GenerationMode.POSITIVE:
            return case
        if case.query:
            case.query.pop("cursor", None)
        if isinstance(case.body, dict) and "created_by" in case.body:
            case.body["created_by"] = owner_name
        fresh_idempotency_key(case)
        whole_floats_as_integers(case)
        return case

    loaded.hook("map_case")(as_the_owner)
    loaded.hook("after_call")(record_call)
    return loaded


schema = schemathesis.pytest.from_fixture("token_schema")


@pytest.mark.rule("OWN-10")
@schema.parametrize()
@bounded(max_examples=EXAMPLES)
def test_every_operation_conforms_with_a_token(case: Case[Any]) -> None:
    case.call_and_validate()
