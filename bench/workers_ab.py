"""What sharing the host's state costs: `--workers 2` against two one-worker servers, side by side.

    python bench/workers_ab.py [--rounds 5] [--duration 8] [--clients 16] [--streams 8]

Both sides run the same processes on the same two cores, so only the sharing differs:

- **pair**: two `bidwire serve` (one worker each, each its own shared-memory store that no
  other process touches), pinned to core 0 and core 1;
- **workers**: one `bidwire serve --workers 2` (one store for both workers: one mapping, two
  cross-process locks), each worker pinned to its own core (``taskset -p`` once they run).

Each side is driven by two h2load processes at once (pinned to core 0 and core 1, ``-c``
connections each, HTTP/2, the 1 KB bid request; for the pair, one h2load per server). The
campaigns are the demo campaigns with every budget multiplied by a million: every bid
reserves against a shared daily budget, and none is refused, so both sides bid alike.
Reports the summed req/s and the servers' CPU µs per request per round, the medians and the
ratio workers / pair (goal: >= 0.90). Rounds alternate which side runs first.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import tempfile
import threading
from pathlib import Path

from bidwire.benchmarks import h2load
from bidwire.benchmarks.servers import Server, rich_campaigns

BODY = Path(__file__).with_name("body-1k.json")


def drive(urls: list[str], args: argparse.Namespace, duration: float) -> tuple[float, int, int]:
    """Two h2load at once (core 0 -> urls[0], core 1 -> urls[-1]): summed req/s, done, failed."""
    results: list[h2load.Summary] = []

    def one(core: int, url: str) -> None:
        argv = h2load.command(url, proto="h2", clients=args.clients, streams=args.streams,
                              duration_s=duration, body=BODY)  # fmt: skip
        out, _ = h2load.run(["taskset", "-c", str(core), *argv], timeout_s=duration + 60)
        results.append(h2load.parse_summary(out))

    threads = [threading.Thread(target=one, args=(core, urls[core % len(urls)])) for core in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 2, "an h2load run failed"
    return (
        sum(r.rps for r in results),
        sum(r.done for r in results),
        sum(r.failed + r.errored for r in results),
    )


def one_round(side: str, folder: Path, args: argparse.Namespace) -> dict[str, float]:
    config = folder / f"{side}.toml"
    workers = 2 if side == "workers" else 1
    config.write_text(f'campaigns = "{folder / "campaigns.toml"}"\n[server]\nworkers = {workers}\n')
    if side == "workers":
        servers = [Server("bidwire", config=config, pin=["taskset", "-c", "0,1"])]
        # One worker per core, as the pair has: left to the scheduler, both workers often
        # share a core beside the h2loads and the side loses half its throughput whatever
        # the state does (measured on the code before the shared store, too).
        workers_pids = sorted(p for p in servers[0].pids() if p != servers[0].process.pid)
        assert len(workers_pids) == 2, workers_pids
        for core, pid in enumerate(workers_pids):
            subprocess.run(["taskset", "-p", "-c", str(core), str(pid)], check=True,
                           stdout=subprocess.DEVNULL)  # fmt: skip
    else:
        servers = [Server("bidwire", config=config, pin=["taskset", "-c", str(c)]) for c in (0, 1)]
    try:
        urls = [s.url() for s in servers]
        drive(urls, args, 1.0)  # warm-up
        cpu_before = sum(s.cpu_seconds() for s in servers)
        rps, done, failed = drive(urls, args, args.duration)
        cpu = sum(s.cpu_seconds() for s in servers) - cpu_before
    finally:
        for server in servers:
            server.close()
    return {"rps": rps, "cpu_us": cpu / max(done, 1) * 1e6, "failed": failed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--streams", type=int, default=8)
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"# python {platform.python_version()}, {os.cpu_count()} cores, load average "
          f"{load[0]:.2f} at start; 2 x h2load -c {args.clients} -m {args.streams} -D "
          f"{args.duration:.0f}s per side and round, alternating")  # fmt: skip
    rows: dict[str, list[dict[str, float]]] = {"pair": [], "workers": []}
    with tempfile.TemporaryDirectory(prefix="bidwire-workers-ab-") as tmp:
        folder = Path(tmp)
        rich_campaigns(folder)
        for n in range(args.rounds):
            order = ("pair", "workers") if n % 2 == 0 else ("workers", "pair")
            for side in order:
                row = one_round(side, folder, args)
                rows[side].append(row)
                print(f"round {n + 1} {side:<7} {row['rps']:9,.0f} req/s "
                      f"{row['cpu_us']:7.1f} CPU µs/req failed {row['failed']:.0f}",
                      flush=True)  # fmt: skip
    medians = {
        side: {k: statistics.median(r[k] for r in got) for k in got[0]}
        for side, got in rows.items()
    }
    for side, m in medians.items():
        print(f"median {side:<7} {m['rps']:9,.0f} req/s {m['cpu_us']:7.1f} CPU µs/req")
    ratio = medians["workers"]["rps"] / medians["pair"]["rps"]
    cpu = medians["workers"]["cpu_us"] / medians["pair"]["cpu_us"]
    verdict = "met" if ratio >= 0.9 else "MISSED"
    print(
        f"workers / pair: {ratio:.3f}x req/s, {cpu:.3f}x CPU per request "
        f"(goal: sharing costs <= 10%: {verdict}); load average {os.getloadavg()[0]:.2f} at end"
    )


if __name__ == "__main__":
    main()
