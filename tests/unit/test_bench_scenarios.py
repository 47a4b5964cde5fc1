"""Scenario and weight parsing of the benchmark tool."""

from __future__ import annotations

import pytest

from notes_bench.scenarios import (
    DEFAULT_MIX,
    SCENARIOS,
    operation_weights,
    parse_scenarios,
    parse_weights,
)


def test_weights_parse_into_operations() -> None:
    assert parse_weights("read=80,update=15,create=5") == {
        "read": 80.0,
        "update": 15.0,
        "create": 5.0,
    }


def test_weights_are_relative_and_zeros_are_dropped() -> None:
    assert parse_weights(" read = 1.5 , list=0, create=0.5,") == {"read": 1.5, "create": 0.5}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("read", "not name=number"),
        ("delete=5", "unknown operation 'delete'"),
        ("mixed=5", "unknown operation 'mixed'"),
        ("read=1,read=2", "given twice"),
        ("read=lots", "not a number"),
        ("read=-1", ">= 0"),
        ("read=nan", ">= 0"),
        ("read=inf", ">= 0"),
        ("read=0,update=0", "at least one"),
        ("", "at least one"),
    ],
)
def test_bad_weights_are_refused_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_weights(text)


def test_scenarios_parse_in_order_without_repeats() -> None:
    assert parse_scenarios("update, read,update") == ("update", "read")
    assert parse_scenarios("all") == SCENARIOS


@pytest.mark.parametrize(("text", "message"), [("reed", "unknown scenario 'reed'"), (",", "no")])
def test_bad_scenarios_are_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_scenarios(text)


def test_each_scenario_sends_its_own_operation_and_mixed_sends_the_mix() -> None:
    assert operation_weights("read", DEFAULT_MIX) == {"read": 1.0}
    assert operation_weights("mixed", {"list": 2.0}) == {"list": 2.0}
    assert operation_weights("mixed", DEFAULT_MIX) == {"read": 80.0, "update": 15.0, "create": 5.0}
    assert operation_weights("ceiling", DEFAULT_MIX) == {"bare": 1.0}
    with pytest.raises(ValueError, match="unknown scenario"):
        operation_weights("delete", DEFAULT_MIX)
