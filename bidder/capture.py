"""Capture of live traffic: a sampled share of bid requests, each with the decision made on it.

A capture is a file of JSON lines (gzip when its name ends in ``.gz``), one
:class:`CaptureRecord` a line: the request's bytes as they arrived (body, content type and
encodings), the decision (:class:`bidder.decision.Decision`) and how long it took. ``bidwire
replay`` sends the requests again, to another bidder or to other campaigns, and reports which
decisions change.

Off the hot path: :meth:`Capture.observe` (called by the front doors after each decision)
returns at once for the requests not sampled (one random draw), and for a sampled one appends
a tuple to a bounded queue (a full queue drops the record and counts it; so does a rate over
``max_rate``). A timer on the event loop describes and encodes queued records a few at a time;
a writer thread compresses and writes them (zlib and ``write`` release the GIL). Each write is
one complete gzip member appended with ``O_APPEND``, so the workers of one server share one
file and a concatenation of members is one valid gzip file. :meth:`Capture.close`, after the
server has drained, writes everything still queued: the capture is then complete.

Every line carries its format version (``"v": 1``). A reader decodes the version first and
refuses versions newer than it knows (:func:`read_capture`); fields added later within a
version are ignored by older readers.
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import random
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Final, Literal, Protocol

import msgspec

from openrtb.model import BidRequest, BidResponse
from transport.events import Request

from .decision import Decision, describe
from .metrics import CAPTURE_RECORDS
from .pipeline import NoBid

#: The version this code writes, and the newest it reads.
FORMAT_VERSION: Final = 1
#: How long a sampled record waits on the loop before it is described and encoded (seconds),
#: and how many are encoded per turn: small turns never hold the loop for long.
DRAIN_DELAY: Final = 0.02
DRAIN_BATCH: Final = 32
#: Encoded lines are handed to the writer in chunks of about this many bytes (each one gzip
#: member), or after ``flush_seconds``.
CHUNK_BYTES: Final = 256 * 1024
#: Chunks waiting for the writer thread; more are dropped (and counted).
MAX_PENDING_CHUNKS: Final = 16

log = logging.getLogger("bidwire.capture")


class CaptureConfig(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """``[capture]``: what share of live traffic is written, where, and how fast at most."""

    #: The capture file ("" captures nothing): gzip JSON lines when it ends in ``.gz``, else
    #: plain JSON lines. Appended to; the workers of a server share it. Or a Redis Stream:
    #: ``redis://HOST:PORT/DB?stream=KEY&maxlen=N`` (:mod:`bidder.capture_redis`).
    path: str = ""
    #: The share of bid requests captured (0-1).
    fraction: Annotated[float, msgspec.Meta(ge=0, le=1)] = 0.01
    #: At most this many records a second per worker (the rest of the sample is dropped).
    max_rate: Annotated[float, msgspec.Meta(gt=0)] = 1000.0
    #: Records waiting to be encoded; more are dropped, never waited for.
    queue: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)] = 10_000
    #: Encoded records reach the file at least this often (seconds).
    flush_seconds: Annotated[float, msgspec.Meta(gt=0)] = 1.0


class CaptureRecord(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One captured request and what was decided on it (format version 1)."""

    #: The format version: 1 (always written: a reader decodes it first).
    v: int
    #: When it was decided: wall clock, seconds since the epoch (replay decides "then").
    at: float
    #: The request's ``id``, to name it in a report.
    id: str
    #: The request as it arrived: path, header fields that say how to read the body, body.
    path: str
    content_type: str = ""
    content_encoding: str = ""
    grpc_encoding: str = ""
    body: bytes
    #: The decision made on it, and the time from arrival to decision (milliseconds).
    decision: Decision
    latency_ms: float = 0.0
    #: "live": sampled from live traffic; "shadow": a request on which a shadowed candidate
    #: disagreed (its decision in ``candidate``).
    source: Literal["live", "shadow"] = "live"
    candidate: Decision | None = None
    candidate_latency_ms: float | None = None


class CaptureError(ValueError):
    """A capture that cannot be read, with where (file and line) and why."""


class _Version(msgspec.Struct):
    v: int = 0


_VERSION: Final = msgspec.json.Decoder(_Version)
_RECORD_V1: Final = msgspec.json.Decoder(CaptureRecord)
_ENCODER: Final = msgspec.json.Encoder()


def _text(value: bytes | None) -> str:
    return value.decode("latin-1") if value else ""


def record_of(
    request: Request,
    bid_request: BidRequest,
    decision: BidResponse | NoBid | None,
    at: float,
    latency: float,
) -> CaptureRecord:
    """The record of one decided request (``latency`` in seconds)."""
    return record_from(request, bid_request.id, describe(bid_request, decision), at, latency)


def record_from(
    request: Request, request_id: str, decision: Decision, at: float, latency: float
) -> CaptureRecord:
    """The record of a request (its ``id``) and the decision on it, already described."""
    return CaptureRecord(
        v=FORMAT_VERSION,
        at=at,
        id=request_id,
        path=_text(request.path),
        content_type=_text(request.content_type),
        content_encoding=_text(request.content_encoding),
        grpc_encoding=_text(request.grpc_encoding),
        body=bytes(request.body),
        decision=decision,
        latency_ms=round(latency * 1000.0, 3),
    )


def encode_record(record: CaptureRecord) -> bytes:
    """One capture line (with its newline)."""
    return _ENCODER.encode(record) + b"\n"


def _lines(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as f:
        gzipped = f.read(2) == b"\x1f\x8b"
    if gzipped:
        import gzip

        with gzip.open(path, "rb") as g:
            yield from g
    else:
        with open(path, "rb") as f:
            yield from f


def _capture_lines(path: str | Path) -> Iterator[bytes]:
    if isinstance(path, str) and path.startswith(("redis://", "rediss://", "unix://")):
        from .capture_redis import stream_lines

        return stream_lines(path)
    return _lines(Path(path))


def read_capture(path: str | Path) -> Iterator[CaptureRecord]:
    """The records of a capture (a gzip or plain JSON-lines file, or a ``redis://`` stream
    URL), in order. Raises :class:`CaptureError` naming the line that is not a record, or
    whose format version is newer than :data:`FORMAT_VERSION`, or a stream that cannot be
    read; ``OSError`` when the file cannot be read."""
    lines = _capture_lines(path)
    n = 0
    while True:
        try:
            line = next(lines, None)
        except (ValueError, ConnectionError, TimeoutError) as exc:  # redis-py's errors too
            raise CaptureError(f"{path}: cannot read the stream: {exc}") from None
        except Exception as exc:
            if type(exc).__module__.startswith("redis"):
                raise CaptureError(f"{path}: cannot read the stream: {exc}") from None
            raise
        if line is None:
            return
        n += 1
        if not line.strip():
            continue
        try:
            version = _VERSION.decode(line).v
        except (msgspec.DecodeError, EOFError, zlib.error) as exc:
            raise CaptureError(f"{path} line {n}: not a capture record ({exc})") from None
        if version > FORMAT_VERSION:
            raise CaptureError(
                f"{path} line {n}: capture format version {version} is newer than this "
                f"bidwire reads ({FORMAT_VERSION}): replay it with a newer bidwire"
            )
        if version < 1:
            raise CaptureError(f"{path} line {n}: not a capture record (no format version)")
        try:
            yield _RECORD_V1.decode(line)
        except msgspec.DecodeError as exc:
            raise CaptureError(f"{path} line {n}: not a capture record ({exc})") from None


class FileSink:
    """Appends chunks of capture lines to a file, each as one write (``O_APPEND``): several
    processes may share the file. Gzip members when the name ends in ``.gz``."""

    def __init__(self, path: str | Path, level: int = 6) -> None:
        self.path = Path(path)
        self.gzip = self.path.name.endswith(".gz")
        self.level = level
        self._fd: int | None = None

    def write(self, chunk: bytes) -> None:
        """Write one chunk of whole lines (in the writer thread)."""
        if self._fd is None:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        data = zlib.compress(chunk, self.level, wbits=31) if self.gzip else chunk
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view) :]

    def close(self) -> None:
        """Close the file (the next write opens it again)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class Sink(Protocol):
    """Where chunks of capture lines go (:class:`FileSink`); called from the writer thread."""

    def write(self, chunk: bytes) -> None:
        """Write one chunk of whole lines."""
        ...

    def close(self) -> None:
        """Release what the sink holds."""
        ...


def sink_for(path: str) -> Sink:
    """The sink a capture path names: a Redis Stream for a ``redis://`` URL, else a file."""
    if path.startswith(("redis://", "rediss://", "unix://")):
        from .capture_redis import RedisStreamSink

        return RedisStreamSink(path)
    return FileSink(path)


class _Writer:
    """A thread that writes chunks to a sink, started at the first chunk. At most
    :data:`MAX_PENDING_CHUNKS` wait; :meth:`submit` never blocks."""

    _STOP: Final = b""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self._queue: queue.Queue[tuple[bytes, int]] = queue.Queue(MAX_PENDING_CHUNKS)
        self._thread: threading.Thread | None = None
        self._failed = False
        # The thread adds to these series: made here, so /metrics never sees the dict grow
        # while it renders.
        CAPTURE_RECORDS.inc("written", 0)
        CAPTURE_RECORDS.inc("failed", 0)

    def submit(self, chunk: bytes, records: int) -> bool:
        """Queue a chunk of ``records`` lines; False (dropped) when the writer is behind."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="bidwire-capture", daemon=True)
            self._thread.start()
        try:
            self._queue.put_nowait((chunk, records))
        except queue.Full:
            return False
        return True

    def _run(self) -> None:
        while True:
            chunk, records = self._queue.get()
            if chunk is self._STOP:
                break
            try:
                self.sink.write(chunk)
            except Exception as exc:
                CAPTURE_RECORDS.inc("failed", records)
                if not self._failed:  # once: a full disk would otherwise log every second
                    log.error("capture write failed (%s): %s", type(exc).__name__, exc)
                self._failed = True
            else:
                CAPTURE_RECORDS.inc("written", records)
        self.sink.close()

    def close(self, timeout: float = 30.0) -> None:
        """Write everything queued, then stop the thread and close the sink."""
        if self._thread is None:
            self.sink.close()
            return
        self._queue.put((self._STOP, 0), timeout=timeout)
        self._thread.join(timeout)
        self._thread = None


#: What :meth:`Capture.observe` queues: the wall-clock time, the request, its decoded form,
#: the decision, and the decision's latency (seconds).
_Pending = tuple[float, Request, BidRequest, "BidResponse | NoBid | None", float]


class Capture:
    """Samples decided requests into a sink, off the hot path. One per worker."""

    def __init__(
        self,
        config: CaptureConfig,
        sink: Sink | None = None,
        *,
        draw: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.monotonic,
        wallclock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.fraction = config.fraction
        self._draw = draw
        self._clock = clock
        self._wallclock = wallclock
        self._writer = _Writer(sink if sink is not None else sink_for(config.path))
        self._queue: deque[_Pending | CaptureRecord] = deque()
        self._max_queue = config.queue
        # A token bucket: max_rate tokens a second, up to one second's worth.
        self._rate = config.max_rate
        self._tokens = config.max_rate
        self._stamp = clock()
        self._scheduled = False
        self._buffer = bytearray()
        self._buffered = 0  # records in _buffer
        self._buffer_since = 0.0

    # -- the hot path --------------------------------------------------------------------------

    def observe(
        self, request: Request, bid_request: BidRequest, decision: BidResponse | NoBid | None
    ) -> None:
        """A request was decided: capture it if it is sampled and there is room."""
        if self._draw() >= self.fraction:
            return
        now = self._clock()
        tokens = min(self._rate, self._tokens + (now - self._stamp) * self._rate)
        self._stamp = now
        if tokens < 1.0:
            self._tokens = tokens
            CAPTURE_RECORDS.inc("dropped_rate")
            return
        self._tokens = tokens - 1.0
        latency = now - request.arrival if request.arrival else 0.0
        self._put((self._wallclock(), request, bid_request, decision, latency))

    def offer(self, record: CaptureRecord) -> None:
        """Queue a record made elsewhere (a shadow disagreement), if there is room."""
        self._put(record)

    def _put(self, item: _Pending | CaptureRecord) -> None:
        if len(self._queue) >= self._max_queue:
            CAPTURE_RECORDS.inc("dropped_queue_full")
            return
        self._queue.append(item)
        if not self._scheduled:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return  # no loop (a test, a tool): flush() or close() writes it
            self._scheduled = True
            loop.call_later(DRAIN_DELAY, self._turn)

    # -- on the loop, a few at a time ----------------------------------------------------------

    def _turn(self) -> None:
        self._scheduled = False
        self.drain(DRAIN_BATCH)
        if self._queue:
            self._scheduled = True
            asyncio.get_running_loop().call_later(DRAIN_DELAY, self._turn)

    def drain(self, limit: int | None = None) -> int:
        """Encode up to ``limit`` queued records (None: all); hand full chunks to the writer.
        Returns how many were encoded."""
        done = 0
        queued = self._queue
        buffer = self._buffer
        while queued and (limit is None or done < limit):
            item = queued.popleft()
            if not isinstance(item, CaptureRecord):
                at, request, bid_request, decision, latency = item
                item = record_of(request, bid_request, decision, at, latency)
            if not buffer:
                self._buffer_since = self._clock()
            buffer += encode_record(item)
            self._buffered += 1
            done += 1
        if len(buffer) >= CHUNK_BYTES:
            self._submit()
        return done

    def poll(self) -> None:
        """Hand the writer what has waited ``flush_seconds`` (call about once a second)."""
        if self._buffer and self._clock() - self._buffer_since >= self.config.flush_seconds:
            self._submit()

    def _submit(self) -> None:
        chunk, records = bytes(self._buffer), self._buffered
        self._buffer.clear()
        self._buffered = 0
        if not self._writer.submit(chunk, records):
            CAPTURE_RECORDS.inc("dropped_writer_busy", records)

    def flush(self) -> None:
        """Encode everything queued and hand it to the writer."""
        self.drain()
        if self._buffer:
            self._submit()

    async def close(self) -> None:
        """Write everything queued and close the sink (after the drain, before exit)."""
        self.flush()
        await asyncio.to_thread(self._writer.close)

    def close_now(self) -> None:
        """:meth:`close`, outside an event loop."""
        self.flush()
        self._writer.close()


def capture_from(config: CaptureConfig) -> Capture | None:
    """The capture ``config`` asks for, or None (no path). With a fraction of 0 it samples
    nothing from live traffic but still takes the records offered to it (shadow
    disagreements)."""
    if not config.path:
        return None
    return Capture(config)


def capture_problem(config: CaptureConfig) -> str | None:
    """Why the capture file cannot be written, as one line naming the setting; None if it can
    (checked at start, before any worker forks)."""
    if not config.path:
        return None
    if config.path.startswith(("redis://", "rediss://", "unix://")):
        from .capture_redis import split_url
        from .redis_state import probe

        try:
            address, _, _ = split_url(config.path)
        except ValueError as exc:
            return f"bad setting capture.path: {exc}"
        why = probe(address, 2.0)
        if why is not None:
            return f"capture stream {config.path} does not answer: {why}"
        return None
    path = Path(config.path)
    folder = path.parent
    if path.is_dir():
        return f"bad setting capture.path: {config.path} is a directory"
    if not folder.is_dir():
        return f"bad setting capture.path: the folder {folder} does not exist"
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        return f"bad setting capture.path: {config.path} is not writable"
    return None


__all__ = [
    "FORMAT_VERSION",
    "Capture",
    "CaptureConfig",
    "CaptureError",
    "CaptureRecord",
    "FileSink",
    "Sink",
    "capture_from",
    "capture_problem",
    "encode_record",
    "read_capture",
    "sink_for",
    "record_from",
    "record_of",
]
