"""The CPU that capture and shadow traffic add per live request, measured in process.

    taskset -c 0 .venv/bin/python bench/shadow_cost.py [--requests 40000] [--rounds 5]

A worker's bidder (``bidder.service.Bidder``, the demo campaigns with budgets out of reach;
the collector set as a worker sets it: its thresholds, ``gc.freeze()`` after start-up) on
a uvloop loop answers the 1 KB bid request through its front door (``BidderApp.handle``), in
batches of 64 with the loop run between batches (so the capture's timer and the shadow's
sockets do their work, as they would between reads). What is measured is this process's CPU
time (``time.process_time``: every thread, so the capture's writer thread counts) per live
request, until every shadow answer has come back and every capture record is written:

- **base**: nothing more;
- **capture 1%**: ``[capture] fraction = 0.01`` to a gzip file;
- **shadow 10%**: ``[shadow] fraction = 0.1`` to a candidate ``bidwire serve`` (same
  campaigns) started by this script on core 1;
- **capture 100%**: every request captured (no rate cap): its added CPU is the cost of one
  record (described, encoded, compressed and written);
- **shadow 100%**: every request shadowed: its added CPU is the cost of one shadowed request.

Rounds rotate the order; medians. Unlike a served A/B on a shared 2-core machine, process
CPU time is not moved by what else runs, so small costs show (the served run is
``bench/shadow_ab.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bidder.capture import CaptureConfig
from bidder.metrics import BIDS
from bidder.service import Bidder, BidderConfig
from bidwire.benchmarks.servers import Server, pinning, rich_campaigns
from bidwire.shadow import Shadow, ShadowConfig
from transport.config import ServerSection
from transport.events import Request, Response

BODY = Path(__file__).with_name("body-1k.json").read_bytes()
BATCH = 64
NOT_BIDS: list[int] = []


def build(side: str, campaigns: Path, folder: Path, candidate: str) -> tuple[Bidder, Shadow | None]:
    capture = CaptureConfig()
    if side.startswith("capture"):
        fraction = 1.0 if side == "capture 100%" else 0.01
        capture = CaptureConfig(path=str(folder / "capture.jsonl.gz"), fraction=fraction,
                                max_rate=1e9, queue=1_000_000)  # fmt: skip
    bidder = Bidder(BidderConfig(campaigns=str(campaigns), capture=capture))
    shadow = None
    if side.startswith("shadow"):
        fraction = 1.0 if side == "shadow 100%" else 0.1
        shadow = Shadow(ShadowConfig(url=candidate, fraction=fraction, max_in_flight=1024))
        bidder.add_tap(shadow.observe, shadow.close)
    return bidder, shadow


async def drive(bidder: Bidder, shadow: Shadow | None, requests: int) -> float:
    """CPU seconds per request for ``requests`` live requests, all side work included."""
    app = bidder.app
    release: Callable[[Response], None] = app.release
    if shadow is not None:
        shadow.connect()
        while shadow._protocol is None:  # connected before the clock starts
            await asyncio.sleep(0.01)
    for _ in range(2000):  # warm
        answer = app.handle(
            Request(b"POST", b"/openrtb2/bid", BODY, content_type=b"application/json",
                    arrival=time.monotonic())
        )  # fmt: skip
        release(answer)  # type: ignore[arg-type]
    await asyncio.sleep(0.2)
    start = time.process_time()
    bids = BIDS.get()
    done = 0
    while done < requests:
        for _ in range(BATCH):
            answer = app.handle(Request(b"POST", b"/openrtb2/bid", BODY,
                                        content_type=b"application/json",
                                        arrival=time.monotonic()))  # fmt: skip
            release(answer)  # type: ignore[arg-type]
        done += BATCH
        await asyncio.sleep(0)
    if shadow is not None:
        while shadow.in_flight:
            await asyncio.sleep(0.001)
    await bidder.close()  # the capture writes what it holds
    cpu = (time.process_time() - start) / done
    # Nearly every request is a bid (one that is not, a deadline no-bid on a stalled machine,
    # costs less and is counted here so that it shows).
    NOT_BIDS.append(done - (BIDS.get() - bids))
    return cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=40_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    import uvloop

    sides = ("base", "capture 1%", "capture 100%", "shadow 10%", "shadow 100%")
    _, load_pin = pinning()
    command = f"$ taskset -c 0 .venv/bin/python bench/shadow_cost.py {' '.join(sys.argv[1:])}"
    lines = [
        command,
        f"# {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start; this "
        f"process on core(s) {sorted(os.sched_getaffinity(0))}, the shadow candidate "
        f"{' '.join(load_pin) or 'unpinned'}; {args.requests:,} requests per side and round",
    ]
    print("\n".join(lines), flush=True)
    results: dict[str, list[float]] = {side: [] for side in sides}
    with tempfile.TemporaryDirectory(prefix="bidwire-shadow-cost-") as tmp:
        folder = Path(tmp)
        campaigns = rich_campaigns(folder)
        with Server("bidwire", campaigns=campaigns, pin=load_pin) as candidate:
            for round_no in range(args.rounds):
                order = sides[round_no % len(sides) :] + sides[: round_no % len(sides)]
                for side in order:
                    bidder, shadow = build(side, campaigns, folder, candidate.url("/"))
                    # As a worker does (transport.server.run_worker): its thresholds, and
                    # what lives as long as it frozen out of the collector's reach.
                    gc.set_threshold(*ServerSection().gc_thresholds)
                    gc.collect()
                    gc.freeze()
                    loop = uvloop.new_event_loop()
                    try:
                        seconds = loop.run_until_complete(drive(bidder, shadow, args.requests))
                    finally:
                        loop.close()
                        gc.unfreeze()
                    results[side].append(seconds * 1e6)
                    line = (f"round {round_no + 1} {side:12} {seconds * 1e6:7.2f} CPU µs/request"
                            f" ({NOT_BIDS[-1]} not bids)")  # fmt: skip
                    lines.append(line)
                    print(line, flush=True)
    base = statistics.median(results["base"])
    for side in sides:
        m = statistics.median(results[side])
        lines.append(f"median {side:12} {m:7.2f} CPU µs/request ({m - base:+.2f} µs, "
                     f"{m / base:.3f}x base: throughput {base / m:.3f}x)")  # fmt: skip
    for side, share in (("shadow 100%", 10), ("capture 100%", 100)):
        each = statistics.median(results[side]) - base
        what = "shadowed request" if side.startswith("shadow") else "captured request"
        lines.append(f"one {what} costs {each:.1f} µs of the live worker's CPU; at "
                     f"{100 // share}%: {each / share:.2f} µs per live request")  # fmt: skip
    print("\n".join(lines[-len(sides) - 2 :]))
    if args.out is not None:
        args.out.write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
