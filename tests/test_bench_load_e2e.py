"""`bidwire bench load` against real servers: every baseline started as the benchmark starts it
(bidwire, granian, uvicorn + httptools, hypercorn, and nghttpd as the floor), driven by h2load
for a moment on the protocols each speaks. No figure is judged: these check that each server
serves the pipeline (or, nghttpd, the bidder's own answer) and that the runs are what the
tables say they are."""

from __future__ import annotations

import http.client
import json
from pathlib import Path
from typing import Any

import msgspec
import pytest

from bidwire.benchmarks.load import bidder_answer, default_body, missing_tools, open_rates
from bidwire.benchmarks.servers import PROTOCOLS, Server
from bidwire.cli import main

from .servers import run, tool

BIDDERS = ("bidwire", "granian", "uvicorn", "hypercorn")


def _bench(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    """Run `bidwire bench load` briefly with --json; what it printed as JSON."""
    tool("h2load")
    short = ("--rounds", "1", "--duration", "0.5", "--warmup", "0", "--json", "--no-save")
    assert main(["bench", "load", *argv, *short]) == 0
    out = capsys.readouterr().out
    result: dict[str, Any] = json.loads(out[out.index("\n{\n") + 1 :])
    return result


def test_every_server_runs_the_protocols_it_speaks_and_each_bidder_bids(
    capsys: pytest.CaptureFixture[str],
) -> None:
    tool("nghttpd")
    result = _bench(capsys, "--servers", ",".join((*BIDDERS, "nghttpd")), "--proto", "h2,h1")
    runs = result["runs"]
    ran = sorted((r["server"], r["proto"]) for r in runs)
    expected = sorted(
        (s, p) for s in (*BIDDERS, "nghttpd") for p in ("h2", "h1") if p in PROTOCOLS[s]
    )
    assert ran == expected
    assert ("uvicorn", "h2") not in ran and ("nghttpd", "h1") not in ran
    for r in runs:
        where = f"{r['server']} {r['proto']}"
        assert r["mode"] == "max" and r["done"] > 0, where
        assert r["errors"] == 0, where
        assert r["latency"]["count"] > 0, where
        if r["server"] == "nghttpd":
            # No bidder behind it: every answer the same 200, and no /metrics to read.
            assert set(r["latency"]["statuses"]) == {"200"}, where
            assert r["bids"] == r["seen"] == 0, where
        else:
            # The same front door and pipeline behind every bidder: it counted the requests
            # h2load sent, and the demo campaigns bid on the packaged body.
            assert r["seen"] >= r["latency"]["count"], where
            assert r["bids"] > 0, where
    cells = {(c["server"], c["proto"]) for c in result["cells"]}
    assert cells == set(expected)


def test_the_floor_is_offered_the_bidders_rate_in_open_loop(
    capsys: pytest.CaptureFixture[str],
) -> None:
    tool("nghttpd")
    # --load-base own (the default): each bidder at a fraction of its own maximum, but the
    # floor at the bidder's, not at a fraction of what h2load can drive nghttpd to.
    result = _bench(capsys, "--servers", "bidwire,nghttpd", "--proto", "h2", "--load", "0.25")
    runs = result["runs"]
    top = {r["server"]: r["rps"] for r in runs if r["mode"] == "max"}
    opened = {r["server"]: r for r in runs if r["mode"] == "open"}
    assert set(opened) == {"bidwire", "nghttpd"}
    assert opened["bidwire"]["offered"] == pytest.approx(0.25 * top["bidwire"])
    assert opened["nghttpd"]["offered"] == opened["bidwire"]["offered"]
    assert opened["nghttpd"]["fraction"] == 0.25
    assert all(r["errors"] == 0 and r["latency"]["count"] > 0 for r in opened.values())


def test_open_rates_give_floors_the_first_bidders_maximum() -> None:
    maxima = {
        ("nghttpd", "h2"): 200_000.0,
        ("granian", "h2"): 8_000.0,
        ("bidwire", "h2"): 12_000.0,
        ("bidwire", "h1"): 9_000.0,
    }
    servers = ["nghttpd", "granian", "bidwire"]
    own = open_rates(maxima, [0.5], "own", servers)
    assert own[("granian", "h2")] == [(4_000.0, 0.5)]
    assert own[("bidwire", "h1")] == [(4_500.0, 0.5)]
    assert own[("nghttpd", "h2")] == [(4_000.0, 0.5)]  # granian's: the first bidder listed
    same = open_rates(maxima, [0.25, 0.5], "bidwire", servers)
    assert same[("granian", "h2")] == same[("bidwire", "h2")] == [(3_000.0, 0.25), (6_000.0, 0.5)]
    assert same[("nghttpd", "h2")] == [(2_000.0, 0.25), (4_000.0, 0.5)]
    # Alone, a floor has only its own maximum.
    assert open_rates({("nghttpd", "h2"): 100.0}, [0.5], "own", ["nghttpd"]) == {
        ("nghttpd", "h2"): [(50.0, 0.5)]
    }


def test_nghttpd_answers_with_the_bidders_own_answer(tmp_path: Path) -> None:
    nghttp = tool("nghttp")
    tool("nghttpd")
    body = default_body()
    answer = bidder_answer(body, None)
    bid = msgspec.json.decode(answer)
    assert bid["id"] == msgspec.json.decode(body.read_bytes())["id"]
    assert bid["seatbid"][0]["bid"], "the demo campaigns bid on the packaged body"
    with Server("nghttpd", answer=answer) as server:
        done = run(nghttp, "-d", str(body), server.url())
        assert done.returncode == 0, done.stderr
        assert done.stdout == answer
        assert server.metrics() == {}  # no bidder, no /metrics: not asked
    with pytest.raises(ValueError, match="answer"):
        Server("nghttpd")


def test_uvicorn_serves_the_pipeline_over_http1() -> None:
    body = default_body().read_bytes()
    with Server("uvicorn") as server:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        try:
            for _ in range(2):  # the same keep-alive connection, as h2load --h1 uses it
                connection.request(
                    "POST", "/openrtb2/bid", body, {"content-type": "application/json"}
                )
                answer = connection.getresponse()
                data = answer.read()
                assert answer.status == 200, data
                assert answer.getheader("server") == "uvicorn"
                assert msgspec.json.decode(data)["id"] == msgspec.json.decode(body)["id"]
        finally:
            connection.close()
        counters = server.metrics()
        assert counters["requests"] >= 2 and counters["bids"] >= 2


def test_missing_tools_name_the_packages(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no h2load, no nghttpd
    missing = missing_tools(["bidwire", "uvicorn", "nghttpd"])
    assert any("nghttp2-client" in m for m in missing)
    assert any("nghttp2-server" in m for m in missing)
    assert not any(m.startswith("uvicorn") for m in missing)  # installed with bidwire[bench]
    assert main(["bench", "load", "--servers", "nghttpd", "--no-save"]) == 2
