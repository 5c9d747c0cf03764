"""The raw engine's header blocks: HPACK-decoded (or recognised), validated, and turned into a
new stream's :class:`~transport.events.Request`, or into its trailers.

What happens to a stream from here is :meth:`H2Engine._on_headers` in the reference engine:
refused after the final GOAWAY or past the stream limit, answered 413 when its content-length
is over the body cap, delivered when the header block ends the stream.
"""

from __future__ import annotations

from typing import Final

from .. import h2_wire as F
from ..cost import HEADER_FREE
from ..events import Request
from ..header_rules import request_from_headers, request_problem, trailer_problem
from ..hpack_codec import Decoder, HeaderListTooLarge, HpackError
from ..limits import Limits
from ..metrics import PROTOCOL_ERRORS, STREAMS_OPEN
from ..metrics import ProtocolErrorKind as K
from .flow import FlowControl
from .stream import (
    CONNECTION_ERRORS,
    OPEN,
    RECV_END_STREAM,
    RECV_HEADERS,
    STEP,
    STREAM_ERROR,
    H2ConnectionError,
    Stream,
)

#: Request header blocks remembered per connection (see ``_known``), and the largest kept.
KNOWN_BLOCKS: Final = 16
KNOWN_BLOCK_MAX: Final = 512
#: Where a stream opened by a header block with END_STREAM is: (OPEN, RECV_END_STREAM)'s next.
_OPEN_THEN_END: Final = STEP[OPEN | RECV_END_STREAM][0]


class Requests(FlowControl):
    """Header blocks in (a layer of the raw engine)."""

    def __init__(self, limits: Limits, now: float) -> None:
        super().__init__(limits, now)
        self._decoder = Decoder(limits.max_header_list_size)
        # Header blocks already decoded and validated: block bytes -> (decoder table version,
        # the request they make, content-length, decoded size). Decoding is a pure function of
        # the block and the dynamic table, so an entry holds while the table's version is the
        # one stored, and only blocks that did not change the table are kept. Clients that
        # repeat their header fields (nghttp2 indexes them all) then send the same few bytes
        # every request.
        self._known: dict[bytes, tuple[int, Request, int, int]] = {}
        # h2's hard limit on streams held, reached only by a client far past the advertised one.
        self._stream_ceiling = limits.max_concurrent_streams + max(
            limits.max_concurrent_streams, 100
        )

    def _decode(self, block: bytes) -> list[tuple[bytes, bytes]]:
        try:
            return self._decoder.decode(block)
        except HeaderListTooLarge:
            raise H2ConnectionError(F.ENHANCE_YOUR_CALM, K.H2_HEADER_LIST_TOO_LARGE) from None
        except HpackError:
            raise H2ConnectionError(F.COMPRESSION_ERROR, K.HPACK_ERROR) from None

    def _header_block(
        self, sid: int, block: bytes, end_stream: bool, now: float,
        ready: list[tuple[int, Request]], self_dependent: bool = False,
    ) -> None:  # fmt: skip
        stream = self._streams.get(sid)
        if stream is not None:
            trailers = self._decode(block)
            if self_dependent:
                raise H2ConnectionError(F.PROTOCOL_ERROR, K.H2_PROTOCOL)
            self._trailers(sid, stream, trailers, end_stream, ready)
            return
        limits = self.limits
        streams = self._streams
        if len(streams) + self._read_closes >= self._stream_ceiling:
            raise H2ConnectionError(F.PROTOCOL_ERROR, K.H2_TOO_MANY_STREAMS)
        decoder = self._decoder
        version = decoder.version
        known = self._known.get(block)
        if known is not None and known[0] != version:
            known = None
        if known is None:
            headers = self._decode(block)  # always: the HPACK context is the connection's
        if sid <= self._highest:
            # Not idle: closed, and how it closed says what HEADERS there draw.
            effect = self._effect_gone(sid, RECV_HEADERS)
            if effect == STREAM_ERROR:
                self._send_rst(sid, F.STREAM_CLOSED)
                return
            raise H2ConnectionError(*CONNECTION_ERRORS[effect])
        if sid % 2 == 0:
            raise H2ConnectionError(F.PROTOCOL_ERROR, K.H2_PROTOCOL)
        self._highest = sid  # the stream exists from here on, malformed or not
        if self_dependent:
            raise H2ConnectionError(F.PROTOCOL_ERROR, K.H2_PROTOCOL)
        if known is not None:
            _, request, length, size = known
            request = request.like(now)
        else:
            if request_problem(headers) is not None:
                raise H2ConnectionError(F.PROTOCOL_ERROR, K.H2_PROTOCOL)
            request, length = request_from_headers(headers, now, _content_length)
            size = decoder.size
            if decoder.version == version and len(block) <= KNOWN_BLOCK_MAX:
                if len(self._known) >= KNOWN_BLOCKS:
                    self._known.clear()
                self._known[bytes(block)] = (version, request.like(0.0), length, size)
        if size > HEADER_FREE:
            self._charge_header_list(size)
        if request.content_encoding is not None:
            self._charge_encoded()
        # (IDLE, RECV_HEADERS) -> OPEN: a Stream starts open.
        stream = Stream(request, now, length, self._peer_initial, self._stream_window)
        if end_stream:
            stream.state = _OPEN_THEN_END
        if request.method == b"HEAD":
            stream.head = True
            stream.expected = 0  # as h2: no body on a HEAD request
        streams[sid] = stream
        # From here on, what H2Engine does with h2's RequestReceived.
        if self.drain_state is not None and self._refuses_after_drain(sid):
            PROTOCOL_ERRORS.inc(K.H2_REFUSED_AFTER_GOAWAY)
            self._reset_stream(sid, stream, F.REFUSED_STREAM)
            return
        if len(streams) > limits.max_concurrent_streams:
            # Every stream held counts until both sides are done: half-closed (local) ones
            # too (a 413 sent while the body has not ended), or they could pile up unbounded.
            PROTOCOL_ERRORS.inc(K.H2_REFUSED_STREAM)
            self._reset_stream(sid, stream, F.REFUSED_STREAM)
            return
        stream.live = True
        self._live += 1
        STREAMS_OPEN.value += 1
        if length > limits.max_body_size:
            self._reject_too_large(sid, stream)
        if end_stream and stream.live and not stream.rejected:
            self._complete(sid, stream, ready)

    def _trailers(
        self, sid: int, stream: Stream, headers: list[tuple[bytes, bytes]], end_stream: bool,
        ready: list[tuple[int, Request]],
    ) -> None:  # fmt: skip
        if STEP[stream.state | RECV_HEADERS][1] == STREAM_ERROR:
            self._reset_on_error(sid, stream, F.STREAM_CLOSED)
            return
        if not end_stream or trailer_problem(headers) is not None:
            raise H2ConnectionError(F.PROTOCOL_ERROR, K.H2_PROTOCOL)
        size = self._decoder.size
        if size > HEADER_FREE:
            self._charge_header_list(size)
        # h2 takes the trailers' content-length (usually none) as the expected length.
        length = -1
        for name, value in headers:
            if name == b"content-length":
                length = _content_length(value, length)
        stream.expected = length
        stream.request.trailers = tuple(headers)
        self._remote_end(sid, stream, ready)


def _content_length(value: bytes, previous: int) -> int:
    # As h2: digits only, and several content-length fields must agree.
    if not value.isdigit():
        raise H2ConnectionError(F.PROTOCOL_ERROR, K.H2_PROTOCOL)
    length = int(value)
    if previous >= 0 and length != previous:
        raise H2ConnectionError(F.PROTOCOL_ERROR, K.H2_PROTOCOL)
    return length


__all__ = ["KNOWN_BLOCKS", "KNOWN_BLOCK_MAX", "Requests"]
