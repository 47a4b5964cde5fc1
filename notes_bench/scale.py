"""``notes-bench scale``: listing latency against table size (issue 13).

The database grows in steps (10,000, 100,000, 1,000,000 notes by default). For each
step the schema goes down to 0003 (no listing indexes, no search table), notes are
added straight into the table (``scale_seed``), and the schema comes back up to head,
which builds the indexes over the populated table, as a real upgrade would. Then a
server is started on it, and every listing family is asked for, one request at a time:
its first page, and a deep page (the page after `DEEP_NOTES` notes, reached through
the cursors). The median of `repeats` requests is kept.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from http import HTTPStatus
from pathlib import Path

from notes.domain.listing import SORT_VALUES
from notes.process import ServerProcess, notes_command
from notes.storage.migrations import downgrade_database, upgrade_database
from notes_bench.scale_seed import seed

PAGE = 50
# The revision before the listing indexes: rows go in before the indexes are built.
BEFORE_INDEXES = "0004"
DEEP_NOTES = 5_000
# Each family: a name for the table and plot, and its query string.
FAMILIES: tuple[tuple[str, str], ...] = (
    *((f"sort={sort}", f"sort={sort}") for sort in SORT_VALUES),
    ("created_by & sort=-priority", "created_by=user0042&sort=-priority"),
    ("created_by & sort=title", "created_by=user0042&sort=title"),
    ("priority & sort=-updated_at", "priority=3&sort=-updated_at"),
    ("priority & sort=title", "priority=3&sort=title"),
    ("created_by & priority & sort=-created_at", "created_by=user0042&priority=3&sort=-created_at"),
    ("q rare (6+ chars)", "q=99999"),
    ("q absent (4 chars)", "q=zzzz"),
    ("q common word", "q=alpha"),
    ("q four common words", "q=alpha%20beta%20gamma%20delta"),
    ("q absent (1 char)", "q=!"),
    ("q common (2 chars)", "q=al"),
    ("q absent (2 chars)", "q=zz"),
)


def _get(url: str) -> tuple[float, dict[str, object] | None]:
    """The time to the answer, and the page; no page when the listing went over the
    server's time budget (503, LIST-24): that time is what the client waited."""
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            body = response.read()
    except urllib.error.HTTPError as error:
        if error.code != HTTPStatus.SERVICE_UNAVAILABLE:
            raise
        return time.perf_counter() - started, None
    return time.perf_counter() - started, json.loads(body)


def _deep_url(base: str, query: str) -> str | None:
    """The URL of the page after `DEEP_NOTES` notes, or None when there are fewer (or a
    page on the way is over the budget)."""
    url = f"{base}/notes?{query}&limit=1000"
    for _ in range(DEEP_NOTES // 1000):
        _, page = _get(url)
        following = None if page is None else page["next"]
        if not isinstance(following, str):
            return None
        url = following
    return url.replace("limit=1000", f"limit={PAGE}")


def _median_ms(url: str, repeats: int) -> tuple[float, int]:
    """The median time, and how many of the `repeats` answers were over the budget."""
    _get(url)  # warm the cache: a single client's steady state, not a cold disk
    answers = [_get(url) for _ in range(repeats)]
    over = sum(page is None for _, page in answers)
    return statistics.median(seconds for seconds, _ in answers) * 1000, over


def measure(base: str, repeats: int) -> dict[str, dict[str, float | int | None]]:
    results: dict[str, dict[str, float | int | None]] = {}
    for name, query in FAMILIES:
        first, first_over = _median_ms(f"{base}/notes?{query}&limit={PAGE}", repeats)
        deep_url = _deep_url(base, query)
        deep, deep_over = (None, 0) if deep_url is None else _median_ms(deep_url, repeats)
        results[name] = {
            "first": first,
            "deep": deep,
            "first_over_budget": first_over,
            "deep_over_budget": deep_over,
        }
        over = f"  ({first_over}/{repeats} over budget)" if first_over else ""
        shown = deep if deep is None else round(deep, 2)
        print(f"  {name:45} first {first:8.2f} ms  deep {shown}{over}")
    return results


def run(database_url: str, sizes: Sequence[int], repeats: int, workdir: Path) -> dict[str, object]:
    by_size: dict[str, object] = {}
    stored = 0
    for size in sizes:
        upgrade_database(database_url, BEFORE_INDEXES)
        downgrade_database(database_url, BEFORE_INDEXES)
        started = time.perf_counter()
        seed(database_url, size - stored)
        seeded = time.perf_counter() - started
        started = time.perf_counter()
        upgrade_database(database_url)
        indexed = time.perf_counter() - started
        stored = size
        print(f"{size} notes: seeded in {seeded:.1f} s, indexed in {indexed:.1f} s")
        with ServerProcess(notes_command(database_url), log_path=workdir / "server.log") as server:
            by_size[str(size)] = {
                "seed_s": seeded,
                "index_s": indexed,
                "families": measure(server.base_url, repeats),
            }
    return by_size


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="notes-bench scale", description=__doc__)
    parser.add_argument("--database-url", help="default: a new SQLite file in a temporary folder")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--json", type=Path, required=True, help="where the results go")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="notes-scale-") as folder:
        workdir = Path(folder)
        url = args.database_url or f"sqlite+aiosqlite:///{workdir / 'scale.db'}"
        results = run(url, sizes, args.repeats, workdir)
    args.json.write_text(json.dumps({"database": url.split(":")[0], "sizes": results}, indent=1))
    return 0
