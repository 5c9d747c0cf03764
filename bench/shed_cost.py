"""What a shed request costs, in process, without sockets: the raw HTTP/2 engine reading what
h2load sends and answering, as transport.connection.Connection and transport.dispatch do.

Four lanes over the same reads (``-m STREAMS`` requests per read, the 1 KB JSON body of
``bench/body-1k.json``), µs per request, median of rounds:

- ``engine, constant 204``: the floor any answer costs (parse, answer, write);
- ``shed at arrival``: + ``App.deadline`` (tmax peeked), ``Admission.check``, ``App.refuse``
  and the dispatcher's counters: what admission control adds to turn a request away;
- ``admitted and decided``: + the queue (ticket, heap, take) and the demo pipeline;
- ``decided inline``: the pipeline without admission control (``[admission] enabled = false``).

    .venv/bin/python -m bench.shed_cost [--requests N] [--streams M] [--rounds R]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable

from bench.engine_profile import client_reads
from bidder.app import BidderApp
from bidder.service import Bidder, BidderConfig
from transport.admission import Admission, AdmissionConfig, Ticket
from transport.config import ServerSection
from transport.events import Request, Response
from transport.limits import Limits
from transport.metrics import ADMISSION_SHED, ANSWERS, Timing
from transport.raw_h2 import RawH2Engine

NO_BID = Response(204)
#: What happens to one request the engine returned: (engine, queue, key, request, read time).
Lane = Callable[[RawH2Engine, Admission[None], int, Request, float], None]


def lanes(app: BidderApp) -> dict[str, Lane]:
    """The four lanes, over one app."""

    def constant(engine: RawH2Engine, adm: Admission[None], key: int, r: Request, t: float) -> None:
        engine.send_response(key, NO_BID)

    def shed(engine: RawH2Engine, adm: Admission[None], key: int, r: Request, t: float) -> None:
        deadline = app.deadline(r)
        reason = adm.check(-1.0 if deadline is None else deadline - 10.0, t)  # always shed
        assert reason is not None
        engine.send_response(key, app.refuse(r, reason))
        ADMISSION_SHED.values[reason] += 1
        ANSWERS.values[Timing.ON_TIME] += 1

    def admitted(engine: RawH2Engine, adm: Admission[None], key: int, r: Request, t: float) -> None:
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

    def inline(engine: RawH2Engine, adm: Admission[None], key: int, r: Request, t: float) -> None:
        answer = app.handle(r)
        assert isinstance(answer, Response)
        engine.send_response(key, answer)
        if answer.context is not None:
            app.release(answer)

    return {"engine, constant 204": constant, "shed at arrival": shed,
            "admitted and decided": admitted, "decided inline": inline}  # fmt: skip


def run(reads: list[bytes], lane: Lane) -> float:
    """CPU µs per request through one lane (process time: what other processes on the core
    take is not counted)."""
    engine = RawH2Engine(Limits(), 0.0)
    adm: Admission[None] = Admission(AdmissionConfig())
    started = time.process_time()
    count = 0
    for data in reads:
        now = time.monotonic()
        for key, request in engine.receive_data(data, now):
            lane(engine, adm, key, request, now)
            count += 1
        engine.data_to_send()
    return (time.process_time() - started) / max(count, 1) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--streams", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    app = Bidder(BidderConfig()).app
    gc.set_threshold(*ServerSection().gc_thresholds)
    gc.collect()
    gc.freeze()
    reads = client_reads(args.requests, args.streams)
    results: dict[str, list[float]] = {}
    for _ in range(args.rounds):  # lanes interleaved round by round (A/B on a noisy machine)
        for name, lane in lanes(app).items():
            results.setdefault(name, []).append(run(reads, lane))
    floor = statistics.median(results["engine, constant 204"])
    for name, values in results.items():
        median = statistics.median(values)
        print(f"{name:22} {median:7.2f} µs/request (+{median - floor:6.2f} over the floor; "
              f"rounds {min(values):.2f}-{max(values):.2f})")  # fmt: skip


if __name__ == "__main__":
    main()
