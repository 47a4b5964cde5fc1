"""Ways to take the database away from a running server, and to give it back.

The suite runs as root, and root ignores file permissions: a `chmod` proves nothing.
What does stop root from writing:

* a full disk: the database lives on a tmpfs of a few MiB, filled up by a filler file
  (SQLite: "database or disk is full", SQLITE_FULL); deleting the filler frees it;
* the immutable attribute (`chattr +i`, needs CAP_LINUX_IMMUTABLE): writes through the
  server's already open descriptors fail with EPERM (SQLite: "disk I/O error",
  SQLITE_IOERR), new opens of the file for writing too; `chattr -i` lifts it;
* another process holding SQLite's write lock (`BEGIN EXCLUSIVE`) for longer than the
  busy timeout ("database is locked", SQLITE_BUSY); its rollback releases it;
* for PostgreSQL, a TCP proxy in front of it (see ``proxy``), cut and restored.
"""

from __future__ import annotations

import contextlib
import errno
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

FILL_CHUNK = 64 * 1024


class FaultUnavailable(RuntimeError):
    """This machine cannot simulate the fault (not root, no tmpfs, no chattr)."""


def _run(*command: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    if result.returncode != 0:
        raise FaultUnavailable(f"{' '.join(command)}: {result.stderr.strip()}")


@contextlib.contextmanager
def tmpfs(directory: Path, *, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` mounted on ``directory`` for the duration of the block."""
    directory.mkdir(parents=True, exist_ok=True)
    _run("mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(directory))
    try:
        yield directory
    finally:
        # Lazy: a server that is still being killed must not leave the mount behind.
        subprocess.run(["umount", "-l", str(directory)], check=False, timeout=30)


class DiskFull:
    """Fill the filesystem holding ``directory`` to the last byte; ``clear`` frees it."""

    def __init__(self, directory: Path, database: Path | None = None) -> None:
        self._filler = directory / f"filler-{uuid.uuid4().hex[:8]}"
        self._database = database

    def inject(self) -> None:
        if self._database is not None:
            # A WAL that has been checkpointed keeps its size and is written over from
            # the start: writes would fit in space taken before the disk filled (with
            # the listing indexes of 0005 a few dozen writes fill the WAL past its
            # checkpoint). Truncated, every write needs new space, as the fault means.
            with contextlib.closing(sqlite3.connect(self._database)) as connection:
                (busy, _, _) = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            assert busy == 0, "the WAL could not be truncated before filling the disk"
        size = FILL_CHUNK
        with self._filler.open("wb", buffering=0) as filler:
            while size >= 1:
                try:
                    filler.write(b"\0" * size)
                except OSError as error:
                    if error.errno != errno.ENOSPC:
                        raise
                    size //= 2

    def clear(self) -> None:
        self._filler.unlink(missing_ok=True)


class Immutable:
    """`chattr +i` on the database and its WAL; ``clear`` is `chattr -i`, always safe to repeat."""

    def __init__(self, database: Path) -> None:
        self._paths = [database, database.with_name(database.name + "-wal")]

    def inject(self) -> None:
        _run("chattr", "+i", *(str(path) for path in self._paths if path.exists()))

    def clear(self) -> None:
        for path in self._paths:
            if path.exists():
                subprocess.run(["chattr", "-i", str(path)], check=False, timeout=30)


class Locked:
    """Another connection holds the database's write lock until ``clear``."""

    def __init__(self, database: Path) -> None:
        self._database = database
        self._connection: sqlite3.Connection | None = None

    def inject(self) -> None:
        self._connection = sqlite3.connect(self._database, isolation_level=None)
        self._connection.execute("BEGIN EXCLUSIVE")

    def clear(self) -> None:
        if self._connection is not None:
            self._connection.execute("ROLLBACK")
            self._connection.close()
            self._connection = None


def check_chattr(directory: Path) -> None:
    """Raise FaultUnavailable unless `chattr +i` works here (and undo it at once)."""
    probe = directory / "chattr-probe"
    probe.write_bytes(b"probe")
    try:
        _run("chattr", "+i", str(probe))
        try:
            with probe.open("ab") as handle:
                handle.write(b"x")
        except PermissionError:
            return
        finally:
            subprocess.run(["chattr", "-i", str(probe)], check=False, timeout=30)
        raise FaultUnavailable("chattr +i does not stop writes on this filesystem")
    finally:
        probe.unlink(missing_ok=True)
