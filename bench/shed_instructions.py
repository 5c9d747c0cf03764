"""Instructions per request of one ``bench/shed_cost.py`` lane, counted by valgrind: a figure
the machine's load cannot disturb.

The lane runs under ``valgrind --tool=callgrind`` twice, with a small and a large request
count (one round each); the difference of the totals over the difference in requests is the
cost of one request (start-up, imports and the demo index cancel out), less the same figure of
the ``reads only`` lane (making the client's bytes).

    .venv/bin/python -m bench.shed_instructions [--engine raw|h2|h1] [--streams M]
        [--lane NAME]... [--small 2000] [--large 6000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from bench.instructions_ab import callgrind

ROOT = Path(__file__).resolve().parent.parent


def instructions(argv: list[str], out: Path) -> int:
    """Instructions callgrind counted for one run of ``python -m bench.shed_cost argv``."""
    return callgrind(["-m", "bench.shed_cost", *argv], ROOT, out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", default="raw")
    parser.add_argument("--streams", type=int, default=16)
    parser.add_argument("--lane", action="append", help="a lane (prefix); default: the sheds")
    parser.add_argument("--small", type=int, default=2000)
    parser.add_argument("--large", type=int, default=6000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bidwire-shed-") as tmp:

        def per_request(lane: str) -> tuple[float, int, int]:
            base = ["--engine", args.engine, "--streams", str(args.streams), "--rounds", "1",
                    "--lane", lane]  # fmt: skip
            small = instructions([*base, "--requests", str(args.small)], Path(tmp) / "s.out")
            large = instructions([*base, "--requests", str(args.large)], Path(tmp) / "l.out")
            return (large - small) / (args.large - args.small), small, large

        reads = per_request("reads only")[0]
        print(f"{args.engine:3} -m {args.streams:<3} reads only     {reads:>10,.0f} instructions "
              "per request (subtracted below)", flush=True)  # fmt: skip
        for lane in args.lane or ["engine", "shed at", "shed, served"]:
            per, small, large = per_request(lane)
            print(f"{args.engine:3} -m {args.streams:<3} {lane:14} {per - reads:>10,.0f} "
                  f"instructions per request (runs of {args.small} and {args.large}: "
                  f"{small:,} and {large:,})", flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
