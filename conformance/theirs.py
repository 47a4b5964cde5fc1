"""`tox -e conformance-independent`: the kit against a server that is not ours.

    python -m conformance.theirs [notes-conformance flags]

Starts conformance/independent/server.js, an implementation of the contract's v1 written
from docs/contract.md alone (Node.js, no dependencies, notes in memory), on a free
loopback port with notes/process.py's ServerProcess, and runs `notes-conformance URL
--exclusive` against it (its data is ours to wipe): once as it reads the contract, then
with every other reading it has of what the contract leaves open (`--reading all`,
conformance/independent/README.md). A correct server written by someone else must pass: a
failure here is the kit or the contract asking for more than v1 says, or a bug of that
server (issue 18, part 7). Flags given here go to both runs; the exit status is the worse.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from notes.process import LOOPBACK, CommandForPort, ServerProcess, service_environment

SERVER = Path(__file__).resolve().parent / "independent" / "server.js"
KIT = (sys.executable, "-m", "notes_conformance")
OLDEST_NODE = 18


# What each run is, and the server's flags for it.
RUNS = (
    ("its own readings of the contract", ()),
    ("every other reading it has of what the contract leaves open", ("--reading", "all")),
)


def node_command(node: str, flags: tuple[str, ...]) -> CommandForPort:
    def command(port: int) -> list[str]:
        return [node, str(SERVER), "--host", LOOPBACK, "--port", str(port), *flags]

    return command


def node_major(node: str) -> int | None:
    version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30)
    found = re.match(r"v(\d+)\.", version.stdout)
    return int(found.group(1)) if found else None


def main(arguments: list[str]) -> int:
    node = shutil.which("node")
    major = None if node is None else node_major(node)
    if node is None or major is None or major < OLDEST_NODE:
        found = "not on PATH" if node is None else f"{node} is version {major}"
        print(
            f"conformance-independent: needs Node.js {OLDEST_NODE} or later (node: {found})",
            file=sys.stderr,
        )
        return 2
    codes = []
    with tempfile.TemporaryDirectory(prefix="notes-independent-") as name:
        for number, (what, flags) in enumerate(RUNS, start=1):
            print(f"conformance-independent, run {number}: {what}", flush=True)
            log_path = Path(name) / f"server-{number}.log"
            with ServerProcess(node_command(node, flags), log_path=log_path) as server:
                kit = [*KIT, server.base_url, "--exclusive", *arguments]
                codes.append(subprocess.call(kit, env=service_environment()))
    return max(codes)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
