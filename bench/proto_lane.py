"""Protobuf lane vs JSON lane: decode only, and the whole front door, per request.

For the 1 KB ``bench/body-1k.json``, the 12.5 KB corpus request and the corpus median (every
request of ``../shared/corpus/openrtb/requests``), times in CPU µs per request (median of
``--repeat`` runs of ``--number`` calls, ``time.process_time``):

- decode: JSON -> Structs (msgspec, the JSON codec), protobuf -> Structs (the full codec),
  protobuf -> what the bidder reads (``openrtb.proto_fast``, what the front door uses);
- end to end: ``BidderApp.handle`` on the demo campaigns with pinned clocks (decode, validate,
  decide, encode), as JSON and as protobuf.

    taskset -c 0 .venv/bin/python bench/proto_lane.py [--repeat 30] [--number 100]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bidder.app import AppConfig, BidderApp
from bidder.pipeline import Pipeline
from bidwire.benchmarks.decisions import ARRIVAL, WALLCLOCK, Recorder, Request
from openrtb import JsonCodec, ProtoCodec
from openrtb.proto_fast import BiddingProto

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared/corpus/openrtb/requests"
SMALL = ROOT / "bench/body-1k.json"
LARGE = CORPUS / "iab_openrtb3conv__banner_vast_native_app_25.json"
CT = {"json": b"application/json", "proto": b"application/x-protobuf"}
COLUMNS = ("json decode", "proto decode (full)", "proto decode (fast)", "json e2e", "proto e2e")


def per_call(fn: Callable[[], Any], repeat: int, number: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.process_time()
        for _ in range(number):
            fn()
        runs.append(time.process_time() - start)
    return statistics.median(runs) / number * 1e6


def measure(recorder: Recorder, data: bytes, repeat: int, number: int) -> list[float] | None:
    bodies = recorder.bodies(data)
    if bodies is None:
        return None
    json_codec, proto_codec = JsonCodec(), ProtoCodec()
    fast = BiddingProto(proto_codec)
    out = [
        per_call(lambda: json_codec.decode_request(bodies["json"]), repeat, number),
        per_call(lambda: proto_codec.decode_request(bodies["proto"]), repeat, number),
        per_call(lambda: fast.decode_request(bodies["proto"]), repeat, number),
    ]
    for lane in ("json", "proto"):
        runs = []
        for _ in range(repeat):
            # Fresh budgets for every run: every call makes the same decision.
            p = Pipeline(recorder.holder, clock=lambda: ARRIVAL, wallclock=lambda: WALLCLOCK,
                         signer=recorder.signer)  # fmt: skip
            app = BidderApp(p.decide, config=AppConfig())
            req = Request(b"POST", b"/openrtb2/bid", bodies[lane], content_type=CT[lane],
                          arrival=ARRIVAL)  # fmt: skip
            handle, done = app.handle, app.release
            start = time.process_time()
            for _ in range(number):
                done(handle(req))  # type: ignore[arg-type]
            runs.append(time.process_time() - start)
        out.append(statistics.median(runs) / number * 1e6)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--number", type=int, default=100)
    args = parser.parse_args()
    print("# " + " ".join(["taskset -c 0 .venv/bin/python bench/proto_lane.py", *sys.argv[1:]]))
    recorder = Recorder()
    header = f"{'request':34} " + " ".join(f"{c:>19}" for c in COLUMNS)
    print("CPU µs per request (median of runs)\n" + header)
    for name, path in (("1 KB (bench/body-1k.json)", SMALL), ("12.5 KB (" + LARGE.stem[:18] + ")",
                                                                  LARGE)):  # fmt: skip
        if path.is_file():
            row = measure(recorder, path.read_bytes(), args.repeat, args.number)
            assert row is not None
            print(f"{name:34} " + " ".join(f"{v:19.2f}" for v in row))
    if CORPUS.is_dir():
        rows = [measure(recorder, p.read_bytes(), max(5, args.repeat // 3), args.number)
                for p in sorted(CORPUS.glob("*.json"))]  # fmt: skip
        kept = [r for r in rows if r is not None]
        medians = [statistics.median(col) for col in zip(*kept, strict=True)]
        label = f"corpus median ({len(kept)} requests)"
        print(f"{label:34} " + " ".join(f"{v:19.2f}" for v in medians))


if __name__ == "__main__":
    main()
