"""How fast can each load generator send on one core? openloop (bidwire/benchmarks/openloop.c)
and h2load --rps side by side, against nghttpd (nghttp2's C server, the cheapest server there
is) on the other core: the 1 KB bid request POSTed, open loop, at each rate, rounds in turn.

One line per run: the rate asked, what was sent and answered a second, unsent, held back, and
the generator's CPU (its own rusage) per second of run. The server pins and the generator's
are those of ``bench overload`` (``taskset -c 0`` / ``-c 1``).

    .venv/bin/python -m bench.openloop_capacity [--rates 37600,75200,90000,120000]
        [--rounds 3] [--seconds 5] [--port 47020]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bidwire.benchmarks import h2load, openloop
from bidwire.benchmarks.servers import pinning

BODY = Path(__file__).with_name("body-1k.json")
HEADER = "content-type: application/json"


def run_openloop(binary: Path, url: str, rate: float, seconds: float) -> dict[str, float]:
    argv = openloop.command(
        binary, url, rate=rate, duration_s=seconds, connections=8, tmax_ms=50, body=BODY
    )
    result, cpu = openloop.run_one([*pinning()[1], *argv], timeout_s=seconds + 60)
    return {
        "sent": result.sent / seconds,
        "answered": result.answered / seconds,
        "unsent": result.unsent,
        "held": result.held,
        "max_held_ms": result.max_held_ms,
        "lost": result.reset + result.unanswered + result.connection_errors,
        "cpu": cpu / seconds,
    }


def run_h2load(url: str, rate: float, seconds: float) -> dict[str, float]:
    argv = h2load.command(
        url,
        proto="h2",
        clients=8,
        streams=256,
        duration_s=seconds,
        body=BODY,
        rps_per_client=rate / 8,
    )
    out, cpu = h2load.run([*pinning()[1], *argv], timeout_s=seconds + 60)
    summary = h2load.parse_summary(out)
    return {
        "sent": summary.started / seconds,
        "answered": summary.done / seconds,
        "unsent": max(0, round(rate * seconds) - summary.started),
        "held": float("nan"),
        "max_held_ms": float("nan"),
        "lost": summary.started - summary.done,
        "cpu": cpu / seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", default="37600,75200,90000,120000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--port", type=int, default=47020)
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]
    binary = openloop.build()
    url = f"http://127.0.0.1:{args.port}/bid"
    with tempfile.TemporaryDirectory() as root:
        (Path(root) / "bid").write_text("ok\n")
        server_pin = pinning()[0]
        # Started from its own folder: nothing of it lives under a worktree.
        nghttpd = subprocess.Popen(
            [*server_pin, "nghttpd", "--no-tls", "-d", root, str(args.port)],
            cwd=root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(0.5)
            print(f"# {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}, load average "
                  f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")  # fmt: skip
            print(
                f"#   {' '.join(server_pin)} nghttpd --no-tls -d ROOT {args.port}   (ROOT/bid: ok)"
            )
            load = " ".join(pinning()[1])
            body = f"bench/body-1k.json -H '{HEADER}'"
            print(f"#   {load} {binary.name} --rate R --duration {args.seconds:g} "
                  f"--connections 8 --body {body} {url}")  # fmt: skip
            print(f"#   {load} h2load -c 8 -m 256 -t 1 -D {args.seconds:g} -d {body} "
                  f"--rps R/8 {url}")  # fmt: skip
            runs: dict[tuple[str, float], list[dict[str, float]]] = {}
            for rnd in range(args.rounds):
                for rate in rates:
                    for name in ("openloop", "h2load"):
                        if name == "openloop":
                            row = run_openloop(binary, url, rate, args.seconds)
                        else:
                            row = run_h2load(url, rate, args.seconds)
                        runs.setdefault((name, rate), []).append(row)
                        print(_line(f"round {rnd + 1} {name:8}", rate, row), flush=True)
            print(f"\nmedians of {args.rounds} round(s):")
            for (name, rate), rows in runs.items():
                med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
                print(_line(f"{name:8}", rate, med))
        finally:
            nghttpd.terminate()
            nghttpd.wait()


def _line(label: str, rate: float, row: dict[str, float]) -> str:
    held = "" if row["held"] != row["held"] else f", held {row['held']:,.0f} (max "
    held += "" if not held else f"{row['max_held_ms']:.1f} ms)"
    return (
        f"{label} offered {rate:>8,.0f}/s: sent {row['sent']:>8,.0f}/s, answered "
        f"{row['answered']:>8,.0f}/s, unsent {row['unsent']:,.0f}{held}, sent and never "
        f"answered {row['lost']:,.0f}, CPU {row['cpu']:.0%} of a core"
    )


if __name__ == "__main__":
    main()
