"""The open-loop HTTP/2 load generator (bidwire/benchmarks/openloop.c) against a real
`bidwire serve` on 127.0.0.1: what it says it sent and got back agrees with the server's own
/metrics, through flow-control windows smaller than a request and a two-stream limit; and
`bench overload` drives HTTP/2 open loop with it. No timing is judged.

It is built with the C compiler on first use: with none, these tests fail (CI has cc)."""

from __future__ import annotations

import json
import socket
import threading
import urllib.request
from pathlib import Path

import h2.config
import h2.connection
import h2.events
import pytest

from bidwire.benchmarks import openloop
from bidwire.benchmarks.h2load import parse_log, windows
from bidwire.benchmarks.load import default_body
from bidwire.benchmarks.overload import Cell, fill_from_openloop
from bidwire.cli import main

from .servers import ServerProcess


def _responses(server: ServerProcess) -> dict[int, int]:
    """``bidwire_http_responses_total`` by status (this GET is counted after it is answered)."""
    with urllib.request.urlopen(server.url("/metrics"), timeout=10) as answer:
        text = answer.read().decode()
    out: dict[int, int] = {}
    for line in text.splitlines():
        if line.startswith('bidwire_http_responses_total{status="'):
            status = int(line.split('"')[1])
            out[status] = int(float(line.rsplit(" ", 1)[1]))
    return out


def _run(
    server: ServerProcess,
    body: Path,
    rate: float,
    connections: int,
    max_streams: int | None = None,
    log: Path | None = None,
) -> openloop.Result:
    argv = openloop.command(
        openloop.build(),
        server.url(),
        rate=rate,
        duration_s=1.0,
        connections=connections,
        tmax_ms=100,
        body=body,
        grace_s=30,
        max_streams=max_streams,
        log_file=log,
    )
    before = _responses(server)
    result, _cpu = openloop.run_one(argv, timeout_s=90)
    after = _responses(server)
    answered = {s: n - before.get(s, 0) for s, n in after.items() if n - before.get(s, 0)}
    answered[200] -= 1  # the GET /metrics that read `before`
    answered = {s: n for s, n in answered.items() if n}
    # Every request on the schedule was sent or counted unsent; every one sent was answered
    # (no resets: the generator kept to the server's stream limit and windows), and the
    # server answered exactly those, with the same statuses.
    assert result.scheduled == round(rate * 1.0)
    assert result.sent + result.unsent == result.scheduled
    assert (result.reset, result.goaway_lost, result.unanswered) == (0, 0, 0)
    assert result.connection_errors == 0
    assert result.answered == result.sent
    assert result.statuses == answered
    assert result.unparsed_status == 0
    return result


def test_it_builds_once_per_source(tmp_path: Path) -> None:
    binary = openloop.build(folder=tmp_path)
    assert binary.is_file() and binary.stat().st_mode & 0o111
    mtime = binary.stat().st_mtime_ns
    assert openloop.build(folder=tmp_path) == binary
    assert binary.stat().st_mtime_ns == mtime
    with pytest.raises(openloop.OpenloopError, match="no C compiler"):
        openloop.build(compiler="no-such-cc", folder=tmp_path / "other")


def test_what_it_counts_agrees_with_the_servers_metrics(tmp_path: Path) -> None:
    log = tmp_path / "requests.log"
    with ServerProcess() as server:
        result = _run(server, default_body(), rate=300, connections=3, max_streams=4, log=log)
    assert result.sent == 300 and result.unsent == 0
    assert sum(result.statuses.values()) == 300
    assert set(result.statuses) <= {200, 204}
    assert result.on_time_bids + result.late <= result.answered
    # The per-request log reads as h2load's (bench overload's recovery run cuts it in windows).
    with log.open() as f:
        latency = parse_log(f, 100)
    assert latency.count == 300 and latency.statuses == result.statuses
    assert latency.late == result.late
    with log.open() as f:
        assert sum(n for _start, n, _p99 in windows(f, 0.25)) == 300


def test_bodies_wait_for_the_servers_windows_and_streams_for_its_limit(tmp_path: Path) -> None:
    # A 200 KB request (JSON with trailing blanks) over 64 KB windows: each body needs the
    # server's WINDOW_UPDATEs; two streams a connection: requests past them wait their turn.
    body = tmp_path / "big.json"
    body.write_text(default_body().read_text().rstrip() + " " * 200_000)
    config = tmp_path / "small.toml"
    config.write_text(
        "[limits]\nstream_window = 65535\nconnection_window = 65535\nmax_concurrent_streams = 2\n"
    )
    with ServerProcess(config=config) as server:
        result = _run(server, body, rate=60, connections=1)
    assert result.sent == 60 or result.held > 0  # sent late (held) or not at all, never lost


def _serve_statuses(listener: socket.socket, statuses: tuple[int, ...]) -> None:
    """One h2c connection answered by python-hyper/h2 (an HPACK encoder that is not ours nor
    nghttp2's): the k-th stream gets ``statuses[k % len(statuses)]`` and no body."""
    sock, _ = listener.accept()
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    with sock:
        while data := sock.recv(65536):
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.DataReceived):
                    conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                elif isinstance(event, h2.events.StreamEnded):
                    status = statuses[(event.stream_id // 2) % len(statuses)]
                    conn.send_headers(event.stream_id, [(":status", str(status))], end_stream=True)
            sock.sendall(conn.data_to_send())


def test_statuses_are_read_from_another_encoder_raw_and_huffman_coded() -> None:
    # h2's encoder sends 201, 503 and 222 as literals "with incremental indexing", their digits
    # Huffman-coded, into a table of size 0 (openloop's SETTINGS_HEADER_TABLE_SIZE: the block
    # starts with a size update), and 204 by its static index.
    statuses = (201, 503, 204, 222)
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        server = threading.Thread(target=_serve_statuses, args=(listener, statuses), daemon=True)
        server.start()
        argv = openloop.command(
            openloop.build(),
            f"http://127.0.0.1:{port}/openrtb2/bid",
            rate=80,
            duration_s=1.0,
            connections=1,
            tmax_ms=100,
            body=default_body(),
            grace_s=30,
        )
        result, _cpu = openloop.run_one(argv, timeout_s=90)
        server.join(timeout=30)
    assert (result.sent, result.answered, result.unparsed_status) == (80, 80, 0)
    assert result.statuses == {201: 20, 503: 20, 204: 20, 222: 20}
    assert result.on_time_bids == 0  # no 200 among them


def test_summary_parsing_and_the_cells_counts() -> None:
    summary = {
        "rate": 1000.0,
        "duration_s": 2.0,
        "scheduled": 2000,
        "sent": 1990,
        "unsent": 10,
        "answered": 1970,
        "reset": 15,
        "refused": 12,
        "goaway_lost": 1,
        "unanswered": 4,
        "goaways": 1,
        "connection_errors": 0,
        "unparsed_status": 0,
        "held": 30,
        "max_held_ms": 7.5,
        "late": 9,
        "late_from_schedule": 11,
        "late_with_held": 10,
        "on_time_bids": 1500,
        "on_time_bids_from_schedule": 1490,
        "statuses": {"200": 1505, "204": 460, "500": 5},
        "latency_from_send": {"p50_ms": 1.0, "p90_ms": 2.0, "p99_ms": 3.0, "p999_ms": 4.0},
        "latency_from_schedule": {"p50_ms": 1.5, "p90_ms": 2.5, "p99_ms": 3.5, "p999_ms": 4.5},
        "sent_rps": 995.0,
        "answered_rps": 985.0,
        "cpu_s": 0.1,
        "tick_us": 1000,
    }
    result = openloop.parse("warming up\n" + json.dumps(summary))
    assert result.statuses == {200: 1505, 204: 460, 500: 5}
    assert result.extra == {"tick_us": 1000}
    cell = Cell("bidwire", "h2", 50, "open", 1.0, 1000.0, 2.0)
    fill_from_openloop(cell, result)
    assert (cell.started, cell.answered, cell.unsent, cell.late) == (1990, 1970, 10, 9)
    assert (cell.held, cell.late_with_held, cell.on_time_bids) == (30, 10, 1500)
    assert (cell.p50_ms, cell.p99_ms, cell.p999_ms) == (1.0, 3.0, 4.0)
    # Resets other than REFUSED_STREAM (3), streams lost to GOAWAY (1), unanswered (4), 5xx (5).
    assert cell.errors == 3 + 1 + 4 + 5
    assert cell.lost_pct == pytest.approx(100 * (9 + 10) / 2000)
    with pytest.raises(openloop.OpenloopError, match="no summary"):
        openloop.parse("openloop: connect 127.0.0.1:1: Connection refused\n")
    with pytest.raises(openloop.OpenloopError, match="lacks a field"):
        openloop.parse(json.dumps({"rate": 1.0}))


def test_bench_overload_drives_http2_open_loop_with_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["bench", "overload", "--servers", "bidwire", "--proto", "h2", "--tmax", "100"]
    argv += ["--load", "0.5", "--duration", "1", "--warmup", "0", "--clients", "2"]
    assert main([*argv, "--driver", "openloop", "--no-save", "--json"]) == 0
    out = capsys.readouterr().out
    cells = json.loads(out[out.index('{\n "rows"') :])["cells"]
    (closed,) = [c for c in cells if c["mode"] == "max"]
    (opened,) = [c for c in cells if c["mode"] == "open"]
    assert closed["command"].startswith("h2load ")
    assert opened["command"].startswith("openloop: ")
    scheduled = opened["offered"] * opened["duration"]  # openloop reads the rate to 3 decimals
    assert abs(opened["started"] + opened["unsent"] - scheduled) <= 1
    assert opened["answered"] > 0
    assert "open loop (openloop over HTTP/2" in out
