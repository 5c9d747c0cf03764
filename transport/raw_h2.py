"""The raw HTTP/2 engine: the protocol handled here, without h2. Same interface as H2Engine.

    engine = RawH2Engine(limits, now)
    for stream_id, request in engine.receive_data(data, now):
        engine.send_response(stream_id, app.handle(request))
    transport.write(engine.data_to_send())

Why: h2 costs about 65 µs per request (frame objects, event objects, a state machine per stream,
hpack's decoder), five times what the rest of a bid costs. This engine reads frame headers
with one ``struct.unpack_from`` off the receive buffer, keeps one slotted object per stream,
decodes HPACK with :mod:`transport.hpack_codec` and writes responses from pre-encoded header
blocks.

:class:`transport.h2_engine.H2Engine` is the reference: every limit and mitigation is the same
(the same :class:`~transport.frame_guard.FrameGuard` pre-scan, the same caps, timeouts, drain,
413 handling and metric labels), and ``tests/test_raw_h2_differential.py`` feeds both engines
the same frame sequences and compares what they do. Where the two differ on purpose (mostly
where h2 departs from RFC 9113), the list is ``PERMITTED_DIFFERENCES`` in that test.
"""

from __future__ import annotations

from typing import Final

from . import frames as F
from .events import NO_CONTENT_LENGTH, Request, Response, error_response, response_fields
from .frame_guard import PREFACE, VIOLATIONS
from .h2_lifecycle import DRAIN_PING, H2Lifecycle
from .header_rules import request_from_headers, request_problem, trailer_problem
from .hpack_codec import (
    CONTENT_LENGTH_PREFIX,
    TABLE_SIZE_ZERO,
    Decoder,
    HeaderListTooLarge,
    HpackError,
    literal,
    status_field,
)
from .limits import Limits
from .metrics import ERRORS, HTTP_RESPONSES, PROTOCOL_ERRORS, STREAMS_OPEN
from .metrics import ProtocolErrorKind as K

DISCARD_FACTOR: Final = 8
#: h2 refuses a header block split over more frames than this (the guard's limit comes first).
CONTINUATION_BACKLOG: Final = 64
#: How many closed streams are remembered with how they closed (for the error a late frame
#: draws); older ones count as closed by END_STREAM.
CLOSED_MEMORY: Final = 1024
#: Request header blocks remembered per connection (see ``_known``), and the largest kept.
KNOWN_BLOCKS: Final = 16
KNOWN_BLOCK_MAX: Final = 512

# Stream states (RFC 9113 5.1), as the names h2 uses.
OPEN, HALF_CLOSED_REMOTE, HALF_CLOSED_LOCAL, CLOSED = 1, 2, 3, 4
STATE_NAMES: Final = {OPEN: "open", HALF_CLOSED_REMOTE: "half_closed_remote",
                      HALF_CLOSED_LOCAL: "half_closed_local", CLOSED: "closed"}  # fmt: skip

ALTSVC: Final = 0xA
_HEAD = F.HEAD.unpack_from
_U32 = F.U32.unpack_from
_SETTING = F.SETTING.unpack_from


class _ConnectionError(Exception):
    """A connection error (RFC 9113 5.4.1): GOAWAY with ``code``, counted as ``label``."""

    def __init__(self, code: int, label: K) -> None:
        super().__init__(label)
        self.code = code
        self.label = label


class _Stream:
    __slots__ = (
        "state", "request", "chunks", "size", "started", "rejected", "length", "received",
        "send_window", "recv_window", "body", "sent", "live", "discarded", "head", "expected",
    )  # fmt: skip

    def __init__(self, state: int, request: Request, now: float, send_window: int) -> None:
        self.state = state
        self.request = request
        self.chunks: list[bytes] = []
        self.size = 0  # body bytes kept
        self.started = now
        self.rejected = False
        self.length = -1  # content-length, or -1
        self.received = 0  # body bytes received (content-length check)
        self.expected = -1  # the body length h2 would hold the stream to, or -1
        self.send_window = send_window
        self.recv_window = 0
        self.body: bytes | bytearray | memoryview = b""  # the answer's body still to send
        self.sent = 0
        self.live = False  # a request in progress: counted in open_streams
        self.discarded = -1  # answered 413: body bytes dropped since, else -1
        self.head = False  # a HEAD request


class RawH2Engine(H2Lifecycle):
    """One HTTP/2 server connection, without I/O and without h2."""

    def __init__(self, limits: Limits, now: float) -> None:
        super().__init__(limits, now)
        self._decoder = Decoder(limits.max_header_list_size)
        # Header blocks already decoded and validated: block bytes -> (decoder table version,
        # the request they make, content-length). Decoding is a pure function of the block and
        # the dynamic table, so an entry holds while the table's version is the one stored,
        # and only blocks that did not change the table are kept. Clients that repeat their
        # header fields (nghttp2 indexes them all) then send the same few bytes every request.
        self._known: dict[bytes, tuple[int, Request, int]] = {}
        self._buffer = b""
        self._preface = len(PREFACE)  # preface bytes still to check
        self._preface_seen = b""
        self._settings_seen = False
        self._streams: dict[int, _Stream] = {}
        self._closed_by_reset: dict[int, bool] = {}  # closed stream -> closed by RST_STREAM
        self._live = 0
        self._read_closes = 0  # streams this read closed that h2 would still count open
        # Header block in progress: stream, fragments, END_STREAM, frames so far.
        self._block_sid = 0
        self._block: list[bytes] = []
        self._block_end = False
        self._block_self_dependent = False
        self._block_frames = 0
        # Flow control.
        self._stream_window = limits.stream_window
        self._recv_window = limits.connection_window
        self._send_window = F.DEFAULT_WINDOW
        self._peer_initial = F.DEFAULT_WINDOW
        self._peer_max_frame = F.DEFAULT_MAX_FRAME
        self._table_update = False
        self._blocks: dict[tuple[object, ...], bytes] = {}
        self._out: list[bytes] = [
            F.settings(
                {
                    F.SETTINGS_ENABLE_PUSH: 0,
                    F.SETTINGS_MAX_CONCURRENT_STREAMS: limits.max_concurrent_streams,
                    F.SETTINGS_INITIAL_WINDOW_SIZE: limits.stream_window,
                    F.SETTINGS_MAX_HEADER_LIST_SIZE: limits.max_header_list_size,
                }
            )
        ]
        if limits.connection_window > F.DEFAULT_WINDOW:
            self._out.append(F.window_update(0, limits.connection_window - F.DEFAULT_WINDOW))

    # -- input ---------------------------------------------------------------------------------

    def receive_data(self, data: bytes, now: float) -> list[tuple[int, Request]]:
        """Process bytes from the client; the requests that are now complete."""
        if self.closed:
            return []
        self._last_activity = now
        flood = self._guard.feed(data, now)
        if flood is not None:
            calm = flood not in VIOLATIONS
            self._terminate(F.ENHANCE_YOUR_CALM if calm else F.PROTOCOL_ERROR, flood)
            return []
        if self._preface:
            data = self._check_preface(data)
            if self.closed or not data:
                return []
        ready: list[tuple[int, Request]] = []
        self._read_closes = 0
        try:
            self._frames(self._buffer + data if self._buffer else data, now, ready)
        except _ConnectionError as exc:
            PROTOCOL_ERRORS.inc(exc.label)
            self._goaway(exc.code, self._highest)
            self.closed = True
            self.close_reason = "protocol_error"
            return []
        self._drain_step(now)
        return ready

    def _check_preface(self, data: bytes) -> bytes:
        take = min(self._preface, len(data))
        start = len(PREFACE) - self._preface
        if data[:take] != PREFACE[start : start + take]:
            # Not HTTP/2: close without GOAWAY (RFC 9113 3.4), as h2 does.
            PROTOCOL_ERRORS.inc(K.H2_PROTOCOL)
            self.closed = True
            self.close_reason = "protocol_error"
            return b""
        self._preface -= take
        return data[take:]

    def _frames(self, buf: bytes, now: float, ready: list[tuple[int, Request]]) -> None:
        pos = 0
        end = len(buf)
        while end - pos >= 9:
            high, low, kind, flags, sid = _HEAD(buf, pos)
            length = (high << 16) | low
            sid &= 0x7FFFFFFF
            # What the header alone says is wrong, before waiting for the payload.
            if sid == 0:
                if kind in F.ON_STREAM:
                    raise _ConnectionError(F.PROTOCOL_ERROR, K.H2_PROTOCOL)
            elif kind in F.ON_CONNECTION:
                raise _ConnectionError(F.PROTOCOL_ERROR, K.H2_PROTOCOL)
            if length > F.DEFAULT_MAX_FRAME:
                raise _ConnectionError(F.FRAME_SIZE_ERROR, K.H2_FRAME_TOO_LARGE)
            start = pos + 9
            stop = start + length
            if stop > end:
                break
            pos = stop
            if not self._settings_seen and (kind != F.SETTINGS or flags & F.ACK):
                # RFC 9113 3.4: the client preface ends with a SETTINGS frame (h2 does not
                # check).
                raise _ConnectionError(F.PROTOCOL_ERROR, K.PREFACE_WITHOUT_SETTINGS)
            if self._block_sid:
                self._continuation(buf, start, stop, kind, flags, sid, now, ready)
            elif kind == F.DATA:
                self._data(buf, start, stop, flags, sid, ready)
            elif kind == F.HEADERS:
                self._headers(buf, start, stop, flags, sid, now, ready)
            elif kind == F.WINDOW_UPDATE:
                self._window_update(buf, start, length, sid)
            elif kind == F.SETTINGS:
                self._settings(buf, start, length, flags)
            elif kind == F.PING:
                self._ping(buf, start, length, flags, now)
            elif kind == F.RST_STREAM:
                self._rst_stream(buf, start, length, sid)
            elif kind == F.PRIORITY:
                if length != 5:
                    raise _ConnectionError(F.FRAME_SIZE_ERROR, K.H2_FRAME_DATA_MISSING)
                if _U32(buf, start)[0] & 0x7FFFFFFF == sid:
                    raise _ConnectionError(F.PROTOCOL_ERROR, K.H2_PROTOCOL)
            elif kind == F.GOAWAY:
                if length < 8:
                    raise _ConnectionError(F.FRAME_SIZE_ERROR, K.H2_FRAME_DATA_MISSING)
                self.closed = True  # the client is done; h2's ConnectionTerminated
                self._buffer = b""
                return
            elif kind == F.PUSH_PROMISE:
                # Clients may not push; one too short for its promised stream id is malformed
                # first (as hyperframe reads it).
                if length < (5 if flags & F.PADDED else 4):
                    raise _ConnectionError(F.FRAME_SIZE_ERROR, K.H2_FRAME_DATA_MISSING)
                raise _ConnectionError(F.PROTOCOL_ERROR, K.PUSH_PROMISE)  # RFC 9113 8.4
            elif kind == F.CONTINUATION:
                # RFC 9113 6.10: no header block is open.
                raise _ConnectionError(F.PROTOCOL_ERROR, K.CONTINUATION_WITHOUT_HEADERS)
            elif kind == ALTSVC and (
                length < 2 or 2 + ((buf[start] << 8) | buf[start + 1]) > length
            ):
                # Not used here, but h2 parses it (RFC 7838): one too short for its origin is
                # malformed (RFC 9113 4.2).
                raise _ConnectionError(F.FRAME_SIZE_ERROR, K.H2_FRAME_DATA_MISSING)
            # Other frame types are ignored (RFC 9113 5.5).
        self._buffer = buf[pos:] if pos < end else b""

    # -- frames ----------------------------------------------------------------------------------

    def _data(
        self, buf: bytes, start: int, stop: int, flags: int, sid: int,
        ready: list[tuple[int, Request]],
    ) -> None:  # fmt: skip
        flow = stop - start
        if flags & F.PADDED:
            if flow == 0:
                raise _ConnectionError(F.FRAME_SIZE_ERROR, K.H2_FRAME_DATA_MISSING)
            pad = buf[start]
            if pad and pad >= flow:
                raise _ConnectionError(F.PROTOCOL_ERROR, K.H2_PROTOCOL)
            start += 1
            stop -= pad
        self._recv_window -= flow
        if self._recv_window < 0:
            raise _ConnectionError(F.FLOW_CONTROL_ERROR, K.H2_FLOW_CONTROL)
        if self._recv_window < self.limits.connection_window // 2:
            increment = self.limits.connection_window - self._recv_window
            self._recv_window = self.limits.connection_window
            self._out.append(F.window_update(0, increment))
        stream = self._streams.get(sid)
        if stream is None:
            # Even ids are the server's, and it never opens one (no push): always idle, so
            # DATA there is a connection error like DATA past the highest id (RFC 9113 5.1).
            if sid > self._highest or not sid & 1:
                raise _ConnectionError(F.PROTOCOL_ERROR, K.H2_PROTOCOL)
            self._out.append(F.rst_stream(sid, F.STREAM_CLOSED))
            return
        state = stream.state
        if state == HALF_CLOSED_REMOTE:
            self._reset_on_error(sid, stream, F.STREAM_CLOSED)
            return
        stream.recv_window -= flow
        if stream.recv_window < 0:
            raise _ConnectionError(F.FLOW_CONTROL_ERROR, K.H2_FLOW_CONTROL)
        size = stop - start
        end_stream = flags & F.END_STREAM
        if stream.expected >= 0:
            stream.received += size
            expected = stream.expected
            if stream.received > expected or (end_stream and stream.received != expected):
                raise _ConnectionError(F.PROTOCOL_ERROR, K.H2_INVALID_BODY_LENGTH)
        if not end_stream and stream.recv_window < self._stream_window // 2:
            self._out.append(F.window_update(sid, self._stream_window - stream.recv_window))
            stream.recv_window = self._stream_window
        if stream.discarded >= 0:
            stream.discarded += flow
            if stream.discarded > DISCARD_FACTOR * self.limits.max_body_size:
                stream.discarded = -1
                PROTOCOL_ERRORS.inc(K.H2_DISCARD_CAP)
                self._reset(sid, stream, F.CANCEL)
                return
        elif stream.live and not stream.rejected and size:
            stream.size += size
            if stream.size > self.limits.max_body_size:
                self._reject_too_large(sid, stream)
            else:
                stream.chunks.append(buf[start:stop])
        if end_stream:
            self._remote_end(sid, stream, ready)

    def _headers(
        self, buf: bytes, start: int, stop: int, flags: int, sid: int, now: float,
        ready: list[tuple[int, Request]],
    ) -> None:  # fmt: skip
        # Padding and priority are read as hyperframe reads them, so odd frames fail alike.
        pad = 0
        if flags & F.PADDED:
            if stop == start:
                raise _ConnectionError(F.FRAME_SIZE_ERROR, K.H2_FRAME_DATA_MISSING)
            pad = buf[start]
            start += 1
        self_dependent = False
        if flags & F.PRIORITY_FLAG:
            if stop - start < 5:
                raise _ConnectionError(F.FRAME_SIZE_ERROR, K.H2_FRAME_DATA_MISSING)
            self_dependent = _U32(buf, start)[0] & 0x7FFFFFFF == sid
            start += 5
        if pad and pad >= stop - start + (5 if flags & F.PRIORITY_FLAG else 0):
            raise _ConnectionError(F.PROTOCOL_ERROR, K.H2_PROTOCOL)
        stop -= pad
        fragment = buf[start:stop] if stop > start else b""
        end_stream = bool(flags & F.END_STREAM)
        if flags & F.END_HEADERS:
            self._header_block(sid, fragment, end_stream, now, ready, self_dependent)
        else:
            self._block_sid = sid
            self._block = [fragment]
            self._block_end = end_stream
            self._block_self_dependent = self_dependent
            self._block_frames = 1

    def _continuation(
        self, buf: bytes, start: int, stop: int, kind: int, flags: int, sid: int, now: float,
        ready: list[tuple[int, Request]],
    ) -> None:  # fmt: skip
        if kind != F.CONTINUATION or sid != self._block_sid:
            # RFC 9113 6.10: nothing but CONTINUATION on the same stream until END_HEADERS.
            raise _ConnectionError(F.PROTOCOL_ERROR, K.HEADER_BLOCK_INTERRUPTED)
        self._block.append(buf[start:stop])
        self._block_frames += 1
        if self._block_frames > CONTINUATION_BACKLOG:
            raise _ConnectionError(F.PROTOCOL_ERROR, K.H2_PROTOCOL)
        if flags & F.END_HEADERS:
            block = b"".join(self._block)
            self._block_sid = 0
            self._block = []
            end_stream, self_dependent = self._block_end, self._block_self_dependent
            self._header_block(sid, block, end_stream, now, ready, self_dependent)

    def _decode(self, block: bytes) -> list[tuple[bytes, bytes]]:
        try:
            return self._decoder.decode(block)
        except HeaderListTooLarge:
            raise _ConnectionError(F.ENHANCE_YOUR_CALM, K.H2_HEADER_LIST_TOO_LARGE) from None
        except HpackError:
            raise _ConnectionError(F.COMPRESSION_ERROR, K.HPACK_ERROR) from None

    def _header_block(
        self, sid: int, block: bytes, end_stream: bool, now: float,
        ready: list[tuple[int, Request]], self_dependent: bool = False,
    ) -> None:  # fmt: skip
        stream = self._streams.get(sid)
        if stream is not None:
            trailers = self._decode(block)
            if self_dependent:
                raise _ConnectionError(F.PROTOCOL_ERROR, K.H2_PROTOCOL)
            self._trailers(sid, stream, trailers, end_stream, ready)
            return
        limits = self.limits
        ceiling = limits.max_concurrent_streams + max(limits.max_concurrent_streams, 100)
        if len(self._streams) + self._read_closes + 1 > ceiling:
            # h2's hard limit, reached only by a client far past the advertised one.
            raise _ConnectionError(F.PROTOCOL_ERROR, K.H2_TOO_MANY_STREAMS)
        decoder = self._decoder
        version = decoder.version
        known = self._known.get(block)
        headers: list[tuple[bytes, bytes]] = []
        if known is None or known[0] != version:
            known = None
            headers = self._decode(block)
        if sid <= self._highest:
            by_reset = self._closed_by_reset.get(sid)
            if by_reset:
                self._out.append(F.rst_stream(sid, F.STREAM_CLOSED))
                return
            if by_reset is None:  # never opened: closed implicitly by a higher stream
                raise _ConnectionError(F.PROTOCOL_ERROR, K.H2_STREAM_ID_TOO_LOW)
            raise _ConnectionError(F.STREAM_CLOSED, K.H2_STREAM_CLOSED)
        if sid % 2 == 0:
            raise _ConnectionError(F.PROTOCOL_ERROR, K.H2_PROTOCOL)
        self._highest = sid  # the stream exists from here on, malformed or not
        if self_dependent:
            raise _ConnectionError(F.PROTOCOL_ERROR, K.H2_PROTOCOL)
        if known is not None:
            request, length = known[1].like(now), known[2]
        else:
            if request_problem(headers) is not None:
                raise _ConnectionError(F.PROTOCOL_ERROR, K.H2_PROTOCOL)
            request, length = request_from_headers(headers, now, _content_length)
            if decoder.version == version and len(block) <= KNOWN_BLOCK_MAX:
                if len(self._known) >= KNOWN_BLOCKS:
                    self._known.clear()
                self._known[bytes(block)] = (version, request.like(0.0), length)
        stream = _Stream(
            HALF_CLOSED_REMOTE if end_stream else OPEN, request, now, self._peer_initial
        )
        stream.recv_window = self._stream_window
        stream.length = stream.expected = length
        if request.method == b"HEAD":
            stream.head = True
            stream.expected = 0  # as h2: no body on a HEAD request
        self._streams[sid] = stream
        # From here on, what H2Engine does with h2's RequestReceived.
        if self._refuses_after_drain(sid):
            PROTOCOL_ERRORS.inc(K.H2_REFUSED_AFTER_GOAWAY)
            self._reset(sid, stream, F.REFUSED_STREAM)
            return
        if self._live >= limits.max_concurrent_streams:
            PROTOCOL_ERRORS.inc(K.H2_REFUSED_STREAM)
            self._reset(sid, stream, F.REFUSED_STREAM)
            return
        stream.live = True
        self._live += 1
        STREAMS_OPEN.value += 1
        if length > limits.max_body_size:
            self._reject_too_large(sid, stream)
        if end_stream:
            self._deliver(sid, stream, ready)

    def _trailers(
        self, sid: int, stream: _Stream, headers: list[tuple[bytes, bytes]], end_stream: bool,
        ready: list[tuple[int, Request]],
    ) -> None:  # fmt: skip
        if stream.state == HALF_CLOSED_REMOTE:
            self._reset_on_error(sid, stream, F.STREAM_CLOSED)
            return
        if not end_stream or trailer_problem(headers) is not None:
            raise _ConnectionError(F.PROTOCOL_ERROR, K.H2_PROTOCOL)
        # h2 takes the trailers' content-length (usually none) as the expected length.
        length = -1
        for name, value in headers:
            if name == b"content-length":
                length = _content_length(value, length)
        stream.expected = length
        self._remote_end(sid, stream, ready)

    def _window_update(self, buf: bytes, start: int, length: int, sid: int) -> None:
        if length != 4:
            raise _ConnectionError(F.FRAME_SIZE_ERROR, K.H2_FRAME_DATA_MISSING)
        word = _U32(buf, start)[0]
        increment = word & 0x7FFFFFFF
        if word != increment:
            # RFC 9113 6.9: the reserved bit MUST be ignored (hyperframe counts it in the
            # increment, so h2 answers PROTOCOL_ERROR: a permitted difference). Counted.
            PROTOCOL_ERRORS.inc(K.WINDOW_UPDATE_RESERVED_BIT)
        if increment == 0:
            raise _ConnectionError(F.PROTOCOL_ERROR, K.H2_PROTOCOL)
        if sid == 0:
            self._send_window += increment
            if self._send_window > F.MAX_WINDOW:
                raise _ConnectionError(F.FLOW_CONTROL_ERROR, K.H2_FLOW_CONTROL)
            self._pump_all()
            return
        stream = self._streams.get(sid)
        if stream is None:
            if sid > self._highest:
                raise _ConnectionError(F.PROTOCOL_ERROR, K.H2_PROTOCOL)
            return
        stream.send_window += increment
        if stream.send_window > F.MAX_WINDOW:
            self._reset_on_error(sid, stream, F.FLOW_CONTROL_ERROR)
            return
        if stream.body:
            self._pump(sid, stream)

    def _settings(self, buf: bytes, start: int, length: int, flags: int) -> None:
        if flags & F.ACK:
            if length:  # RFC 9113 6.5: FRAME_SIZE_ERROR (h2 says PROTOCOL_ERROR)
                raise _ConnectionError(F.FRAME_SIZE_ERROR, K.SETTINGS_ACK_PAYLOAD)
            self._settings_seen = True
            return
        if length % 6:
            raise _ConnectionError(F.FRAME_SIZE_ERROR, K.H2_FRAME_DATA_MISSING)
        changes: list[tuple[int, int]] = []
        for at in range(start, start + length, 6):
            key, value = _SETTING(buf, at)
            if key == F.SETTINGS_ENABLE_PUSH or key == F.SETTINGS_ENABLE_CONNECT_PROTOCOL:
                if value > 1:
                    raise _ConnectionError(F.PROTOCOL_ERROR, K.H2_INVALID_SETTINGS_VALUE)
            elif key == F.SETTINGS_INITIAL_WINDOW_SIZE:
                if value > F.MAX_WINDOW:
                    raise _ConnectionError(F.FLOW_CONTROL_ERROR, K.H2_INVALID_SETTINGS_VALUE)
            elif key == F.SETTINGS_MAX_FRAME_SIZE and not (
                F.DEFAULT_MAX_FRAME <= value <= F.MAX_FRAME_LIMIT
            ):
                raise _ConnectionError(F.PROTOCOL_ERROR, K.H2_INVALID_SETTINGS_VALUE)
            changes.append((key, value))
        self._settings_seen = True
        for key, value in changes:
            if key == F.SETTINGS_INITIAL_WINDOW_SIZE:
                delta = value - self._peer_initial
                self._peer_initial = value
                for stream in self._streams.values():
                    stream.send_window += delta
                    if stream.send_window > F.MAX_WINDOW:
                        raise _ConnectionError(F.FLOW_CONTROL_ERROR, K.H2_FLOW_CONTROL)
            elif key == F.SETTINGS_MAX_FRAME_SIZE:
                self._peer_max_frame = value
            elif key == F.SETTINGS_HEADER_TABLE_SIZE:
                self._table_update = True
        self._out.append(F.SETTINGS_ACK)
        self._pump_all()

    def _ping(self, buf: bytes, start: int, length: int, flags: int, now: float) -> None:
        if length != 8:
            raise _ConnectionError(F.FRAME_SIZE_ERROR, K.H2_FRAME_DATA_MISSING)
        opaque = buf[start : start + 8]
        if not flags & F.ACK:
            self._out.append(F.frame(F.PING, F.ACK, 0, opaque))
        else:
            self._ping_acked(opaque, now)

    def _rst_stream(self, buf: bytes, start: int, length: int, sid: int) -> None:
        if length != 4:
            raise _ConnectionError(F.FRAME_SIZE_ERROR, K.H2_FRAME_DATA_MISSING)
        stream = self._streams.get(sid)
        if stream is None:
            if sid > self._highest:
                raise _ConnectionError(F.PROTOCOL_ERROR, K.H2_PROTOCOL)
            return
        self._close(sid, stream, by_reset=True)
        PROTOCOL_ERRORS.inc(K.H2_CLIENT_RESET)
        self._maybe_finished()

    # -- stream life -----------------------------------------------------------------------------

    def _remote_end(self, sid: int, stream: _Stream, ready: list[tuple[int, Request]]) -> None:
        """The client's END_STREAM on an open or half-closed (local) stream."""
        if stream.state == HALF_CLOSED_LOCAL:
            self._close(sid, stream, by_reset=False)
            if stream.discarded >= 0:
                return
        else:
            stream.state = HALF_CLOSED_REMOTE
        if stream.discarded >= 0:
            stream.discarded = -1
            return
        self._deliver(sid, stream, ready)

    def _deliver(self, sid: int, stream: _Stream, ready: list[tuple[int, Request]]) -> None:
        if not stream.live or stream.rejected:
            return
        if stream.length >= 0 and stream.length != stream.size:
            # RFC 9113 8.1.1: malformed (content-length and no body), as H2Engine resets it.
            PROTOCOL_ERRORS.inc(K.H2_CONTENT_LENGTH)
            self._reset(sid, stream, F.PROTOCOL_ERROR)
            return
        chunks = stream.chunks
        if chunks:
            stream.request.body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
            stream.chunks = []
        ready.append((sid, stream.request))

    def _reject_too_large(self, sid: int, stream: _Stream) -> None:
        stream.rejected = True
        stream.chunks = []
        ERRORS.inc("body_too_large")
        HTTP_RESPONSES.inc(413)
        self.send_response(sid, error_response(413, "request body too large"))
        # As in H2Engine: read and drop the rest of the body (curl reports a reset as an error
        # instead of the 413), up to DISCARD_FACTOR times the cap.
        if sid in self._streams:
            stream.discarded = 0

    def _reset(self, sid: int, stream: _Stream, code: int) -> None:
        """Our RST_STREAM: the stream is closed and forgotten."""
        self._out.append(F.rst_stream(sid, code))
        self._close(sid, stream, by_reset=True)
        # H2Engine resets streams after h2 has read the whole batch, so h2 still counted this
        # one as open against its stream ceiling for the rest of the read.
        self._read_closes += 1
        self._maybe_finished()

    def _reset_on_error(self, sid: int, stream: _Stream, code: int) -> None:
        """A stream error the client caused (h2 reports it to H2Engine as a reset)."""
        self._reset(sid, stream, code)
        self._read_closes -= 1  # h2 closes these at once
        PROTOCOL_ERRORS.inc(K.H2_CLIENT_RESET)

    def _close(self, sid: int, stream: _Stream, *, by_reset: bool) -> None:
        stream.state = CLOSED
        stream.body = b""
        del self._streams[sid]
        closed = self._closed_by_reset
        closed[sid] = by_reset
        if len(closed) > CLOSED_MEMORY:
            del closed[next(iter(closed))]
        self._unlive(stream)

    def _unlive(self, stream: _Stream) -> None:
        if stream.live:
            stream.live = False
            self._live -= 1
            STREAMS_OPEN.value -= 1

    # -- output --------------------------------------------------------------------------------

    def send_response(self, stream_id: int, response: Response) -> None:
        """Queue the answer to a request this engine returned."""
        stream = self._streams.get(stream_id)
        if stream is None or stream.state == HALF_CLOSED_LOCAL:
            return  # the client reset the stream while we decided: nothing to send
        body = response.body
        key = (response.status, response.content_type, response.content_encoding,
               response.headers)  # fmt: skip
        block = self._blocks.get(key)
        if block is None:
            block = self._block_for(response)
        if response.status not in NO_CONTENT_LENGTH:
            digits = b"%d" % len(body)
            block = block + CONTENT_LENGTH_PREFIX + bytes((len(digits),)) + digits
        if self._table_update:
            self._table_update = False
            block = TABLE_SIZE_ZERO + block
        out = self._out
        flags = F.END_HEADERS
        done = not body or stream.head
        if done:
            flags |= F.END_STREAM
        size = len(block)
        if size <= self._peer_max_frame:
            out.append(F.head(size, F.HEADERS, flags, stream_id))
            out.append(block)
        else:
            self._split_block(stream_id, block, flags)
        if done:
            self._local_end(stream_id, stream)
            return
        # Copied now: the caller may reuse the body's buffer (the arena) once we return.
        stream.body = bytes(body)
        stream.sent = 0
        self._pump(stream_id, stream)

    def _block_for(self, response: Response) -> bytes:
        parts = [status_field(response.status)]
        parts += [literal(name, value) for name, value in response_fields(response, length=False)]
        block = b"".join(parts)
        if len(self._blocks) < 64:
            key = (response.status, response.content_type, response.content_encoding,
                   response.headers)  # fmt: skip
            self._blocks[key] = block
        return block

    def _split_block(self, stream_id: int, block: bytes, flags: int) -> None:
        limit = self._peer_max_frame
        pieces = [block[i : i + limit] for i in range(0, len(block), limit)]
        first = flags & ~F.END_HEADERS
        self._out.append(F.frame(F.HEADERS, first, stream_id, pieces[0]))
        for i, piece in enumerate(pieces[1:], 2):
            last = F.END_HEADERS if i == len(pieces) else 0
            self._out.append(F.frame(F.CONTINUATION, last, stream_id, piece))

    def _pump_all(self) -> None:
        for sid, stream in list(self._streams.items()):
            if stream.body:
                self._pump(sid, stream)

    def _pump(self, sid: int, stream: _Stream) -> None:
        """Send as much of a pending body as flow control allows."""
        body = stream.body
        sent = stream.sent
        total = len(body)
        out = self._out
        while sent < total:
            size = min(stream.send_window, self._send_window, self._peer_max_frame, total - sent)
            if size <= 0:
                stream.sent = sent
                return
            sent += size
            stream.send_window -= size
            self._send_window -= size
            out.append(F.head(size, F.DATA, F.END_STREAM if sent >= total else 0, sid))
            out.append(body[sent - size : sent] if size < total else body)  # type: ignore[arg-type]
        stream.body = b""
        self._local_end(sid, stream)

    def _local_end(self, sid: int, stream: _Stream) -> None:
        """Our END_STREAM went out."""
        if stream.state == HALF_CLOSED_REMOTE:
            self._close(sid, stream, by_reset=False)
            self._read_closes += 1  # (see _reset)
        else:
            stream.state = HALF_CLOSED_LOCAL
            self._unlive(stream)
        self._maybe_finished()

    def data_to_send(self) -> bytes:
        """Every byte queued for the client, in order. Write it all with one ``write``."""
        out = self._out
        if not out:
            return b""
        data = b"".join(out)
        out.clear()
        return data

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def open_streams(self) -> int:
        """Requests received and not yet fully answered."""
        return self._live

    def stream_state(self, stream_id: int) -> str:
        """The RFC 9113 state of a stream: idle, open, half_closed_remote, half_closed_local
        or closed (for tests, and the differential test against H2Engine)."""
        stream = self._streams.get(stream_id)
        if stream is not None:
            return STATE_NAMES[stream.state]
        return "closed" if stream_id <= self._highest else "idle"

    @property
    def _busy(self) -> bool:
        return self._live > 0

    def _expire_stalled(self, now: float) -> None:
        timeout = self.limits.body_timeout
        for sid, stream in list(self._streams.items()):
            if stream.live and not stream.body and now - stream.started > timeout:
                PROTOCOL_ERRORS.inc(K.H2_STREAM_TIMEOUT)
                self._reset(sid, stream, F.CANCEL)

    def _send_drain_ping(self) -> None:
        self._out.append(F.frame(F.PING, 0, 0, DRAIN_PING))

    def _goaway(self, code: int, last_stream_id: int) -> None:
        self._out.append(F.goaway(last_stream_id, code))

    def _terminate(self, code: int, reason: K) -> None:
        PROTOCOL_ERRORS.inc(reason)
        self._goaway(code, self._highest)
        self.closed = True
        self.close_reason = reason


def _content_length(value: bytes, previous: int) -> int:
    # As h2: digits only, and several content-length fields must agree.
    if not value.isdigit():
        raise _ConnectionError(F.PROTOCOL_ERROR, K.H2_PROTOCOL)
    length = int(value)
    if previous >= 0 and length != previous:
        raise _ConnectionError(F.PROTOCOL_ERROR, K.H2_PROTOCOL)
    return length


__all__ = ["RawH2Engine"]
