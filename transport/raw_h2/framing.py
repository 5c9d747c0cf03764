"""The raw engine's framing: the preface, then frames read straight off the receive buffer.

One ``struct.unpack_from`` per frame header, no frame objects: what the header alone says is
wrong is refused before the payload has arrived, a frame is handled once all of it has, and a
partial frame waits in the buffer for the next read. Each frame type is checked as hyperframe
reads it (padding, priority fields, sizes), so odd frames fail as they do on the h2 engine.
"""

from __future__ import annotations

from typing import Final

from .. import h2_wire as F
from ..events import Request
from ..limits import Limits
from ..metrics import PROTOCOL_ERRORS
from ..metrics import ProtocolErrorKind as K
from .requests import Requests
from .stream import RECV_RST_STREAM, STEP, H2ConnectionError

#: h2 refuses a header block split over more frames than this (the guard's limit comes first).
CONTINUATION_BACKLOG: Final = 64

_HEAD = F.HEAD.unpack_from
_U32 = F.U32.unpack_from
_SETTING = F.SETTING.unpack_from
# Read once a frame: module constants, not attributes of F.
_DATA: Final = F.DATA
_HEADERS: Final = F.HEADERS
_ON_CONNECTION: Final = F.ON_CONNECTION
_MAX_FRAME: Final = F.DEFAULT_MAX_FRAME
_PADDED: Final = F.PADDED
_PRIORITY_FLAG: Final = F.PRIORITY_FLAG
_END_HEADERS: Final = F.END_HEADERS
_END_STREAM: Final = F.END_STREAM


class Reader(Requests):
    """Bytes in (the top layer of the raw engine's input)."""

    def __init__(self, limits: Limits, now: float) -> None:
        super().__init__(limits, now)
        self._buffer = b""
        self._preface = len(F.PREFACE)  # preface bytes still to check
        self._settings_seen = False
        # Header block in progress: stream, fragments, END_STREAM, frames so far.
        self._block_sid = 0
        self._block: list[bytes] = []
        self._block_end = False
        self._block_self_dependent = False
        self._block_frames = 0

    def receive_data(self, data: bytes, now: float) -> list[tuple[int, Request]]:
        """Process bytes from the client; the requests that are now complete."""
        if not self._admit(data, now):
            return []
        if self._preface:
            data = self._check_preface(data)
            if self.closed or not data:
                return []
        ready: list[tuple[int, Request]] = []
        self._read_closes = 0
        highest = self._highest
        try:
            self._frames(self._buffer + data if self._buffer else data, now, ready)
        except H2ConnectionError as exc:
            self._goaway(exc.code, self._highest)
            self._fail(exc.label)
            return []
        return self._after_read(now, highest, ready)

    def _check_preface(self, data: bytes) -> bytes:
        take = min(self._preface, len(data))
        start = len(F.PREFACE) - self._preface
        if data[:take] != F.PREFACE[start : start + take]:
            # Not HTTP/2: close without GOAWAY (RFC 9113 3.4), as h2 does.
            self._fail(K.H2_PROTOCOL)
            return b""
        self._preface -= take
        return data[take:]

    def _frames(self, buf: bytes, now: float, ready: list[tuple[int, Request]]) -> None:
        pos = 0
        end = len(buf)
        cost = self._cost
        while end - pos >= 9:
            # What the frames so far made us do (resets, header lists) spent the budget, or
            # drew too many stream errors: the rest of the read is not parsed. (The h2 engine,
            # which cannot stop h2 mid-read, gives the verdict after each 4 KB piece.)
            if self._errors_over:
                raise H2ConnectionError(F.ENHANCE_YOUR_CALM, K.STREAM_ERRORS)
            if cost.tokens < 0.0 and cost.over(now):
                raise H2ConnectionError(F.ENHANCE_YOUR_CALM, K.COST_EXCEEDED)
            high, low, kind, flags, sid = _HEAD(buf, pos)
            length = (high << 16) | low
            sid &= 0x7FFFFFFF
            # What the header alone says is wrong, before waiting for the payload.
            if sid == 0:
                if kind in F.ON_STREAM:
                    raise H2ConnectionError(F.PROTOCOL_ERROR, K.H2_PROTOCOL)
            elif kind in _ON_CONNECTION:
                raise H2ConnectionError(F.PROTOCOL_ERROR, K.H2_PROTOCOL)
            if length > _MAX_FRAME:
                raise H2ConnectionError(F.FRAME_SIZE_ERROR, K.H2_FRAME_TOO_LARGE)
            start = pos + 9
            stop = start + length
            if stop > end:
                break
            pos = stop
            if not self._settings_seen and (kind != F.SETTINGS or flags & F.ACK):
                # RFC 9113 3.4: the client preface ends with a SETTINGS frame (h2 does not
                # check).
                raise H2ConnectionError(F.PROTOCOL_ERROR, K.PREFACE_WITHOUT_SETTINGS)
            if self._block_sid:
                self._continuation(buf, start, stop, kind, flags, sid, now, ready)
            elif kind == _DATA:
                self._data(buf, start, stop, flags, sid, ready)
            elif kind == _HEADERS:
                self._headers(buf, start, stop, flags, sid, now, ready)
            elif kind == F.WINDOW_UPDATE:
                self._window_update(buf, start, length, sid)
            elif kind == F.SETTINGS:
                self._settings(buf, start, length, flags)
            elif kind == F.PING:
                self._ping(buf, start, length, flags, now)
            elif kind == F.RST_STREAM:
                self._rst_stream(length, sid)
            elif kind == F.PRIORITY:
                if length != 5:
                    raise H2ConnectionError(F.FRAME_SIZE_ERROR, K.H2_FRAME_DATA_MISSING)
                if _U32(buf, start)[0] & 0x7FFFFFFF == sid:
                    raise H2ConnectionError(F.PROTOCOL_ERROR, K.H2_PROTOCOL)
            elif kind == F.GOAWAY:
                if length < 8:
                    raise H2ConnectionError(F.FRAME_SIZE_ERROR, K.H2_FRAME_DATA_MISSING)
                self.closed = True  # the client is done; h2's ConnectionTerminated
                self._buffer = b""
                return
            elif kind == F.PUSH_PROMISE:
                # Clients may not push; one too short for its promised stream id is malformed
                # first (as hyperframe reads it).
                if length < (5 if flags & F.PADDED else 4):
                    raise H2ConnectionError(F.FRAME_SIZE_ERROR, K.H2_FRAME_DATA_MISSING)
                raise H2ConnectionError(F.PROTOCOL_ERROR, K.PUSH_PROMISE)  # RFC 9113 8.4
            elif kind == F.CONTINUATION:
                # RFC 9113 6.10: no header block is open.
                raise H2ConnectionError(F.PROTOCOL_ERROR, K.CONTINUATION_WITHOUT_HEADERS)
            elif kind == F.ALTSVC and (
                length < 2 or 2 + ((buf[start] << 8) | buf[start + 1]) > length
            ):
                # Not used here, but h2 parses it (RFC 7838): one too short for its origin is
                # malformed (RFC 9113 4.2).
                raise H2ConnectionError(F.FRAME_SIZE_ERROR, K.H2_FRAME_DATA_MISSING)
            # Other frame types are ignored (RFC 9113 5.5).
        self._buffer = buf[pos:] if pos < end else b""

    def _headers(
        self, buf: bytes, start: int, stop: int, flags: int, sid: int, now: float,
        ready: list[tuple[int, Request]],
    ) -> None:  # fmt: skip
        # Padding and priority are read as hyperframe reads them, so odd frames fail alike.
        pad = 0
        if flags & _PADDED:
            if stop == start:
                raise H2ConnectionError(F.FRAME_SIZE_ERROR, K.H2_FRAME_DATA_MISSING)
            pad = buf[start]
            start += 1
        self_dependent = False
        if flags & _PRIORITY_FLAG:
            if stop - start < 5:
                raise H2ConnectionError(F.FRAME_SIZE_ERROR, K.H2_FRAME_DATA_MISSING)
            self_dependent = _U32(buf, start)[0] & 0x7FFFFFFF == sid
            start += 5
        if pad and pad >= stop - start + (5 if flags & _PRIORITY_FLAG else 0):
            raise H2ConnectionError(F.PROTOCOL_ERROR, K.H2_PROTOCOL)
        stop -= pad
        fragment = buf[start:stop] if stop > start else b""
        end_stream = bool(flags & _END_STREAM)
        if flags & _END_HEADERS:
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
            raise H2ConnectionError(F.PROTOCOL_ERROR, K.HEADER_BLOCK_INTERRUPTED)
        self._block.append(buf[start:stop])
        self._block_frames += 1
        if self._block_frames > CONTINUATION_BACKLOG:
            raise H2ConnectionError(F.PROTOCOL_ERROR, K.H2_PROTOCOL)
        if flags & F.END_HEADERS:
            block = b"".join(self._block)
            self._block_sid = 0
            self._block = []
            end_stream, self_dependent = self._block_end, self._block_self_dependent
            self._header_block(sid, block, end_stream, now, ready, self_dependent)

    def _settings(self, buf: bytes, start: int, length: int, flags: int) -> None:
        if flags & F.ACK:
            if length:  # RFC 9113 6.5: FRAME_SIZE_ERROR (h2 says PROTOCOL_ERROR)
                raise H2ConnectionError(F.FRAME_SIZE_ERROR, K.SETTINGS_ACK_PAYLOAD)
            self._settings_seen = True
            return
        if length % 6:
            raise H2ConnectionError(F.FRAME_SIZE_ERROR, K.H2_FRAME_DATA_MISSING)
        changes: list[tuple[int, int]] = []
        for at in range(start, start + length, 6):
            key, value = _SETTING(buf, at)
            if key == F.SETTINGS_ENABLE_PUSH or key == F.SETTINGS_ENABLE_CONNECT_PROTOCOL:
                if value > 1:
                    raise H2ConnectionError(F.PROTOCOL_ERROR, K.H2_INVALID_SETTINGS_VALUE)
            elif key == F.SETTINGS_INITIAL_WINDOW_SIZE:
                if value > F.MAX_WINDOW:
                    raise H2ConnectionError(F.FLOW_CONTROL_ERROR, K.H2_INVALID_SETTINGS_VALUE)
            elif key == F.SETTINGS_MAX_FRAME_SIZE and not (
                F.DEFAULT_MAX_FRAME <= value <= F.MAX_FRAME_LIMIT
            ):
                raise H2ConnectionError(F.PROTOCOL_ERROR, K.H2_INVALID_SETTINGS_VALUE)
            changes.append((key, value))
        self._settings_seen = True
        self._apply_settings(changes)

    def _ping(self, buf: bytes, start: int, length: int, flags: int, now: float) -> None:
        if length != 8:
            raise H2ConnectionError(F.FRAME_SIZE_ERROR, K.H2_FRAME_DATA_MISSING)
        opaque = buf[start : start + 8]
        if not flags & F.ACK:
            self._out.append(F.frame(F.PING, F.ACK, 0, opaque))
        else:
            self._ping_acked(opaque, now)

    def _rst_stream(self, length: int, sid: int) -> None:
        if length != 4:
            raise H2ConnectionError(F.FRAME_SIZE_ERROR, K.H2_FRAME_DATA_MISSING)
        stream = self._streams.get(sid)
        if stream is None:
            self._effect_gone(sid, RECV_RST_STREAM)  # closed: ignored; idle: an error
            return
        self._close(sid, stream, STEP[stream.state | RECV_RST_STREAM][0])
        PROTOCOL_ERRORS.inc(K.H2_CLIENT_RESET)
        self._maybe_finished()


__all__ = ["CONTINUATION_BACKLOG", "Reader"]
