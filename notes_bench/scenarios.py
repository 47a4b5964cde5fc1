"""Scenario names and the operation mix each one sends."""

from __future__ import annotations

from collections.abc import Mapping

# One request kind each; `bare` is the ceiling's GET of the trivial server.
OPERATIONS = ("read", "list", "create", "update")
SCENARIOS = (*OPERATIONS, "mixed")
CEILING = "ceiling"
BARE_OPERATION = "bare"

DEFAULT_MIX: Mapping[str, float] = {"read": 80.0, "update": 15.0, "create": 5.0}
# Operations that need notes to exist first.
NEEDS_SEED = frozenset({"read", "update"})


def parse_weights(text: str) -> dict[str, float]:
    """Parse ``read=80,update=15,create=5`` into operation weights.

    Weights are relative (they need not sum to 100); zero weights are dropped.
    """
    weights: dict[str, float] = {}
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        name, sep, raw = item.partition("=")
        name = name.strip()
        if not sep:
            raise ValueError(f"weight {item!r} is not name=number")
        if name not in OPERATIONS:
            raise ValueError(f"unknown operation {name!r} in weights; use {', '.join(OPERATIONS)}")
        if name in weights:
            raise ValueError(f"operation {name!r} given twice in weights")
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(f"weight of {name!r} is not a number: {raw.strip()!r}") from None
        if not value >= 0 or value == float("inf"):
            raise ValueError(f"weight of {name!r} must be a finite number >= 0, got {raw.strip()}")
        weights[name] = value
    weights = {name: value for name, value in weights.items() if value > 0}
    if not weights:
        raise ValueError("weights must give at least one operation a weight above 0")
    return weights


def parse_scenarios(text: str) -> tuple[str, ...]:
    """Parse ``read,list`` (or ``all``) into scenario names, in the order given."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if names == ["all"]:
        return SCENARIOS
    unknown = [name for name in names if name not in SCENARIOS]
    if unknown:
        raise ValueError(f"unknown scenario {unknown[0]!r}; use {', '.join(SCENARIOS)} or all")
    if not names:
        raise ValueError("no scenario given")
    return tuple(dict.fromkeys(names))


def operation_weights(scenario: str, mix: Mapping[str, float]) -> dict[str, float]:
    """The operations a scenario sends, with their relative weights."""
    if scenario == "mixed":
        return dict(mix)
    if scenario == CEILING:
        return {BARE_OPERATION: 1.0}
    if scenario in OPERATIONS:
        return {scenario: 1.0}
    raise ValueError(f"unknown scenario {scenario!r}")
