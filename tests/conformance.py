"""Run the API suite in conformance mode: against any server of the contract.

    python -m tests.conformance --base-url http://host:port [pytest args]
    python -m tests.conformance --base-url URL --token A --token B [--admin-token X]

Without --base-url it starts our own server (`notes serve`, a fresh SQLite file, a free
loopback port) in a separate process and points the suite at it, so that the mode
itself is exercised on every CI run, exactly as it will be against a foreign server.
With ``--auth token`` (and no --base-url) that server runs in token mode (v1.1), its
users made by `notes users add`, and the v1.1 files run with their tokens.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from notes.process import ServerProcess, notes_command, service_environment
from tests.api.tokens import add_user


def _pytest(arguments: list[str]) -> int:
    return subprocess.call([sys.executable, "-m", "pytest", "tests/api", *arguments])


def _token_mode(database_url: str, folder: Path, arguments: list[str]) -> int:
    """Our server in token mode, users A, B and an admin: the v1.1 files with their tokens."""
    tokens = [add_user(database_url, name) for name in ("alice", "bob")]
    admin = add_user(database_url, "root", admin=True)
    command = notes_command(database_url, "--auth", "token")
    # Room for the failures the run sends on purpose before test_v11_throttle.py, the last.
    env = service_environment({"NOTES_AUTH_FAILURE_LIMIT": "100"})
    with ServerProcess(command, log_path=folder / "server.log", env=env) as server:
        given = ["--token", tokens[0], "--token", tokens[1], "--admin-token", admin]
        files = sorted(str(path) for path in Path("tests/api").glob("test_v11_*.py"))
        pytest_command = [sys.executable, "-m", "pytest", *files, "--base-url", server.base_url]
        return subprocess.call([*pytest_command, *given, *arguments])


def main(arguments: list[str]) -> int:
    if any(arg == "--base-url" or arg.startswith("--base-url=") for arg in arguments):
        return _pytest(arguments)
    token_mode = arguments[:2] == ["--auth", "token"]
    arguments = arguments[2:] if token_mode else arguments
    with tempfile.TemporaryDirectory(prefix="notes-conformance-") as folder:
        database_url = f"sqlite+aiosqlite:///{Path(folder) / 'notes.db'}"
        if token_mode:
            return _token_mode(database_url, Path(folder), arguments)
        command = notes_command(database_url)
        with ServerProcess(command, log_path=Path(folder) / "server.log") as server:
            return _pytest(["--base-url", server.base_url, *arguments])


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
