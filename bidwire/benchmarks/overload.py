"""``bidwire bench overload``: does every answer leave inside tmax past the maximum, and how
many bids still go out on time?

One command, one table and one plot (issue #16's must-show):

1. **Closed loop** per server and protocol (few requests in flight, so nothing is shed): the
   maximum req/s and bids/s, the reference for the rest.
2. **Open loop** at fractions of that maximum (0.5, 1, 2, 5x by default), for each tmax, over
   HTTP/2 and HTTP/1.1, bidwire, granian and hypercorn alike: replies after tmax, requests
   the load generator could not send (unsent, and held back behind the schedule: the exchange's
   clock runs while they wait), on-time bids/s against the closed-loop maximum, p50/p99/p99.9
   of the answered, the share shed.
3. **Async stage** (``--async-ms``): the same at ``--async-load`` with every decision awaiting
   a stage that takes that long (a stand-in for a lookup).
4. **Recovery** (``--recovery``): a steady client at 0.5x for the whole run, and a second one
   adding 4.5x (5x in all) for 10 s; the steady client's p99 per 250 ms window says how long
   after the burst it takes to come back to its p99 before it.

HTTP/1.1 carries one request per connection at a time (no pipelining, as exchanges send), so
open-loop runs open enough connections for the rate to be sent inside tmax (rate x tmax, at
least ``--h1-clients``): fewer, and h2load itself would hold the load back.

The load generator: h2load for closed loop and for HTTP/1.1; for HTTP/2 open loop (and the
recovery run), ``--driver openloop`` (the default when a C compiler can build it: see
:mod:`bidwire.benchmarks.openloop`), which sends 5x on one core where h2load tops out near 2x,
and counts a held request's wait from when it was due. Its late, unsent and held counts mean
what h2load's do here (late: answered after tmax from the send; held: sent further behind the
schedule than the generator's timer explains, 10 ms for h2load, 2 ms (two ticks) for
openloop; late+held: late once the wait past that is counted), plus one h2load's do not count:
a request sent and never answered within the grace period (>= 2 tmax) is late.
"""

from __future__ import annotations

import argparse
import math
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import h2load, machine, openloop
from .load import body_with_tmax, default_body, preamble
from .servers import PROTOCOLS, Server, ServerError, pinning

#: HTTP/2 streams per connection in open-loop runs: the servers allow 256 (granian 200).
OPEN_STREAMS = 256
#: Streams per connection in the closed-loop phase: few enough that bidwire decides every
#: request (256 in flight take longer than a 30 ms budget to decide on this machine).
CLOSED_STREAMS = 8
#: The most HTTP/1.1 connections an open-loop run opens (thousands take h2load, on one core,
#: longer to open than a run lasts; a shed answer comes back in milliseconds, so fewer do).
MAX_H1_CLIENTS = 1024
#: HTTP/1.1 open loop: the connections are split over this many h2loads started apart (see
#: h2load.run_staggered), so their clients' bursts are spread over the period.
H1_GROUPS = 8


@dataclass
class Cell:
    """One measured run (a table row, before medians over rounds)."""

    server: str
    proto: str
    tmax: int
    mode: str  # "max", "open", "async" or "recovery"
    fraction: float
    offered: float
    duration: float
    round: int = 0
    rps: float = 0.0
    started: int = 0
    answered: int = 0
    late: int = 0
    unsent: int = 0
    held: int = 0
    max_held_ms: float = 0.0
    late_with_held: int = 0
    on_time_bids: int = 0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    p999_ms: float = 0.0
    errors: int = 0
    shed: int = 0
    seen: int = 0
    server_late: int = 0
    cpu_us_per_req: float = 0.0
    command: str = ""
    recovery_s: float | None = None
    windows: list[tuple[float, int, float]] = field(default_factory=list)

    @property
    def lost_pct(self) -> float:
        """Replies after tmax plus requests never sent, per offered request (%)."""
        offered = self.offered * self.duration
        return 100 * (self.late + self.unsent) / max(offered, 1)


def h1_clients(rate: float, tmax_ms: int, floor: int) -> int:
    """Connections enough for ``rate`` with one request each in flight, each answered inside
    tmax (Little's law on the client's side)."""
    return min(MAX_H1_CLIENTS, max(floor, math.ceil(rate * tmax_ms / 1000)))


class Overload:
    """The settings of one ``bidwire bench overload`` and what it has measured."""

    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.server_pin, self.load_pin = pinning()
        for tmax in args.tmax:
            (workdir / f"t{tmax}").mkdir()
        self.bodies = {
            t: body_with_tmax(args.body or default_body(), t, workdir / f"t{t}")[0]
            for t in args.tmax
        }
        self.cells: list[Cell] = []
        #: The openloop binary when it drives HTTP/2 open loop, else None (h2load does).
        self.openloop: Path | None = None
        if getattr(args, "driver", "h2load") != "h2load":
            try:
                self.openloop = openloop.build()
            except openloop.OpenloopError as exc:
                if args.driver == "openloop":
                    raise
                print(f"bidwire bench overload: {exc}; h2load drives open loop", file=sys.stderr)
        # What drove open loop, for the report ("auto" resolved).
        args.driver = "h2load" if self.openloop is None else "openloop"

    def _argv(
        self,
        server: Server,
        proto: str,
        body: Path,
        duration: float,
        rate: float | None,
        tmax: int,
        log: Path | None,
        h1_connections: int | None = None,
    ) -> list[str]:
        """One h2load's argv (``h1_connections``: this many HTTP/1.1 connections, not the
        number the rate needs: one group of :meth:`_group_argvs`)."""
        args = self.args
        if proto == "h1":
            if h1_connections is not None:
                clients = h1_connections
            elif rate is None:
                clients = args.h1_clients
            else:
                clients = h1_clients(rate, tmax, args.h1_clients)
            streams = 1
        else:
            clients, streams = args.clients, CLOSED_STREAMS if rate is None else OPEN_STREAMS
        return h2load.command(
            server.url(),
            proto=proto,
            clients=clients,
            streams=streams,
            duration_s=duration,
            body=body,
            log_file=log,
            rps_per_client=None if rate is None else rate / clients,
        )

    def serve(self, name: str, async_ms: float = 0.0) -> Server:
        """A fresh server process, pinned (with an async stage of ``async_ms``)."""
        config = None
        env: dict[str, str] = {}
        own = self.args.bidwire_config
        if async_ms or (own is not None and name.startswith("bidwire")):
            config = self.workdir / f"{name}-{async_ms:g}.toml"
            text = own.read_text() + "\n" if own is not None else ""
            if name == "bidwire-inline":
                text += "[admission]\nenabled = false\n"
            if async_ms:
                text += f"[pipeline]\nsleep_stage_ms = {async_ms}\n"
                env["BIDWIRE_SLEEP_STAGE_MS"] = str(async_ms)
            config.write_text(text)
        return Server(
            name, campaigns=self.args.campaigns, config=config, pin=self.server_pin, extra_env=env
        )

    def measure(
        self,
        server: Server,
        proto: str,
        tmax: int,
        mode: str,
        fraction: float,
        rate: float | None,
        rnd: int,
    ) -> Cell:
        """One run; its cell."""
        if self.openloop is not None and proto == "h2" and rate is not None:
            return self._measure_openloop(server, tmax, mode, fraction, rate, rnd)
        duration = self.args.duration
        argvs, offsets, logs = self._group_argvs(server, proto, tmax, duration, rate)
        argv = argvs[0]
        before, cpu0 = server.metrics(), server.cpu_seconds()
        outs, _ = h2load.run_staggered(
            [[*self.load_pin, *a] for a in argvs], offsets, timeout_s=duration + 60
        )
        cpu = server.cpu_seconds() - cpu0
        after = server.metrics()
        summary = h2load.merge([h2load.parse_summary(out) for out in outs])
        lines = []
        for log in logs:
            with open(log) as f:
                lines += f.readlines()
            log.unlink()
        latency = h2load.parse_log(lines, tmax)
        cell = Cell(server.name, proto, tmax, mode, fraction, rate or summary.rps, duration, rnd)
        cell.rps, cell.started, cell.answered = summary.rps, summary.started, latency.count
        cell.p50_ms, cell.p99_ms, cell.p999_ms = latency.p50_ms, latency.p99_ms, latency.p999_ms
        cell.errors = (
            summary.errored
            + summary.timeout
            + sum(n for status, n in latency.statuses.items() if status >= 400 and status != 503)
        )
        cell.late = latency.late
        cell.cpu_us_per_req = cpu / max(summary.done, 1) * 1e6
        if rate is not None:
            cell.unsent = max(0, round(rate * duration) - summary.started)
            timely = h2load.timeliness(lines, tmax, rate)
            cell.held, cell.max_held_ms = timely.held, timely.max_held_ms
            cell.late_with_held, cell.on_time_bids = timely.late_with_held, timely.on_time_bids
        else:
            cell.on_time_bids = latency.statuses.get(200, 0) - latency.late
        delta = {k: after.get(k, 0) - before.get(k, 0) for k in after}
        cell.shed = delta.get("admission_shed", 0) or delta.get("shed", 0)
        cell.seen = delta.get("requests", 0) + cell.shed
        cell.server_late = delta.get("answers", 0) and _late(server)
        cell.command = " ".join(argv) + (
            f" (x{len(argvs)} started {offsets[1] * 1000:.1f} ms apart, -c split)"
            if len(argvs) > 1
            else ""
        )
        self.cells.append(cell)
        print(_line(cell), flush=True)
        return cell

    def _open_argv(
        self, server: Server, tmax: int, duration: float, rate: float, log: Path | None
    ) -> list[str]:
        """openloop's argv for an HTTP/2 open-loop run: as many connections and streams in
        flight as h2load's (the server's limit, when lower, holds them back for both)."""
        assert self.openloop is not None
        return openloop.command(
            self.openloop,
            server.url(),
            rate=rate,
            duration_s=duration,
            connections=self.args.clients,
            tmax_ms=tmax,
            body=self.bodies[tmax],
            log_file=log,
            max_streams=OPEN_STREAMS,
        )

    def _measure_openloop(
        self, server: Server, tmax: int, mode: str, fraction: float, rate: float, rnd: int
    ) -> Cell:
        """One HTTP/2 open-loop run driven by openloop; its cell, counted as h2load's are."""
        duration = self.args.duration
        argv = self._open_argv(server, tmax, duration, rate, None)
        before, cpu0 = server.metrics(), server.cpu_seconds()
        result, _ = openloop.run_one([*self.load_pin, *argv], timeout_s=duration + 60)
        cpu = server.cpu_seconds() - cpu0
        after = server.metrics()
        cell = Cell(server.name, "h2", tmax, mode, fraction, rate, duration, rnd)
        fill_from_openloop(cell, result)
        cell.cpu_us_per_req = cpu / max(result.answered + result.reset, 1) * 1e6
        delta = {k: after.get(k, 0) - before.get(k, 0) for k in after}
        cell.shed = delta.get("admission_shed", 0) or delta.get("shed", 0)
        cell.seen = delta.get("requests", 0) + cell.shed
        cell.server_late = delta.get("answers", 0) and _late(server)
        cell.command = "openloop: " + " ".join(argv)
        self.cells.append(cell)
        print(_line(cell), flush=True)
        return cell

    def _group_argvs(
        self, server: Server, proto: str, tmax: int, duration: float, rate: float | None
    ) -> tuple[list[list[str]], list[float], list[Path]]:
        """The h2load argvs of one run, their start offsets and log files: one h2load, or, for
        HTTP/1.1 in open loop, :data:`H1_GROUPS` of them, each with its share of the
        connections at the same rate per connection, started a share of the period apart."""
        body = self.bodies[tmax]
        if proto != "h1" or rate is None:
            log = self.workdir / "run.log"
            return [self._argv(server, proto, body, duration, rate, tmax, log)], [0.0], [log]
        clients = h1_clients(rate, tmax, self.args.h1_clients)
        groups = min(H1_GROUPS, clients)
        period = clients / rate  # each connection sends once per period
        argvs, offsets, logs = [], [], []
        for g in range(groups):
            share = clients // groups + (1 if g < clients % groups else 0)
            log = self.workdir / f"run-{g}.log"
            # The group's share of the rate: the same rate per connection in every group.
            group_rate = rate * share / clients
            argvs.append(self._argv(server, proto, body, duration, group_rate, tmax, log, share))
            offsets.append(g * period / groups)
            logs.append(log)
        return argvs, offsets, logs

    def warm_up(self, server: Server, proto: str) -> None:
        if self.args.warmup > 0:
            tmax = max(self.args.tmax)
            argv = self._argv(server, proto, self.bodies[tmax], self.args.warmup, None, tmax, None)
            h2load.parse_summary(h2load.run([*self.load_pin, *argv], self.args.warmup + 60)[0])

    def run(self) -> None:
        args = self.args
        for rnd in range(args.rounds):
            order = (
                args.servers[rnd % len(args.servers) :] + args.servers[: rnd % len(args.servers)]
            )
            for name in order:
                for proto in args.proto:
                    if proto not in PROTOCOLS.get(name, ()):
                        continue
                    self._server_round(name, proto, rnd)
        if args.recovery:
            for name in args.servers:
                for proto in args.proto:
                    if proto in PROTOCOLS.get(name, ()):
                        self.recovery(name, proto)

    def _server_round(self, name: str, proto: str, rnd: int) -> None:
        args = self.args
        tmax_ref = max(args.tmax)
        with self.serve(name) as server:
            self.warm_up(server, proto)
            top = self.measure(server, proto, tmax_ref, "max", 1.0, None, rnd)
            for tmax in args.tmax:
                for fraction in sorted(args.load):
                    time.sleep(1.0)
                    try:
                        self.measure(server, proto, tmax, "open", fraction, fraction * top.rps, rnd)
                    except h2load.H2loadError as exc:  # one run lost, not the whole table
                        print(f"{name} {proto} tmax {tmax} {fraction:g}x: {exc}", file=sys.stderr)
        if args.async_ms:
            with self.serve(name, args.async_ms) as server:
                self.warm_up(server, proto)
                for tmax in args.tmax:
                    rate = args.async_load * top.rps
                    time.sleep(1.0)
                    try:
                        self.measure(server, proto, tmax, "async", args.async_load, rate, rnd)
                    except h2load.H2loadError as exc:
                        print(f"{name} {proto} tmax {tmax} async: {exc}", file=sys.stderr)

    def recovery(self, name: str, proto: str) -> None:
        """A steady 0.5x client for the whole run; 4.5x more for 10 s from 5 s in."""
        args = self.args
        tmax = min(args.tmax)
        maxima = [
            c.rps for c in self.cells if c.server == name and c.proto == proto and c.mode == "max"
        ]
        top = statistics.median(maxima)
        steady_s, burst_at, burst_s = 25.0, 5.0, 10.0
        with self.serve(name) as server:
            self.warm_up(server, proto)
            log = self.workdir / "steady.log"
            steady = self._argv(server, proto, self.bodies[tmax], steady_s, 0.5 * top, tmax, log)
            burst = self._argv(server, proto, self.bodies[tmax], burst_s, 4.5 * top, tmax, None)
            parse: Any = h2load.parse_summary
            if self.openloop is not None and proto == "h2":
                steady = self._open_argv(server, tmax, steady_s, 0.5 * top, log)
                burst = self._open_argv(server, tmax, burst_s, 4.5 * top, None)
                parse = openloop.parse
            first = subprocess.Popen([*self.load_pin, *steady], stdout=subprocess.PIPE, text=True)
            time.sleep(burst_at)
            second = subprocess.run(
                [*self.load_pin, *burst],
                capture_output=True,
                text=True,
                check=False,
                timeout=burst_s + 60,
            )
            out, _ = first.communicate(timeout=steady_s + 60)
            parse(out)
            parse(second.stdout)
            with open(log) as f:
                lines = f.readlines()
        cell = Cell(name, proto, tmax, "recovery", 5.0, 0.5 * top, steady_s)
        cell.windows = h2load.windows(lines, 0.25)
        latency = h2load.parse_log(lines, tmax)
        cell.answered, cell.late, cell.p99_ms = latency.count, latency.late, latency.p99_ms
        cell.recovery_s = recovery_time(cell.windows, burst_at, burst_at + burst_s)
        cell.command = f"steady: {' '.join(steady)}; burst from {burst_at:g} s: {' '.join(burst)}"
        self.cells.append(cell)
        print(
            f"recovery {name} {proto}: {cell.recovery_s} s to normal p99 after the burst, "
            f"late {cell.late} of {cell.answered}",
            flush=True,
        )


def fill_from_openloop(cell: Cell, result: openloop.Result) -> None:
    """An open-loop cell's counts from openloop's summary, in h2load's meanings (module doc)."""
    cell.rps = result.answered_rps
    cell.started, cell.answered = result.sent, result.answered
    latency = result.latency_from_send
    cell.p50_ms, cell.p99_ms, cell.p999_ms = (
        latency["p50_ms"],
        latency["p99_ms"],
        latency["p999_ms"],
    )
    # A refused stream is a shed (the server says so in its own counts), not an error.
    cell.errors = (
        result.reset
        - result.refused
        + result.goaway_lost
        + result.unanswered
        + result.connection_errors
        + sum(n for status, n in result.statuses.items() if status >= 400 and status != 503)
    )
    cell.late, cell.unsent = result.late, result.unsent
    cell.held, cell.max_held_ms = result.held, result.max_held_ms
    cell.late_with_held, cell.on_time_bids = result.late_with_held, result.on_time_bids


def recovery_time(
    windows: Sequence[tuple[float, int, float]], burst_start: float, burst_end: float
) -> float | None:
    """Seconds after ``burst_end`` until every later window's p99 is back within 1.5x (+1 ms)
    of the median window p99 before the burst; None if it never is."""
    before = [p99 for start, _n, p99 in windows if 1.0 <= start < burst_start - 0.25]
    if not before:
        return None
    normal = statistics.median(before) * 1.5 + 1.0
    after = [(start, p99) for start, _n, p99 in windows if start >= burst_end]
    for i, (start, _p99) in enumerate(after):
        if all(p <= normal for _s, p in after[i:-1] or after[i:]):
            return max(0.0, start - burst_end)
    return None


def _late(server: Server) -> int:
    """bidwire's own count of answers written after their deadline (0 for the others)."""
    import urllib.request

    try:
        with urllib.request.urlopen(server.url("/metrics"), timeout=10) as answer:
            text = answer.read().decode()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith('bidwire_answers_total{timing="late"}'):
            return int(float(line.rsplit(" ", 1)[1]))
    return 0


def _line(c: Cell) -> str:
    return (
        f"round {c.round + 1} {c.server:9} {c.proto} tmax {c.tmax} {c.mode} {c.fraction:g}x "
        f"offered {c.offered:,.0f}/s: answered {c.answered:,}, late {c.late}, unsent "
        f"{c.unsent}, held {c.held} (max {c.max_held_ms:.0f} ms), on-time bids "
        f"{c.on_time_bids / c.duration:,.0f}/s, p50 {c.p50_ms:.2f} p99 {c.p99_ms:.2f} p99.9 "
        f"{c.p999_ms:.2f} ms, shed {c.shed:,}, errors {c.errors}, CPU {c.cpu_us_per_req:.1f} µs"
    )


def summarize(cells: Sequence[Cell]) -> list[dict[str, Any]]:
    """Medians over rounds of each (server, proto, tmax, mode, fraction)."""
    groups: dict[tuple[str, str, int, str, float], list[Cell]] = {}
    for c in cells:
        if c.mode != "recovery":
            groups.setdefault((c.server, c.proto, c.tmax, c.mode, c.fraction), []).append(c)
    maxima: dict[tuple[str, str], float] = {}
    for (server, proto, _t, mode, _f), members in groups.items():
        if mode == "max":
            maxima[(server, proto)] = statistics.median(
                c.on_time_bids / c.duration for c in members
            )
    rows = []
    for (server, proto, tmax, mode, fraction), members in groups.items():

        def med(values: Sequence[float]) -> float:
            return float(statistics.median(values))

        offered = sum(c.offered * c.duration for c in members)
        bids = med([c.on_time_bids / c.duration for c in members])
        reference = maxima.get((server, proto), 0.0)
        rows.append(
            {
                "server": server,
                "proto": proto,
                "tmax": tmax,
                "mode": mode,
                "fraction": fraction,
                "offered": med([c.offered for c in members]),
                "answered_rps": med([c.answered / c.duration for c in members]),
                "late_pct": 100 * sum(c.late for c in members) / max(offered, 1),
                "unsent_pct": 100 * sum(c.unsent for c in members) / max(offered, 1),
                "held_pct": 100 * sum(c.held for c in members) / max(offered, 1),
                "lost_pct": 100 * sum(c.late + c.unsent for c in members) / max(offered, 1),
                "late_with_held_pct": 100
                * sum(c.late_with_held + c.unsent for c in members)
                / max(offered, 1),
                "on_time_bids_per_s": bids,
                "bids_vs_max": bids / reference if reference else 0.0,
                "p50_ms": med([c.p50_ms for c in members]),
                "p99_ms": med([c.p99_ms for c in members]),
                "p999_ms": med([c.p999_ms for c in members]),
                "shed_pct": 100
                * sum(c.shed for c in members)
                / max(sum(c.seen for c in members), 1),
                "server_late": sum(c.server_late for c in members),
                "errors": sum(c.errors for c in members),
                "cpu_us_per_req": med([c.cpu_us_per_req for c in members]),
                "runs": len(members),
            }
        )
    return rows


def report(
    rows: Sequence[dict[str, Any]], cells: Sequence[Cell], args: argparse.Namespace
) -> list[str]:
    """The tables."""
    lines = [
        f"closed loop (h2load -c {args.clients} -m {CLOSED_STREAMS} over HTTP/2, -c "
        f"{args.h1_clients} over HTTP/1.1), then open loop ({_open_driver(args)}) at fractions "
        f"of each server's own closed-loop req/s, {args.duration:g} s per run, median of "
        f"{args.rounds} round(s). lost = replies after tmax + requests the load generator never "
        "sent, per offered; held = sent more than the generator's timer explains (h2load 10 "
        "ms, openloop 2 ms) behind the open-loop schedule (held back); late+held "
        "counts that wait in the latency; bids/max = on-time bids/s over the closed-loop bids/s; "
        "p50/p99/p99.9 of the answered; srv late = bidwire's own count of answers written after "
        "their deadline",
        f"{'server':10} {'proto':5} {'tmax':>4} {'mode':6} {'load':>5} {'offered/s':>10} "
        f"{'answered/s':>10} {'lost%':>7} {'late%':>7} {'unsent%':>7} {'held%':>6} "
        f"{'late+held%':>10} {'bids/s':>8} {'bids/max':>8} {'p50':>7} {'p99':>7} {'p99.9':>7} "
        f"{'shed%':>6} {'srv late':>8} {'errors':>6} {'µs/req':>7}",
    ]
    order = {s: i for i, s in enumerate(args.servers)}
    for r in sorted(
        rows,
        key=lambda r: (
            order.get(r["server"], 99),
            r["proto"],
            r["tmax"],
            r["mode"] != "max",
            r["mode"],
            r["fraction"],
        ),
    ):
        lines.append(
            f"{r['server']:10} {r['proto']:5} {r['tmax']:>4} {r['mode']:6} "
            f"{r['fraction']:>4g}x {r['offered']:>10,.0f} {r['answered_rps']:>10,.0f} "
            f"{r['lost_pct']:>7.3f} {r['late_pct']:>7.3f} {r['unsent_pct']:>7.3f} "
            f"{r['held_pct']:>6.2f} {r['late_with_held_pct']:>10.3f} "
            f"{r['on_time_bids_per_s']:>8,.0f} {r['bids_vs_max']:>8.2f} {r['p50_ms']:>7.2f} "
            f"{r['p99_ms']:>7.2f} {r['p999_ms']:>7.2f} {r['shed_pct']:>6.1f} "
            f"{r['server_late']:>8} {r['errors']:>6} {r['cpu_us_per_req']:>7.1f}"
        )
    recoveries = [c for c in cells if c.mode == "recovery"]
    if recoveries:
        lines.append("")
        lines.append(
            "recovery: a steady client at 0.5x for 25 s, another adding 4.5x (5x in all) "
            "from 5 s to 15 s; time after the burst until the steady client's p99 per "
            "250 ms window stays within 1.5x (+1 ms) of its p99 before the burst"
        )
        for c in recoveries:
            when = "never" if c.recovery_s is None else f"{c.recovery_s:.2f} s"
            peak = max((p for _s, _n, p in c.windows), default=0.0)
            lines.append(
                f"{c.server:10} {c.proto:5} tmax {c.tmax}: back to normal p99 {when} "
                f"after the burst; worst window p99 {peak:.1f} ms; steady client's late "
                f"replies {c.late} of {c.answered}"
            )
    return lines


def _open_driver(args: argparse.Namespace) -> str:
    if getattr(args, "driver", "h2load") != "h2load" and "h2" in args.proto:
        return "openloop over HTTP/2, h2load --rps over HTTP/1.1"
    return "h2load --rps"


def main(args: argparse.Namespace) -> int:
    """Run ``bidwire bench overload``; the exit status."""
    found = preamble(args.servers, "overload")
    if found is None:
        return 2
    command, info = found
    if args.bidwire_config is not None:  # what the bidwire servers ran with, in the results
        info = {**info, "bidwire config": repr(args.bidwire_config.read_text().strip())}
    for line in machine.header(command, info):
        print(line, flush=True)
    with tempfile.TemporaryDirectory(prefix="bidwire-bench-overload-") as tmp:
        try:
            bench = Overload(args, Path(tmp))
            bench.run()
        except (ServerError, h2load.H2loadError) as exc:
            print(f"bidwire bench overload: {exc}", file=sys.stderr)
            return 1
    rows = summarize(bench.cells)
    tables = report(rows, bench.cells, args)
    print()
    print("\n".join(tables))
    commands = sorted({f"{c.server} {c.proto} {c.mode}: {c.command}" for c in bench.cells})
    lines = [*machine.header(command, info), ""]
    lines += [_line(c) for c in bench.cells if c.mode != "recovery"] + [""] + tables
    lines += [f"load generator, {c}" for c in commands]
    if args.out is not None and not args.no_save:
        args.out.mkdir(parents=True, exist_ok=True)
        path = machine.result_path(args.out, "overload", ".txt")
        path.write_text("\n".join(lines) + "\n")
        print(f"wrote {path}", file=sys.stderr)
        from .plots import plot_overload

        plot = args.plot or path.with_suffix(".png")
        plot_overload(rows, bench.cells, plot, f"bidwire bench overload ({info['date']})")
        print(f"wrote {plot}", file=sys.stderr)
    if args.json:
        import json

        print(json.dumps({"rows": rows, "cells": [asdict(c) for c in bench.cells]}, indent=1))
    return 0


__all__ = [
    "Cell",
    "Overload",
    "fill_from_openloop",
    "h1_clients",
    "main",
    "recovery_time",
    "report",
    "summarize",
]
