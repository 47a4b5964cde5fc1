"""schemathesis 4.x, driven by the document the server under test serves at /openapi.json.

Every built-in check runs (``checks.enabled = true``) on positive and negative data, in
the examples, coverage and fuzzing phases, and then in the stateful phase that follows the
document's links from ``POST /notes`` to the item operations. The only built-in check left
off is ``max_response_time``: it needs a time limit, and this suite makes no timing claims.

Bounded for CI (well under two minutes on 2 cores): 100 examples per operation and phase,
50 stateful scenarios; ``HYPOTHESIS_PROFILE=thorough`` multiplies both by ten, and
``NOTES_SCHEMATHESIS_EXAMPLES`` sets the base number. Derandomization and the example
database follow the loaded Hypothesis profile (``ci`` is derandomized, with no database).
"""

from __future__ import annotations

import os
from typing import Any

import hypothesis
import hypothesis.errors
import pytest
import schemathesis
from _pytest.nodeid import NodeId
from schemathesis import BaseSchema, Case, CheckFunction, GenerationMode, HookContext, Response

from notes_conformance.fuzzing import (
    fresh_idempotency_key,
    mark_created_by,
    record_call,
    whole_floats_as_integers,
)
from notes_conformance.tls import tls_verify

SCALE = 10 if os.environ.get("HYPOTHESIS_PROFILE", "").strip() == "thorough" else 1
MAX_EXAMPLES = int(os.environ.get("NOTES_SCHEMATHESIS_EXAMPLES", "100")) * SCALE
STATEFUL_EXAMPLES = max(MAX_EXAMPLES // 2, 10)
STEPS = 12 * SCALE


def bounded(**overrides: Any) -> hypothesis.settings:
    """The loaded profile's settings, bounded for HTTP round trips.

    Every health check is off: they time generation against wall-clock limits or count
    filtered examples, and here each example is a network call to a server whose own
    state grows; neither says anything about the API.
    """
    return hypothesis.settings(
        hypothesis.settings.default,
        deadline=None,
        suppress_health_check=list(hypothesis.HealthCheck),
        print_blob=False,
        **overrides,
    )


# 412 is the right answer to a well-formed If-Match that names another ETag: the document
# cannot say which tags are current, so a schema-valid precondition may fail. Every other
# status the check allows by default stays as it is.
POSITIVE_STATUSES = ["2xx", "3xx", "401", "403", "404", "409", "412", "429", "5xx"]
# A wrong body with an If-Match that fails may be 412 as well as 400 or 422: v1 leaves
# open which answer wins (docs/contract.md, after COND-10). schemathesis' own list, and 412.
NEGATIVE_STATUSES = [
    *("400", "401", "403", "404", "405", "406", "409", "412", "415", "422", "428", "429", "5xx")
]


@pytest.fixture(scope="module")
def api_schema(shared_base_url: str) -> BaseSchema:
    config = schemathesis.Config.from_dict(
        {
            "base-url": shared_base_url,
            "tls-verify": tls_verify(),
            "generation": {"mode": "all", "max-examples": MAX_EXAMPLES},
            "checks": {
                "enabled": True,
                "positive_data_acceptance": {"expected-statuses": POSITIVE_STATUSES},
                "negative_data_rejection": {"expected-statuses": NEGATIVE_STATUSES},
            },
            "phases": {"stateful": {"max-steps": STEPS}},
        }
    )
    loaded = schemathesis.openapi.from_url(f"{shared_base_url}/openapi.json", config=config)
    loaded.hook(map_case)
    loaded.hook("after_call")(record_call)
    return loaded


def map_case(context: HookContext, case: Case[Any]) -> Case[Any]:
    """Positive cases carry no made-up cursor.

    A cursor is valid only if the server gave it out; no schema can describe that set, and the
    contract makes any other (forged) cursor a 422. Negative cases keep whatever they carry.
    A positive case's `created_by` carries the run's mark (the clean-up's handle), and its
    whole-number floats are integers (VAL-10).
    """
    del context
    meta = case.meta
    if meta is not None and meta.generation.mode == GenerationMode.POSITIVE and case.query:
        case.query.pop("cursor", None)
    mark_created_by(case)
    fresh_idempotency_key(case)
    whole_floats_as_integers(case)
    return case


schema = schemathesis.pytest.from_fixture("api_schema")


def _get_node_id(node: pytest.Item) -> str:
    return node.nodeid


def _set_node_id(node: pytest.Item, value: str) -> None:
    node._id = NodeId.parse(value)


@pytest.fixture(autouse=True)
def _node_id_compatibility(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let schemathesis 4.32 rename the running test per operation under pytest >= 9.2.

    `schemathesis.pytest.from_fixture` reads and writes `Function._nodeid`, which pytest 9.2
    replaced by a structured `_id`; without this every lazily loaded schema test fails with
    AttributeError before it sends a request. Undone after each test.
    """
    if not hasattr(pytest.Function, "_nodeid"):
        monkeypatch.setattr(
            pytest.Function,
            "_nodeid",
            property(_get_node_id, _set_node_id),
            raising=False,
        )


# DOC-9 alone: every kind of failure the fuzzing finds (a 500 among them) is the server
# not doing what its document says, and ERR-9 has checks of its own; a rejected valid
# body reported under ERR-9 ("nothing produces a 500") would mislead.
@pytest.mark.rule("DOC-9")
@schema.parametrize()
@bounded(max_examples=MAX_EXAMPLES)
def test_every_operation_conforms(case: Case[Any]) -> None:
    case.call_and_validate()


@pytest.mark.rule("DOC-8", "DOC-9")
def test_stateful_sequences_follow_the_links(api_schema: BaseSchema) -> None:
    failures: list[Exception] = []

    class Workflow(api_schema.as_state_machine()):  # type: ignore[misc]
        def validate_response(
            self,
            response: Response,
            case: Case[Any],
            additional_checks: list[CheckFunction] | None = None,
            **kwargs: Any,
        ) -> None:
            try:
                super().validate_response(
                    response, case, additional_checks=additional_checks, **kwargs
                )
            except Exception as failure:
                failures.append(failure)
                raise

    try:
        Workflow.run(settings=bounded(max_examples=STATEFUL_EXAMPLES, stateful_step_count=STEPS))
    except hypothesis.errors.Flaky:
        # The server's state moves on between scenarios (new ids, notes others deleted), so
        # Hypothesis cannot always replay a scenario step for step. That alone is no failure:
        # every response received was checked as it came (schemathesis's own runner reads it
        # the same way). A check that failed along the way is the real result.
        if failures:
            raise failures[0] from None
