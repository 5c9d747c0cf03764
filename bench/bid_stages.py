"""Per-stage µs of the bidder, JSON and protobuf lanes, without a transport.

For each request (the 1 KB ``bench/body-1k.json`` and, when the shared corpus is there, the
12.5 KB ``iab_openrtb3conv__banner_vast_native_app_25.json``) and each lane, times every stage
the front door runs on a bid request, alone, on the demo campaigns: decode, validate the
request, decide (and its parts: the request's candidates, the impressions, the response),
check the response, encode; and the whole front door (``BidderApp.handle``: all of the above
plus routing, content type and metrics). Each figure is the median over ``--repeat`` runs of
``--number`` calls, in CPU time of this process (``time.process_time``: on a machine shared
with other work, wall time also counts the time other processes hold the core). The clocks
are pinned (Tuesday 12:00 UTC) and budgets start fresh for every run, so every call makes the
same decision (checked).

    taskset -c 0 .venv/bin/python bench/bid_stages.py [--repeat 200] [--number 200]
    .venv/bin/python bench/bid_stages.py --profile json|proto [--large]   # cProfile the front door
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bidder.app import AppConfig, BidderApp
from bidder.pipeline import Pipeline
from bidwire.benchmarks.decisions import ARRIVAL, WALLCLOCK, Recorder, Request
from openrtb import BidResponse, JsonCodec, ProtoCodec, validate_request, validate_response

ROOT = Path(__file__).resolve().parent.parent
SMALL = ROOT / "bench/body-1k.json"
CORPUS = ROOT.parent / "shared/corpus/openrtb/requests"
LARGE = CORPUS / "iab_openrtb3conv__banner_vast_native_app_25.json"
CT = {"json": b"application/json", "proto": b"application/x-protobuf"}


def timed(make: Callable[[], Callable[[], Any]], repeat: int, number: int) -> float:
    """Median µs per call over ``repeat`` runs of ``number`` calls (``make`` gives each run a
    fresh callable: fresh budgets)."""
    runs = []
    for _ in range(repeat):
        call = make()
        gc.disable()
        start = time.process_time()
        for _ in range(number):
            call()
        runs.append(time.process_time() - start)
        gc.enable()
    return statistics.median(runs) / number * 1e6


def stages(name: str, body_json: bytes, repeat: int, number: int) -> list[str]:
    recorder = Recorder()
    holder, signer = recorder.holder, recorder.signer
    json_codec, proto_codec = JsonCodec(), ProtoCodec()
    bodies = recorder.bodies(body_json)
    assert bodies is not None
    out = []

    def pipeline() -> Pipeline:
        return Pipeline(holder, clock=lambda: ARRIVAL, wallclock=lambda: WALLCLOCK, signer=signer)

    for lane in ("json", "proto"):
        body = bodies[lane]
        codec: Any = json_codec if lane == "json" else proto_codec
        request = codec.decode_request(body)
        decision = pipeline().decide(request, ARRIVAL)
        bid = isinstance(decision, BidResponse)
        buffer = bytearray()

        def encode(decision: Any = decision, codec: Any = codec, buffer: Any = buffer) -> Any:
            if codec is json_codec:
                return codec.encode_into(decision, buffer)
            return codec.encode_response(decision)

        def front_door(body: bytes = body, lane: str = lane, bid: bool = bid) -> Callable[[], Any]:
            p = pipeline()
            app = BidderApp(p.decide, config=AppConfig())
            req = Request(b"POST", b"/openrtb2/bid", body, content_type=CT[lane],
                          arrival=ARRIVAL)  # fmt: skip

            def call() -> None:
                response: Any = app.handle(req)
                assert response.status == (200 if bid else 204)
                app.release(response)

            return call

        def parts(what: str, request: Any = request) -> Callable[[], Any]:
            p = pipeline()
            index = holder.index
            if what == "decide":
                return lambda: p.decide(request, ARRIVAL)
            if what == "candidates":
                return lambda: p.request_candidates(index, request)
            cands = p.request_candidates(index, request)
            cur = p.response_currency(index, request) or "USD"
            user = p.user_key(request)
            return lambda: [p.best_for_imp(index, request, imp, cands, cur, user, WALLCLOCK)
                            for imp in request.imp]  # fmt: skip

        rows: list[tuple[str, Callable[[], Callable[[], Any]]]] = [
            ("decode", lambda body=body, codec=codec: lambda: codec.decode_request(body)),
            ("validate_request", lambda request=request: lambda: validate_request(request)),
            ("decide", lambda: parts("decide")),
            ("  candidates (match)", lambda: parts("candidates")),
            ("  impressions", lambda: parts("imps")),
        ]
        if bid:
            rows += [
                (
                    "validate_response",
                    lambda d=decision, r=request: lambda: validate_response(d, r),
                ),
                ("encode", lambda encode=encode: encode),
            ]
        rows.append(("front door total", front_door))
        for label, make in rows:
            us = timed(make, repeat, number)
            out.append(f"{name:6} {lane:5} {label:22} {us:8.2f}")
        out.append("")
    return out


def profile(lane: str, body_json: bytes, calls: int = 20_000, top: int = 40) -> None:
    """cProfile ``calls`` front-door calls of one lane; print the top functions by own time."""
    import cProfile
    import pstats

    recorder = Recorder()
    bodies = recorder.bodies(body_json)
    assert bodies is not None
    p = Pipeline(recorder.holder, clock=lambda: ARRIVAL, wallclock=lambda: WALLCLOCK,
                 signer=recorder.signer)  # fmt: skip
    app = BidderApp(p.decide, config=AppConfig())
    req = Request(b"POST", b"/openrtb2/bid", bodies[lane], content_type=CT[lane], arrival=ARRIVAL)
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(calls):
        app.release(app.handle(req))  # type: ignore[arg-type]
    prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--number", type=int, default=200)
    parser.add_argument("--profile", choices=("json", "proto"))
    parser.add_argument("--large", action="store_true", help="profile the 12 KB request")
    parser.add_argument("--large-request", type=Path, default=LARGE, help="the 12 KB request")
    args = parser.parse_args()
    if args.profile:
        profile(args.profile, (args.large_request if args.large else SMALL).read_bytes())
        return
    print("# " + " ".join(["taskset -c 0 .venv/bin/python bench/bid_stages.py", *sys.argv[1:]]))
    print(f"{'request':6} {'lane':5} {'stage':22} {'µs':>8}")
    for name, path in (("1 KB", SMALL), ("12 KB", args.large_request)):
        if path.is_file():
            print("\n".join(stages(name, path.read_bytes(), args.repeat, args.number)))


if __name__ == "__main__":
    main()
