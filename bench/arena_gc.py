"""Garbage per request, arena on and off: what a request leaves behind and what the GC does.

    python bench/arena_gc.py [--requests 100000] [--body bench/body-1k.json]

Runs the front door in-process (no sockets) on one bid request body, N times, with the request
arena on and off, and reports:

- tracked objects allocated per request: containers the cyclic GC must look at (measured with
  the collector disabled, over 1,000 requests);
- objects left behind per request: net growth of live tracked objects after a full collection
  (goal: 0; anything else is a leak);
- gen-0/1/2 collections per 100,000 requests, with the worker's GC settings (gc.freeze after
  start-up, thresholds from transport.config.ServerSection).
"""

from __future__ import annotations

import argparse
import gc
import time
from pathlib import Path

import msgspec

from bidder.app import AppConfig
from bidder.service import Bidder, BidderConfig
from transport.config import ServerSection
from transport.events import Request


def measure(arena: bool, body: bytes, n: int) -> dict[str, float]:
    bidder = Bidder(BidderConfig(app=msgspec.convert({"arena": arena}, AppConfig)))
    app = bidder.app

    def one() -> None:
        request = Request(b"POST", b"/openrtb2/bid", body, content_type=b"application/json")
        request.arrival = time.monotonic()
        response = app.handle(request)
        bytes(response.body)  # what the transport does: copy the body out
        app.release(response)

    for _ in range(2000):  # warm-up: caches, buffers grown to size
        one()
    section = ServerSection()
    gc.set_threshold(*section.gc_thresholds)
    gc.collect()
    gc.freeze()

    gc.disable()
    before = len(gc.get_objects())
    for _ in range(1000):
        one()
    allocated = (len(gc.get_objects()) - before) / 1000
    gc.enable()

    gc.collect()
    live_before = len(gc.get_objects())
    counts = [0, 0, 0]

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            counts[info["generation"]] += 1

    gc.callbacks.append(on_gc)
    start = time.perf_counter()
    for _ in range(n):
        one()
    elapsed = time.perf_counter() - start
    gc.callbacks.remove(on_gc)
    gc.collect()
    left = (len(gc.get_objects()) - live_before) / n
    gc.unfreeze()
    scale = 100_000 / n
    return {
        "allocated_tracked_per_request": allocated,
        "left_per_request": left,
        "gen0_per_100k": counts[0] * scale,
        "gen1_per_100k": counts[1] * scale,
        "gen2_per_100k": counts[2] * scale,
        "us_per_request": elapsed / n * 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--body", type=Path, default=Path(__file__).with_name("body-1k.json"))
    args = parser.parse_args()
    body = args.body.read_bytes()
    print(f"body {args.body} ({len(body)} B), {args.requests} requests, "
          f"gc thresholds {ServerSection().gc_thresholds}, gc.freeze after start-up")  # fmt: skip
    head = (
        "arena",
        "tracked alloc/req",
        "left/req",
        "gen0/100k",
        "gen1/100k",
        "gen2/100k",
        "µs/req",
    )
    print("  ".join(f"{h:>17}" for h in head))
    for arena in (True, False):
        r = measure(arena, body, args.requests)
        print("  ".join(f"{v:>17}" for v in (
            "on" if arena else "off",
            f"{r['allocated_tracked_per_request']:.2f}",
            f"{r['left_per_request']:.4f}",
            f"{r['gen0_per_100k']:.0f}",
            f"{r['gen1_per_100k']:.0f}",
            f"{r['gen2_per_100k']:.0f}",
            f"{r['us_per_request']:.1f}",
        )))  # fmt: skip


if __name__ == "__main__":
    main()
