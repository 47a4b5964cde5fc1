"""`tox -e conformance`: the kit, as any user runs it, against our server.

    python -m conformance.ours [notes-conformance flags]

Starts our server (`notes serve`, a fresh SQLite file, a free loopback port, one CORS
origin allowed) with notes/process.py's ServerProcess and runs `notes-conformance URL
--exclusive --cors-origin ORIGIN` (the data is ours to wipe); then our server in token
mode (v1.1), users A, B and an admin made by `notes users add`, and `notes-conformance
URL --token A --token B --admin-token X` over the v1.1 rules that need tokens. Flags
given here go to both runs; the exit status is the worse of them.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from notes.process import ServerProcess, notes_command, service_environment
from tests.api.token_server import add_user

KIT = (sys.executable, "-m", "notes_conformance")
V11_RULES = ("AUTH", "OWN", "IDEM-7")
# The origin our server allows in plain mode, so that the kit's CORS checks (OPS-10,
# OPS-12) run; the forwarding rule checked is OPS-14 (no proxy trusted, the default).
ALLOWED_ORIGIN = "https://app.example"


def kit(base_url: str, *arguments: str) -> int:
    return subprocess.call([*KIT, base_url, *arguments], env=service_environment())


def plain_mode(folder: Path, arguments: list[str]) -> int:
    database_url = f"sqlite+aiosqlite:///{folder / 'notes.db'}"
    env = service_environment({"NOTES_CORS_ORIGINS": ALLOWED_ORIGIN})
    command = notes_command(database_url)
    with ServerProcess(command, log_path=folder / "server.log", env=env) as server:
        return kit(server.base_url, "--exclusive", "--cors-origin", ALLOWED_ORIGIN, *arguments)


def token_mode(folder: Path, arguments: list[str]) -> int:
    database_url = f"sqlite+aiosqlite:///{folder / 'tokens.db'}"
    tokens = [add_user(database_url, name) for name in ("alice", "bob")]
    admin = add_user(database_url, "root", admin=True)
    command = notes_command(database_url, "--auth", "token")
    # Room for the bad tokens the v1.1 checks send on purpose.
    env = service_environment({"NOTES_AUTH_FAILURE_LIMIT": "100"})
    with ServerProcess(command, log_path=folder / "token-server.log", env=env) as server:
        given = ["--token", tokens[0], "--token", tokens[1], "--admin-token", admin]
        selection = [f"--rule={prefix}" for prefix in V11_RULES]
        return kit(server.base_url, *given, *selection, *arguments)


def main(arguments: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="notes-conformance-") as name:
        folder = Path(name)
        plain = plain_mode(folder, arguments)
        tokens = token_mode(folder, arguments)
    return max(plain, tokens)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
