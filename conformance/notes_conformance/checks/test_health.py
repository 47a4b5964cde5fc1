"""GET /health: ok while the database answers, a 503 problem when it does not."""

from __future__ import annotations

import pytest

from notes_conformance.checks.support import Api


@pytest.mark.rule("HEALTH-1")
def test_health_is_ok(api: Api) -> None:
    response = api.get("/health")
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0].strip() == "application/json"
    assert response.json() == {"status": "ok"}
