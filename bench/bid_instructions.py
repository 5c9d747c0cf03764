"""Instructions per call of ``bench/bid_stages.py``'s stages, counted by valgrind: per-stage
figures the machine's load cannot disturb, for one tree or two side by side.

``bench/bid_stages.py --repeat 1`` runs under ``valgrind --tool=callgrind
--dump-before=time_process_time``: each stage's loop sits between two ``time.process_time()``
calls, so every second part callgrind dumps is one stage's loop alone; over ``--number`` calls,
the cost of one call (start-up, imports, the index build and the set-up excluded). Each tree
runs with its own code first on the path (``PYTHONPATH=TREE``) and this checkout's interpreter,
so a tree without a ``.venv`` (a ``git worktree`` of another commit) can be measured too; its
compiled extensions, if any, are its own.

    .venv/bin/python -m bench.bid_instructions TREE [TREE...] [--number 200] [--env NAME=VALUE]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.instructions_ab import summary


def stage_instructions(
    tree: Path, number: int, tmp: Path, env: dict[str, str]
) -> list[tuple[str, float]]:
    """(stage, instructions per call) of every row bid_stages.py prints, in its order."""
    out = tmp / "stages.out"
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
         "--dump-before=time_process_time", sys.executable, "bench/bid_stages.py",
         "--repeat", "1", "--number", str(number)],
        cwd=tree, env={**os.environ, **env, "PYTHONPATH": str(tree), "PYTHONHASHSEED": "0"},
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    rows = [line[:35].rstrip() for line in done.stdout.splitlines()[2:] if line.strip()]
    # Dumped before each stage's first process_time call (its set-up) and before its second
    # (its loop): the loop of row r is part 2r + 2.
    return [(row, summary(Path(f"{out}.{2 * r + 2}")) / number) for r, row in enumerate(rows)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trees", type=Path, nargs="+")
    parser.add_argument("--number", type=int, default=200)
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for every tree")
    args = parser.parse_args()
    env = dict(item.split("=", 1) for item in args.env)
    columns = []
    for tree in args.trees:
        with tempfile.TemporaryDirectory(prefix="bidwire-stages-") as tmp:
            columns.append(stage_instructions(tree.resolve(), args.number, Path(tmp), env))
    head = "".join(f" {str(tree)[-24:]:>24}" for tree in args.trees)
    ratio = "  last/first" if len(args.trees) > 1 else ""
    print(f"{'request lane  stage':35}{head}{ratio}")
    found = [dict(column) for column in columns]
    for row, _ in columns[0]:
        if not all(row in column for column in found):
            continue  # a stage one tree does not run (the 12 KB request without the corpus)
        values = [column[row] for column in found]
        cells = "".join(f" {v:>24,.0f}" for v in values)
        tail = f"  {values[-1] / values[0]:.3f}" if len(values) > 1 and values[0] else ""
        print(f"{row:35}{cells}{tail}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
