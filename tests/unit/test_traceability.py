"""Every rule of the contract is checked, every kit check says what it checks, and
docs/traceability.md says so truly (issue 18: rule -> tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.traceability import (
    KIT_CHECKS,
    OUR_TESTS,
    PAGE,
    Cited,
    cited_in,
    collect,
    contract_rules,
    current_page,
)

EXAMPLE = """
import pytest

pytestmark = [pytest.mark.rule("LIST-1")]

@pytest.mark.parametrize("x", [1])
@pytest.mark.rule("RES-1", "RES-2")
def test_cites(x): ...

@pytest.mark.norule("exercises the fixture itself")
async def test_explains(): ...

def helper(): ...

@pytest.mark.rule("CRUD-1")
class TestGroup:
    def test_inner(self): ...
"""


def test_the_reader_sees_every_form_of_marker() -> None:
    found = {test.name: test for test in cited_in(EXAMPLE, "checks/test_example.py")}
    assert set(found) == {"test_cites", "test_explains", "TestGroup::test_inner"}
    assert found["test_cites"].rules == ("LIST-1", "RES-1", "RES-2")
    assert found["test_explains"] == Cited(
        "checks/test_example.py", "test_explains", ("LIST-1",), "exercises the fixture itself"
    )
    assert found["TestGroup::test_inner"].rules == ("LIST-1", "CRUD-1")
    assert found["TestGroup::test_inner"].label == "test_example::TestGroup::test_inner"


def test_every_kit_check_cites_a_rule_or_says_why_not() -> None:
    kit = collect(KIT_CHECKS)
    assert len(kit) > 100
    silent = [test.label for test in kit if not test.rules and not test.norule]
    assert silent == [], "add @pytest.mark.rule(...) or @pytest.mark.norule('why')"


@pytest.mark.parametrize("folder", [KIT_CHECKS, OUR_TESTS], ids=["kit", "ours"])
def test_every_cited_id_is_a_rule_of_the_contract(folder: Path) -> None:
    rules = contract_rules()
    cited = {(test.label, rule) for test in collect(folder) for rule in test.rules}
    unknown = {f"{label}: {rule}" for label, rule in cited if rule not in rules}
    assert unknown == set()


def test_every_rule_has_a_check() -> None:
    cited = {rule for test in collect(KIT_CHECKS) + collect(OUR_TESTS) for rule in test.rules}
    unchecked = [rule.id for rule in contract_rules().values() if rule.id not in cited]
    assert unchecked == [], "each rule needs a kit check or one of our tests citing it"


def test_the_traceability_page_is_current() -> None:
    assert PAGE.read_text("utf-8") == current_page(), (
        "docs/traceability.md is stale: run `python -m tests.traceability`"
    )
