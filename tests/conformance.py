"""Run the API suite in conformance mode: against any server of the contract.

    python -m tests.conformance --base-url http://host:port [pytest args]

Without --base-url it starts our own server (`notes serve`, a fresh SQLite file, a free
loopback port) in a separate process and points the suite at it, so that the mode
itself is exercised on every CI run, exactly as it will be against a foreign server.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

START_TIMEOUT = 30.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_healthy(base_url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"notes serve exited with {server.returncode} before answering")
        try:
            with urllib.request.urlopen(f"{base_url}/health", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"notes serve did not answer /health within {START_TIMEOUT} s")


def _pytest(arguments: list[str]) -> int:
    return subprocess.call([sys.executable, "-m", "pytest", "tests/api", *arguments])


def main(arguments: list[str]) -> int:
    if any(arg == "--base-url" or arg.startswith("--base-url=") for arg in arguments):
        return _pytest(arguments)
    with tempfile.TemporaryDirectory(prefix="notes-conformance-") as folder:
        port = _free_port()
        base_url = f"http://127.0.0.1:{port}"
        database_url = f"sqlite+aiosqlite:///{Path(folder) / 'notes.db'}"
        environment = {**os.environ, "NOTES_DATABASE_URL": database_url}
        command = [sys.executable, "-m", "notes", "serve", "--port", str(port), "--no-access-log"]
        server = subprocess.Popen(command, env=environment)
        try:
            _wait_until_healthy(base_url, server)
            return _pytest(["--base-url", base_url, *arguments])
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
