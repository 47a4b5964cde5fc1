"""Reading wrk's figures from its done() hook's JSON: only answers below 400 count."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from notes_bench import wrk
from notes_bench.floors import default_floor
from notes_bench.wrk import FLOOR, WrkRun, lua_script, read_report, shares_of_floor

# What wrk_report.lua writes (one line), for a run with errors of every kind.
REPORT = json.loads(
    '{"duration_us": 2000000, "requests": 17960, "bytes": 3000000, '
    '"errors": {"connect": 0, "read": 2, "write": 1, "status": 17000, "timeout": 4}, '
    '"latency_us": {"min": 100, "max": 1500000, "mean": 458.5, "stdev": 232.2, '
    '"percentiles": {"50": 420, "90": 500, "99": 1500000, "99.9": 1500000}}}'
)


def test_the_report_is_read_into_good_answers_and_errors() -> None:
    run = read_report(REPORT)
    assert run.requests == 17960
    assert run.seconds == 2.0
    assert run.status_errors == 17000
    assert run.socket_errors == 7
    assert run.good_rps == 480.0
    assert run.latency_ms == pytest.approx(
        {"p50": 0.42, "p90": 0.5, "p99": 1500.0, "p99.9": 1500.0, "max": 1500.0, "mean": 0.4585}
    )


def test_every_script_ends_with_the_report_hook() -> None:
    script = lua_script('wrk.method = "POST"')
    assert script.startswith('wrk.method = "POST"\n')
    assert "done = function(summary, latency, requests)" in script
    assert 'os.getenv("NOTES_BENCH_WRK_REPORT")' in script


def _run(rps: float, p99: float | None = None) -> WrkRun:
    latency = {} if p99 is None else {"p99": p99}
    return WrkRun(
        requests=int(rps), seconds=1.0, status_errors=0, socket_errors=0, latency_ms=latency
    )


def test_shares_pair_each_round_with_its_own_floor_figure() -> None:
    measured = {FLOOR: [_run(1000), _run(2000), _run(0)], "read": [_run(400), _run(600), _run(5)]}
    assert shares_of_floor(measured, "read") == [0.4, 0.3]
    assert shares_of_floor(measured, FLOOR) == [1.0, 1.0]


def test_with_a_floor_that_serves_notes_each_operation_is_a_share_of_the_floor_s_same() -> None:
    # The asyncpg floor (issue 12): ours, and a variant of ours, over the floor's run
    # of the same request; the fixed answer stays the reference of anything else.
    measured = {
        FLOOR: [_run(10_000, p99=1.0)],
        "GET /notes/{id}": [_run(900, p99=6.0)],
        "GET /notes/{id} (variant)": [_run(450, p99=12.0)],
        "GET /notes/{id} (floor)": [_run(1000, p99=4.0)],
        "POST /notes": [_run(800, p99=2.0)],
    }
    assert shares_of_floor(measured, "GET /notes/{id}") == [0.9]
    assert shares_of_floor(measured, "GET /notes/{id} (variant)") == [0.45]
    assert shares_of_floor(measured, "GET /notes/{id} (floor)") == [0.1]
    assert shares_of_floor(measured, "POST /notes") == [0.08]
    assert wrk.p99_over_floor(measured, "GET /notes/{id}") == 1.5
    assert wrk.p99_over_floor(measured, "GET /notes/{id} (variant)") == 3.0
    assert wrk.p99_over_floor(measured, "POST /notes") == 2.0


def test_the_floor_follows_the_database() -> None:
    assert default_floor(None) == "aiohttp"
    assert default_floor("sqlite+aiosqlite:///notes.db") == "aiohttp"
    assert default_floor("postgresql+asyncpg://postgres@127.0.0.1/test") == "asyncpg"
    with pytest.raises(SystemExit):
        wrk.main(["--floor", "asyncpg", "--database-url", "sqlite+aiosqlite:///x.db"])


def test_a_variant_is_settings_in_the_environment_and_arguments_after_ours() -> None:
    command = wrk.variant_command(
        "sqlite+aiosqlite:///v.db", ["NOTES_METRICS=on", "--auth", "token"]
    )
    argv = command(8123)
    assert argv[:2] == ["env", "NOTES_METRICS=on"]
    assert argv[-2:] == ["--auth", "token"]
    assert argv[argv.index("--port") + 1] == "8123"


def test_a_variant_runs_the_notes_its_pythonpath_names_from_any_folder(tmp_path: Path) -> None:
    # Run from a checkout, `python -m notes` would take the checkout's own `notes` first.
    for folder, says in (("checkout", "the checkout's"), ("other", "the variant's")):
        package = tmp_path / folder / "notes"
        package.mkdir(parents=True)
        (package / "__init__.py").write_text("")
        (package / "__main__.py").write_text(f"import sys; print({says!r}, sys.argv[1])")
    command = wrk.variant_command("sqlite+aiosqlite:///v.db", [f"PYTHONPATH={tmp_path / 'other'}"])
    ran = subprocess.run(
        command(8123), cwd=tmp_path / "checkout", capture_output=True, text=True, timeout=60
    )
    assert ran.stdout == "the variant's serve\n"


@pytest.mark.parametrize(
    ("variant", "token_mode"),
    [
        (["NOTES_AUTH=token"], True),
        (["--auth", "token"], True),
        (["--auth=token"], True),
        (["NOTES_METRICS=on"], False),
        (["--auth", "none"], False),
    ],
)
def test_token_mode_is_read_from_the_variant(variant: list[str], token_mode: bool) -> None:
    assert wrk.in_token_mode(variant) is token_mode


def test_scripts_of_a_token_mode_variant_carry_the_token() -> None:
    assert 'wrk.headers["Authorization"] = "Bearer t0k"' in wrk.lua_read([1, 2], "t0k")
    assert 'wrk.headers["Authorization"] = "Bearer t0k"' in wrk.lua_create("t0k")
    assert "Authorization" not in wrk.lua_read([1, 2])
