"""Benchmark flags, CPU lists, loopback checks and the split of load among processes."""

from __future__ import annotations

import pytest

from notes_bench.affinity import format_cpus, parse_cpus, pinned_command
from notes_bench.environment import cpu_model
from notes_bench.options import parse_options
from notes_bench.runner import plan_workers, split
from notes_bench.seed import NotePool
from notes_bench.servers import ServerError, check_url


def test_concurrency_levels_keep_their_order_once_each() -> None:
    assert parse_options(["--concurrency", "1,8,64,256"]).concurrency == (1, 8, 64, 256)
    assert parse_options(["--concurrency", "64, 8,64"]).concurrency == (64, 8)


def test_rates_make_an_open_loop_over_one_connection_level() -> None:
    options = parse_options(["--rates", "1000,2000.5", "--slo", "p99=50ms"])
    assert options.open_loop
    assert options.levels() == [(64, 1000.0), (64, 2000.5)]
    assert parse_options(["--rate", "10", "--concurrency", "4"]).levels() == [(4, 10.0)]
    assert parse_options([]).levels() == [(1, None), (8, None), (64, None), (256, None)]


def test_cpu_lists_use_the_taskset_syntax() -> None:
    assert parse_cpus("0") == {0}
    assert parse_cpus("0-2,5") == {0, 1, 2, 5}
    assert format_cpus(frozenset({3, 1})) == "1,3"
    for bad in ("", "a", "3-1", "-1"):
        with pytest.raises(ValueError, match="CPU"):
            parse_cpus(bad)


def test_pinned_command_wraps_only_when_pinning() -> None:
    assert pinned_command(["srv"], None) == ["srv"]
    assert pinned_command(["srv", "-x"], frozenset({0, 1})) == ["taskset", "-c", "0,1", "srv", "-x"]


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8080", "http://127.0.0.2:1/", "http://localhost", "https://[::1]:9"],
)
def test_loopback_urls_are_accepted(url: str) -> None:
    assert check_url(url) == url.removesuffix("/")


@pytest.mark.parametrize("url", ["http://10.0.0.1:8080", "http://example.com:80"])
def test_a_remote_url_needs_allow_remote(url: str) -> None:
    with pytest.raises(ServerError, match="--allow-remote"):
        check_url(url)
    assert check_url(url, allow_remote=True) == url


@pytest.mark.parametrize(
    "url", ["ftp://127.0.0.1:21", "127.0.0.1:8080", "http://127.0.0.1:8080/notes"]
)
def test_urls_that_are_not_a_server_root_are_refused(url: str) -> None:
    with pytest.raises(ServerError):
        check_url(url, allow_remote=True)


def test_defaults_and_smoke_defaults() -> None:
    options = parse_options([])
    assert options.concurrency == (1, 8, 64, 256)
    assert options.duration == 10.0
    assert options.rounds == 3
    assert options.ceiling
    assert options.floor == "aiohttp"
    smoke = parse_options(["--smoke", "--concurrency", "2"])
    assert smoke.smoke
    assert smoke.concurrency == (2,)
    assert smoke.duration == 1.0
    assert smoke.rounds == 1
    assert smoke.scenarios == ("read", "list", "create", "update", "mixed")
    assert smoke.to_json()["concurrency"] == [2]


@pytest.mark.parametrize(
    "argv",
    [
        ["--duration", "1", "--requests", "5"],
        ["--url", "http://127.0.0.1:1", "--database-url", "sqlite+aiosqlite:///x.db"],
        ["--scenarios", "update", "--seed", "10", "--concurrency", "64"],
        ["--scenarios", "read", "--seed", "0"],
        ["--weights", "read=1,delete=1"],
        ["--compare", "a.json", "b.json", "c.json"],
        ["--concurrency", "0"],
        ["--concurrency", "x"],
        ["--concurrency", "5000"],
        ["--rate", "100", "--requests", "10"],
        ["--rate", "100", "--concurrency", "1,2"],
        ["--rate", "-1"],
        ["--slo", "p95=1ms"],
        ["--rounds", "0"],
        ["--duration", "nan"],
        ["--floor", "nginx"],
    ],
)
def test_conflicting_flags_are_usage_errors(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        parse_options(argv)
    assert raised.value.code == 2


def test_split_spreads_evenly_over_non_empty_shares() -> None:
    assert split(10, 3) == [4, 3, 3]
    assert split(2, 4) == [1, 1]
    assert split(8, 1) == [8]


def test_every_note_is_updated_by_exactly_one_connection() -> None:
    options = parse_options(
        ["--scenarios", "mixed", "--client-processes", "3", "--seed", "20", "--concurrency", "8"]
    )
    pool = NotePool(
        ids=list(range(101, 121)), etags={note_id: f'"{note_id}"' for note_id in range(101, 121)}
    )
    specs = plan_workers(options, "http://127.0.0.1:1", "mixed", 8, pool, rate=80.0)
    assert [spec.concurrency for spec in specs] == [3, 3, 2]
    # One timetable over every process's connections.
    assert [spec.first_connection for spec in specs] == [0, 3, 6]
    assert {(spec.total_connections, spec.rate) for spec in specs} == {(8, 80.0)}
    owned = [note_id for spec in specs for group in spec.owned for note_id in group]
    assert sorted(owned) == pool.ids
    assert all(len(spec.owned) == spec.concurrency for spec in specs)
    assert all(set(spec.etags) == {n for group in spec.owned for n in group} for spec in specs)
    assert all(spec.read_ids == tuple(pool.ids) for spec in specs)


def test_reads_alone_own_no_notes() -> None:
    options = parse_options(["--scenarios", "read", "--requests", "10", "--client-processes", "4"])
    specs = plan_workers(options, "http://127.0.0.1:1", "read", 2, NotePool(ids=[1, 2]))
    assert [spec.owned for spec in specs] == [(), ()]
    assert [spec.requests for spec in specs] == [5, 5]


def test_cpu_model_comes_from_proc_cpuinfo() -> None:
    assert cpu_model("processor\t: 0\nmodel name\t: AMD EPYC 7B13\n") == "AMD EPYC 7B13"
    assert cpu_model("processor\t: 0\n") is None


@pytest.mark.parametrize(("flags", "keyed"), [([], False), (["--idempotency-keys"], True)])
def test_idempotency_keys_reach_every_client_process(flags: list[str], keyed: bool) -> None:
    options = parse_options(["--client-processes", "2", *flags])
    specs = plan_workers(options, "http://127.0.0.1:1", "create", 4, NotePool(ids=[1]))
    assert [spec.idempotency_keys for spec in specs] == [keyed, keyed]
