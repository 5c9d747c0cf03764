"""What one attacker connection costs the server before it is cut, in one process, no sockets.

``bench/attacks.py`` measures what an honest client keeps beside a reconnecting attacker; this
says why: each connection of an attack (the bytes :mod:`fuzz.attacks` makes, as the attacker
sends them, 16 KiB at a time) goes through a :class:`transport.connection.Connection` over a
transport that only counts what is written, with the demo bidder answering inline, until the
server ends it. Prints CPU microseconds per attacker connection (median of rounds), the
bytes of it the server read, how it ended, and the same for one honest request (h2load's), so
the two compare: an attacker connection that costs N honest requests takes N answers from the
honest client each time it reconnects.

    .venv/bin/python bench/attack_cost.py [--engine raw|h2] [--attacks made-you-reset,...]
        [--connections 200] [--profile NAME]

``--profile NAME`` cProfiles that attack's connections once and prints the top functions by
own time.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import pstats
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.attacks import ATTACKS, SLICE
from bench.engine_profile import _data_bytes, _frame, client_reads
from bidder.service import Bidder, BidderConfig
from fuzz.socketless import Socketless
from transport.app import App
from transport.config import ServerSection
from transport.connection import Connection
from transport.limits import Limits


class CountingTransport(Socketless):
    """A :class:`~fuzz.socketless.Socketless` that counts what is written instead of keeping it."""

    def __init__(self) -> None:
        super().__init__()
        self.written = 0
        #: DATA payload bytes written since the last look (what the client's window paid).
        self.data = 0

    def write(self, data: bytes) -> None:
        self.written += len(data)
        self.data += _data_bytes(data)


def one_connection(
    app: App, limits: Limits, engine: str, blob: bytes, registry: dict[Connection, None]
) -> tuple[int, str]:
    """Feed ``blob`` to a new connection until the server ends it; (bytes read, reason)."""
    conn = Connection(app, limits, registry, engine)
    transport = CountingTransport()
    conn.connection_made(transport)  # type: ignore[arg-type]
    read = 0
    for start in range(0, len(blob), SLICE):
        piece = blob[start : start + SLICE]
        conn.data_received(piece)
        read += len(piece)
        if transport.is_closing() or conn.gone:
            break
    reason = "open"
    if conn.engine is not None and conn.engine.close_reason is not None:
        reason = conn.engine.close_reason.value
    conn.connection_lost(None)
    return read, reason


async def measure(
    engine: str, name: str, connections: int, profile: cProfile.Profile | None
) -> tuple[float, int, Counter[str]]:
    """CPU seconds per connection, bytes read per connection, endings."""
    app = Bidder(BidderConfig()).app
    limits = Limits()
    blob = ATTACKS[name].blob()
    registry: dict[Connection, None] = {}
    endings: Counter[str] = Counter()
    read = 0
    one_connection(app, limits, engine, blob, registry)  # warm-up
    started = time.process_time()
    if profile is not None:
        profile.enable()
    for _ in range(connections):
        n, reason = one_connection(app, limits, engine, blob, registry)
        read += n
        endings[reason] += 1
    if profile is not None:
        profile.disable()
    return (time.process_time() - started) / connections, read // connections, endings


async def honest(engine: str, requests: int) -> float:
    """CPU seconds per honest request (h2load's bytes, answered by the bidder)."""
    app = Bidder(BidderConfig()).app
    conn = Connection(app, Limits(), {}, engine)
    transport = CountingTransport()
    conn.connection_made(transport)  # type: ignore[arg-type]
    reads = client_reads(requests, 8)
    started = time.process_time()
    for data in reads:
        if transport.data:  # the client's WINDOW_UPDATE for the answers it read
            data += _frame(8, 0, 0, transport.data.to_bytes(4, "big"))
            transport.data = 0
        conn.data_received(data)
    assert conn.engine is not None and not conn.engine.closed
    return (time.process_time() - started) / requests


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["raw", "h2"], default="raw")
    parser.add_argument("--attacks", default="made-you-reset,gzip-bomb,hpack-bomb,rapid-reset")
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", help="cProfile this attack's connections once")
    args = parser.parse_args()
    gc.set_threshold(*ServerSection().gc_thresholds)
    per_request = statistics.median([await honest(args.engine, 4000) for _ in range(args.rounds)])
    print(f"{args.engine}: honest request {per_request * 1e6:.1f} µs (h2load's, bidder inline)")
    for name in args.attacks.split(","):
        runs = [
            await measure(args.engine, name, args.connections, None) for _ in range(args.rounds)
        ]
        cpu = statistics.median(r[0] for r in runs)
        print(
            f"{args.engine}: {name:16} {cpu * 1e6:8.0f} µs per connection "
            f"(= {cpu / per_request:5.0f} honest requests), {runs[0][1]:,} bytes read each, "
            f"ended {dict(runs[0][2])}"
        )
    if args.profile:
        profile = cProfile.Profile()
        await measure(args.engine, args.profile, args.connections, profile)
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    asyncio.run(main())
