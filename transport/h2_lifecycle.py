"""What both HTTP/2 engines do around the protocol: timeouts, the graceful drain, the verdict.

The h2 engine (reference) and the raw engine differ in how they parse and write frames, not in
when a connection ends. This base class holds that part once:

- ``tick``: the drain's grace period, a header block that never ends (a connection error: the
  HPACK context is shared, so a block cannot be abandoned), streams whose body stalls or whose
  answer waits on a window that never opens (RST_STREAM(CANCEL)), the cost ledger's verdict
  (GOAWAY(ENHANCE_YOUR_CALM), :mod:`transport.cost`), and an idle connection (GOAWAY(NO_ERROR)):
  idle means no stream in progress and none opened for ``idle_timeout``, whatever else the
  client sends.
- the drain: GOAWAY(2^31-1) and a PING; the final GOAWAY (the highest stream taken) a grace
  period after the PING's ack, since clients may send the ack ahead of HEADERS they queued
  before reading the first GOAWAY (nghttp2 does); closed once no stream is left.
- ``closed`` and ``close_reason``, read by :class:`transport.connection.Connection`.

- ``_terminate``: a connection error we decide (a flood, a timeout): counted, GOAWAY, closed.

An engine supplies the frame-level steps (:meth:`_goaway`, :meth:`_send_drain_ping`,
:meth:`_expire_stalled`, and :meth:`_close_connection` when a GOAWAY alone does not end its
protocol state), keeps :attr:`_highest` up to date and says when it is :attr:`_busy`. What the
engines share about requests (the flood guard's verdict on a read, body assembly, the 413) is
in :class:`transport.h2_base.H2Base`, on top of this.
"""

from __future__ import annotations

from typing import Final

from .cost import PROVOKED_RESET, CostLedger
from .frame_guard import FrameGuard
from .h2_wire import CANCEL, ENHANCE_YOUR_CALM, MAX_STREAM_ID, NO_ERROR, REFUSED_STREAM
from .limits import Limits, TokenBucket
from .metrics import PROTOCOL_ERRORS, CloseReason
from .metrics import ProtocolErrorKind as K

#: The opaque data of the drain's PING (its ack starts the grace period).
DRAIN_PING: Final = b"bw-drain"


class H2Lifecycle:
    """Timeouts, drain and close verdict of one HTTP/2 connection (a base for the engines)."""

    #: The highest stream id the client has opened (kept by the engine).
    _highest: int

    def __init__(self, limits: Limits, now: float) -> None:
        self.limits = limits
        #: What the connection has cost against what it brought (charged by the guard, the
        #: engines and, through :meth:`charge`, the app's own work).
        self._cost = CostLedger(limits, now)
        self._guard = FrameGuard(limits, now, self._cost)
        #: Stream errors the client may still cause (max_stream_errors, refilled per second);
        #: ``_errors_over`` once it has caused one too many (the verdict follows at once).
        self._errors = TokenBucket(limits.max_stream_errors, limits.stream_errors_per_second, now)
        self._errors_over = False
        #: The time of the read (or tick) in progress.
        self._now = now
        #: When a stream was last opened or in progress (the idle clock; see ``tick``).
        self._last_activity = now
        self._highest = 0
        #: None; "draining" (first GOAWAY and PING sent); "acked" (PING acked, in the grace
        #: period); "final" (last GOAWAY sent, refusing new streams).
        self.drain_state: str | None = None
        self._final_last_stream = MAX_STREAM_ID
        self._acked_at = 0.0
        #: True once the connection is over: flush ``data_to_send``, then close the socket.
        self.closed = False
        #: Why the connection ended, when this side ended it (a metrics label).
        self.close_reason: CloseReason | None = None

    # -- what an engine supplies -----------------------------------------------------------

    @property
    def _busy(self) -> bool:
        """Whether any request is still in progress (received and not fully answered)."""
        raise NotImplementedError

    def _goaway(self, code: int, last_stream_id: int) -> None:
        """Queue a GOAWAY without ending the engine's own bookkeeping."""
        raise NotImplementedError

    def _send_drain_ping(self) -> None:
        raise NotImplementedError

    def _expire_stalled(self, now: float) -> None:
        """Reset (CANCEL) the streams whose request body has stalled past the body timeout."""
        raise NotImplementedError

    def _close_connection(self, code: int) -> None:
        """Queue the GOAWAY that ends the connection (the highest stream taken) and stop."""
        self._goaway(code, self._highest)

    # -- shared --------------------------------------------------------------------------------

    def _terminate(self, code: int, reason: K) -> None:
        """End the connection now with GOAWAY(``code``), counted as ``reason``."""
        PROTOCOL_ERRORS.inc(reason)
        self._close_connection(code)
        self.closed = True
        self.close_reason = CloseReason(reason.value)

    def charge(self, units: int) -> None:
        """Work done for this connection outside the engine (the app's inflating, say): charged
        to its cost ledger, with the verdict at once (the caller stops when ``closed``)."""
        self._cost.tokens -= units
        if self._cost.tokens < 0.0:
            self._over_budget(self._now)

    def _sent_reset(self, code: int) -> None:
        """We reset a stream with ``code``: one the client caused (not a refusal, not our own
        cancel) is a stream error, counted against max_stream_errors and charged
        PROVOKED_RESET on top of the RESET every reset costs."""
        if code != REFUSED_STREAM and code != CANCEL:
            self._cost.tokens -= PROVOKED_RESET
            if not self._errors.take(self._now):
                self._errors_over = True

    def _over_budget(self, now: float) -> bool:
        """The verdict after a read or a tick: GOAWAY(ENHANCE_YOUR_CALM) when the client has
        caused too many stream errors, or cost more than its budget."""
        if self._errors_over:
            self._terminate(ENHANCE_YOUR_CALM, K.STREAM_ERRORS)
            return True
        if self._cost.tokens >= 0.0 or not self._cost.over(now):
            return False
        self._terminate(ENHANCE_YOUR_CALM, K.COST_EXCEEDED)
        return True

    @property
    def last_active(self) -> float:
        """When a stream was last opened or in progress (the server closes the oldest idle
        connections first when it holds too many)."""
        return self._last_activity

    def tick(self, now: float) -> None:
        """Enforce timeouts and drain steps; call about once a second (often while draining)."""
        if self.closed:
            return
        self._now = now
        limits = self.limits
        if self.drain_state == "acked" and now - self._acked_at >= limits.drain_grace:
            self._final_goaway()
        since = self._guard.header_block_since
        if since is not None and now - since > limits.header_timeout:
            self._terminate(ENHANCE_YOUR_CALM, K.HEADER_TIMEOUT)
            return
        self._expire_stalled(now)
        self._cost.refill(now)
        if self._over_budget(now):
            return
        if self._busy:
            self._last_activity = now
        elif now - self._last_activity > limits.idle_timeout:
            PROTOCOL_ERRORS.inc(K.IDLE_TIMEOUT)
            self.close_now(CloseReason.IDLE)

    def close_now(self, reason: CloseReason) -> None:
        """End an idle connection politely: GOAWAY(NO_ERROR), closed, ``reason`` given."""
        if self.closed:
            return
        self._goaway(NO_ERROR, self._highest)
        self.closed = True
        self.close_reason = reason

    def start_drain(self) -> None:
        """Begin a graceful close: GOAWAY(2^31-1) and a PING; the final GOAWAY on its ack."""
        if self.closed or self.drain_state is not None:
            return
        self.drain_state = "draining"
        self._goaway(NO_ERROR, MAX_STREAM_ID)
        self._send_drain_ping()

    def _ping_acked(self, opaque: bytes, now: float) -> None:
        if opaque == DRAIN_PING and self.drain_state == "draining":
            self.drain_state = "acked"
            self._acked_at = now

    def _drain_step(self, now: float) -> None:
        """After a read: the final GOAWAY once the grace period after the ack has passed."""
        if self.drain_state == "acked" and now - self._acked_at >= self.limits.drain_grace:
            self._final_goaway()

    def _refuses_after_drain(self, stream_id: int) -> bool:
        """Whether a new stream comes after the final GOAWAY's last stream (REFUSED_STREAM)."""
        return self.drain_state == "final" and stream_id > self._final_last_stream

    def _final_goaway(self) -> None:
        self.drain_state = "final"
        self._final_last_stream = self._highest
        self._goaway(NO_ERROR, self._highest)
        self._maybe_finished()

    def _maybe_finished(self) -> None:
        if self.drain_state == "final" and not self._busy:
            self.closed = True
            self.close_reason = CloseReason.DRAINED


__all__ = ["DRAIN_PING", "MAX_STREAM_ID", "H2Lifecycle"]
