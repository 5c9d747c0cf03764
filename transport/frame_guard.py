"""A pre-parser that watches HTTP/2 frame headers for flood attacks, before h2 sees the bytes.

h2 implements the protocol; it does not rate-limit. This guard reads only the 9-byte frame
headers (no payload parsing) and counts what floods are made of: RST_STREAM (Rapid Reset,
CVE-2023-44487), CONTINUATION (CONTINUATION flood), SETTINGS (frames, and entries in one frame)
and PING. It also charges every frame to the connection's cost ledger (:mod:`transport.cost`)
before the engine parses it, so a read full of junk stops at the frame that empties the budget.
A broken limit returns a reason, and the engine answers GOAWAY(ENHANCE_YOUR_CALM).

It also catches the one protocol violation h2 lets through: DATA, RST_STREAM or WINDOW_UPDATE
on an idle stream once other streams are open (RFC 9113 5.1 makes it a connection error; h2
only raises it while no stream has been opened). Those verdicts, in :data:`VIOLATIONS`, are
answered GOAWAY(PROTOCOL_ERROR).
"""

from __future__ import annotations

from typing import Final

from .cost import (
    DATA_FREE,
    FRAME,
    HEADER_BLOCK_BYTES_PER_UNIT,
    HEADER_BLOCK_FREE,
    RESET,
    SETTING,
    CostLedger,
)
from .h2_wire import (
    ACK,
    CONTINUATION,
    DATA,
    END_HEADERS,
    HEAD,
    HEADERS,
    PING,
    PREFACE,
    PUSH_PROMISE,
    RST_STREAM,
    SETTINGS,
    WINDOW_UPDATE,
)
from .limits import Limits, TokenBucket
from .metrics import ProtocolErrorKind as K

_HEAD: Final = HEAD.unpack_from

#: Verdicts that are protocol errors rather than floods.
VIOLATIONS: Final = frozenset({K.IDLE_STREAM})


class FrameGuard:
    """Feed it every byte the client sends; it says when the client floods."""

    __slots__ = (
        "_limits",
        "_cost",
        "_skip",
        "_header",
        "_payload_left",
        "_in_header_block",
        "_continuations",
        "_rst",
        "_settings",
        "_ping",
        "_highest_stream",
        "header_block_since",
    )

    def __init__(
        self, limits: Limits, now: float, cost: CostLedger, *, expect_preface: bool = True
    ) -> None:
        self._limits = limits
        self._cost = cost
        self._skip = len(PREFACE) if expect_preface else 0
        self._header = b""
        self._payload_left = 0
        self._in_header_block = False
        self._continuations = 0
        self._rst = TokenBucket(limits.rst_burst, limits.rst_per_second, now)
        self._settings = TokenBucket(limits.settings_burst, limits.settings_per_second, now)
        self._ping = TokenBucket(limits.ping_burst, limits.ping_per_second, now)
        self._highest_stream = 0  # the highest stream a HEADERS frame has opened
        #: When the header block in progress started (HEADERS without END_HEADERS), else None:
        #: a header block trickled out over minutes is a slowloris the engine times out.
        self.header_block_since: float | None = None

    def feed(self, data: bytes, now: float) -> K | None:
        """Scan ``data``; the name of the limit broken, or None."""
        pos = 0
        end = len(data)
        if self._skip:
            taken = min(self._skip, end)
            self._skip -= taken
            pos = taken
        cost = self._cost
        while pos < end:
            if self._payload_left:
                step = min(self._payload_left, end - pos)
                self._payload_left -= step
                pos += step
                continue
            if self._header or end - pos < 9:
                # A frame header split between reads: kept until its 9 bytes are in.
                need = 9 - len(self._header)
                chunk = data[pos : pos + need]
                pos += len(chunk)
                header = self._header + chunk if self._header else chunk
                if len(header) < 9:
                    self._header = header
                    return None
                self._header = b""
                high, low, kind, flags, sid = _HEAD(header, 0)
            else:
                high, low, kind, flags, sid = _HEAD(data, pos)  # read in place, no copy
                pos += 9
            length = (high << 16) | low
            # A request's two frames inline (every request pays for this scan); the rest in
            # _frame.
            if kind == DATA:
                highest = self._highest_stream
                if highest and sid & 0x7FFFFFFF > highest:
                    return K.IDLE_STREAM
                if length < DATA_FREE:
                    cost.tokens -= FRAME
            elif kind == HEADERS:
                cost.tokens -= FRAME
                if length > HEADER_BLOCK_FREE:
                    cost.tokens -= (length - HEADER_BLOCK_FREE) // HEADER_BLOCK_BYTES_PER_UNIT
                sid &= 0x7FFFFFFF
                if sid > self._highest_stream:
                    self._highest_stream = sid
                self._continuations = 0
                self.header_block_since = None if flags & END_HEADERS else now
            else:
                verdict = self._frame(kind, flags, sid & 0x7FFFFFFF, length, now)
                if verdict is not None:
                    return verdict
            if cost.tokens < 0.0 and cost.over(now):
                return K.COST_EXCEEDED
            left = end - pos
            if length <= left:
                pos += length
            else:
                self._payload_left = length - left
                return None
        return None

    def _frame(self, frame_type: int, flags: int, stream: int, length: int, now: float) -> K | None:
        """A frame other than DATA and HEADERS (``stream``: its id, the reserved bit cleared)."""
        if frame_type in (RST_STREAM, WINDOW_UPDATE) and 0 < self._highest_stream < stream:
            return K.IDLE_STREAM
        cost = self._cost
        cost.tokens -= FRAME
        if frame_type == RST_STREAM:
            cost.tokens -= RESET
            if not self._rst.take(now):
                return K.RST_STREAM_FLOOD
        elif frame_type == CONTINUATION:
            cost.tokens -= length // HEADER_BLOCK_BYTES_PER_UNIT
            self._continuations += 1
            if self._continuations > self._limits.max_continuation_frames:
                return K.CONTINUATION_FLOOD
            if flags & END_HEADERS:
                self._continuations = 0
                self.header_block_since = None
        elif frame_type == PUSH_PROMISE:
            self._continuations = 0
            self.header_block_since = None if flags & END_HEADERS else now
        elif frame_type == SETTINGS and not flags & ACK:
            if not self._settings.take(now):
                return K.SETTINGS_FLOOD
            entries = length // 6
            if entries > self._limits.max_settings_entries:
                return K.SETTINGS_TOO_MANY
            cost.tokens -= entries * SETTING
        elif frame_type == PING and not flags & ACK and not self._ping.take(now):
            return K.PING_FLOOD
        return None


__all__ = ["PREFACE", "VIOLATIONS", "FrameGuard"]
