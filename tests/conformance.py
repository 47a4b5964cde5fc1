"""Run the API suite in conformance mode: against any server of the contract.

    python -m tests.conformance --base-url http://host:port [pytest args]

Without --base-url it starts our own server (`notes serve`, a fresh SQLite file, a free
loopback port) in a separate process and points the suite at it, so that the mode
itself is exercised on every CI run, exactly as it will be against a foreign server.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from notes.process import ServerProcess, notes_command


def _pytest(arguments: list[str]) -> int:
    return subprocess.call([sys.executable, "-m", "pytest", "tests/api", *arguments])


def main(arguments: list[str]) -> int:
    if any(arg == "--base-url" or arg.startswith("--base-url=") for arg in arguments):
        return _pytest(arguments)
    with tempfile.TemporaryDirectory(prefix="notes-conformance-") as folder:
        database_url = f"sqlite+aiosqlite:///{Path(folder) / 'notes.db'}"
        command = notes_command(database_url)
        with ServerProcess(command, log_path=Path(folder) / "server.log") as server:
            return _pytest(["--base-url", server.base_url, *arguments])


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
