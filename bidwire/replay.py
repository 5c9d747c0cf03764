"""``bidwire replay CAPTURE``: send captured requests again and compare the decisions.

Two sides decide every record of a capture (:mod:`bidder.capture`):

- the **baseline**: the decision recorded in the capture, or the first ``--target``;
- the **candidate**: a ``--target`` (a running bidder, over HTTP/2), or ``--campaigns FILE``
  (an in-process bidder on those campaigns: no server).

Each side's answer is described as a :class:`bidder.decision.Decision`, the two are compared
(:func:`bidder.decision.changes`) and :mod:`bidwire.replay_report` reports agreement, changed
decisions and latencies. The in-process side decides each record at the wall-clock time it was
captured (hour-of-week targeting as it was then) with fresh budgets and caps, as the decision
record does (:class:`bidwire.benchmarks.decisions.Recorder`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal, Protocol
from urllib.parse import urlsplit

from bidder.app import inflate_gzip
from bidder.campaigns import load
from bidder.capture import CaptureRecord
from bidder.decision import Decision, describe, describe_answer
from bidder.grpc import BID_METHOD
from bidder.grpc_wire import frame, read_unary
from fuzz.clients import H2Client
from openrtb import BidRequest, JsonCodec, ProtoCodec
from transport.events import Request

from .benchmarks.decisions import ARRIVAL, Recorder

Format = Literal["captured", "json", "proto", "grpc"]
FORMATS: Final = ("captured", "json", "proto", "grpc")
#: Largest request body read back from a capture (after gzip), as the bidder's default cap.
MAX_BODY: Final = 2 * 1024 * 1024
_CT: Final = {"json": b"application/json", "proto": b"application/x-protobuf",
              "grpc": b"application/grpc"}  # fmt: skip
_JSON: Final = JsonCodec()
_PROTO: Final = ProtoCodec()


@dataclass
class Outcome:
    """One side's answer to one record: a decision, or why there is none; and how long it
    took (seconds)."""

    decision: Decision | None
    error: str | None = None
    seconds: float = 0.0


class Side(Protocol):
    """One of the two sides compared."""

    #: How the report names it ("capture", a URL, "campaigns FILE").
    name: str

    async def start(self) -> None:
        """Get ready (connect)."""
        ...

    async def answer(self, record: CaptureRecord) -> Outcome:
        """Decide ``record``'s request."""
        ...

    async def close(self) -> None:
        """Let go of what it holds."""
        ...


def request_of(record: CaptureRecord) -> BidRequest:
    """The bid request a record carries, decoded from its body as the bidder read it. Raises
    ``ValueError`` (:class:`CodecError`, :class:`GrpcError`) when it does not decode."""
    body = record.body
    if record.content_type.startswith("application/grpc"):
        encoding = record.grpc_encoding.encode() or None
        return _PROTO.decode_request(read_unary(body, encoding, MAX_BODY))
    if record.content_encoding == "gzip":
        body = inflate_gzip(body, MAX_BODY)
    media = record.content_type.split(";", 1)[0].strip().lower()
    if media in ("", "application/json"):
        return _JSON.decode_request(body)
    return _PROTO.decode_request(body)


@dataclass(frozen=True)
class Wire:
    """A request as it goes on the wire."""

    path: bytes
    body: bytes
    content_type: bytes
    content_encoding: bytes = b""
    grpc_encoding: bytes = b""

    @property
    def grpc(self) -> bool:
        """Whether it is a gRPC call."""
        return self.content_type.startswith(b"application/grpc")

    @property
    def kind(self) -> str:
        """json, proto or grpc: what the answer will be."""
        if self.grpc:
            return "grpc"
        media = self.content_type.split(b";", 1)[0].strip().lower()
        return "json" if media in (b"", b"application/json") else "proto"

    def request(self) -> Request:
        """As the transport hands it to an app."""
        return Request(
            b"POST", self.path, self.body, content_type=self.content_type,
            content_encoding=self.content_encoding or None,
            grpc_encoding=self.grpc_encoding or None, arrival=ARRIVAL,
        )  # fmt: skip


def wire_of(record: CaptureRecord, fmt: Format, bid_path: bytes = b"/openrtb2/bid") -> Wire:
    """``record``'s request in format ``fmt`` ("captured": the bytes as they arrived)."""
    if fmt == "captured":
        content_type = record.content_type.encode()
        grpc = content_type.startswith(b"application/grpc")
        return Wire(BID_METHOD if grpc else bid_path, record.body, content_type,
                    record.content_encoding.encode(), record.grpc_encoding.encode())  # fmt: skip
    request = request_of(record)
    if fmt == "json":
        return Wire(bid_path, _JSON.encode(request), _CT["json"])
    proto = _PROTO.encode_request(request)
    if fmt == "proto":
        return Wire(bid_path, proto, _CT["proto"])
    return Wire(BID_METHOD, frame(proto), _CT["grpc"])


def decision_of(
    bid_request: BidRequest, status: int | None, body: bytes, grpc_status: int | None, kind: str
) -> Outcome:
    """An answer off the wire to a request sent as ``kind`` (json, proto or grpc), described
    (or the error it is)."""
    imp_ids = [imp.id for imp in bid_request.imp]
    found = describe_answer(imp_ids, status, body, grpc_status, kind)
    return Outcome(None, found) if isinstance(found, str) else Outcome(found)


class CapturedSide:
    """The decisions recorded in the capture, with the latency the server measured."""

    name = "capture"

    async def start(self) -> None:
        """Nothing to prepare."""

    async def answer(self, record: CaptureRecord) -> Outcome:
        """The recorded decision."""
        return Outcome(record.decision, seconds=record.latency_ms / 1000.0)

    async def close(self) -> None:
        """Nothing to let go of."""


class TargetSide:
    """A running bidder at ``url``, over one HTTP/2 connection (prior knowledge)."""

    def __init__(self, url: str, fmt: Format, timeout: float) -> None:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"--target must be http://HOST:PORT[/PATH], not {url!r}")
        self.name = url
        self.host, self.port = parts.hostname, parts.port or 80
        self.bid_path = parts.path.encode() if parts.path not in ("", "/") else b"/openrtb2/bid"
        self.format: Format = fmt
        self.timeout = timeout
        self.client = H2Client(self.host, self.port, keep_bodies=True)

    async def start(self) -> None:
        """Connect."""
        await self.client.connect()

    async def answer(self, record: CaptureRecord) -> Outcome:
        """Send the record's request; the answer, described."""
        wire = wire_of(record, self.format, self.bid_path)
        headers = [(b":method", b"POST"), (b":scheme", b"http"),
                   (b":authority", f"{self.host}:{self.port}".encode()), (b":path", wire.path),
                   (b"content-type", wire.content_type)]  # fmt: skip
        if wire.content_encoding:
            headers.append((b"content-encoding", wire.content_encoding))
        if wire.grpc:
            headers.append((b"te", b"trailers"))
            if wire.grpc_encoding:
                headers.append((b"grpc-encoding", wire.grpc_encoding))
        if self.client.dead is not None:  # the server closed the connection: a new one
            await self.client.close()
            self.client = H2Client(self.host, self.port, keep_bodies=True)
            await self.client.connect()
        result = await self.client.request(headers, wire.body, self.timeout)
        if result.error is not None:
            return Outcome(None, result.error, result.seconds)
        outcome = decision_of(request_of(record), result.status, result.body,
                              result.grpc_status, wire.kind)  # fmt: skip
        outcome.seconds = result.seconds
        return outcome

    async def close(self) -> None:
        """Close the connection."""
        await self.client.close()


class CampaignsSide:
    """An in-process bidder on other campaigns: the front door and pipeline, no server."""

    def __init__(self, path: str, fmt: Format) -> None:
        self.name = f"campaigns {path}"
        self.format: Format = fmt
        self.recorder = Recorder(load(Path(path)))

    async def start(self) -> None:
        """Nothing to prepare (the campaigns loaded when the side was made)."""

    async def answer(self, record: CaptureRecord) -> Outcome:
        """Decide the record's request as of the time it was captured."""
        wire = wire_of(record, self.format)
        started = time.perf_counter()
        response, bid_request, decision = self.recorder.handle(wire.request(), record.at)
        seconds = time.perf_counter() - started
        if bid_request is None or decision is None:
            return Outcome(None, f"status {response.status}", seconds)
        return Outcome(describe(bid_request, decision), seconds=seconds)

    async def close(self) -> None:
        """Nothing to let go of."""


async def _answer(side: Side, record: CaptureRecord) -> Outcome:
    """``side``'s outcome; a record that cannot be sent (its body does not decode) is an
    error of that record, not of the replay."""
    try:
        return await side.answer(record)
    except Exception as exc:
        return Outcome(None, f"{type(exc).__name__}: {exc}")


@dataclass
class Pair:
    """One record and both sides' outcomes."""

    n: int
    record: CaptureRecord
    baseline: Outcome
    candidate: Outcome


async def run(
    records: Sequence[CaptureRecord],
    baseline: Side,
    candidate: Side,
    *,
    rate: float = 0.0,
    concurrency: int = 16,
) -> list[Pair]:
    """Both sides' outcomes for every record, in order. ``rate``: records a second (0: as
    fast as ``concurrency`` records in flight allow)."""
    await baseline.start()
    await candidate.start()
    gate = asyncio.Semaphore(concurrency)
    started = time.monotonic()

    async def one(n: int, record: CaptureRecord) -> Pair:
        try:
            a, b = await asyncio.gather(_answer(baseline, record), _answer(candidate, record))
        finally:
            gate.release()
        return Pair(n, record, a, b)

    tasks = []
    try:
        for n, record in enumerate(records, 1):
            if rate > 0:
                delay = started + (n - 1) / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            await gate.acquire()
            tasks.append(asyncio.create_task(one(n, record)))
        return list(await asyncio.gather(*tasks))
    finally:
        await baseline.close()
        await candidate.close()


__all__ = [
    "FORMATS",
    "CampaignsSide",
    "CapturedSide",
    "Format",
    "Outcome",
    "Pair",
    "Side",
    "TargetSide",
    "Wire",
    "decision_of",
    "request_of",
    "run",
    "wire_of",
]
