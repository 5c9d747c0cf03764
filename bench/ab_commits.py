"""Two commits of bidwire side by side in one run: did a change cost throughput?

Each commit's tree is exported (``git archive``) to a temporary folder and served from there
(``PYTHONPATH``, same venv, same dependencies), as bidwire and as granian serving the same
tree's ``bidder.asgi:app``; rounds alternate the order. Server on core 0, h2load on core 1, the
1 KB JSON request, HTTP/2. The figure that matters is the ratio bidwire/granian of each commit
(granian is the same pipeline behind another transport, so it cancels the machine's drift) and
the ratio of those ratios, after/before.

    .venv/bin/python bench/ab_commits.py BEFORE AFTER [--rounds 5] [--requests 100000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bidwire.benchmarks.h2load import parse_summary
from bidwire.benchmarks.servers import Server, pinning
from bidwire.benchmarks.trees import ROOT, export

BODY = ROOT / "bench" / "body-1k.json"


def measure(tree: Path, server: str, requests: int, config: Path | None) -> tuple[float, float]:
    """(requests per second, server CPU µs per request) of ``server`` serving ``tree``."""
    server_pin, client_pin = pinning()
    with Server(server, pin=server_pin, source=tree, config=config) as running:
        load = [*client_pin, "h2load", "-c", "8", "-m", "32", "-d", str(BODY),
                "-H", "content-type: application/json"]  # fmt: skip
        subprocess.run([*load, "-n", "5000", running.url()], capture_output=True, check=True)
        cpu_before = running.cpu_seconds()
        out = subprocess.run([*load, "-n", str(requests), running.url()], capture_output=True,
                             text=True, check=True).stdout  # fmt: skip
        cpu = running.cpu_seconds() - cpu_before
    summary = parse_summary(out)
    if summary.succeeded != requests:
        raise RuntimeError(f"{server}: {summary}")
    return summary.rps, cpu * 1e6 / requests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument(
        "--config",
        type=Path,
        help="a bidwire.toml for both commits' bidwire, e.g. one that turns shedding off "
        "([app.shedding] max_loop_lag_ms = 60000.0): on a loaded machine a commit that sheds "
        "more answers more cheaply, and the comparison would measure shedding",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bidwire-ab-") as tmp:
        trees = {}
        for label, commit in (("before", args.before), ("after", args.after)):
            short = export(commit, Path(tmp) / label)
            trees[label] = (Path(tmp) / label, short)
        print(f"# before {trees['before'][1]}, after {trees['after'][1]}; "
              f"h2load -c 8 -m 32 -n {args.requests}, 1 KB JSON, HTTP/2; {os.cpu_count()} cores; "
              f"python {sys.version.split()[0]}")  # fmt: skip
        runs: dict[tuple[str, str], list[float]] = {}
        cpu: dict[tuple[str, str], list[float]] = {}
        pairs = [(label, server) for label in trees for server in ("bidwire", "granian")]
        for round_ in range(args.rounds):
            order = pairs if round_ % 2 == 0 else pairs[::-1]
            for label, server in order:
                rps, cpu_us = measure(trees[label][0], server, args.requests, args.config)
                runs.setdefault((label, server), []).append(rps)
                cpu.setdefault((label, server), []).append(cpu_us)
                print(f"round {round_ + 1}: {label:<6} {server:<8} {rps:>10,.0f} req/s "
                      f"{cpu_us:6.1f} CPU µs/req", flush=True)  # fmt: skip
        ratio = {}
        for label in trees:
            bidwire = statistics.median(runs[(label, "bidwire")])
            granian = statistics.median(runs[(label, "granian")])
            ratio[label] = bidwire / granian
            cpu_bidwire = statistics.median(cpu[(label, "bidwire")])
            cpu_granian = statistics.median(cpu[(label, "granian")])
            print(f"median {label:<6} bidwire {bidwire:>9,.0f} req/s ({cpu_bidwire:.1f} CPU µs/req)"
                  f"  granian {granian:>9,.0f} req/s ({cpu_granian:.1f})"
                  f"  bidwire/granian {ratio[label]:.3f}x")  # fmt: skip
        print(f"after/before (bidwire/granian ratios): {ratio['after'] / ratio['before']:.3f}x")
        before_cpu = statistics.median(cpu[("before", "bidwire")])
        after_cpu = statistics.median(cpu[("after", "bidwire")])
        print(f"bidwire CPU per request after/before: {after_cpu / before_cpu:.3f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
