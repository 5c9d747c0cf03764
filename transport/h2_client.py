"""A small HTTP/2 client for fire-and-compare traffic (shadowing requests to another bidder).

:class:`ClientConnection` is sans-IO: :meth:`~ClientConnection.request` queues one request
(a header block encoded once by the caller with :func:`request_block`, and a body) and returns
its stream id, or None when it cannot go *now* (no stream or window left, connection going
away): the caller drops it, it never waits. :meth:`~ClientConnection.receive` takes bytes off
the socket and returns the :class:`Answer` s completed by them; :meth:`data_to_send` is what to
write. It speaks enough HTTP/2 for a client of small unary requests: SETTINGS (and their ACK),
PING, flow control (the server's windows respected; ours opened wide and refilled), CONTINUATION,
padding, trailers (gRPC's ``grpc-status``), RST_STREAM and GOAWAY.

:class:`ClientProtocol` is the asyncio glue: one connection, answers handed to the callback
given with each request, pending streams failed when the connection goes.

Why not the ``h2`` library: a shadowed request must cost the live bidder as little as possible;
its header block here is a cached ``bytes`` and its answer is read with the transport's own
frame header struct and HPACK decoder, with no event objects.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Final, NamedTuple, cast

from .h2_wire import (
    ACK,
    CONTINUATION,
    DATA,
    DEFAULT_MAX_FRAME,
    DEFAULT_WINDOW,
    END_HEADERS,
    END_STREAM,
    GOAWAY,
    HEAD,
    HEADERS,
    MAX_STREAM_ID,
    PADDED,
    PING,
    PREFACE,
    PRIORITY_FLAG,
    PUSH_PROMISE,
    RST_STREAM,
    SETTINGS,
    SETTINGS_ENABLE_PUSH,
    SETTINGS_INITIAL_WINDOW_SIZE,
    SETTINGS_MAX_CONCURRENT_STREAMS,
    SETTINGS_MAX_FRAME_SIZE,
    SETTINGS_MAX_HEADER_LIST_SIZE,
    WINDOW_UPDATE,
    frame,
    settings,
    window_update,
)
from .hpack_codec import Decoder, HpackError, literal

#: The receive window this client opens for each stream and the connection: answers are never
#: held up by our window (refilled once half of the connection's is used).
RECEIVE_WINDOW: Final = 1 << 24
#: Largest answer header list accepted.
MAX_HEADER_LIST: Final = 64 * 1024
#: Streams in flight before the server's SETTINGS say how many it allows (RFC 9113 6.5.2
#: leaves it unlimited; servers commonly allow 100 or more).
DEFAULT_MAX_STREAMS: Final = 100
#: Distinct answer header blocks kept decoded.
DECODED_BLOCKS: Final = 256


class Answer(NamedTuple):
    """How one request ended: a status and body (and ``grpc-status`` if any), or an error."""

    stream_id: int
    status: int | None
    body: bytes
    grpc_status: int | None = None
    #: Why there is no complete answer: "reset", "goaway", "closed", "protocol error: ...".
    error: str | None = None


def request_block(
    path: bytes, authority: bytes, fields: tuple[tuple[bytes, bytes], ...] = ()
) -> bytes:
    """The header block of ``POST path`` over plain HTTP (literals without indexing: it
    depends on no dynamic table, so it is encoded once and reused)."""
    block = b"\x83\x86"  # :method POST, :scheme http (static table 3 and 6)
    block += literal(b":path", path) + literal(b":authority", authority)
    return block + b"".join(literal(name, value) for name, value in fields)


class _Stream:
    __slots__ = ("status", "grpc_status", "body")

    def __init__(self) -> None:
        self.status: int | None = None
        self.grpc_status: int | None = None
        self.body: list[bytes] = []


class ClientConnection:
    """The client side of one HTTP/2 connection, sans-IO."""

    def __init__(self) -> None:
        self._out = bytearray(PREFACE)
        self._out += settings({
            SETTINGS_ENABLE_PUSH: 0,
            SETTINGS_INITIAL_WINDOW_SIZE: RECEIVE_WINDOW,
            SETTINGS_MAX_HEADER_LIST_SIZE: MAX_HEADER_LIST,
        })  # fmt: skip
        self._out += window_update(0, RECEIVE_WINDOW - DEFAULT_WINDOW)
        self._decoder = Decoder(MAX_HEADER_LIST)
        self._decoded: dict[bytes, tuple[int, list[tuple[bytes, bytes]]]] = {}
        self._buffer = bytearray()
        self._streams: dict[int, _Stream] = {}
        self._next_id = 1
        self._unacked = 0  # connection-level bytes received since the last WINDOW_UPDATE
        #: What the server allows: streams at once, frame size, and the send windows.
        self.max_streams = DEFAULT_MAX_STREAMS
        self.max_frame = DEFAULT_MAX_FRAME
        self.send_window = DEFAULT_WINDOW
        self.stream_window = DEFAULT_WINDOW
        # A header block split over CONTINUATION frames: (stream, block so far, end_stream).
        self._partial: tuple[int, bytearray, bool] | None = None
        #: Set when no new request may start: why ("goaway", "protocol error: ...").
        self.closed: str | None = None

    @property
    def in_flight(self) -> int:
        """Streams awaiting their answer."""
        return len(self._streams)

    def data_to_send(self) -> bytes:
        """What to write to the socket now (empty when nothing)."""
        out = bytes(self._out)
        self._out.clear()
        return out

    def request(self, block: bytes, body: bytes) -> int | None:
        """Queue ``POST`` with header ``block`` and ``body``; its stream id, or None when it
        cannot be sent now (connection closing, no stream free, no window for the body)."""
        size = len(body)
        if (
            self.closed is not None
            or len(self._streams) >= self.max_streams
            or self._next_id > MAX_STREAM_ID
            or size > self.send_window
            or size > self.stream_window
            or len(block) > self.max_frame
        ):
            return None
        sid = self._next_id
        self._next_id += 2
        self._streams[sid] = _Stream()
        out = self._out
        out += HEAD.pack(len(block) >> 16, len(block) & 0xFFFF, HEADERS,
                         END_HEADERS | (0 if size else END_STREAM), sid)  # fmt: skip
        out += block
        if size:
            self.send_window -= size
            step = self.max_frame
            for start in range(0, size, step):
                chunk = body[start : start + step]
                last = start + step >= size
                out += HEAD.pack(len(chunk) >> 16, len(chunk) & 0xFFFF, DATA,
                                 END_STREAM if last else 0, sid)  # fmt: skip
                out += chunk
        return sid

    def cancel(self, sid: int) -> None:
        """Give up on a stream (a timeout): RST_STREAM(CANCEL); its answer is ignored."""
        if self._streams.pop(sid, None) is not None:
            self._out += frame(RST_STREAM, 0, sid, (8).to_bytes(4, "big"))

    def fail_all(self, why: str) -> list[Answer]:
        """Every pending stream, ended with ``why`` (the connection is gone)."""
        self.closed = self.closed or why
        answers = [Answer(sid, None, b"", error=why) for sid in self._streams]
        self._streams.clear()
        return answers

    # -- reading -------------------------------------------------------------------------------

    def receive(self, data: bytes) -> list[Answer]:
        """Take bytes from the server; the answers they complete."""
        buffer = self._buffer
        buffer += data
        answers: list[Answer] = []
        pos = 0
        end = len(buffer)
        try:
            while end - pos >= 9:
                high, low, kind, flags, sid = HEAD.unpack_from(buffer, pos)
                length = (high << 16) | low
                if end - pos - 9 < length:
                    break
                payload = bytes(buffer[pos + 9 : pos + 9 + length])
                pos += 9 + length
                self._frame(kind, flags, sid & MAX_STREAM_ID, payload, answers)
        except (HpackError, ValueError, IndexError) as exc:
            answers += self.fail_all(f"protocol error: {exc}")
            self._out += frame(GOAWAY, 0, 0, bytes(8))
        del buffer[:pos]
        return answers

    def _frame(self, kind: int, flags: int, sid: int, payload: bytes, out: list[Answer]) -> None:
        if self._partial is not None and kind != CONTINUATION:
            raise ValueError("a header block was interrupted")
        if kind == DATA:
            self._refill(len(payload))
            if flags & PADDED:
                payload = payload[1 : len(payload) - payload[0]]
            stream = self._streams.get(sid)
            if stream is not None:
                stream.body.append(payload)
                if flags & END_STREAM:
                    self._finish(sid, out)
        elif kind == HEADERS:
            if flags & PADDED:
                payload = payload[1 : len(payload) - payload[0]]
            if flags & PRIORITY_FLAG:
                payload = payload[5:]
            if flags & END_HEADERS:
                self._headers(sid, payload, bool(flags & END_STREAM), out)
            else:
                self._partial = (sid, bytearray(payload), bool(flags & END_STREAM))
        elif kind == CONTINUATION:
            if self._partial is None or self._partial[0] != sid:
                raise ValueError("CONTINUATION without its HEADERS")
            self._partial[1].extend(payload)
            if flags & END_HEADERS:
                sid, block, end_stream = self._partial
                self._partial = None
                self._headers(sid, bytes(block), end_stream, out)
        elif kind == SETTINGS:
            if not flags & ACK:
                self._settings(payload)
        elif kind == WINDOW_UPDATE:
            increment = int.from_bytes(payload[:4], "big") & MAX_STREAM_ID
            if sid == 0:
                self.send_window += increment
        elif kind == PING:
            if not flags & ACK:
                self._out += frame(PING, ACK, 0, payload)
        elif kind == RST_STREAM:
            if self._streams.pop(sid, None) is not None:
                out.append(Answer(sid, None, b"", error="reset"))
        elif kind == GOAWAY:
            last = int.from_bytes(payload[:4], "big") & MAX_STREAM_ID
            self.closed = "goaway"
            for pending in [s for s in self._streams if s > last]:
                del self._streams[pending]
                out.append(Answer(pending, None, b"", error="goaway"))
        elif kind == PUSH_PROMISE:
            raise ValueError("PUSH_PROMISE after SETTINGS_ENABLE_PUSH 0")

    def _refill(self, size: int) -> None:
        self._unacked += size
        if self._unacked >= RECEIVE_WINDOW // 2:
            self._out += window_update(0, self._unacked)
            self._unacked = 0

    def _settings(self, payload: bytes) -> None:
        for at in range(0, len(payload) - 5, 6):
            key = int.from_bytes(payload[at : at + 2], "big")
            value = int.from_bytes(payload[at + 2 : at + 6], "big")
            if key == SETTINGS_MAX_CONCURRENT_STREAMS:
                self.max_streams = value
            elif key == SETTINGS_INITIAL_WINDOW_SIZE:
                self.stream_window = value
            elif key == SETTINGS_MAX_FRAME_SIZE:
                self.max_frame = value
        self._out += frame(SETTINGS, ACK, 0)

    def _headers(self, sid: int, block: bytes, end_stream: bool, out: list[Answer]) -> None:
        decoder = self._decoder
        # A server answers alike with the same block; one that changes no table decodes to
        # the same fields while the table stays as it is (its version): decoded once.
        cached = self._decoded.get(block)
        if cached is not None and cached[0] == decoder.version:
            fields = cached[1]
        else:
            version = decoder.version
            fields = decoder.decode(block)  # always: the dynamic table must follow
            if decoder.version == version and len(self._decoded) < DECODED_BLOCKS:
                self._decoded[block] = (version, fields)
        stream = self._streams.get(sid)
        if stream is None:
            return
        for name, value in fields:
            if name == b":status" and stream.status is None:
                stream.status = int(value)
            elif name == b"grpc-status":
                stream.grpc_status = int(value) if value.isdigit() else -1
        if end_stream:
            self._finish(sid, out)

    def _finish(self, sid: int, out: list[Answer]) -> None:
        stream = self._streams.pop(sid)
        body = stream.body[0] if len(stream.body) == 1 else b"".join(stream.body)
        out.append(Answer(sid, stream.status, body, stream.grpc_status))


#: What a request's answer is handed to.
OnAnswer = Callable[[Answer], None]


class ClientProtocol(asyncio.Protocol):
    """One client connection on asyncio: :meth:`send` and a callback per answer."""

    def __init__(self) -> None:
        self.conn = ClientConnection()
        self.transport: asyncio.Transport | None = None
        self._callbacks: dict[int, OnAnswer] = {}
        self._flush_due = False
        #: Why the connection is gone (None while it lives).
        self.lost: str | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self.transport.write(self.conn.data_to_send())

    def data_received(self, data: bytes) -> None:
        answers = self.conn.receive(data)
        self._flush()
        callbacks = self._callbacks
        for answer in answers:
            callback = callbacks.pop(answer.stream_id, None)
            if callback is not None:
                callback(answer)

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = "closed" if exc is None else f"closed: {exc}"
        self.transport = None
        for answer in self.conn.fail_all(self.lost):
            callback = self._callbacks.pop(answer.stream_id, None)
            if callback is not None:
                callback(answer)

    @property
    def usable(self) -> bool:
        """Whether new requests may go on this connection."""
        return self.transport is not None and self.conn.closed is None

    def send(self, block: bytes, body: bytes, callback: OnAnswer) -> int | None:
        """Send a request (written at the end of this turn of the loop, with the others sent in
        it); its stream id (``callback`` gets the answer), or None when it cannot go (the
        caller drops it)."""
        if self.transport is None:
            return None
        sid = self.conn.request(block, body)
        if sid is None:
            return None
        self._callbacks[sid] = callback
        if not self._flush_due:
            # One write for every request sent in this turn of the loop: a system call per
            # request was the largest part of a shadowed request's cost.
            self._flush_due = True
            asyncio.get_running_loop().call_soon(self._flush)
        return sid

    def cancel(self, sid: int) -> None:
        """Give up on stream ``sid``: its callback gets an Answer with error "timeout"."""
        callback = self._callbacks.pop(sid, None)
        self.conn.cancel(sid)
        self._flush()
        if callback is not None:
            callback(Answer(sid, None, b"", error="timeout"))

    def close(self) -> None:
        """Close the connection (pending answers fail with "closed")."""
        if self.transport is not None:
            self.transport.close()

    def _flush(self) -> None:
        self._flush_due = False
        data = self.conn.data_to_send()
        if data and self.transport is not None:
            self.transport.write(data)


__all__ = ["Answer", "ClientConnection", "ClientProtocol", "OnAnswer", "request_block"]
