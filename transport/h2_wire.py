"""The HTTP/2 wire, written once: the connection preface, frame types and flags, error codes,
setting ids, window and frame-size limits (RFC 9113 3.4, 4, 6, 7), and writers for the few
frames a server writes.

Every HTTP/2 module of the transport takes its numbers from here: the flood guard, the
lifecycle, both engines and the connection's protocol sniffing. Reading is done in
:mod:`transport.raw_h2.framing` straight off the receive buffer (one ``struct.unpack_from`` per
frame header, no frame objects).
"""

from __future__ import annotations

import struct
from typing import Final

#: The client connection preface (RFC 9113 3.4), followed by a SETTINGS frame.
PREFACE: Final = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY = range(8)
WINDOW_UPDATE, CONTINUATION, ALTSVC = 8, 9, 0xA
END_STREAM, ACK, END_HEADERS, PADDED, PRIORITY_FLAG = 0x1, 0x1, 0x4, 0x8, 0x20

NO_ERROR, PROTOCOL_ERROR, INTERNAL_ERROR, FLOW_CONTROL_ERROR = 0x0, 0x1, 0x2, 0x3
SETTINGS_TIMEOUT, STREAM_CLOSED, FRAME_SIZE_ERROR, REFUSED_STREAM = 0x4, 0x5, 0x6, 0x7
CANCEL, COMPRESSION_ERROR, ENHANCE_YOUR_CALM = 0x8, 0x9, 0xB

SETTINGS_HEADER_TABLE_SIZE, SETTINGS_ENABLE_PUSH, SETTINGS_MAX_CONCURRENT_STREAMS = 1, 2, 3
SETTINGS_INITIAL_WINDOW_SIZE, SETTINGS_MAX_FRAME_SIZE, SETTINGS_MAX_HEADER_LIST_SIZE = 4, 5, 6
SETTINGS_ENABLE_CONNECT_PROTOCOL = 8

#: The largest stream id, and the last-stream-id of a GOAWAY that refuses nothing yet.
MAX_STREAM_ID: Final = 2**31 - 1
MAX_WINDOW: Final = 2**31 - 1
DEFAULT_WINDOW: Final = 65535
DEFAULT_MAX_FRAME: Final = 16384
MAX_FRAME_LIMIT: Final = 2**24 - 1

#: length (24 bits, as a byte and a short), type, flags, stream id (with the reserved bit).
HEAD: Final = struct.Struct(">BHBBL")
_U32: Final = struct.Struct(">L")
_SETTING: Final = struct.Struct(">HL")

#: Frame types that must name a stream, and those that must not (a PROTOCOL_ERROR otherwise,
#: detected from the frame header alone).
ON_STREAM: Final = frozenset({DATA, HEADERS, PRIORITY, RST_STREAM, PUSH_PROMISE, CONTINUATION})
ON_CONNECTION: Final = frozenset({SETTINGS, PING, GOAWAY})


def frame(frame_type: int, flags: int, stream_id: int, payload: bytes = b"") -> bytes:
    """One frame (the payload must fit the peer's SETTINGS_MAX_FRAME_SIZE)."""
    size = len(payload)
    return HEAD.pack(size >> 16, size & 0xFFFF, frame_type, flags, stream_id) + payload


def head(size: int, frame_type: int, flags: int, stream_id: int) -> bytes:
    """A frame header alone, for a payload written separately."""
    return HEAD.pack(size >> 16, size & 0xFFFF, frame_type, flags, stream_id)


def settings(values: dict[int, int]) -> bytes:
    """A SETTINGS frame."""
    return frame(SETTINGS, 0, 0, b"".join(_SETTING.pack(k, v) for k, v in values.items()))


def window_update(stream_id: int, increment: int) -> bytes:
    """A WINDOW_UPDATE frame."""
    return frame(WINDOW_UPDATE, 0, stream_id, _U32.pack(increment))


def rst_stream(stream_id: int, code: int) -> bytes:
    """A RST_STREAM frame."""
    return frame(RST_STREAM, 0, stream_id, _U32.pack(code))


def goaway(last_stream_id: int, code: int) -> bytes:
    """A GOAWAY frame without debug data."""
    return frame(GOAWAY, 0, 0, _U32.pack(last_stream_id) + _U32.pack(code))


SETTINGS_ACK: Final = frame(SETTINGS, ACK, 0)
U32: Final = _U32
SETTING: Final = _SETTING

__all__ = [
    "HEAD",
    "MAX_STREAM_ID",
    "PREFACE",
    "ON_CONNECTION",
    "ON_STREAM",
    "SETTING",
    "SETTINGS_ACK",
    "U32",
    "frame",
    "goaway",
    "head",
    "rst_stream",
    "settings",
    "window_update",
]
