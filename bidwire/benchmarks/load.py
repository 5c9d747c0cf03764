"""``bidwire bench load``: bidwire against granian, uvicorn and hypercorn serving the same app.

Each measured run gets a fresh server process pinned to core 0 (h2load on core 1), a closed-loop
warm-up, then the run; rounds rotate the order of the servers so that a slow minute on a shared
machine does not land on one server only (A/B alternation). Figures are medians over rounds.

Modes:

- closed loop (default): ``-c`` connections keep ``-m`` requests each in flight; the maximum
  throughput, and the latency at that (queueing) load.
- open loop at fixed rates (``--rps``), or at fractions of each server's closed-loop maximum
  (``--load 0.5,1,2``; ``--overload`` is ``--load 2``). The closed-loop phase runs first to find
  the maxima. Every request carries ``tmax``; replies later than it are counted as late.

``--servers nghttpd`` adds the floor: nghttp2's C server answering every request with the bytes
the bidder answers to the same body (decided once, in this process). In open loop it is
offered the first bidder's rate, so its latency is what the machine and h2load add at that
load; the rest is the bidder's.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import orjson

from . import h2load, machine
from .servers import FLOORS, PROTOCOLS, Server, ServerError, pinning

#: HTTP/2 streams per connection in open-loop runs: enough that h2load rarely holds a request
#: back below the servers' own limits (bidwire and hypercorn allow 256, granian 200).
OPEN_LOOP_STREAMS = 128


@dataclass
class Run:
    """One measured h2load run against one server."""

    server: str
    proto: str
    mode: str  # "max" (closed loop) or "open"
    round: int
    offered: float | None  # open loop: req/s asked for
    fraction: float | None  # --load: the fraction of the server's maximum
    rps: float
    done: int
    cpu_us_per_req: float
    h2load_cpu_pct: float
    latency: h2load.Latency
    errors: int
    command: str
    #: From the server's /metrics over the run: requests with a bid, and requests shed at
    #: arrival (answered 204 before decoding: event-loop lag or an empty request arena).
    bids: int = 0
    shed: int = 0
    #: Bid requests the server saw (decoded plus shed) over the same span as bids and shed.
    seen: int = 0
    #: The machine's 1-minute load average just before the run (other work on the box).
    load1: float = 0.0
    notes: list[str] = field(default_factory=list)


def default_body() -> Path:
    """The packaged 1 KB bid request (one 300x250 banner, the demo campaigns bid on it)."""
    return Path(str(resources.files("bidwire.benchmarks") / "sample" / "load-body.json"))


#: The deadline the bidder assumes when a request has no tmax (see the README).
DEFAULT_TMAX_MS = 200


def body_with_tmax(source: Path, tmax_ms: int | None, workdir: Path) -> tuple[Path, int]:
    """A copy of the request body with ``tmax`` set (None: the body's own, else the bidder's
    default), and that tmax: the deadline late replies are counted against, and the one the
    bidder plans its no-bid fallback with."""
    request = orjson.loads(source.read_bytes())
    if tmax_ms is not None:
        request["tmax"] = tmax_ms
    tmax = int(request.get("tmax") or DEFAULT_TMAX_MS)
    path = workdir / "body.json"
    path.write_bytes(orjson.dumps(request))
    return path, tmax


def grpc_body(body: Path, workdir: Path) -> Path:
    """The JSON request ``body`` as one gRPC message: protobuf, length-prefixed."""
    from bidder.grpc_wire import frame
    from openrtb import JsonCodec, ProtoCodec

    message = ProtoCodec().encode_request(JsonCodec().decode_request(body.read_bytes()))
    path = workdir / "call.bin"
    path.write_bytes(frame(message))
    return path


#: What h2load sends for each protocol: path, content type, further headers.
GRPC_PATH = "/bidwire.v1.Bidder/Bid"
GRPC_HEADERS = ("te: trailers",)


#: The Python modules each baseline server needs (bidwire's own need nothing more).
MODULES = {
    "granian": ("granian",),
    "hypercorn": ("hypercorn",),
    "uvicorn": ("uvicorn", "httptools", "uvloop"),
    "grpcio": ("grpc",),
}


def missing_tools(servers: Sequence[str]) -> list[str]:
    """What this machine lacks to run the benchmark, as install hints."""
    missing = []
    if shutil.which("h2load") is None:
        missing.append("h2load (apt-get install nghttp2-client)")
    if "nghttpd" in servers and shutil.which("nghttpd") is None:
        missing.append("nghttpd (apt-get install nghttp2-server)")
    for name in servers:
        if any(importlib.util.find_spec(m) is None for m in MODULES.get(name, ())):
            missing.append(f"{name} (pip install 'bidwire[bench]')")
    return missing


def bidder_answer(body: Path, campaigns: Path | None) -> bytes:
    """What the bidder answers to ``body``, decided once in this process with the same
    campaigns: the fixed answer of a floor server, so it sends as many bytes as the bidders.
    (An answer deferred to an async stage would be its no-bid fallback; bench load runs
    none.)"""
    from bidder.service import Bidder, BidderConfig
    from transport.events import Deferred, Request

    app = Bidder(BidderConfig(campaigns=None if campaigns is None else str(campaigns))).app
    request = Request(
        b"POST",
        b"/openrtb2/bid",
        body.read_bytes(),
        content_type=b"application/json",
        arrival=time.monotonic(),
    )
    answer = app.handle(request)
    response = answer.fallback if isinstance(answer, Deferred) else answer
    data = bytes(response.body)
    if response.context is not None:
        app.release(response)
    return data


class Bench:
    """The settings of one ``bidwire bench load`` and the runs it has made."""

    def __init__(self, args: argparse.Namespace, body: Path, workdir: Path) -> None:
        self.args = args
        self.body = body
        self.grpc_body = grpc_body(body, workdir) if "grpc" in args.proto else None
        floors = any(name in FLOORS for name in args.servers)
        self.answer = bidder_answer(body, args.campaigns) if floors else None
        self.workdir = workdir
        self.server_pin, self.load_pin = pinning()
        self.runs: list[Run] = []

    def _connections(self, proto: str, open_loop: bool) -> tuple[int, int]:
        if proto == "h1":
            return self.args.h1_clients, 1  # no pipelining: one request in flight
        streams = max(self.args.streams, OPEN_LOOP_STREAMS) if open_loop else self.args.streams
        return self.args.clients, streams

    def _h2load(
        self, server: Server, proto: str, duration: float, rate: float | None, log: Path | None
    ) -> tuple[list[str], str, float]:
        clients, streams = self._connections(proto, rate is not None)
        grpc = proto == "grpc"
        argv = h2load.command(
            server.url(GRPC_PATH) if grpc else server.url(),
            proto=proto,
            clients=clients,
            streams=streams,
            duration_s=duration,
            body=self.grpc_body if grpc and self.grpc_body else self.body,
            log_file=log,
            rps_per_client=None if rate is None else rate / clients,
            content_type="application/grpc" if grpc else "application/json",
            headers=GRPC_HEADERS if grpc else (),
        )
        out, cpu = h2load.run([*self.load_pin, *argv], timeout_s=duration + 60)
        return argv, out, cpu

    def measure(
        self,
        server: Server,
        proto: str,
        rnd: int,
        rate: float | None = None,
        fraction: float | None = None,
    ) -> Run:
        """One measured run (closed loop when ``rate`` is None) and its figures."""
        log = self.workdir / f"{server.name}-{proto}.log"
        load1 = os.getloadavg()[0]
        before = server.metrics()
        cpu0 = server.cpu_seconds()
        start = time.monotonic()
        argv, out, h2load_cpu = self._h2load(server, proto, self.args.duration, rate, log)
        wall = time.monotonic() - start
        cpu = server.cpu_seconds() - cpu0
        after = server.metrics()
        summary = h2load.parse_summary(out)
        with open(log) as f:
            latency = h2load.parse_log(f, self.args.tmax)
        log.unlink()
        bad = sum(n for status, n in latency.statuses.items() if status >= 400)
        run = Run(
            server=server.name,
            proto=proto,
            mode="max" if rate is None else "open",
            round=rnd,
            offered=rate,
            fraction=fraction,
            rps=summary.rps,
            done=summary.done,
            cpu_us_per_req=cpu / max(summary.done, 1) * 1e6,
            h2load_cpu_pct=100 * h2load_cpu / max(wall, 1e-9),
            latency=latency,
            errors=bad + summary.errored + summary.timeout,
            command=" ".join(argv),
            bids=after.get("bids", 0) - before.get("bids", 0),
            shed=after.get("shed", 0) - before.get("shed", 0),
            seen=sum(after.get(k, 0) - before.get(k, 0) for k in ("requests", "shed")),
            load1=load1,
        )
        if latency.statuses.get(0):
            run.notes.append(
                "complete replies whose status line h2load could not parse (an empty reason "
                "phrase) are counted as answered"
            )
        self.runs.append(run)
        print(_run_line(run), flush=True)
        return run

    def serve(self, name: str) -> Server:
        """A fresh server process, pinned."""
        answer = self.answer if name in FLOORS else None
        return Server(name, campaigns=self.args.campaigns, pin=self.server_pin, answer=answer)

    def warm_up(self, server: Server, proto: str) -> None:
        """A closed-loop run that is not measured: caches, buffers, the allocator."""
        if self.args.warmup > 0:
            _, out, _ = self._h2load(server, proto, self.args.warmup, None, None)
            h2load.parse_summary(out)

    def closed_loop(self) -> dict[tuple[str, str], float]:
        """The closed-loop phase; the median req/s of each (server, proto)."""
        names = self.args.servers
        for rnd in range(self.args.rounds):
            order = names[rnd % len(names) :] + names[: rnd % len(names)]
            for name in order:
                for proto in self.args.proto:
                    if proto not in PROTOCOLS.get(name, ()):
                        continue
                    with self.serve(name) as server:
                        self.warm_up(server, proto)
                        self.measure(server, proto, rnd)
        return {
            key: statistics.median(r.rps for r in runs)
            for key, runs in _group(self.runs, "max").items()
        }

    def open_loop(self, rates: dict[tuple[str, str], list[tuple[float, float | None]]]) -> None:
        """The open-loop phase: for each (server, proto), its (rate, fraction) list, in
        increasing order on one server process (a pause between rates lets a backlog drain)."""
        names = self.args.servers
        for rnd in range(self.args.rounds):
            order = names[rnd % len(names) :] + names[: rnd % len(names)]
            for name in order:
                for proto in self.args.proto:
                    if (name, proto) not in rates:
                        continue
                    with self.serve(name) as server:
                        self.warm_up(server, proto)
                        for rate, fraction in sorted(rates[(name, proto)]):
                            self.measure(server, proto, rnd, rate, fraction)
                            time.sleep(1.0)


def _group(runs: Sequence[Run], mode: str) -> dict[tuple[str, str], list[Run]]:
    out: dict[tuple[str, str], list[Run]] = {}
    for run in runs:
        if run.mode == mode:
            out.setdefault((run.server, run.proto), []).append(run)
    return out


def _run_line(run: Run) -> str:
    offered = "" if run.offered is None else f" offered {run.offered:,.0f}/s"
    lat = run.latency
    return (
        f"round {run.round + 1} {run.server:9} {run.proto}{offered}: {run.rps:,.0f} req/s, "
        f"p50 {lat.p50_ms:.2f} p99 {lat.p99_ms:.2f} p99.9 {lat.p999_ms:.2f} ms, "
        f"late {lat.late}, bids {run.bids:,}, shed {run.shed:,}, errors {run.errors}, "
        f"server CPU {run.cpu_us_per_req:.1f} µs/req, h2load CPU {run.h2load_cpu_pct:.0f}%, "
        f"load average {run.load1:.2f}"
    )


def summarize(runs: Sequence[Run]) -> list[dict[str, Any]]:
    """Medians over rounds of every (server, proto, mode, rate) cell."""
    cells: dict[tuple[str, str, str, float | None], list[Run]] = {}
    for run in runs:
        key = run.fraction if run.fraction is not None else run.offered
        cells.setdefault((run.server, run.proto, run.mode, key), []).append(run)
    out = []
    for (server, proto, mode, _key), group in cells.items():

        def med(values: Sequence[float]) -> float:
            return float(statistics.median(values))

        count = sum(r.latency.count for r in group)
        out.append(
            {
                "server": server,
                "proto": proto,
                "mode": mode,
                "fraction": group[0].fraction,
                "offered": med([r.offered for r in group if r.offered is not None] or [0.0]),
                "rps": med([r.rps for r in group]),
                # The server counts over a slightly longer span than h2load's window (warm-up
                # and the tail): use its shares, applied to h2load's rate.
                "bids_per_s": med([r.rps * r.bids / max(r.seen, 1) for r in group]),
                "shed_pct": 100 * sum(r.shed for r in group) / max(sum(r.seen for r in group), 1),
                "sent_rps": med([r.latency.sent_rps for r in group]),
                "p50_ms": med([r.latency.p50_ms for r in group]),
                "p99_ms": med([r.latency.p99_ms for r in group]),
                "p999_ms": med([r.latency.p999_ms for r in group]),
                "cpu_us_per_req": med([r.cpu_us_per_req for r in group]),
                "late_pct": 100 * sum(r.latency.late for r in group) / max(count, 1),
                "nobid_pct": 100
                * sum(r.latency.statuses.get(204, 0) for r in group)
                / max(count, 1),
                "errors": sum(r.errors for r in group),
                "runs": [round(r.rps) for r in group],
            }
        )
    return out


def report(cells: Sequence[dict[str, Any]], args: argparse.Namespace) -> list[str]:
    """The tables: closed loop with ratios to bidwire, then open loop."""
    lines: list[str] = []
    closed = [c for c in cells if c["mode"] == "max"]
    for proto in args.proto:
        rows = [c for c in closed if c["proto"] == proto]
        if not rows:
            continue
        conn = (
            f"h2load --h1 -c {args.h1_clients} -m 1"
            if proto == "h1"
            else f"h2load -c {args.clients} -m {args.streams}"
        )
        name = {"h2": "HTTP/2 (h2c)", "h1": "HTTP/1.1", "grpc": "gRPC (h2c), unary Bid"}[proto]
        lines.append(
            f"{name}, closed loop, {conn}, {args.duration:g} s per run, "
            f"median of {args.rounds} rounds"
        )
        lines.append(
            f"{'server':11} {'req/s':>9} {'bids/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
            f"{'p99.9 ms':>9} {'CPU µs/req':>11} {'shed%':>6} {'204%':>6} {'errors':>7}  "
            f"{'bidwire/this':>12}  runs"
        )
        base = next((c for c in rows if c["server"] == "bidwire"), None)
        for c in sorted(rows, key=lambda c: args.servers.index(c["server"])):
            ratio = f"{base['rps'] / c['rps']:.2f}x" if base and c["rps"] else "-"
            lines.append(
                f"{c['server']:11} {c['rps']:>9,.0f} {c['bids_per_s']:>9,.0f} "
                f"{c['p50_ms']:>8.2f} {c['p99_ms']:>8.2f} {c['p999_ms']:>9.2f} "
                f"{c['cpu_us_per_req']:>11.1f} {c['shed_pct']:>6.1f} {c['nobid_pct']:>6.1f} "
                f"{c['errors']:>7}  {ratio:>12}  {c['runs']}"
            )
        if base is not None:
            for c in rows:
                if c is base or not c["rps"] or c["server"] in FLOORS:
                    continue  # a floor runs no bidder: its ratio says nothing
                bids = f"{base['bids_per_s'] / c['bids_per_s']:.2f}x" if c["bids_per_s"] else "-"
                lines.append(
                    f"ratio bidwire/{c['server']} ({proto}): req/s {base['rps'] / c['rps']:.2f}x, "
                    f"bids/s {bids}, CPU µs per request "
                    f"{base['cpu_us_per_req'] / c['cpu_us_per_req']:.2f}x "
                    "(above 1 favours bidwire for req/s and bids/s, below 1 for CPU)"
                )
        lines.append("")
    opened = [c for c in cells if c["mode"] == "open"]
    if opened:
        lines.append(
            f"open loop (h2load --rps), tmax {args.tmax} ms in every request, "
            f"{args.duration:g} s per rate, median of {args.rounds} rounds; late = replies "
            "after tmax; sent/s below offered means h2load held requests back (streams or "
            "connections all busy)"
        )
        lines.append(
            f"{'server':11} {'proto':5} {'load':>6} {'offered/s':>10} {'sent/s':>9} "
            f"{'answered/s':>10} {'bids/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'p99.9 ms':>9} "
            f"{'late%':>7} {'shed%':>6} {'204%':>6} {'errors':>7} {'CPU µs/req':>11}"
        )
        for c in sorted(
            opened, key=lambda c: (args.servers.index(c["server"]), c["proto"], c["offered"])
        ):
            load = f"{c['fraction']:g}x" if c["fraction"] is not None else "-"
            lines.append(
                f"{c['server']:11} {c['proto']:5} {load:>6} {c['offered']:>10,.0f} "
                f"{c['sent_rps']:>9,.0f} {c['rps']:>10,.0f} {c['bids_per_s']:>9,.0f} "
                f"{c['p50_ms']:>8.2f} {c['p99_ms']:>8.2f} {c['p999_ms']:>9.2f} "
                f"{c['late_pct']:>7.2f} {c['shed_pct']:>6.1f} {c['nobid_pct']:>6.1f} "
                f"{c['errors']:>7} {c['cpu_us_per_req']:>11.1f}"
            )
        lines.append("")
    return lines


def open_rates(
    maxima: dict[tuple[str, str], float],
    fractions: Sequence[float],
    base: str,
    servers: Sequence[str] = (),
) -> dict[tuple[str, str], list[tuple[float, float | None]]]:
    """The open-loop rates of each (server, proto): fractions of its own closed-loop maximum,
    or with ``base`` "bidwire" of bidwire's (the same offered load for every server). A floor
    (nghttpd) is always offered the rates of the first of ``servers`` that is not one: the
    same load as a bidder, not a fraction of h2load's maximum."""
    out: dict[tuple[str, str], list[tuple[float, float | None]]] = {}
    for (server, proto), rps in maxima.items():
        reference = maxima.get(("bidwire", proto), rps) if base == "bidwire" else rps
        if server in FLOORS:
            bidders = [s for s in servers if s not in FLOORS and (s, proto) in maxima]
            reference = maxima[(bidders[0], proto)] if bidders else rps
        out[(server, proto)] = [(f * reference, f) for f in fractions]
    return out


def preamble(servers: Sequence[str], name: str) -> tuple[str, dict[str, str]] | None:
    """What ``bench load`` and ``bench overload`` check and record first: the tools they need
    (None, after a one-line error, when one is missing), the command line and the machine."""
    missing = missing_tools(servers)
    if missing:
        print(f"bidwire bench {name}: missing {', '.join(missing)}", file=sys.stderr)
        return None
    tools = [["h2load", "--version"]]
    if "nghttpd" in servers:
        tools.append(["nghttpd", "--version"])
    info = machine.describe(
        ["msgspec", "h2", "uvloop", "hypercorn", "granian", "uvicorn", "httptools", "grpcio"],
        tools,
    )
    server_pin, load_pin = pinning()
    info["pinning"] = (
        f"servers `{' '.join(server_pin)}`, h2load `{' '.join(load_pin)}`"
        if server_pin
        else "none (one core or no taskset): servers and h2load share the CPUs"
    )
    return machine.command_line(), info


def main(args: argparse.Namespace) -> int:
    """Run ``bidwire bench load``; the exit status."""
    found = preamble(args.servers, "load")
    if found is None:
        return 2
    command, info = found
    fractions = args.load or ([args.overload] if args.overload else None)
    with tempfile.TemporaryDirectory(prefix="bidwire-bench-load-") as tmp:
        body, args.tmax = body_with_tmax(args.body or default_body(), args.tmax, Path(tmp))
        info["body"] = (
            f"{args.body or 'packaged load-body.json'} ({body.stat().st_size} B, "
            f"tmax {args.tmax} ms)"
        )
        bench = Bench(args, body, Path(tmp))
        for line in machine.header(command, info):
            print(line, flush=True)
        try:
            if args.rps:
                fixed: list[tuple[float, float | None]] = [(r, None) for r in args.rps]
                bench.open_loop(
                    {(s, p): fixed for s in args.servers for p in args.proto
                     if p in PROTOCOLS.get(s, ())}
                )  # fmt: skip
            else:
                maxima = bench.closed_loop()
                if fractions:
                    rates = open_rates(maxima, fractions, args.load_base, args.servers)
                    bench.open_loop(rates)
        except (ServerError, h2load.H2loadError) as exc:
            print(f"bidwire bench load: {exc}", file=sys.stderr)
            return 1
    cells = summarize(bench.runs)
    tables = report(cells, args)
    print()
    print("\n".join(tables))
    unparsed: dict[str, int] = {}
    for run in bench.runs:
        for note in run.notes:
            key = f"{run.server} {run.proto}: {note}"
            unparsed[key] = unparsed.get(key, 0) + run.latency.statuses.get(0, 0)
    notes = [f"{key} ({n:,} over all runs)" for key, n in sorted(unparsed.items())]
    for note in notes:
        print(f"note: {note}")
    commands = sorted({f"{run.server} {run.proto}: {run.command}" for run in bench.runs})
    if args.json:
        print(json.dumps({"cells": cells, "runs": [asdict(r) for r in bench.runs]}, indent=1))
    mode = "rps" if args.rps else ("overload" if args.overload and not args.load else "")
    mode = mode or ("curve" if fractions else "max")
    lines = [*machine.header(command, info), ""]
    lines += [_run_line(run) for run in bench.runs] + [""] + tables
    lines += [f"note: {n}" for n in notes] + [f"h2load, {c}" for c in commands]
    path = None
    if args.out is not None and not args.no_save:
        args.out.mkdir(parents=True, exist_ok=True)
        path = machine.result_path(args.out, f"load-{mode}", ".txt")
        path.write_text("\n".join(lines) + "\n")
        print(f"wrote {path}", file=sys.stderr)
    opened = [c for c in cells if c["mode"] == "open"]
    plot = args.plot or (path.with_suffix(".png") if path is not None and opened else None)
    if plot is not None and opened:
        from .plots import plot_load

        maxima = {(c["server"], c["proto"]): c["rps"] for c in cells if c["mode"] == "max"}
        title = f"bidwire bench load: latency against offered load ({info['date']})"
        plot_load(opened, plot, title, args.tmax, maxima)
        print(f"wrote {plot}", file=sys.stderr)
    return 0


__all__ = [
    "Bench",
    "Run",
    "body_with_tmax",
    "default_body",
    "main",
    "preamble",
    "report",
    "summarize",
]
