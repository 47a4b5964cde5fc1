"""Hypothesis profiles for every suite, chosen by ``HYPOTHESIS_PROFILE`` (default ``dev``).

- ``ci``: the same examples on every run (derandomized, no example database), a bounded
  number of them, no deadline, and a reproduction blob printed with every failure.
- ``dev``: Hypothesis' defaults, with the local example database replaying past failures.
- ``thorough``: ten times the examples and longer stateful runs, for a nightly or a hunt.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from hypothesis import HealthCheck, settings

PROFILE_ENV = "HYPOTHESIS_PROFILE"
DEFAULT_PROFILE = "dev"
PROFILES = ("ci", "dev", "thorough")


def register_profiles(environ: Mapping[str, str] | None = None) -> str:
    """Register the profiles, load the one ``HYPOTHESIS_PROFILE`` names, and return its name."""
    settings.register_profile(
        "ci",
        derandomize=True,
        database=None,
        max_examples=50,
        stateful_step_count=40,
        deadline=None,
        print_blob=True,
        # too_slow measures wall-clock generation time: on a shared two-core runner it
        # would fail or pass depending on the neighbours, which derandomizing is meant to end.
        suppress_health_check=[HealthCheck.too_slow],
    )
    settings.register_profile("dev")
    settings.register_profile(
        "thorough",
        max_examples=1000,
        stateful_step_count=100,
        deadline=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    environ = os.environ if environ is None else environ
    name = environ.get(PROFILE_ENV, "").strip() or DEFAULT_PROFILE
    if name not in PROFILES:
        raise ValueError(f"{PROFILE_ENV} must be one of {', '.join(PROFILES)}, got {name!r}")
    settings.load_profile(name)
    return name
