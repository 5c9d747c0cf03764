"""Throughput with the Redis fleet state against the in-process state, side by side.

    python bench/state_ab.py [--rounds 3] [--duration 10] [--clients 8] [--streams 8]

Starts a redis-server (no persistence) on a free port, then alternates `bidwire serve` with
``[pipeline.state] store = "memory"`` and ``store = "redis://..."`` (the demo campaigns, whose
daily budgets make every bid take its price from a lease), each pinned to core 0 with h2load
on core 1, driving the 1 KB bid request over HTTP/2. Redis is flushed before every round.
Reports req/s, bids/s and CPU µs per request per round, the medians, and the ratio.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis

from bidwire.benchmarks import h2load
from bidwire.benchmarks.servers import Server, free_port, pinning

BODY = Path(__file__).with_name("body-1k.json")


def start_redis(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("redis-server is missing (apt-get install redis-server)")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--save", "", "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(100):
        try:
            redis.Redis.from_url(url).ping()
            return process, url
        except redis.ConnectionError:
            time.sleep(0.05)
    sys.exit("redis-server did not start")


def one_round(store: str, config: Path, args: argparse.Namespace) -> dict[str, float]:
    server_pin, load_pin = pinning()
    with Server("bidwire", config=config, pin=server_pin) as server:
        warm = h2load.command(server.url(), proto="h2", clients=args.clients,
                              streams=args.streams, duration_s=1.0, body=BODY)  # fmt: skip
        h2load.run([*load_pin, *warm], timeout_s=60)
        before_cpu, before = server.cpu_seconds(), server.metrics()
        argv = h2load.command(server.url(), proto="h2", clients=args.clients,
                              streams=args.streams, duration_s=args.duration,
                              body=BODY)  # fmt: skip
        out, _ = h2load.run([*load_pin, *argv], timeout_s=args.duration + 60)
        cpu, after = server.cpu_seconds() - before_cpu, server.metrics()
    summary = h2load.parse_summary(out)
    bids = after.get("bids", 0) - before.get("bids", 0)
    return {
        "rps": summary.rps,
        "bids_per_s": bids / summary.duration_s,
        "cpu_us": cpu / max(summary.done, 1) * 1e6,
        "failed": summary.failed + summary.errored,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--streams", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bidwire-state-ab-") as tmp:
        folder = Path(tmp)
        process, url = start_redis(folder)
        configs = {}
        for store in ("memory", url):
            path = folder / f"{'redis' if store != 'memory' else 'memory'}.toml"
            path.write_text(f'[pipeline.state]\nstore = "{store}"\n')
            configs["redis" if store != "memory" else "memory"] = path
        rows: dict[str, list[dict[str, float]]] = {"memory": [], "redis": []}
        try:
            for n in range(args.rounds):
                order = ("memory", "redis") if n % 2 == 0 else ("redis", "memory")
                for name in order:
                    redis.Redis.from_url(url).flushall()
                    row = one_round(name, configs[name], args)
                    rows[name].append(row)
                    print(f"round {n + 1} {name:<6} {row['rps']:9,.0f} req/s "
                          f"{row['bids_per_s']:9,.0f} bids/s {row['cpu_us']:7.1f} CPU µs/req "
                          f"failed {row['failed']:.0f}", flush=True)  # fmt: skip
        finally:
            process.kill()
    print(f"# python {platform.python_version()}, h2load -c {args.clients} -m {args.streams}, "
          f"{args.duration:.0f} s x {args.rounds} rounds each, alternating")  # fmt: skip
    medians = {}
    for name, got in rows.items():
        medians[name] = {k: statistics.median(r[k] for r in got) for k in got[0]}
        m = medians[name]
        print(f"median {name:<6} {m['rps']:9,.0f} req/s {m['bids_per_s']:9,.0f} bids/s "
              f"{m['cpu_us']:7.1f} CPU µs/req")  # fmt: skip
    ratio = medians["redis"]["rps"] / medians["memory"]["rps"]
    bid_ratio = medians["redis"]["bids_per_s"] / max(medians["memory"]["bids_per_s"], 1e-9)
    verdict = "met" if ratio >= 0.9 else "MISSED"
    print(f"redis / memory: {ratio:.3f}x req/s, {bid_ratio:.3f}x bids/s "
          f"(goal: within 10%: {verdict})")  # fmt: skip


if __name__ == "__main__":
    main()
