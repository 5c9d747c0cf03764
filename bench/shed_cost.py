"""What a shed request costs, in process, without sockets: an engine reading what h2load sends
and answering, as transport.connection.Connection and transport.dispatch do.

Five lanes over the same reads (``--streams M`` requests per read, the 1 KB JSON body of
``bench/body-1k.json``), µs per request, median of rounds:

- ``engine, constant 204``: the floor any answer costs (parse, answer, write);
- ``shed at arrival``: + ``App.deadline`` (tmax peeked), ``Admission.check``, ``App.refuse``
  and the dispatcher's counters: what admission control adds to turn a request away;
- ``admitted and decided``: + the queue (ticket, heap, take) and the demo pipeline;
- ``decided inline``: the pipeline without admission control (``[admission] enabled = false``);
- ``shed, served``: the whole path a shed request takes in ``bidwire serve``: the read buffer,
  ``Connection.data_received``, ``Dispatcher.submit`` (every request over the concurrency
  limit), ``Connection.refuse`` and one write per read to a socket that only counts bytes.

``--engine``: the raw HTTP/2 engine (default), the one on h2, or HTTP/1.1 (``--streams``
requests pipelined per read; ``bidwire bench overload`` keeps one in flight per connection, so
``--streams 1`` is its shape). ``--lane`` runs one lane (``--rounds 1``: what valgrind counts,
see ``bench/shed_instructions.py``), ``--profile`` runs it under cProfile.

    .venv/bin/python -m bench.shed_cost [--engine raw|h2|h1] [--requests N] [--streams M]
        [--rounds R] [--lane NAME] [--profile]

Instructions per request (immune to the machine's load): ``bench/shed_instructions.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import pstats
import statistics
import struct
import time
from collections.abc import Callable

import hpack

from bench.engine_profile import BODY, H2LOAD_HEADERS, _data_bytes, _frame
from bidder.app import BidderApp
from bidder.service import Bidder, BidderConfig
from transport.admission import Admission, AdmissionConfig, Ticket
from transport.config import ServerSection
from transport.connection import H2_ENGINES, Connection, Engine
from transport.dispatch import Dispatcher
from transport.events import Request, Response
from transport.h1_engine import H1Engine
from transport.h2_wire import PREFACE
from transport.limits import Limits
from transport.metrics import ADMISSION_SHED, ANSWERS, Timing

NO_BID = Response(204)
#: What happens to one request the engine returned: (engine, queue, key, request, read time).
Lane = Callable[[Engine, Admission[None], int, Request, float], None]
#: The engines by their ``--engine`` name.
ENGINES: dict[str, Callable[[Limits, float], Engine]] = {**H2_ENGINES, "h1": H1Engine}
SERVED = "shed, served"


def h2_reads(requests: int, streams: int) -> list[bytes]:
    """What h2load sends (as ``bench.engine_profile.client_reads``): preface and SETTINGS, then
    ``streams`` requests per read. nghttp2's encoder indexes every field, so every block after
    the first is the same bytes: encoded twice, not once per request (the reads are made in
    the runs valgrind counts)."""
    encoder = hpack.Encoder()
    headers = H2LOAD_HEADERS
    first, repeated = encoder.encode(headers), encoder.encode(headers)
    assert encoder.encode(headers) == repeated
    reads = [PREFACE + _frame(4, 0, 0, b"") + _frame(4, 1, 0, b"")]
    sid = 1
    for start in range(0, requests, streams):
        batch = []
        for _ in range(min(streams, requests - start)):
            batch.append(_frame(1, 4, sid, first if sid == 1 else repeated))  # END_HEADERS
            batch.append(_frame(0, 1, sid, BODY))  # END_STREAM
            sid += 2
        reads.append(b"".join(batch))
    return reads


def h1_reads(requests: int, streams: int) -> list[bytes]:
    """What h2load --h1 sends: ``streams`` requests per read (pipelined when more than one)."""
    one = (
        b"POST /openrtb2/bid HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
        b"User-Agent: h2load nghttp2/1.52.0\r\ncontent-type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % len(BODY)
    ) + BODY
    return [one * min(streams, requests - first) for first in range(0, requests, streams)]


def lanes(app: BidderApp) -> dict[str, Lane]:
    """The four engine lanes, over one app."""

    def constant(engine: Engine, adm: Admission[None], key: int, r: Request, t: float) -> None:
        engine.send_response(key, NO_BID)

    def shed(engine: Engine, adm: Admission[None], key: int, r: Request, t: float) -> None:
        deadline = app.deadline(r)
        reason = adm.check(-1.0 if deadline is None else deadline - 10.0, t)  # always shed
        assert reason is not None
        engine.send_response(key, app.refuse(r, reason))
        ADMISSION_SHED.values[reason] += 1
        ANSWERS.values[Timing.ON_TIME] += 1

    def admitted(engine: Engine, adm: Admission[None], key: int, r: Request, t: float) -> None:
        deadline = app.deadline(r)
        adm.drain = 0.0
        assert deadline is not None and adm.check(deadline, t) is None
        adm.push(Ticket(None, key, r, deadline))
        taken = adm.take(time.monotonic())
        assert taken is not None and taken[1] is None
        answer = app.handle(r)
        assert isinstance(answer, Response)
        after = time.monotonic()
        adm.decided(after - t)
        engine.send_response(key, answer)
        if answer.context is not None:
            app.release(answer)
        adm.answered(taken[0], after)
        ANSWERS.values[Timing.ON_TIME] += 1

    def inline(engine: Engine, adm: Admission[None], key: int, r: Request, t: float) -> None:
        answer = app.handle(r)
        assert isinstance(answer, Response)
        engine.send_response(key, answer)
        if answer.context is not None:
            app.release(answer)

    return {"engine, constant 204": constant, "shed at arrival": shed,
            "admitted and decided": admitted, "decided inline": inline}  # fmt: skip


def run(engine_name: str, reads: list[bytes], lane: Lane) -> float:
    """CPU µs per request through one lane (process time: what other processes on the core
    take is not counted)."""
    engine = ENGINES[engine_name](Limits(), 0.0)
    adm: Admission[None] = Admission(AdmissionConfig())
    started = time.process_time()
    count = 0
    h2 = engine_name != "h1"
    credit = b""  # the client's WINDOW_UPDATE for the DATA it read last time
    for data in reads:
        now = time.monotonic()
        for key, request in engine.receive_data(data + credit if credit else data, now):
            lane(engine, adm, key, request, now)
            count += 1
        out = engine.data_to_send()
        sent = _data_bytes(out) if h2 else 0
        credit = _frame(8, 0, 0, struct.pack(">I", sent)) if sent else b""
    if engine.closed:
        raise SystemExit(f"the engine closed the connection: {engine.close_reason}")
    return (time.process_time() - started) / max(count, 1) * 1e6


class _Socket:
    """A transport that takes every write and counts its bytes (uvloop's, minus the send)."""

    def __init__(self) -> None:
        self.written = 0

    def write(self, data: bytes) -> None:
        self.written += len(data)

    def get_extra_info(self, name: str, default: object = None) -> object:
        return default

    def is_closing(self) -> bool:
        return False


def run_served(engine_name: str, reads: list[bytes], app: BidderApp, requests: int) -> float:
    """CPU µs per request through Connection and Dispatcher, every request shed at arrival.
    On an event loop (the read clock schedules a callback per round of reads), with every read
    in one round, as under overload: the round's own cost is not in the figure."""
    return asyncio.run(_served(engine_name, reads, app, requests))


async def _served(engine_name: str, reads: list[bytes], app: BidderApp, requests: int) -> float:
    dispatcher = Dispatcher(app, AdmissionConfig())
    dispatcher.admission.limiter.limit = 0.0  # every request is over the limit: shed
    connection = Connection(app, Limits(), {}, "h2" if engine_name == "h2" else "raw",
                            dispatcher=dispatcher)  # fmt: skip
    socket = _Socket()
    connection.connection_made(socket)  # type: ignore[arg-type]
    shed = ADMISSION_SHED.total()
    started = time.process_time()
    for data in reads:
        size = len(data)
        connection.get_buffer(size)[:size] = data  # what the kernel's recv copies
        connection.buffer_updated(size)
    elapsed = time.process_time() - started
    if connection.gone or ADMISSION_SHED.total() - shed != requests:
        raise SystemExit("not every request was shed: the lane measures something else")
    return elapsed / requests * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], epilog=__doc__.split("\n\n")[-1]
    )
    parser.add_argument("--engine", choices=sorted(ENGINES), default="raw")
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--streams", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--lane", help="run only this lane (its name, or a prefix of it)")
    parser.add_argument("--profile", action="store_true", help="cProfile the lane(s) once")
    args = parser.parse_args()
    app = Bidder(BidderConfig()).app
    gc.set_threshold(*ServerSection().gc_thresholds)
    gc.collect()
    gc.freeze()
    if args.engine == "h1":
        reads = h1_reads(args.requests, args.streams)
    else:
        reads = h2_reads(args.requests, args.streams)
    chosen: dict[str, Callable[[], float]] = {
        name: (lambda lane=lane: run(args.engine, reads, lane)) for name, lane in lanes(app).items()
    }
    chosen[SERVED] = lambda: run_served(args.engine, reads, app, args.requests)
    if args.lane:
        chosen = {name: f for name, f in chosen.items() if name.startswith(args.lane)}
        if not chosen:
            parser.error(f"no lane {args.lane!r}")
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        for f in chosen.values():
            f()
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(30)
        return
    results: dict[str, list[float]] = {}
    for _ in range(args.rounds):  # lanes interleaved round by round (A/B on a noisy machine)
        for name, f in chosen.items():
            results.setdefault(name, []).append(f())
    floor = statistics.median(results.get("engine, constant 204", [0.0]))
    for name, values in results.items():
        median = statistics.median(values)
        print(f"{args.engine:3} {name:22} {median:7.2f} µs/request (+{median - floor:6.2f} over "
              f"the floor; rounds {min(values):.2f}-{max(values):.2f})")  # fmt: skip


if __name__ == "__main__":
    main()
