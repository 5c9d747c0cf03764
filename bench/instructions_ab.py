"""Instructions per request of two commits, counted by valgrind: a comparison the machine's
load cannot disturb.

On a shared 2-core box, requests per second swing +-25% between runs; callgrind counts the
instructions the interpreter executes, which do not depend on what else runs. Each commit's
tree is exported (``git archive``) and its own ``bench/engine_profile.py`` (the HTTP/2 engine
and the demo bidder in one process, no sockets: the same reads, 8 streams per read, the 1 KB
JSON request) runs under callgrind twice, with a small and a large request count; the
difference over the difference in requests is the cost of one request (start-up, imports and
index build cancel out). The figure is the sum of both of that script's cases: the engine
answering 204 alone, and the engine with the bidder.

    .venv/bin/python bench/instructions_ab.py BEFORE AFTER [--small 300] [--large 1300]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from bidwire.benchmarks.trees import export


def instructions(tree: Path, requests: int, out: Path) -> int:
    """Instructions callgrind counted for one run of the tree's engine_profile.py."""
    argv = ["bench/engine_profile.py", "--requests", str(requests), "--rounds", "1"]
    return callgrind(argv, tree, out, {"PYTHONPATH": str(tree)})


def callgrind(
    argv: list[str],
    cwd: Path,
    out: Path,
    env: dict[str, str] | None = None,
    options: tuple[str, ...] = (),
) -> int:
    """Instructions callgrind counts for ``python argv`` run in ``cwd`` (hash seed fixed);
    ``options``: more of callgrind's (with a dump option, the count of the last part)."""
    subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *options,
         sys.executable, *argv],
        cwd=cwd, env={**os.environ, **(env or {}), "PYTHONHASHSEED": "0"},
        check=True, capture_output=True,
    )  # fmt: skip
    return summary(out)


def summary(out: Path) -> int:
    """The instruction count of one callgrind output file."""
    match = re.search(rb"^summary: (\d+)", out.read_bytes(), re.MULTILINE)
    if match is None:
        raise RuntimeError(f"no summary line in {out}")
    return int(match[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--small", type=int, default=300)
    parser.add_argument("--large", type=int, default=1300)
    args = parser.parse_args()
    per_request = {}
    with tempfile.TemporaryDirectory(prefix="bidwire-instr-") as tmp:
        for label, commit in (("before", args.before), ("after", args.after)):
            tree = Path(tmp) / label
            short = export(commit, tree)
            small = instructions(tree, args.small, Path(tmp) / f"{label}-small.out")
            large = instructions(tree, args.large, Path(tmp) / f"{label}-large.out")
            per_request[label] = (large - small) / (args.large - args.small)
            print(
                f"{label:<6} {short}: {per_request[label]:>12,.0f} instructions per request "
                f"(runs of {args.small} and {args.large}: {small:,} and {large:,})",
                flush=True,
            )
    print(f"after/before: {per_request['after'] / per_request['before']:.3f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
