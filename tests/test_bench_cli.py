"""`bidwire bench`: the decode benchmark end to end on a tiny corpus, and the parsers the load
benchmark relies on (h2load's output and per-request log, the /metrics text). No load is run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import cast

import pytest

from bidwire.benchmarks import decode
from bidwire.benchmarks.fields import read_attrs, read_dict
from bidwire.benchmarks.h2load import (
    Summary,
    command,
    merge,
    parse_log,
    parse_summary,
    percentile,
    timeliness,
    windows,
)
from bidwire.benchmarks.overload import (
    H1_GROUPS,
    MAX_H1_CLIENTS,
    Overload,
    h1_clients,
    recovery_time,
)
from bidwire.benchmarks.servers import Server, parse_metrics
from bidwire.cli import build_parser, main
from openrtb.model import BidRequest

SAMPLE = decode.sample_dir()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """Three packaged requests, and their responses beside them."""
    requests, responses = tmp_path / "requests", tmp_path / "responses"
    requests.mkdir()
    responses.mkdir()
    for name in ("01-banner-minimal.json", "04-video-site-deals.json", "10-mixed-app-large.json"):
        shutil.copy(SAMPLE / "requests" / name, requests / name)
        shutil.copy(SAMPLE / "responses" / name, responses / name)
    return requests


def test_decode_json_has_every_codec_and_writes_a_png(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plot = tmp_path / "out.png"
    argv = ["bench", "decode", "--corpus", str(corpus), "--json", "--repeat", "1", "--no-save"]
    assert main([*argv, "--run-ms", "0.2", "--plot", str(plot)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert [m["name"] for m in result["requests"]] == sorted(p.name for p in corpus.iterdir())
    assert len(result["responses"]) == 3
    for message in result["requests"]:
        assert set(message["us"]) == set(decode.decode_keys())
        assert all(v is not None and v > 0 for v in message["us"].values())
        assert 0 < message["proto_bytes"] < message["json_bytes"]
    for message in result["responses"]:
        assert set(message["us"]) == {leg.key for leg in decode.ENCODERS}
        assert all(v > 0 for v in message["us"].values())
    for key in decode.decode_keys():
        assert result["decode"][key]["all"]["us"] > 0
        assert result["decode"][key]["all"]["mbps"] > 0
    assert result["decode"]["count"]["all"] == 3
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert plot.stat().st_size > 20_000  # a real picture, not an empty canvas


def test_decode_table_on_the_packaged_sample(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "decode", "--repeat", "1", "--run-ms", "0.1", "--no-save"]) == 0
    out = capsys.readouterr().out
    assert "decode: µs per request" in out
    assert "encode: µs per bid response" in out
    for leg in (*decode.DECODERS, *decode.ENCODERS):
        assert leg.label in out
    assert "median request, decode + read" in out


def test_decode_refuses_a_missing_folder(tmp_path: Path) -> None:
    assert main(["bench", "decode", "--corpus", str(tmp_path / "nope")]) == 2


def test_field_walks_read_the_same_values_in_every_form() -> None:
    paths = decode.decode_paths()
    for path in sorted((SAMPLE / "requests").glob("*.json")):
        data = path.read_bytes()
        struct = decode.JsonCodec().decode_request(data)
        wire = decode.ProtoCodec().encode_request(struct)
        counts = {}
        for key, (decode_fn, read, form) in paths.items():
            counts[key] = read(decode_fn(data if form == "json" else wire))
        # The sample spells every value out, so dicts and Structs read the same; upb reads ""
        # where the proto codec left out a value equal to the Struct default (bidfloorcur USD).
        assert counts["json"] == counts["orjson"] == counts["msgspec_dict"], path.name
        assert counts["json"] == counts["msgspec_struct"] == counts["proto_struct"], path.name
        assert 0 < counts["upb"] <= counts["json"], path.name
    # A Struct reads its defaults (at = 2), a dict only what the JSON holds.
    assert read_dict({"id": "x", "imp": [], "at": 2}) == read_attrs(BidRequest(id="x", imp=[])) == 2


H2LOAD_OUTPUT = """\
starting benchmark...
spawning thread #0: 8 total client(s). Timing-based test with 0s of warm-up time and 10s of \
main duration for measurements.
Application protocol: h2c
Main benchmark duration is over for thread #0. Stopping all clients.

finished in 10.00s, 8846.26 req/s, 10.52MB/s
requests: 88463 total, 88463 started, 88462 done, 88000 succeeded, 462 failed, 1 errored, 0 timeout
status codes: 88000 2xx, 0 3xx, 0 4xx, 462 5xx
traffic: 105.21MB (110319874) total, 1.10MB (1152462) headers (space savings 95.11%), \
103.52MB (108548632) data
                     min         max         mean         sd        +/- sd
time for request:      532us    137.69ms     28.53ms     12.00ms    65.18%
"""


def test_h2load_summary() -> None:
    s = parse_summary(H2LOAD_OUTPUT)
    assert (s.duration_s, s.rps, s.done, s.succeeded, s.failed, s.errored) == (
        10.0, 8846.26, 88462, 88000, 462, 1,
    )  # fmt: skip
    assert (s.status_2xx, s.status_5xx, s.protocol) == (88000, 462, "h2c")
    ms = parse_summary("finished in 104.03ms, 2883.67 req/s, 5.21MB/s\n" + H2LOAD_OUTPUT[-700:])
    assert ms.duration_s == pytest.approx(0.10403)


def test_h2load_summary_missing_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="no summary"):
        parse_summary("invalid URI: http://127.0.0.1:/openrtb2/bid\n")


def test_h2load_log_percentiles_late_and_rate() -> None:
    # start µs since the epoch, status, µs to the end of the response; 1,000 requests sent
    # over 1 s, durations 1..1000 µs, one of them 204 and one a status h2load could not parse.
    start = 1_795_468_104_000_000
    lines = [f"{start + i * 1001}\t200\t{i + 1}\n" for i in range(1000)]
    lines[10] = lines[10].replace("\t200\t", "\t204\t")
    lines[11] = lines[11].replace("\t200\t", "\t0\t")
    lat = parse_log([*lines, "garbage\n"], tmax_ms=0.9)
    assert lat.count == 1000
    assert (lat.p50_ms, lat.p99_ms, lat.p999_ms, lat.max_ms) == (0.5, 0.99, 0.999, 1.0)
    assert lat.late == 100  # 901..1000 µs are over 0.9 ms
    assert lat.statuses == {0: 1, 200: 998, 204: 1}
    assert lat.sent_rps == pytest.approx(999 / 0.999999, rel=1e-3)
    assert parse_log([]).count == 0
    assert percentile([5], 0.999) == 5


def test_h2load_command_line() -> None:
    argv = command(
        "http://127.0.0.1:1/openrtb2/bid", proto="h1", clients=4, streams=1, duration_s=2.5,
        body=Path("b.json"), log_file=Path("l.log"), rps_per_client=1250.0,
    )  # fmt: skip
    assert argv[:7] == ["h2load", "-c", "4", "-m", "1", "-t", "1"]
    assert "--h1" in argv and argv[argv.index("-D") + 1] == "2500ms"
    assert argv[argv.index("--rps") + 1] == "1250"
    assert argv[argv.index("--log-file") + 1] == "l.log"


def test_metrics_parser() -> None:
    text = (
        "# HELP bidwire_bids_total Bid responses.\n"
        'bidwire_requests_total{kind="json"} 10\nbidwire_requests_total{kind="proto"} 5\n'
        "bidwire_bids_total 7\n"
        'bidwire_shed_total{kind="loop_lag"} 3\nbidwire_shed_total{kind="arena_exhausted"} 1\n'
        'bidwire_gc_collections_total{generation="0"} 95\n'
        'bidwire_gc_collections_total{generation="2"} 1\n'
        "bidwire_connections_open 2\n"
        'bidwire_request_seconds_bucket{le="0.001"} 4\nbidwire_request_seconds_sum 0.5\n'
    )
    assert parse_metrics(text) == {
        "requests": 15, "bids": 7, "shed": 4, "gc0": 95, "gc2": 1,
    }  # fmt: skip


def test_load_and_memory_arguments() -> None:
    parser = build_parser()
    args = parser.parse_args(["bench", "load", "--overload", "--tmax", "50", "--proto", "h2"])
    assert (args.overload, args.load, args.tmax, args.proto) == (2.0, None, 50, ["h2"])
    args = parser.parse_args(["bench", "load", "--load", "0.5,1,2", "--servers", "bidwire"])
    assert (args.load, args.servers) == ([0.5, 1.0, 2.0], ["bidwire"])
    args = parser.parse_args(["bench", "memory", "--requests", "1000", "--arena", "off"])
    assert (args.requests, args.arena, args.samples) == (1000, ["off"], 20)
    with pytest.raises(SystemExit):
        parser.parse_args(["bench", "load", "--servers", "nginx"])
    with pytest.raises(SystemExit):
        parser.parse_args(["bench", "load", "--rps", "100", "--load", "1"])
    args = parser.parse_args(["bench", "load"])
    assert args.servers == ["bidwire", "granian", "uvicorn", "hypercorn"]
    args = parser.parse_args(["bench", "load", "--servers", "bidwire,uvicorn,nghttpd"])
    assert args.servers == ["bidwire", "uvicorn", "nghttpd"]
    assert parser.parse_args(["bench", "overload", "--servers", "uvicorn"]).servers == ["uvicorn"]
    with pytest.raises(SystemExit):  # a fixed answer past its maximum says nothing
        parser.parse_args(["bench", "overload", "--servers", "nghttpd"])


def test_decode_writes_to_bench_results_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bug: without --out, `bench decode` wrote nothing to bench/results (the README says so)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bench" / "results").mkdir(parents=True)
    assert main(["bench", "decode", "--repeat", "1", "--run-ms", "0.1"]) == 0
    written = sorted(p.name for p in (tmp_path / "bench" / "results").iterdir())
    assert [p.split("-")[0] for p in written] == ["decode", "decode"]  # the table and the plot
    assert {Path(p).suffix for p in written} == {".txt", ".png"}


def test_timeliness_counts_late_on_time_bids_and_what_h2load_held_back() -> None:
    # 100 requests offered at 1,000/s: due every ms. The first 50 go on schedule; the next 50
    # leave 30 ms behind it (h2load held them back: 20 ms past its 10 ms timer's slack).
    start = 1_795_468_104_000_000
    lines = []
    for i in range(100):
        sent = start + i * 1000 + (30_000 if i >= 50 else 0)
        status = 204 if i % 10 == 0 else 200
        duration = 45_000 if i in (1, 60) else 5_000  # two answers after 40 ms
        lines.append(f"{sent}\t{status}\t{duration}\n")
    t = timeliness(lines, tmax_ms=40, offered_rps=1000)
    assert (t.answered, t.late) == (100, 2)
    assert t.on_time_bids == 90 - 1  # statuses 200 inside tmax (60, late, was a 204)
    assert t.held == 50 and t.max_held_ms == pytest.approx(20.0)
    # Counting the wait: 5 ms + 20 ms held stays inside 40 ms; 45 ms was late anyway.
    assert t.late_with_held == 2
    assert timeliness([], 40, 1000).answered == 0


def test_windows_and_recovery_time() -> None:
    start = 1_795_468_104_000_000
    lines = []
    for i in range(2000):  # 20 s at 100/s: 2 ms answers, 300 ms from 5 s to 15.5 s
        at = i * 10_000
        slow = 5_000_000 <= at < 15_500_000
        lines.append(f"{start + at}\t200\t{300_000 if slow else 2_000}\n")
    cut = windows(lines, 0.25)
    assert cut[0] == (0.0, 25, 2.0)
    assert cut[20][2] == 300.0  # 5.0 s
    assert recovery_time(cut, 5.0, 15.0) == pytest.approx(0.5)
    assert recovery_time(cut, 5.0, 14.0) == pytest.approx(1.5)
    always = [(s, n, 300.0 if s >= 5.0 else p) for s, n, p in cut]
    assert recovery_time(always, 5.0, 15.0) is None


def test_h1_connections_carry_the_rate_inside_tmax() -> None:
    assert h1_clients(1000, 50, 32) == 50
    assert h1_clients(100, 50, 32) == 32
    assert h1_clients(10**7, 100, 32) == MAX_H1_CLIENTS


def test_http1_open_loop_spreads_its_connections_over_staggered_h2loads(tmp_path: Path) -> None:
    """One h2load's clients fire together; an open HTTP/1.1 run splits its connections over
    groups started apart, so the bursts spread over the period, at the same rate in all."""

    class _Server:
        def url(self, path: str = "/openrtb2/bid") -> str:
            return "http://127.0.0.1:1" + path

    args = build_parser().parse_args(["bench", "overload", "--tmax", "50", "--h1-clients", "8"])
    bench = Overload(args, tmp_path)
    server = cast(Server, _Server())
    rate = 10_000.0
    argvs, offsets, logs = bench._group_argvs(server, "h1", 50, 2.0, rate)
    clients = h1_clients(rate, 50, 8)
    assert len(argvs) == len(offsets) == len(logs) == H1_GROUPS
    assert sum(int(a[a.index("-c") + 1]) for a in argvs) == clients
    per_client = {float(a[a.index("--rps") + 1]) for a in argvs}
    assert len(per_client) == 1 and per_client.pop() * clients == pytest.approx(rate, rel=1e-3)
    period = clients / rate
    assert offsets == sorted(offsets) and offsets[0] == 0 and offsets[-1] < period
    assert len(set(logs)) == H1_GROUPS
    # HTTP/2, and the closed loop: one h2load.
    assert len(bench._group_argvs(server, "h2", 50, 2.0, rate)[0]) == 1
    assert len(bench._group_argvs(server, "h1", 50, 2.0, None)[0]) == 1


def test_summaries_of_side_by_side_h2loads_add_up() -> None:
    one = Summary(2.0, 100.0, 200, 200, 190, 190, 0, 0, 0, status_2xx=190, protocol="http/1.1")
    two = Summary(2.1, 50.0, 100, 100, 100, 90, 10, 0, 0, status_2xx=90, protocol="http/1.1")
    both = merge([one, two])
    assert (both.rps, both.started, both.done, both.failed, both.status_2xx) == (
        150.0, 300, 290, 10, 280)  # fmt: skip
    assert both.duration_s == 2.1
