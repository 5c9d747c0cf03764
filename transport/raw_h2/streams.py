"""The raw engine's streams: which are held, how they move through the table, how they end.

Every change of a stream's state goes through :data:`~transport.raw_h2.stream.STEP` here or
in the frame handlers above; this layer holds the streams, remembers how recent ones closed
(the error a late frame draws depends on it), counts the live ones, and resets.
"""

from __future__ import annotations

from collections import deque
from typing import Final

from .. import h2_wire as F
from ..cost import RESET
from ..events import Request
from ..h2_base import H2Base
from ..limits import Limits
from ..metrics import PROTOCOL_ERRORS, STREAMS_OPEN
from ..metrics import ProtocolErrorKind as K
from .stream import (
    CLOSED,
    IDLE,
    RECV_END_STREAM,
    SEND_END_STREAM,
    SEND_RST_STREAM,
    SKIPPED,
    STATE_NAMES,
    STEP,
    Stream,
)

#: How many closed streams are remembered with how they closed (for the error a late frame
#: draws); older ones are SKIPPED, as streams that were never opened.
CLOSED_MEMORY: Final = 1024


class Streams(H2Base[Stream]):
    """The streams of one connection (the bottom layer of the raw engine)."""

    def __init__(self, limits: Limits, now: float) -> None:
        super().__init__(limits, now)
        self._streams: dict[int, Stream] = {}
        self._closed: dict[int, int] = {}  # closed stream -> CLOSED or RESET
        self._closed_order: deque[int] = deque()  # the same streams, oldest first
        self._live = 0
        self._read_closes = 0  # streams this read closed that h2 would still count open
        self._waiting = 0  # answers whose body waits on the client's windows
        #: Frames queued for the client, written out by ``data_to_send``.
        self._out: list[bytes] = []

    def _gone(self, sid: int) -> int:
        """The state of a stream not held: idle, or closed (and how, when remembered)."""
        if sid > self._highest:
            return IDLE
        return self._closed.get(sid, SKIPPED)

    def _effect_gone(self, sid: int, event: int) -> int:
        """What ``event`` does to a stream not held (on an idle one: a connection error)."""
        return STEP[self._gone(sid) | event][1]

    # -- the client's end, and ours ------------------------------------------------------------

    def _remote_end(self, sid: int, stream: Stream, ready: list[tuple[int, Request]]) -> None:
        """The client's END_STREAM."""
        state = STEP[stream.state | RECV_END_STREAM][0]
        if state == CLOSED:
            self._close(sid, stream, CLOSED)
            if stream.discarded >= 0:
                return
        else:
            stream.state = state
        if stream.discarded >= 0:
            stream.discarded = -1
            return
        if stream.live and not stream.rejected:
            self._complete(sid, stream, ready)

    def _local_end(self, sid: int, stream: Stream) -> None:
        """Our END_STREAM went out: the answer is delivered."""
        if stream.earns:
            cost = self._cost  # CostLedger.earn, inline (once per answer)
            tokens = cost.tokens + cost.credit
            cost.tokens = tokens if tokens < cost.burst else cost.burst
        state = STEP[stream.state | SEND_END_STREAM][0]
        if state == CLOSED:
            self._close(sid, stream, CLOSED)
            self._read_closes += 1  # (see _reset_stream)
        else:
            stream.state = state
            self._unlive(stream)
        if self.drain_state is not None:
            self._maybe_finished()

    # -- resets ----------------------------------------------------------------------------------

    def _send_rst(self, sid: int, code: int) -> None:
        """Our RST_STREAM, charged to the connection: every one is work the client made us do
        ("MADE YOU RESET", CVE-2025-8671, is a loop of frames that draw one)."""
        self._out.append(F.rst_stream(sid, code))
        self._cost.tokens -= RESET
        self._sent_reset(code)

    def _reset_stream(self, sid: int, stream: Stream, code: int) -> None:
        """Our RST_STREAM: the stream is closed and forgotten."""
        self._send_rst(sid, code)
        self._close(sid, stream, STEP[stream.state | SEND_RST_STREAM][0])
        # H2Engine resets streams after h2 has read the whole batch, so h2 still counted this
        # one as open against its stream ceiling for the rest of the read.
        self._read_closes += 1
        self._maybe_finished()

    def _reset_on_error(self, sid: int, stream: Stream, code: int) -> None:
        """A stream error the client caused (h2 reports it to H2Engine as a reset)."""
        self._reset_stream(sid, stream, code)
        self._read_closes -= 1  # h2 closes these at once
        PROTOCOL_ERRORS.inc(K.H2_CLIENT_RESET)

    def _close(self, sid: int, stream: Stream, state: int) -> None:
        """The stream is over (``state``: CLOSED or RESET); remember how, then forget it."""
        stream.state = state
        stream.body = b""
        if stream.waiting:
            stream.waiting = False
            self._waiting -= 1
        del self._streams[sid]
        closed = self._closed
        closed[sid] = state
        order = self._closed_order
        order.append(sid)
        if len(order) > CLOSED_MEMORY:
            # The oldest out. (next(iter(closed)) walks the entries deleted before it, up to
            # a few hundred, until the dict is next resized.)
            del closed[order.popleft()]
        if stream.live:
            stream.live = False
            self._live -= 1
            STREAMS_OPEN.value -= 1

    def _unlive(self, stream: Stream) -> None:
        if stream.live:
            stream.live = False
            self._live -= 1
            STREAMS_OPEN.value -= 1

    # -- what H2Base and H2Lifecycle ask -------------------------------------------------------

    def _start_discarding(self, sid: int, stream: Stream) -> None:
        if sid in self._streams:
            stream.discarded = 0

    def _awaits_window(self, sid: int, stream: Stream) -> bool:
        return bool(stream.body) or sid in self._held

    @property
    def _busy(self) -> bool:
        return self._live > 0

    @property
    def open_streams(self) -> int:
        """Requests received and not yet fully answered."""
        return self._live

    def stream_state(self, stream_id: int) -> str:
        """The RFC 9113 state of a stream: idle, open, half_closed_remote, half_closed_local
        or closed (for tests, and the differential test against H2Engine)."""
        stream = self._streams.get(stream_id)
        return STATE_NAMES[stream.state if stream is not None else self._gone(stream_id)]


__all__ = ["CLOSED_MEMORY", "Streams"]
