"""Instructions per request of ``bench/shed_cost.py``'s lanes, counted by valgrind: a figure the
machine's load cannot disturb.

Each lane runs once under ``valgrind --tool=callgrind --dump-before=time_process_time``: the
lane's loop sits between its two ``time.process_time()`` calls (the client's bytes are made
before the first), so the second part callgrind dumps is the loop alone; over the requests, the
cost of one request (start-up, imports and the reads excluded).

    .venv/bin/python -m bench.shed_instructions [--engine raw|h2|h1] [--streams M]
        [--lane NAME]... [--requests 2000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from bench.instructions_ab import callgrind, summary

ROOT = Path(__file__).resolve().parent.parent


def lane_instructions(engine: str, streams: int, lane: str, requests: int, tmp: Path) -> float:
    """Instructions per request of one lane's loop."""
    out = tmp / f"{lane.replace(' ', '_').replace(',', '')}.out"
    argv = ["-m", "bench.shed_cost", "--engine", engine, "--streams", str(streams),
            "--rounds", "1", "--lane", lane, "--requests", str(requests)]  # fmt: skip
    callgrind(argv, ROOT, out, options=("--dump-before=time_process_time",))
    # Dumped before the first call (start-up, the reads), before the second (the loop), and
    # at exit.
    return summary(Path(f"{out}.2")) / requests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", default="raw")
    parser.add_argument("--streams", type=int, default=16)
    parser.add_argument("--lane", action="append", help="a lane (prefix); default: the sheds")
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bidwire-shed-") as tmp:
        for lane in args.lane or ["engine", "shed at", "shed, served"]:
            per = lane_instructions(args.engine, args.streams, lane, args.requests, Path(tmp))
            print(f"{args.engine:3} -m {args.streams:<3} {lane:14} {per:>10,.0f} instructions "
                  f"per request ({args.requests} requests)", flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
