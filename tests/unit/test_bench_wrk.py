"""Reading wrk's report: only answers below 400 count, latencies in milliseconds."""

from __future__ import annotations

import pytest

from benchmarks.wrk import WrkRun, parse_wrk_output, ratios_to_bare

REPORT = """\
Running 1s test @ http://127.0.0.1:18090/notes/999999
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   458.53us  232.25us   4.68ms   98.04%
    Req/Sec    18.08k   399.18    18.53k    50.00%
  Latency Distribution
     50%  420.00us
     75%  449.00us
     90%  500.00us
     99%    1.50s
  17960 requests in 2.00s, 2.86MB read
  Socket errors: connect 0, read 2, write 1, timeout 4
  Non-2xx or 3xx responses: 17000
Requests/sec:  8980.00
Transfer/sec:      2.86MB
"""


def test_wrk_report_is_parsed_into_good_answers_and_errors() -> None:
    run = parse_wrk_output(REPORT)
    assert run.requests == 17960
    assert run.seconds == 2.0
    assert run.non_2xx_3xx == 17000
    assert run.socket_errors == 7
    assert run.good_rps == 480.0
    assert run.latency_ms == pytest.approx({"p50": 0.42, "p75": 0.449, "p90": 0.5, "p99": 1500.0})


def test_a_clean_wrk_report_has_no_errors() -> None:
    text = REPORT.replace("  Socket errors: connect 0, read 2, write 1, timeout 4\n", "")
    run = parse_wrk_output(text.replace("  Non-2xx or 3xx responses: 17000\n", ""))
    assert run.non_2xx_3xx == 0
    assert run.socket_errors == 0
    assert run.good_rps == 8980.0


def test_output_without_a_count_is_refused() -> None:
    with pytest.raises(ValueError, match="no request count"):
        parse_wrk_output("unable to connect to 127.0.0.1:1 Connection refused")


def _run(rps: float) -> WrkRun:
    return WrkRun(requests=int(rps), seconds=1.0, non_2xx_3xx=0, socket_errors=0, latency_ms={})


def test_ratios_to_bare_pair_each_round_with_its_own_bare_figure() -> None:
    measured = {"bare": [_run(1000), _run(2000), _run(0)], "read": [_run(400), _run(600), _run(5)]}
    assert ratios_to_bare(measured, "read") == [0.4, 0.3]
    assert ratios_to_bare(measured, "bare") == [1.0, 1.0]
