"""What the plugin and the command share about a run (the command must not import the
plugin: pytest would then find it imported already and could not rewrite its asserts)."""

from __future__ import annotations

import pytest

from notes_conformance.outcomes import Outcomes
from notes_conformance.recording import Recorder

HYPOTHESIS_PROFILE = "notes-conformance"
recorder_key = pytest.StashKey[Recorder]()
outcomes_key = pytest.StashKey[Outcomes]()


def rules_of(item: pytest.Item) -> tuple[str, ...]:
    """The rule ids a check cites with `@pytest.mark.rule(...)`."""
    return tuple(str(rule) for marker in item.iter_markers("rule") for rule in marker.args)


def norule_of(item: pytest.Item) -> str | None:
    """Why a check that cites no rule is in the kit (`@pytest.mark.norule("why")`)."""
    marker = item.get_closest_marker("norule")
    return None if marker is None else " ".join(str(arg) for arg in marker.args)
