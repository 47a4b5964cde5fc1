"""The tool end to end: client processes merged, and wrk's figures through its Lua hook."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from notes.process import ServerProcess
from notes_bench import wrk
from notes_bench.floors import FLOORS
from notes_bench.histogram import Latencies
from notes_bench.options import parse_options
from notes_bench.runner import run_benchmark
from notes_bench.servers import running_server

SERVER = Path(__file__).with_name("stalling_server.py")


@pytest.fixture
def quick_url(tmp_path: Path) -> Iterator[str]:
    """The stalling server, made never to stall."""
    command = [sys.executable, str(SERVER), "--every", str(10**9)]
    with ServerProcess(
        lambda port: [*command, "--port", str(port)], log_path=tmp_path / "server.log"
    ) as server:
        yield server.base_url


def test_client_processes_merge_into_one_histogram(quick_url: str) -> None:
    options = parse_options(
        [
            *("--url", quick_url, "--scenarios", "list", "--seed", "0", "--no-progress"),
            *("--requests", "200", "--concurrency", "4", "--client-processes", "2"),
            *("--rounds", "2", "--warmup", "0", "--no-ceiling"),
        ]
    )
    (row,) = run_benchmark(options, []).rows
    # Two rounds of 100 requests from each of two processes.
    assert [run.successes for run in row.rounds] == [200, 200]
    assert row.histogram is not None
    assert Latencies.decode(row.histogram).count == 400
    assert len(row.timelines) == 2
    assert sum(sum(timeline.successes) for timeline in row.timelines) == 400


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_wrk_reports_through_its_done_hook(tmp_path: Path) -> None:
    options = wrk.build_parser().parse_args(
        ["--duration", "1", "--connections", "2"], namespace=wrk.WrkOptions()
    )
    script = tmp_path / "plain.lua"
    script.write_text(wrk.lua_script(""))
    floor = FLOORS["aiohttp"]
    with running_server(floor.command(None), log_path=tmp_path / "floor.log") as url:
        run = wrk.run_wrk(f"{url}/", options, script, tmp_path)
    assert run.requests > 0
    assert run.status_errors == 0
    assert run.socket_errors == 0
    assert set(run.latency_ms) == {"p50", "p90", "p99", "p99.9", "max", "mean"}
