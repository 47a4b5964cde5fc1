"""What a figure was measured on: versions, machine, command line, time."""

from __future__ import annotations

import datetime
import importlib
import importlib.metadata
import os
import platform
import sys
from collections.abc import Sequence
from pathlib import Path


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def _notes_version() -> str | None:
    try:
        module = importlib.import_module("notes")
    except ImportError:
        return None
    version = getattr(module, "__version__", None)
    return version if isinstance(version, str) else _version("notes")


def versions() -> dict[str, str | None]:
    return {
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "aiohttp": _version("aiohttp"),
        "uvloop": _version("uvloop"),
        "notes": _notes_version(),
        "sqlalchemy": _version("sqlalchemy"),
        "aiosqlite": _version("aiosqlite"),
        "orjson": _version("orjson"),
        "hdrhistogram": _version("hdrhistogram"),
    }


def cpu_model(cpuinfo: str) -> str | None:
    """The first ``model name`` of /proc/cpuinfo text."""
    for line in cpuinfo.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() == "model name":
            return value.strip()
    return None


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _memory_gib() -> float | None:
    for line in _read("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 1024**2, 1)
    return None


def machine() -> dict[str, object]:
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model(_read("/proc/cpuinfo")) or platform.processor() or None,
        "memory_gib": _memory_gib(),
        "platform": platform.platform(),
        "machine": platform.machine(),
    }


def load_average() -> list[float] | None:
    """The 1, 5 and 15 minute load averages: others' work skews every figure."""
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return None


def command_line(argv: Sequence[str] | None) -> list[str]:
    """How this run was started, as a command that repeats it."""
    return ["notes-bench", *(sys.argv[1:] if argv is None else argv)]


def timestamp() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
