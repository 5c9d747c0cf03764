"""Record the bidder's decisions on the corpus, over JSON, protobuf and gRPC, or diff.

Runs every request of the shared corpus (``../shared/corpus/openrtb/requests``, when present)
and the packaged sample through the in-process bidder with the demo campaigns (pinned clocks,
fresh state per request: see :mod:`bidwire.benchmarks.decisions`), writes one line per
impression and lane, and fails if the protobuf or gRPC lane disagrees with JSON anywhere.

    .venv/bin/python bench/decisions.py [--out bench/results/decisions.txt]
    .venv/bin/python bench/decisions.py --check bench/results/decisions.txt   # diff, exit 1 if any
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from bidwire.benchmarks.decisions import corpus_files, disagreements, record
from bidwire.benchmarks.decode import sample_dir

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = (ROOT.parent / "shared/corpus/openrtb/requests", sample_dir() / "requests")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, nargs="*", default=list(DEFAULT_CORPUS))
    parser.add_argument("--out", type=Path, help="write the record here")
    parser.add_argument("--check", type=Path, help="diff against this record (exit 1 if any)")
    args = parser.parse_args()
    files = corpus_files(args.corpus)
    by_lane = record(files)
    lines = [line for lane in by_lane.values() for line in lane]
    bids = sum(" bid " in line for line in lines)
    lanes = len(by_lane)
    summary = (f"{len(files)} requests, {len(lines) // lanes} imp decisions per lane, "
               f"{bids // lanes} bids per lane ({', '.join(by_lane)})")  # fmt: skip
    print(summary, file=sys.stderr)
    status = 0
    for json_line, other_line in disagreements(by_lane):
        print(f"lanes disagree:\n  {json_line}\n  {other_line}", file=sys.stderr)
        status = 1
    if args.out is not None:
        command = "# .venv/bin/python bench/decisions.py " + " ".join(sys.argv[1:])
        args.out.write_text("\n".join([command, f"# {summary}", *lines]) + "\n")
        print(f"wrote {args.out}", file=sys.stderr)
    if args.check is not None:
        before = [x for x in args.check.read_text().splitlines() if not x.startswith("#")]
        diff = list(difflib.unified_diff(before, lines, str(args.check), "now", lineterm=""))
        print("\n".join(diff) if diff else f"no difference from {args.check}")
        status = status or (1 if diff else 0)
    return status


if __name__ == "__main__":
    sys.exit(main())
