"""The repository's pytest root: the conformance kit's plugin (its options, the checks'
fixtures, the report's record), then our own server for its checks (tests/api/ours.py)."""

pytest_plugins = ["notes_conformance.plugin", "tests.api.ours"]
