"""Stream states as a transition table (RFC 9113 5.1), as ``h2/stream.py`` keeps them.

    next_state, effect = TRANSITIONS[state, event]

Every state a stream can be in, every frame event the raw engine feeds it (received or sent),
and what follows, on one screen. A pair that is not in the table is a connection error
PROTOCOL_ERROR (RFC 9113 5.1: "receiving any frame other than HEADERS or PRIORITY on a stream in
this state MUST be treated as a connection error"); the engine raises
:class:`H2ConnectionError` for it. Events the engine itself sends (``SEND_*``) never miss the
table for a stream the client has not closed; when they do (an answer to a stream the client
reset while we decided), the answer is dropped.

As h2 does, a frame with END_STREAM is two events: the frame (``RECV_HEADERS``, ``RECV_DATA``,
``SEND_HEADERS``) and then ``*_END_STREAM``, since what happens between the two (a 413 answer
half-closes our side) decides where the second leads.

Closed streams keep how they closed (:data:`CLOSED` after END_STREAM both ways, :data:`RESET`
after a RST_STREAM either way), because the error a late HEADERS draws depends on it;
:data:`SKIPPED` is a stream closed without a record: never opened (closed implicitly when the
client opened a higher one, RFC 9113 5.1.1) or forgotten (past ``CLOSED_MEMORY``).

For speed the engine reads :data:`STEP`, the same table keyed by ``state | event`` (one int),
whose misses raise :class:`H2ConnectionError` themselves.
"""

from __future__ import annotations

from typing import Final

from ..events import Request
from ..h2_base import RequestStream
from ..h2_wire import PROTOCOL_ERROR, STREAM_CLOSED
from ..metrics import ProtocolErrorKind as K

# States (the low three bits of a STEP key).
IDLE, OPEN, HALF_CLOSED_REMOTE, HALF_CLOSED_LOCAL, CLOSED, RESET, SKIPPED = range(7)
#: The RFC 9113 name of each state (as h2 reports it).
STATE_NAMES: Final = {
    IDLE: "idle",
    OPEN: "open",
    HALF_CLOSED_REMOTE: "half_closed_remote",
    HALF_CLOSED_LOCAL: "half_closed_local",
    CLOSED: "closed",
    RESET: "closed",
    SKIPPED: "closed",
}

# Events (multiples of 8, so that ``state | event`` is a STEP key).
RECV_HEADERS, RECV_DATA, RECV_END_STREAM, RECV_RST_STREAM, RECV_WINDOW_UPDATE = 8, 16, 24, 32, 40
SEND_HEADERS, SEND_END_STREAM, SEND_RST_STREAM = 48, 56, 64
EVENT_NAMES: Final = {
    RECV_HEADERS: "recv_headers",
    RECV_DATA: "recv_data",
    RECV_END_STREAM: "recv_end_stream",
    RECV_RST_STREAM: "recv_rst_stream",
    RECV_WINDOW_UPDATE: "recv_window_update",
    SEND_HEADERS: "send_headers",
    SEND_END_STREAM: "send_end_stream",
    SEND_RST_STREAM: "send_rst_stream",
}

# Effects: what the engine does besides moving the stream to its next state.
#: Carry on with the frame.
PROCEED: Final = 0
#: Drop the frame: it concerns a stream that is over (RFC 9113 5.1, "closed").
IGNORE: Final = 1
#: A stream error STREAM_CLOSED: answer RST_STREAM(STREAM_CLOSED); a stream still held closes.
STREAM_ERROR: Final = 2
#: A connection error STREAM_CLOSED: HEADERS on a stream both sides ended (as h2 answers).
CLOSED_ERROR: Final = 3
#: A connection error PROTOCOL_ERROR: HEADERS on a stream id below one already used.
ID_TOO_LOW: Final = 4

_LIVE = (OPEN, HALF_CLOSED_REMOTE, HALF_CLOSED_LOCAL)
_OVER = (CLOSED, RESET, SKIPPED)

#: ``(state, event): (next state, effect)``. Anything else is a connection error.
TRANSITIONS: Final[dict[tuple[int, int], tuple[int, int]]] = {
    # The client opens a stream: a request's header block (END_STREAM follows as an event).
    (IDLE, RECV_HEADERS): (OPEN, PROCEED),
    # A second header block: the request's trailers (the engine requires END_STREAM on it).
    (OPEN, RECV_HEADERS): (OPEN, PROCEED),
    (HALF_CLOSED_LOCAL, RECV_HEADERS): (HALF_CLOSED_LOCAL, PROCEED),
    # Anything but WINDOW_UPDATE, PRIORITY and RST_STREAM after the client's END_STREAM.
    (HALF_CLOSED_REMOTE, RECV_HEADERS): (RESET, STREAM_ERROR),
    (HALF_CLOSED_REMOTE, RECV_DATA): (RESET, STREAM_ERROR),
    (CLOSED, RECV_HEADERS): (CLOSED, CLOSED_ERROR),
    (RESET, RECV_HEADERS): (RESET, STREAM_ERROR),
    (SKIPPED, RECV_HEADERS): (SKIPPED, ID_TOO_LOW),
    # The request body (after our 413 too: it is read and dropped).
    (OPEN, RECV_DATA): (OPEN, PROCEED),
    (HALF_CLOSED_LOCAL, RECV_DATA): (HALF_CLOSED_LOCAL, PROCEED),
    (CLOSED, RECV_DATA): (CLOSED, STREAM_ERROR),
    (RESET, RECV_DATA): (RESET, STREAM_ERROR),
    (SKIPPED, RECV_DATA): (SKIPPED, STREAM_ERROR),
    # The client's END_STREAM, on HEADERS or DATA.
    (OPEN, RECV_END_STREAM): (HALF_CLOSED_REMOTE, PROCEED),
    (HALF_CLOSED_LOCAL, RECV_END_STREAM): (CLOSED, PROCEED),
    # The client's RST_STREAM, and WINDOW_UPDATE for our answer.
    **{(state, RECV_RST_STREAM): (RESET, PROCEED) for state in _LIVE},
    **{(state, RECV_RST_STREAM): (state, IGNORE) for state in _OVER},
    **{(state, RECV_WINDOW_UPDATE): (state, PROCEED) for state in _LIVE},
    **{(state, RECV_WINDOW_UPDATE): (state, IGNORE) for state in _OVER},
    # Our answer: HEADERS (the response, or its trailers), and our END_STREAM.
    (OPEN, SEND_HEADERS): (OPEN, PROCEED),
    (HALF_CLOSED_REMOTE, SEND_HEADERS): (HALF_CLOSED_REMOTE, PROCEED),
    (OPEN, SEND_END_STREAM): (HALF_CLOSED_LOCAL, PROCEED),
    (HALF_CLOSED_REMOTE, SEND_END_STREAM): (CLOSED, PROCEED),
    # Our RST_STREAM (refused, malformed, timed out, cancelled).
    **{(state, SEND_RST_STREAM): (RESET, PROCEED) for state in _LIVE},
}


class Stream(RequestStream):
    """One stream the raw engine holds (open or half-closed): its state, windows and answer."""

    __slots__ = (
        "state", "received", "expected", "send_window", "recv_window", "body", "sent", "live",
        "discarded", "head", "trailers", "earns", "waiting",
    )  # fmt: skip

    def __init__(
        self, request: Request, now: float, length: int, send_window: int, recv_window: int = 0
    ) -> None:
        # The base's fields are set here rather than by its __init__: one call per stream.
        self.request = request
        self.chunks: list[bytes] = []
        self.size = 0
        self.started = now
        self.rejected = False
        self.length = length
        self.state = OPEN
        self.received = 0  # body bytes received (content-length check)
        self.expected = length  # the body length h2 would hold the stream to, or -1
        self.send_window = send_window
        self.recv_window = recv_window
        self.body: bytes | bytearray | memoryview = b""  # the answer's body still to send
        self.sent = 0
        self.live = False  # a request in progress: counted in open_streams
        self.discarded = -1  # answered 413: body bytes dropped since, else -1
        self.head = False  # a HEAD request
        self.trailers = b""  # the answer's trailers (an encoded block), sent after its body
        self.earns = False  # the answer earns credit in the cost ledger once delivered
        self.waiting = False  # the answer's body waits on the client's windows


class H2ConnectionError(Exception):
    """A connection error (RFC 9113 5.4.1): GOAWAY with ``code``, counted as ``label``."""

    def __init__(self, code: int, label: K) -> None:
        super().__init__(label)
        self.code = code
        self.label = label


class _Step(dict[int, tuple[int, int]]):
    """The table keyed by ``state | event``; a miss is a connection error PROTOCOL_ERROR."""

    def __missing__(self, key: int) -> tuple[int, int]:
        raise H2ConnectionError(PROTOCOL_ERROR, K.H2_PROTOCOL)


STEP: Final = _Step({state | event: value for (state, event), value in TRANSITIONS.items()})

#: The connection errors the table's effects name.
CONNECTION_ERRORS: Final = {
    CLOSED_ERROR: (STREAM_CLOSED, K.H2_STREAM_CLOSED),
    ID_TOO_LOW: (PROTOCOL_ERROR, K.H2_STREAM_ID_TOO_LOW),
}


__all__ = [
    "CLOSED",
    "CONNECTION_ERRORS",
    "EVENT_NAMES",
    "HALF_CLOSED_LOCAL",
    "HALF_CLOSED_REMOTE",
    "IDLE",
    "OPEN",
    "RESET",
    "SKIPPED",
    "STATE_NAMES",
    "STEP",
    "TRANSITIONS",
    "H2ConnectionError",
    "Stream",
]
