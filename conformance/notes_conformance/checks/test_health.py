"""GET /health: ok while the database answers, a 503 problem when it does not."""

from __future__ import annotations

from notes_conformance.checks.support import Api


def test_health_is_ok(api: Api) -> None:
    response = api.get("/health")
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0].strip() == "application/json"
    assert response.json() == {"status": "ok"}
