"""Example budgets for tests that start a server per example, relative to the loaded profile."""

from __future__ import annotations

from hypothesis import HealthCheck, settings


def server_settings(fraction: float, *, shared_fixture: bool = False) -> settings:
    """The loaded profile's settings with ``fraction`` of its examples and no deadline.

    Each example here makes real HTTP requests (and often starts a server), so a per-example
    deadline would only measure the machine. ``shared_fixture`` suppresses the
    function-scoped-fixture health check for tests whose fixture is meant to be shared by
    all examples: either a server that examples cannot disturb each other through, or the
    factory of fresh databases that each example calls for its own.
    """
    current = settings()
    suppressed = list(current.suppress_health_check)
    if shared_fixture:
        suppressed.append(HealthCheck.function_scoped_fixture)
    return settings(
        current,
        max_examples=max(5, round(current.max_examples * fraction)),
        deadline=None,
        suppress_health_check=suppressed,
    )
