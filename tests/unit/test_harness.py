"""The harness itself: which backend the database-backed tests run on."""

from __future__ import annotations

from tests.conftest import postgres_is_under_test


def test_the_backend_under_test_is_the_one_notes_test_backend_names(backend: str) -> None:
    # CI sets NOTES_TEST_DATABASE_URL for every environment; only NOTES_TEST_BACKEND
    # may move a suite to PostgreSQL, or SQLite, the default, would go untested there.
    expected = "postgresql" if postgres_is_under_test() else "sqlite"
    assert backend == expected
