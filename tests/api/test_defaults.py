"""`notes serve` with its default settings answers where the tutorial's URLs point."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

from notes.process import ServerProcess, http_status

TUTORIAL_PORT = 8080


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.mark.rule("TUT-5")
def test_the_default_address_is_the_tutorials(tmp_path: Path) -> None:
    if not _port_is_free(TUTORIAL_PORT):
        pytest.skip(f"port {TUTORIAL_PORT} is taken on this machine; TUT-5 needs it free")
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'notes.db'}"

    def serve_without_address(port: int) -> list[str]:
        del port  # the default is the point: no --host, no --port
        return [sys.executable, "-m", "notes", "serve", "--database-url", database_url]

    server = ServerProcess(
        serve_without_address, log_path=tmp_path / "server.log", port=TUTORIAL_PORT
    )
    with server:
        for host in ("localhost", "127.0.0.1"):
            assert http_status(f"http://{host}:{TUTORIAL_PORT}/notes") == 200, host
