"""schemathesis 4.x, driven by the document the server under test serves at /openapi.json.

Every built-in check runs (``checks.enabled = true``) on positive and negative data, in
the examples, coverage and fuzzing phases, and then in the stateful phase that follows the
document's links from ``POST /notes`` to the item operations. The only built-in check left
off is ``max_response_time``: it needs a time limit, and this suite makes no timing claims.

Bounded for CI (about a couple of minutes on 2 cores); ``NOTES_SCHEMATHESIS_EXAMPLES``
raises the number of fuzzed examples per operation for a thorough run.
"""

from __future__ import annotations

import os

import hypothesis
import pytest
import schemathesis
from schemathesis import BaseSchema, Case

MAX_EXAMPLES = int(os.environ.get("NOTES_SCHEMATHESIS_EXAMPLES", "40"))
STATEFUL_EXAMPLES = max(MAX_EXAMPLES // 2, 10)


@pytest.fixture(scope="module")
def api_schema(shared_base_url: str) -> BaseSchema:
    config = schemathesis.Config.from_dict(
        {
            "base-url": shared_base_url,
            "generation": {"mode": "all", "max-examples": MAX_EXAMPLES},
            "checks": {"enabled": True},
            "phases": {"stateful": {"max-steps": 12}},
        }
    )
    return schemathesis.openapi.from_url(f"{shared_base_url}/openapi.json", config=config)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(hypothesis.HealthCheck),
    derandomize=True,
    database=None,
)
def test_every_operation_conforms(case: Case) -> None:
    case.call_and_validate()


def test_stateful_sequences_follow_the_links(api_schema: BaseSchema) -> None:
    machine = api_schema.as_state_machine()
    machine.run(
        settings=hypothesis.settings(
            max_examples=STATEFUL_EXAMPLES,
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=list(hypothesis.HealthCheck),
            derandomize=True,
            database=None,
        )
    )
