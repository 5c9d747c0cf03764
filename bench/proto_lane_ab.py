"""Protobuf lane vs JSON lane in one process, the legs alternated: end to end through
``BidderApp.handle`` (demo campaigns, pinned clocks: decode, validate, decide, encode), decode
only (the front door's decoders) and encode only (the same BidResponse), for the 1 KB
``bench/body-1k.json`` and the 12.5 KB corpus request.

Each round times every leg for ``--number`` calls (CPU time), in forward order on even rounds
and backward on odd ones, so that drift on a shared machine falls on both lanes; the figure is
the median over ``--rounds``::

    taskset -c 0 .venv/bin/python bench/proto_lane_ab.py [--rounds 15] [--number 300]

``--only LEG --calls N`` runs one leg N times and prints nothing: for instruction counts,
``valgrind --tool=callgrind`` with N and with 0, the difference divided by N.
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
from bidwire.benchmarks.decisions import ARRIVAL, WALLCLOCK, Recorder
from openrtb import JsonCodec
from openrtb.proto_fast import COMPILED, BiddingProto
from transport.events import Request

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared/corpus/openrtb/requests"
REQUESTS = {
    "1k": ROOT / "bench/body-1k.json",
    "12k": CORPUS / "iab_openrtb3conv__banner_vast_native_app_25.json",
}
CT = {"json": b"application/json", "proto": b"application/x-protobuf"}
PAIRS = (("json e2e", "proto e2e"), ("json decode", "proto decode"),
         ("json encode", "proto encode"))  # fmt: skip


def legs(recorder: Recorder, data: bytes) -> dict[str, Callable[[], Any]]:
    """Each leg as a call without arguments, on one request in both wire forms."""
    bodies = recorder.bodies(data)
    assert bodies is not None, "the request does not decode"
    json_codec, fast = JsonCodec(), BiddingProto()
    pipeline = Pipeline(recorder.holder, clock=lambda: ARRIVAL, wallclock=lambda: WALLCLOCK,
                        signer=recorder.signer)  # fmt: skip
    app = BidderApp(pipeline.decide, config=AppConfig())
    requests = {lane: Request(b"POST", b"/openrtb2/bid", bodies[lane], content_type=CT[lane],
                              arrival=ARRIVAL) for lane in CT}  # fmt: skip
    decided = pipeline.decide(json_codec.decode_request(bodies["json"]), ARRIVAL)
    handle, release = app.handle, app.release
    return {
        "json e2e": lambda: release(handle(requests["json"])),  # type: ignore[arg-type]
        "proto e2e": lambda: release(handle(requests["proto"])),  # type: ignore[arg-type]
        "json decode": lambda: json_codec.decode_request(bodies["json"]),
        "proto decode": lambda: fast.decode_request(bodies["proto"]),
        "json encode": lambda: json_codec.encode(decided),
        "proto encode": lambda: fast.encode_response(decided),  # type: ignore[arg-type]
    }


def cpu_us(fn: Callable[[], Any], number: int) -> float:
    start = time.process_time()
    for _ in range(number):
        fn()
    return (time.process_time() - start) / number * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--number", type=int, default=300)
    parser.add_argument("--only", help="'SIZE:LEG' (e.g. '1k:proto decode'): run it --calls times")
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    recorder = Recorder()
    if args.only:
        size, leg = args.only.split(":", 1)
        fn = legs(recorder, REQUESTS[size].read_bytes())[leg]
        fn()  # warm: the first call builds what later calls reuse
        for _ in range(args.calls):
            fn()
        return
    print("# " + " ".join(["taskset -c 0 .venv/bin/python bench/proto_lane_ab.py", *sys.argv[1:]]))
    print(f"# protobuf readers compiled: {COMPILED}; CPU µs per call, median of rounds")
    for size, path in REQUESTS.items():
        if not path.is_file():
            continue
        calls = legs(recorder, path.read_bytes())
        runs: dict[str, list[float]] = {name: [] for name in calls}
        order = list(calls.items())
        for n in range(args.rounds):
            for name, fn in order if n % 2 == 0 else reversed(order):
                runs[name].append(cpu_us(fn, args.number))
        median = {name: statistics.median(values) for name, values in runs.items()}
        for json_leg, proto_leg in PAIRS:
            ratio = median[proto_leg] / median[json_leg]
            print(f"{size:4} {json_leg:12} {median[json_leg]:8.2f}   {proto_leg:13} "
                  f"{median[proto_leg]:8.2f}   protobuf/JSON {ratio:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
