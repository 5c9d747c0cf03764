"""The raw engine's flow control (RFC 9113 5.2, 6.9): DATA charged to our receive windows
(replenished by WINDOW_UPDATE once half is used), the client's WINDOW_UPDATEs and its
SETTINGS_INITIAL_WINDOW_SIZE and SETTINGS_MAX_FRAME_SIZE, which open and size our DATA.

Our windows are the limits' ``connection_window`` and ``stream_window``; the client's are
its SETTINGS and WINDOW_UPDATEs, read by :meth:`Writer._pump`.
"""

from __future__ import annotations

from typing import Final

from .. import h2_wire as F
from ..events import Request
from ..limits import Limits
from ..metrics import PROTOCOL_ERRORS
from ..metrics import ProtocolErrorKind as K
from .stream import (
    OPEN,
    RECV_DATA,
    RECV_END_STREAM,
    RECV_WINDOW_UPDATE,
    STEP,
    STREAM_ERROR,
    H2ConnectionError,
)
from .writer import Writer

_U32 = F.U32.unpack_from
_PADDED: Final = F.PADDED
_END_STREAM: Final = F.END_STREAM
#: Where the client's END_STREAM takes an open stream.
_HALF_CLOSED: Final = STEP[OPEN | RECV_END_STREAM][0]


class FlowControl(Writer):
    """Windows in and out (a layer of the raw engine)."""

    def __init__(self, limits: Limits, now: float) -> None:
        super().__init__(limits, now)
        self._stream_window = limits.stream_window
        self._recv_window = limits.connection_window
        # Below these, our windows are replenished (WINDOW_UPDATE once half is used).
        self._connection_low = limits.connection_window // 2
        self._stream_low = limits.stream_window // 2
        self._max_body = limits.max_body_size

    def _data(
        self, buf: bytes, start: int, stop: int, flags: int, sid: int,
        ready: list[tuple[int, Request]],
    ) -> None:  # fmt: skip
        """A DATA frame: charged to the windows, then the request's body."""
        flow = stop - start
        if flags & _PADDED:
            if flow == 0:
                raise H2ConnectionError(F.FRAME_SIZE_ERROR, K.H2_FRAME_DATA_MISSING)
            pad = buf[start]
            if pad and pad >= flow:
                raise H2ConnectionError(F.PROTOCOL_ERROR, K.H2_PROTOCOL)
            start += 1
            stop -= pad
        window = self._recv_window - flow
        if window < self._connection_low:
            if window < 0:
                raise H2ConnectionError(F.FLOW_CONTROL_ERROR, K.H2_FLOW_CONTROL)
            self._out.append(F.window_update(0, self.limits.connection_window - window))
            window = self.limits.connection_window
        self._recv_window = window
        stream = self._streams.get(sid)
        if stream is None:
            # Even ids are the server's, and it never opens one (no push): always idle, so
            # DATA there is a connection error like DATA past the highest id (RFC 9113 5.1).
            if not sid & 1:
                raise H2ConnectionError(F.PROTOCOL_ERROR, K.H2_PROTOCOL)
            if self._effect_gone(sid, RECV_DATA) == STREAM_ERROR:
                self._send_rst(sid, F.STREAM_CLOSED)
            return
        if STEP[stream.state | RECV_DATA][1] == STREAM_ERROR:
            self._reset_on_error(sid, stream, F.STREAM_CLOSED)
            return
        stream.recv_window -= flow
        if stream.recv_window < 0:
            raise H2ConnectionError(F.FLOW_CONTROL_ERROR, K.H2_FLOW_CONTROL)
        size = stop - start
        end_stream = flags & _END_STREAM
        if stream.expected >= 0:
            stream.received += size
            expected = stream.expected
            if stream.received > expected or (end_stream and stream.received != expected):
                raise H2ConnectionError(F.PROTOCOL_ERROR, K.H2_INVALID_BODY_LENGTH)
        if not end_stream and stream.recv_window < self._stream_low:
            self._out.append(F.window_update(sid, self._stream_window - stream.recv_window))
            stream.recv_window = self._stream_window
        if (
            end_stream
            and stream.state == OPEN
            and not stream.chunks
            and stream.discarded < 0
            and stream.live
            and not stream.rejected
            and size <= self._max_body
            and (stream.length < 0 or stream.length == size)
        ):
            # The usual request: its whole body in one frame that ends the stream. What
            # _take_body, _remote_end and _complete do with it, in one step without their calls
            # (nothing kept yet, so the body is this frame's, and no check of theirs can fail).
            stream.state = _HALF_CLOSED
            if size:
                stream.size = size
                stream.request.body = buf[start:stop]
            if self._can_answer(sid, stream):
                ready.append((sid, stream.request))
            else:
                self._held[sid] = stream
            return
        if stream.discarded >= 0:
            stream.discarded += flow
            if self._past_discard_cap(stream.discarded):
                stream.discarded = -1
                self._reset_stream(sid, stream, F.CANCEL)
                return
        elif stream.live and not stream.rejected and size:
            self._take_body(sid, stream, buf[start:stop])
        if end_stream:
            self._remote_end(sid, stream, ready)

    def _window_update(self, buf: bytes, start: int, length: int, sid: int) -> None:
        if length != 4:
            raise H2ConnectionError(F.FRAME_SIZE_ERROR, K.H2_FRAME_DATA_MISSING)
        word = _U32(buf, start)[0]
        increment = word & 0x7FFFFFFF
        if word != increment:
            # RFC 9113 6.9: the reserved bit MUST be ignored (hyperframe counts it in the
            # increment, so h2 answers PROTOCOL_ERROR: a permitted difference). Counted.
            PROTOCOL_ERRORS.inc(K.WINDOW_UPDATE_RESERVED_BIT)
        if increment == 0:
            raise H2ConnectionError(F.PROTOCOL_ERROR, K.H2_PROTOCOL)
        if sid == 0:
            self._send_window += increment
            if self._send_window > F.MAX_WINDOW:
                raise H2ConnectionError(F.FLOW_CONTROL_ERROR, K.H2_FLOW_CONTROL)
            self._pump_all()
            return
        stream = self._streams.get(sid)
        if stream is None:
            self._effect_gone(sid, RECV_WINDOW_UPDATE)  # closed: ignored; idle: an error
            return
        stream.send_window += increment
        if stream.send_window > F.MAX_WINDOW:
            self._reset_on_error(sid, stream, F.FLOW_CONTROL_ERROR)
            return
        if stream.body:
            self._pump(sid, stream)

    def _apply_settings(self, changes: list[tuple[int, int]]) -> None:
        """The client's validated SETTINGS; acknowledged, then our DATA resumes.

        A frame's INITIAL_WINDOW_SIZE entries change every stream's window, but only the last
        one's value matters (the windows move by its difference from the value before the
        frame, as h2 applies it): the streams are walked once per frame, never once per entry,
        so a frame packed with window changes costs what one does.
        """
        initial = -1
        for key, value in changes:
            if key == F.SETTINGS_INITIAL_WINDOW_SIZE:
                initial = value
            elif key == F.SETTINGS_MAX_FRAME_SIZE:
                self._peer_max_frame = value
            elif key == F.SETTINGS_HEADER_TABLE_SIZE:
                self._table_update = True
        if initial >= 0 and initial != self._peer_initial:
            delta = initial - self._peer_initial
            self._peer_initial = initial
            for stream in self._streams.values():
                stream.send_window += delta
                if stream.send_window > F.MAX_WINDOW:
                    raise H2ConnectionError(F.FLOW_CONTROL_ERROR, K.H2_FLOW_CONTROL)
        self._out.append(F.SETTINGS_ACK)
        self._pump_all()


__all__ = ["FlowControl"]
