"""Where an HTTP/2 request's time goes, without sockets: engine + bidder, in one process.

Replays what h2load sends on one connection (``-m STREAMS`` requests per read, the header
blocks nghttp2's encoder makes, the 1 KB JSON body of ``bench/body-1k.json``) through an HTTP/2
engine and the demo bidder, as :class:`transport.connection.Connection` does: receive_data,
app.handle, send_response, data_to_send. Prints microseconds per request (median of rounds)
for the transport alone (every request answered 204) and with the bidder, and with
``--profile`` the top functions by own time. Times are CPU time of this process
(``time.process_time``; ``--wall`` for wall-clock time): on a shared machine, wall time also
counts the time other processes hold the core.

    .venv/bin/python bench/engine_profile.py [--engine raw|h2] [--requests N] [--profile] [--wall]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import statistics
import struct
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final

import hpack

from bidder.service import Bidder, BidderConfig
from transport.config import ServerSection
from transport.connection import H2_ENGINES
from transport.events import Response
from transport.h2_wire import PREFACE
from transport.limits import Limits

BODY = (Path(__file__).parent / "body-1k.json").read_bytes()
NO_BID = Response(204, b"")
#: The header fields of h2load's requests (-d body-1k.json -H content-type: ...).
H2LOAD_HEADERS: Final = [
    (":method", "POST"), (":scheme", "http"), (":authority", "127.0.0.1:8080"),
    (":path", "/openrtb2/bid"), ("user-agent", "h2load nghttp2/1.52.0"),
    ("content-type", "application/json"), ("content-length", str(len(BODY))),
]  # fmt: skip


def _frame(kind: int, flags: int, sid: int, payload: bytes) -> bytes:
    head = struct.pack(">I", len(payload))[1:] + bytes((kind, flags)) + struct.pack(">I", sid)
    return head + payload


def client_reads(requests: int, streams: int) -> list[bytes]:
    """The bytes an h2load-like client sends: preface + SETTINGS, then batches of requests."""
    encoder = hpack.Encoder()
    headers = H2LOAD_HEADERS
    reads = [PREFACE + _frame(4, 0, 0, b"") + _frame(4, 1, 0, b"")]
    sid = 1
    for first in range(0, requests, streams):
        batch = []
        for _ in range(min(streams, requests - first)):
            batch.append(_frame(1, 4, sid, encoder.encode(headers)))  # END_HEADERS
            batch.append(_frame(0, 1, sid, BODY))  # END_STREAM
            sid += 2
        reads.append(b"".join(batch))
    return reads


def _data_bytes(out: bytes) -> int:
    """DATA payload bytes in what the server wrote (what flow control charged)."""
    total = pos = 0
    while pos + 9 <= len(out):
        length = int.from_bytes(out[pos : pos + 3], "big")
        if out[pos + 3] == 0:
            total += length
        pos += 9 + length
    return total


def run(
    engine_name: str,
    reads: list[bytes],
    answer: Callable[..., Response] | None,
    timer: Callable[[], float] = time.process_time,
) -> float:
    """Seconds to push every read through one engine (and the bidder when ``answer``)."""
    bidder = Bidder(BidderConfig())
    app = bidder.app
    # The collector as `bidwire serve` sets it: thresholds, and start-up objects frozen.
    gc.set_threshold(*ServerSection().gc_thresholds)
    gc.collect()
    gc.freeze()
    engine = H2_ENGINES[engine_name](Limits(), 0.0)
    started = timer()
    credit = b""  # the client's WINDOW_UPDATE for the DATA it read last time
    for data in reads:
        now = time.monotonic()
        data += credit
        for sid, request in engine.receive_data(data, now):
            if answer is None:
                response = app.handle(request)
                assert isinstance(response, Response)  # the demo pipeline has no async stage
                engine.send_response(sid, response)
                if response.context is not None:
                    app.release(response)
            else:
                engine.send_response(sid, answer(request))
        sent = _data_bytes(engine.data_to_send())
        credit = _frame(8, 0, 0, struct.pack(">I", sent)) if sent else b""
    if engine.closed:
        raise SystemExit(f"the engine closed the connection: {engine.close_reason}")
    return timer() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=sorted(H2_ENGINES), default="raw")
    parser.add_argument("--requests", type=int, default=50_000)
    parser.add_argument("--streams", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="cProfile the full path once")
    parser.add_argument("--wall", action="store_true", help="wall-clock time, not CPU time")
    args = parser.parse_args()
    timer = time.perf_counter if args.wall else time.process_time
    reads = client_reads(args.requests, args.streams)
    cases = (("transport only (204)", lambda _r: NO_BID), ("transport + bidder", None))
    for label, answer in cases:
        times = [run(args.engine, reads, answer, timer) for _ in range(args.rounds)]
        per = statistics.median(times) / args.requests * 1e6
        print(f"{args.engine:4} {label:22} {per:6.1f} µs/request  ({1e6 / per:,.0f} req/s)")
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        run(args.engine, reads, None)
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
