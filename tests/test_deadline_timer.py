"""The deadline timer: with a slow (async) stage injected, the no-bid leaves at the deadline,
before the stage ends, and the late result is dropped and counted.

Driven through the real asyncio Protocol (transport.connection.Connection) with a fake socket
transport, on a real event loop: the deadline is a loop timer, so it runs in real time (a
100 ms tmax), not against a fake clock.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from bidder.metrics import BIDS, LATE, NOBIDS
from bidder.pipeline import NoBid
from bidder.service import Bidder, BidderConfig
from openrtb import BidRequest
from transport.connection import Connection
from transport.limits import Limits


class FakeTransport:
    """Records what the protocol writes; the protocol never touches a socket."""

    def __init__(self) -> None:
        self.written: list[tuple[float, bytes]] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.written.append((time.monotonic(), bytes(data)))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def http1_post(body: bytes) -> bytes:
    return (
        b"POST /openrtb2/bid HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
        b"content-length: %d\r\n\r\n" % len(body)
    ) + body


BODY = json.dumps(
    {"id": "r", "tmax": 100, "imp": [{"id": "1", "banner": {"w": 300, "h": 250}}]}
).encode()


def run_with_stage(delay: float) -> tuple[Bidder, FakeTransport, float, float]:
    """One request through a bidder whose async stage takes ``delay`` seconds."""
    stage_done: list[float] = []

    async def slow_stage(request: BidRequest) -> NoBid | None:
        await asyncio.sleep(delay)
        stage_done.append(time.monotonic())
        return None

    bidder = Bidder(BidderConfig(), async_stages=[slow_stage])

    async def scenario() -> float:
        connection = Connection(bidder.app, Limits(), {})
        transport = FakeTransport()
        connection.connection_made(transport)  # type: ignore[arg-type]
        sent = time.monotonic()
        connection.data_received(http1_post(BODY))
        await asyncio.sleep(delay + 0.1)
        scenario.transport = transport  # type: ignore[attr-defined]
        return sent

    sent = asyncio.run(scenario())
    transport = scenario.transport  # type: ignore[attr-defined]
    return bidder, transport, sent, (stage_done[0] if stage_done else 0.0)


def test_a_slow_stage_gets_a_no_bid_at_the_deadline_and_its_result_is_dropped() -> None:
    _, transport, sent, stage_done = run_with_stage(0.3)
    assert len(transport.written) == 1, "one answer only: the late result was not sent"
    at, data = transport.written[0]
    assert data.startswith(b"HTTP/1.1 204 ")
    # deadline = arrival + tmax 100 ms - 20 ms network allowance: the answer left before the
    # stage finished, and not after the deadline (a timer-granularity margin allowed).
    assert at < stage_done
    assert at - sent < 0.08 + 0.05
    assert NOBIDS.get("deadline") == 1
    assert LATE.get() == 1


def test_a_stage_that_finishes_in_time_answers_with_the_bid() -> None:
    _, transport, _, _ = run_with_stage(0.01)
    assert len(transport.written) == 1
    _, data = transport.written[0]
    assert data.startswith(b"HTTP/1.1 200 ")
    assert LATE.get() == 0
    assert BIDS.get() == 1
