"""``bidwire bench memory``: does a long run leak, and how often does the collector run?

``bidwire serve`` (one worker, pinned like in ``bench load``) is driven by closed-loop h2load
runs of ``requests / samples`` requests each; after each run the server's VmRSS and VmHWM
(/proc/PID/status) and its ``bidwire_gc_collections_total`` counters (GET /metrics) are read.
The first run is a warm-up whose growth (caches, allocator arenas, the request arena's
buffers) is reported apart: a leak is growth that goes on after it. The request arena is
switched with the ``[app] arena`` setting of a config file, once on and once off.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from . import h2load, machine
from .load import body_with_tmax, default_body, missing_tools
from .servers import Server, ServerError, pinning


@dataclass
class Sample:
    """The server's state after ``requests`` requests."""

    requests: int
    rss_kib: int
    hwm_kib: int
    gc: tuple[int, int, int]
    rps: float
    #: Requests the bidder shed (answered 204 before decoding) so far.
    shed: int = 0


def drive(args: argparse.Namespace, arena: bool, body: Path, workdir: Path) -> list[Sample]:
    """One server, ``args.samples`` chunks of requests, one sample before and after each."""
    server_pin, load_pin = pinning()
    config = workdir / f"arena-{'on' if arena else 'off'}.toml"
    config.write_text(f"[app]\narena = {'true' if arena else 'false'}\n")
    chunk = max(1, args.requests // args.samples)
    clients, streams = (args.clients, args.streams) if args.proto == "h2" else (32, 1)
    samples: list[Sample] = []
    with Server("bidwire", campaigns=args.campaigns, config=config, pin=server_pin) as server:
        samples.append(Sample(0, *server.rss_kib(), _gc(server.metrics()), 0.0))
        sent = 0
        for _ in range(args.samples):
            argv = [
                "h2load", "-n", str(chunk), "-c", str(clients), "-m", str(streams), "-t", "1",
                "-d", str(body), "-H", "content-type: application/json",
            ]  # fmt: skip
            if args.proto == "h1":
                argv.append("--h1")
            argv.append(server.url())
            start = time.monotonic()
            out, _ = h2load.run([*load_pin, *argv], timeout_s=chunk / 100 + 120)
            summary = h2load.parse_summary(out)
            if summary.failed or summary.errored:
                raise h2load.H2loadError(f"{summary.failed} failed, {summary.errored} errored")
            elapsed = time.monotonic() - start
            sent += summary.done
            counters = server.metrics()
            sample = Sample(
                sent, *server.rss_kib(), _gc(counters), chunk / elapsed, counters.get("shed", 0)
            )
            samples.append(sample)
            print(
                f"arena {'on ' if arena else 'off'} {sample.requests:>11,} requests: "
                f"RSS {sample.rss_kib / 1024:7.1f} MiB (peak {sample.hwm_kib / 1024:.1f}), "
                f"gc {sample.gc}, {sample.rps:,.0f} req/s, shed {sample.shed:,}",
                flush=True,
            )
    return samples


def _gc(counters: dict[str, int]) -> tuple[int, int, int]:
    return counters.get("gc0", 0), counters.get("gc1", 0), counters.get("gc2", 0)


def report(results: dict[str, list[Sample]]) -> list[str]:
    """Per arena setting: RSS after warm-up and at the end, growth overall and over the second
    half, and collections per 100,000 requests."""
    lines = [
        f"{'arena':6} {'requests':>11} {'RSS start':>10} {'after 1st':>10} {'end':>8} "
        f"{'growth after 1st chunk':>23} {'2nd half':>9} {'peak':>8} "
        f"{'gen0/100k':>10} {'gen1/100k':>10} {'gen2/100k':>10} {'req/s':>7} {'shed%':>6}"
    ]
    for name, samples in results.items():
        first, warm, last = samples[0], samples[1], samples[-1]
        mid = samples[len(samples) // 2]
        n = max(last.requests - warm.requests, 1)
        per = [(last.gc[g] - warm.gc[g]) * 100_000 / n for g in range(3)]
        mib = 1 / 1024
        growth = (last.rss_kib - warm.rss_kib) * mib
        lines.append(
            f"{name:6} {last.requests:>11,} {first.rss_kib * mib:>8.1f} M "
            f"{warm.rss_kib * mib:>8.1f} M {last.rss_kib * mib:>6.1f} M "
            f"{growth:>+19.2f} MiB {(last.rss_kib - mid.rss_kib) * mib:>+7.2f} M "
            f"{last.hwm_kib * mib:>6.1f} M {per[0]:>10.1f} {per[1]:>10.2f} {per[2]:>10.3f} "
            f"{sum(s.rps for s in samples[1:]) / max(len(samples) - 1, 1):>7,.0f} "
            f"{100 * last.shed / max(last.requests, 1):>6.1f}"
        )
    return lines


def main(args: argparse.Namespace) -> int:
    """Run ``bidwire bench memory``; the exit status."""
    missing = missing_tools(["bidwire"])
    if missing:
        print(f"bidwire bench memory: missing {', '.join(missing)}", file=sys.stderr)
        return 2
    if args.samples < 2 or args.requests < args.samples:
        print(
            "bidwire bench memory: need --samples >= 2 and --requests >= --samples",
            file=sys.stderr,
        )
        return 2
    command = machine.command_line()
    info = machine.describe(["msgspec", "h2", "uvloop"], [["h2load", "--version"]])
    results: dict[str, list[Sample]] = {}
    with tempfile.TemporaryDirectory(prefix="bidwire-bench-memory-") as tmp:
        body, tmax = body_with_tmax(args.body or default_body(), None, Path(tmp))
        conn = f"-c {args.clients} -m {args.streams}" if args.proto == "h2" else "--h1 -c 32 -m 1"
        info["load"] = (
            f"h2load {conn}, {args.samples} chunks of {args.requests // args.samples:,} requests, "
            f"body {body.stat().st_size} B (tmax {tmax} ms)"
        )
        for line in machine.header(command, info):
            print(line, flush=True)
        try:
            for setting in args.arena:
                results[setting] = drive(args, setting == "on", body, Path(tmp))
        except (ServerError, h2load.H2loadError, OSError) as exc:
            print(f"bidwire bench memory: {exc}", file=sys.stderr)
            return 1
    table = report(results)
    print()
    print("\n".join(table))
    if args.json:
        print(json.dumps({k: [asdict(s) for s in v] for k, v in results.items()}, indent=1))
    if args.out is not None and not args.no_save:
        args.out.mkdir(parents=True, exist_ok=True)
        path = machine.result_path(args.out, "memory", ".txt")
        samples = [
            f"arena {k} {s.requests:>11,} requests: RSS {s.rss_kib} KiB, peak {s.hwm_kib} KiB, "
            f"gc {s.gc}, {s.rps:,.0f} req/s, shed {s.shed}"
            for k, v in results.items()
            for s in v
        ]
        path.write_text(
            "\n".join([*machine.header(command, info), "", *samples, "", *table]) + "\n"
        )
        print(f"wrote {path}", file=sys.stderr)
    return 0


__all__ = ["Sample", "main", "report"]
