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
import time
from pathlib import Path

from bidwire.benchmarks.h2load import parse_summary
from bidwire.benchmarks.servers import free_port, pinning, server_argv

ROOT = Path(__file__).resolve().parent.parent
BODY = ROOT / "bench" / "body-1k.json"


def export(commit: str, into: Path) -> str:
    """Write ``commit``'s tree into ``into``; return its short id."""
    into.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", commit], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", commit],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def wait_ready(port: int, timeout: float = 30.0) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def measure(tree: Path, server: str, requests: int, workdir: Path) -> float:
    """Requests per second that h2load got from ``server`` serving ``tree``."""
    server_pin, client_pin = pinning()
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(tree)}
    argv = [*server_pin, *server_argv(server, port, workdir)]
    proc = subprocess.Popen(
        argv, cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        wait_ready(port)
        url = f"http://127.0.0.1:{port}/openrtb2/bid"
        load = [*client_pin, "h2load", "-c", "8", "-m", "32", "-d", str(BODY),
                "-H", "content-type: application/json", url]  # fmt: skip
        subprocess.run([*load[:-1], "-n", "5000", url], capture_output=True, check=True)
        out = subprocess.run([*load[:-1], "-n", str(requests), url], capture_output=True,
                             text=True, check=True).stdout  # fmt: skip
        summary = parse_summary(out)
        if summary.succeeded != requests:
            raise RuntimeError(f"{server}: {summary}")
        return summary.rps
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=100_000)
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
        pairs = [(label, server) for label in trees for server in ("bidwire", "granian")]
        for round_ in range(args.rounds):
            order = pairs if round_ % 2 == 0 else pairs[::-1]
            for label, server in order:
                rps = measure(trees[label][0], server, args.requests, Path(tmp))
                runs.setdefault((label, server), []).append(rps)
                print(f"round {round_ + 1}: {label:<6} {server:<8} {rps:>10,.0f} req/s", flush=True)
        ratio = {}
        for label in trees:
            bidwire = statistics.median(runs[(label, "bidwire")])
            granian = statistics.median(runs[(label, "granian")])
            ratio[label] = bidwire / granian
            print(f"median {label:<6} bidwire {bidwire:>9,.0f}  granian {granian:>9,.0f}  "
                  f"bidwire/granian {ratio[label]:.3f}x")  # fmt: skip
        print(f"after/before (bidwire/granian ratios): {ratio['after'] / ratio['before']:.3f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
