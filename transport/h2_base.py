"""What both HTTP/2 engines do with a request, written once.

:class:`transport.h2_engine.H2Engine` (on h2, the reference) and
:class:`transport.raw_h2.RawH2Engine` (bidwire's own framing) differ in how they read and
write frames. Around that they do the same things, and this base class holds them:

- the opening of every read: nothing once closed, and the flood guard's verdict
  (GOAWAY(ENHANCE_YOUR_CALM) for a flood or a spent cost budget, GOAWAY(PROTOCOL_ERROR) for a
  violation); the close of every read: the idle clock when a stream opened, requests whose
  stream was reset within the read dropped (a request reset as it arrives is not decided:
  Rapid Reset and "MADE YOU RESET" send both in one packet), and the cost ledger's verdict;
- body assembly under the body cap, and the 413 answer when the cap is passed (the rest of the
  body is read and dropped, up to :data:`DISCARD_FACTOR` times the cap);
- completion: the content-length check (RFC 9113 8.1.1), the body joined once;
- streams whose body stalls past the body timeout, or whose answer waits on the client's
  window past the send timeout, reset with CANCEL;
- the cost of answers: an error status charged, a delivered answer credited.

An engine keeps its streams (subclasses of :class:`RequestStream`) in ``_streams`` and supplies
:meth:`send_response`, :meth:`_reset_stream`, :meth:`_start_discarding` and
:meth:`_awaits_window`. Timeouts, the drain and the close verdict are in
:class:`transport.h2_lifecycle.H2Lifecycle`, below this.
"""

from __future__ import annotations

from typing import Final, Generic, TypeVar

from .cost import ENCODED_BODY, ERROR, HEADER_BYTES_PER_UNIT, HEADER_FREE, RESET
from .events import Request, Response, too_large_response
from .frame_guard import VIOLATIONS
from .h2_lifecycle import H2Lifecycle
from .h2_wire import CANCEL, ENHANCE_YOUR_CALM, PROTOCOL_ERROR, REFUSED_STREAM
from .limits import Limits
from .metrics import ERRORS, HTTP_RESPONSES, PROTOCOL_ERRORS, CloseReason
from .metrics import ProtocolErrorKind as K

#: A stream answered 413 may send this many times the body cap more before it is reset.
DISCARD_FACTOR: Final = 8
#: Send room (stream and connection windows) under which a request counts against
#: max_waiting_answers when it is decided: its answer (a bid is 1-2 KB) will likely wait.
SMALL_ROOM: Final = 1024


class RequestStream:
    """What both engines keep of a request while its body arrives."""

    __slots__ = ("request", "chunks", "size", "started", "rejected", "length")

    def __init__(self, request: Request, started: float, length: int) -> None:
        self.request = request
        self.chunks: list[bytes] = []
        self.size = 0  # body bytes kept
        self.started = started
        self.rejected = False  # answered 413
        self.length = length  # content-length, or -1


S = TypeVar("S", bound=RequestStream)


class H2Base(H2Lifecycle, Generic[S]):
    """The request side both HTTP/2 engines share (a base for the engines)."""

    #: The streams whose request is in progress, by id (kept by the engine).
    _streams: dict[int, S]
    #: Decoded header bytes (past HEADER_FREE) per cost unit: what decoding and checking a
    #: header list costs this engine (transport/cost.py).
    _header_unit: int = HEADER_BYTES_PER_UNIT

    def __init__(self, limits: Limits, now: float) -> None:
        super().__init__(limits, now)
        #: Requests decided in this read on less than SMALL_ROOM of window.
        self._small_decided = 0
        #: Complete requests not handed over yet: their answer could not start out. A complete
        #: request waits here while the stream's or the connection's send window is spent (zero
        #: or below), or max_waiting_answers answers already wait on the windows, until the
        #: client's WINDOW_UPDATE or SETTINGS lets answers out, and send_timeout resets it if
        #: none comes. A client that never opens its window (INITIAL_WINDOW_SIZE 0) gets no
        #: decision made at all, one that reads a byte at a time a few; they used to get one
        #: per stream, each answer held in memory. An honest client whose window is briefly
        #: spent waits as long as its answers would have.
        self._held: dict[int, S] = {}

    # -- what an engine supplies -----------------------------------------------------------

    def send_response(self, stream_id: int, response: Response) -> None:
        """Queue the answer to a request this engine returned."""
        raise NotImplementedError

    def _reset_stream(self, sid: int, stream: S, code: int) -> None:
        """Our RST_STREAM(``code``): the stream is closed and forgotten."""
        raise NotImplementedError

    def _start_discarding(self, sid: int, stream: S) -> None:
        """Drop (and count) the body bytes the client still sends after our 413."""
        raise NotImplementedError

    def _awaits_window(self, sid: int, stream: S) -> bool:
        """Whether the stream's answer waits on the client's flow-control window (else it
        waits on the client's body, or on the app)."""
        raise NotImplementedError

    def _send_room(self, sid: int, stream: S) -> int:
        """How many bytes of an answer on ``sid`` could be sent now (the smaller of the
        stream's and the connection's send windows)."""
        raise NotImplementedError

    @property
    def _answers_waiting(self) -> int:
        """How many answers wait on the client's windows now."""
        raise NotImplementedError

    def _can_answer(self, sid: int, stream: S) -> bool:
        """Whether to decide the request on ``sid`` now (else it is held): a whole answer's
        worth of window (:data:`SMALL_ROOM`); or some window, while fewer than
        max_waiting_answers answers wait on the windows, counting the requests decided on
        little window in this read (their answers are not written yet)."""
        room = self._send_room(sid, stream)
        if room >= SMALL_ROOM:
            return True
        if room <= 0:
            return False
        if self._answers_waiting + self._small_decided >= self.limits.max_waiting_answers:
            return False
        self._small_decided += 1
        return True

    # -- shared --------------------------------------------------------------------------------

    def refuse_stream(self, stream_id: int) -> bool:
        """Turn a request this engine returned away unprocessed: RST_STREAM(REFUSED_STREAM),
        which clients may retry safely (RFC 9113 8.7). False when the stream is gone."""
        stream = self._streams.get(stream_id)
        if stream is None:
            return False
        self._reset_stream(stream_id, stream, REFUSED_STREAM)
        # Admission's choice, not the client's doing: the reset is not charged (a new
        # connection refused a few dozen times would otherwise be cut for it).
        self._cost.tokens += RESET
        return True

    def _admit(self, data: bytes, now: float) -> bool:
        """The opening of every read: whether to parse ``data`` (False once the connection is
        over, or when the flood guard's verdict has just ended it)."""
        if self.closed:
            return False
        self._now = now
        self._small_decided = 0
        flood = self._guard.feed(data, now)
        if flood is None:
            return True
        self._terminate(PROTOCOL_ERROR if flood in VIOLATIONS else ENHANCE_YOUR_CALM, flood)
        return False

    def _after_read(
        self, now: float, highest: int, ready: list[tuple[int, Request]]
    ) -> list[tuple[int, Request]]:
        """The close of every read (``highest``: the highest stream before it): the requests to
        hand over, or none when the connection has just gone over its cost budget."""
        if self._highest != highest:
            self._last_activity = now  # a stream opened: the connection is not idle
        if self._over_budget(now):
            return []
        self._drain_step(now)
        if self._held:
            self._release_held(ready)
        if ready:
            streams = self._streams
            if len(ready) == 1:
                if ready[0][0] not in streams:
                    return []
            else:
                ready = [pair for pair in ready if pair[0] in streams]
        return ready

    def _release_held(self, ready: list[tuple[int, Request]]) -> None:
        """Hand over the held requests whose answer can now be sent (a window opened)."""
        for sid, stream in list(self._held.items()):
            if sid not in self._streams:
                del self._held[sid]  # reset meanwhile
            elif self._can_answer(sid, stream):
                del self._held[sid]
                ready.append((sid, stream.request))

    def _charge_header_list(self, size: int) -> None:
        """A header list decoded to ``size`` bytes (RFC 7541 sizes): its weight in the ledger
        (the engines call this only for lists past HEADER_FREE)."""
        self._cost.tokens -= (size - HEADER_FREE) // self._header_unit

    def _charge_encoded(self) -> None:
        """A request with an encoded body (any content-encoding): charged as it is read
        (:data:`transport.cost.ENCODED_BODY`)."""
        self._cost.tokens -= ENCODED_BODY

    def _charge_answer(self, status: int) -> bool:
        """An answer about to be sent: an error status is charged; whether it earns credit
        once delivered."""
        if status >= 400:
            self._cost.tokens -= ERROR
            return False
        return True

    def _fail(self, label: K) -> None:
        """The client broke the protocol (the engine has queued its GOAWAY): closed, counted."""
        PROTOCOL_ERRORS.inc(label)
        self.closed = True
        # The raw engine stops mid-read on the two verdicts below (H2ConnectionError).
        calm = label is K.COST_EXCEEDED or label is K.STREAM_ERRORS
        self.close_reason = CloseReason(label.value) if calm else CloseReason.PROTOCOL_ERROR

    def _take_body(self, sid: int, stream: S, data: bytes) -> None:
        """Keep a piece of the body, or answer 413 once the body passes the cap."""
        size = stream.size + len(data)
        stream.size = size
        if size > self.limits.max_body_size:
            self._reject_too_large(sid, stream)
        else:
            stream.chunks.append(data)

    def _reject_too_large(self, sid: int, stream: S) -> None:
        stream.rejected = True
        stream.chunks = []
        ERRORS.inc("body_too_large")
        answer = too_large_response(stream.request)
        HTTP_RESPONSES.inc(answer.status)
        self.send_response(sid, answer)
        # The rest of the body is read and dropped rather than cut off with RST_STREAM(NO_ERROR):
        # RFC 9113 8.1 allows the reset, but clients such as curl then report an error instead
        # of the 413. A client that keeps sending past the discard cap is reset (CANCEL).
        self._start_discarding(sid, stream)

    def _past_discard_cap(self, discarded: int) -> bool:
        """Whether a stream answered 413 has sent too much since (counted when it has)."""
        if discarded <= DISCARD_FACTOR * self.limits.max_body_size:
            return False
        PROTOCOL_ERRORS.inc(K.H2_DISCARD_CAP)
        return True

    def _complete(self, sid: int, stream: S, ready: list[tuple[int, Request]]) -> None:
        """The client has ended the stream of a request we still want: hand it over."""
        if stream.length >= 0 and stream.length != stream.size:
            # RFC 9113 8.1.1: malformed. h2 checks this when DATA ends the stream, not when
            # HEADERS do (content-length: 10 and no body); found by `bidwire fuzz`.
            PROTOCOL_ERRORS.inc(K.H2_CONTENT_LENGTH)
            self._reset_stream(sid, stream, PROTOCOL_ERROR)
            return
        request = stream.request
        chunks = stream.chunks
        if chunks:
            request.body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
            stream.chunks = []
        if not self._can_answer(sid, stream):
            self._held[sid] = stream  # no answer could go out: not decided until one can
            return
        ready.append((sid, request))

    def _expire_stalled(self, now: float) -> None:
        body_timeout = self.limits.body_timeout
        send_timeout = self.limits.send_timeout
        for sid, stream in list(self._streams.items()):
            age = now - stream.started
            if age <= body_timeout and age <= send_timeout:
                continue
            if self._awaits_window(sid, stream):
                if age > send_timeout:
                    # The answer was made for nothing: what it would have earned is charged.
                    PROTOCOL_ERRORS.inc(K.H2_SEND_TIMEOUT)
                    self._cost.tokens -= self._cost.credit
                    self._reset_stream(sid, stream, CANCEL)
            elif age > body_timeout:
                PROTOCOL_ERRORS.inc(K.H2_STREAM_TIMEOUT)
                self._reset_stream(sid, stream, CANCEL)


__all__ = ["DISCARD_FACTOR", "H2Base", "RequestStream"]
