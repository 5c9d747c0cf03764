"""The raw engine's stream state table (``transport/raw_h2/stream.py``), transition by transition.

First the table itself: every pair in it is what :data:`STEP` answers, and every pair not in it
is a connection error PROTOCOL_ERROR. Then each transition on a live engine: a stream is brought
into the state (by frames, by our answer, by a reset), the event is applied (a frame from the
client, or our answer or reset), and the engine must end where the table says, with the effect
the table names (nothing, a frame ignored, RST_STREAM(STREAM_CLOSED), or a GOAWAY).
"""

from __future__ import annotations

import itertools
import struct
from collections.abc import Callable

import hpack
import pytest

from fuzz.answers import Reader
from transport import h2_wire as W
from transport.events import Response
from transport.limits import Limits
from transport.raw_h2 import RawH2Engine
from transport.raw_h2.stream import (
    CLOSED,
    CLOSED_ERROR,
    CONNECTION_ERRORS,
    EVENT_NAMES,
    HALF_CLOSED_LOCAL,
    HALF_CLOSED_REMOTE,
    ID_TOO_LOW,
    IDLE,
    IGNORE,
    OPEN,
    PROCEED,
    RECV_DATA,
    RECV_END_STREAM,
    RECV_HEADERS,
    RECV_RST_STREAM,
    RECV_WINDOW_UPDATE,
    RESET,
    SEND_END_STREAM,
    SEND_HEADERS,
    SEND_RST_STREAM,
    SKIPPED,
    STATE_NAMES,
    STEP,
    STREAM_ERROR,
    TRANSITIONS,
    H2ConnectionError,
)

STATES = tuple(STATE_NAMES)
EVENTS = tuple(EVENT_NAMES)
MISSING = [pair for pair in itertools.product(STATES, EVENTS) if pair not in TRANSITIONS]


def _id(pair: tuple[int, int]) -> str:
    return f"{_STATE_IDS[pair[0]]}-{EVENT_NAMES[pair[1]]}"


_STATE_IDS = {
    IDLE: "idle", OPEN: "open", HALF_CLOSED_REMOTE: "half_closed_remote",
    HALF_CLOSED_LOCAL: "half_closed_local", CLOSED: "closed", RESET: "reset", SKIPPED: "skipped",
}  # fmt: skip


# -- the table ---------------------------------------------------------------------------------


@pytest.mark.parametrize("pair", sorted(TRANSITIONS), ids=_id)
def test_every_transition_is_what_step_answers(pair: tuple[int, int]) -> None:
    state, event = pair
    assert STEP[state | event] == TRANSITIONS[pair]


@pytest.mark.parametrize("pair", MISSING, ids=_id)
def test_a_pair_not_in_the_table_is_a_connection_error(pair: tuple[int, int]) -> None:
    state, event = pair
    with pytest.raises(H2ConnectionError) as caught:
        STEP[state | event]
    assert caught.value.code == W.PROTOCOL_ERROR


def test_the_table_and_step_are_the_same_size() -> None:
    # No two (state, event) pairs share a STEP key.
    assert len(STEP) == len(TRANSITIONS)
    assert len(TRANSITIONS) + len(MISSING) == len(STATES) * len(EVENTS)


def test_the_rfc_rules_the_table_encodes() -> None:
    """RFC 9113 5.1, read off the table: what each state accepts from the client."""
    received = (RECV_HEADERS, RECV_DATA, RECV_END_STREAM, RECV_RST_STREAM, RECV_WINDOW_UPDATE)
    # Idle: only HEADERS opens a stream; anything else there is a connection error.
    assert [e for e in received if (IDLE, e) in TRANSITIONS] == [RECV_HEADERS]
    # Half-closed (remote): HEADERS or DATA are a stream error STREAM_CLOSED.
    for event in (RECV_HEADERS, RECV_DATA):
        assert TRANSITIONS[HALF_CLOSED_REMOTE, event] == (RESET, STREAM_ERROR)
    # Closed: RST_STREAM and WINDOW_UPDATE are ignored, DATA answered RST_STREAM.
    for state in (CLOSED, RESET, SKIPPED):
        assert TRANSITIONS[state, RECV_RST_STREAM][1] == IGNORE
        assert TRANSITIONS[state, RECV_WINDOW_UPDATE][1] == IGNORE
        assert TRANSITIONS[state, RECV_DATA][1] == STREAM_ERROR
    # Our END_STREAM half-closes our side; both ends make the stream closed.
    assert TRANSITIONS[OPEN, SEND_END_STREAM][0] == HALF_CLOSED_LOCAL
    assert TRANSITIONS[HALF_CLOSED_REMOTE, SEND_END_STREAM][0] == CLOSED
    assert TRANSITIONS[HALF_CLOSED_LOCAL, RECV_END_STREAM][0] == CLOSED
    # Nothing is sent on a stream we have ended.
    assert not [e for e in (SEND_HEADERS, SEND_END_STREAM) if (HALF_CLOSED_LOCAL, e) in TRANSITIONS]


# -- each transition on a live engine ---------------------------------------------------------

SID = 5  # the stream under test (1 and 3 open before it, where a state needs them)
MAX_BODY = 64
LIMITS = Limits(max_body_size=MAX_BODY, body_timeout=10.0, idle_timeout=1000.0)


def frame(kind: int, flags: int, sid: int, payload: bytes = b"") -> bytes:
    return W.frame(kind, flags, sid, payload)


class Driver:
    """A raw engine, a client's HPACK encoder, and what the engine wrote back."""

    def __init__(self, *, window: int | None = None) -> None:
        self.engine = RawH2Engine(LIMITS, 0.0)
        self.encoder = hpack.Encoder()
        self.reader = Reader()
        self.answered: list[int] = []
        self.written = b""
        settings = b"" if window is None else struct.pack(">HL", W.SETTINGS_INITIAL_WINDOW_SIZE, 0)
        self.send(W.PREFACE + frame(W.SETTINGS, 0, 0, settings))
        self.flush()

    def send(self, data: bytes, now: float = 0.0) -> None:
        for sid, _request in self.engine.receive_data(data, now):
            self.answered.append(sid)  # delivered; answered by the test when it needs it
        self.written += self.engine.data_to_send()

    def flush(self) -> bytes:
        self.written += self.engine.data_to_send()
        data, self.written = self.written, b""
        self.reader.feed(data)
        return data

    def headers(self, sid: int, *, end_stream: bool, length: int | None = None) -> bytes:
        fields = [(":method", "POST"), (":scheme", "http"), (":authority", "t"), (":path", "/")]
        if length is not None:
            fields.append(("content-length", str(length)))
        flags = W.END_HEADERS | (W.END_STREAM if end_stream else 0)
        return frame(W.HEADERS, flags, sid, self.encoder.encode(fields))

    def trailers(self, sid: int) -> bytes:
        block = self.encoder.encode([("x-checksum", "1")])
        return frame(W.HEADERS, W.END_HEADERS | W.END_STREAM, sid, block)

    @property
    def state(self) -> str:
        return self.engine.stream_state(SID)


def reach(state: int, *, window: int | None = None) -> Driver:
    """A driver whose stream SID is in ``state``."""
    d = Driver(window=window)
    if state == IDLE:
        pass
    elif state == OPEN:
        d.send(d.headers(SID, end_stream=False))
    elif state == HALF_CLOSED_REMOTE:
        d.send(d.headers(SID, end_stream=True))  # delivered, not answered yet
    elif state == HALF_CLOSED_LOCAL:
        d.send(d.headers(SID, end_stream=False))
        d.send(frame(W.DATA, 0, SID, bytes(MAX_BODY + 1)))  # answered 413 at once
    elif state == CLOSED:
        d.send(d.headers(SID, end_stream=True))
        d.engine.send_response(SID, Response(204))
    elif state == RESET:
        d.send(d.headers(SID, end_stream=False))
        d.send(frame(W.RST_STREAM, 0, SID, struct.pack(">L", W.CANCEL)))
    elif state == SKIPPED:
        d.send(d.headers(SID + 2, end_stream=True))  # SID is closed implicitly, never opened
        d.engine.send_response(SID + 2, Response(204))
    d.flush()
    assert d.state == STATE_NAMES[state]
    return d


def _recv_headers(d: Driver) -> bool:
    """A header block: a request on a stream not held, trailers (with END_STREAM) on one held."""
    if d.state in ("open", "half_closed_remote", "half_closed_local"):
        d.send(d.trailers(SID))
        return True
    d.send(d.headers(SID, end_stream=False))
    return False


def _recv_data(d: Driver) -> bool:
    d.send(frame(W.DATA, 0, SID, b"x"))
    return False


def _recv_end_stream(d: Driver) -> bool:
    d.send(frame(W.DATA, W.END_STREAM, SID))
    return True


def _recv_rst_stream(d: Driver) -> bool:
    d.send(frame(W.RST_STREAM, 0, SID, struct.pack(">L", W.CANCEL)))
    return False


def _recv_window_update(d: Driver) -> bool:
    d.send(frame(W.WINDOW_UPDATE, 0, SID, struct.pack(">L", 1)))
    return False


def _send_headers(d: Driver) -> bool:
    # The client's window is 0 (see `window`): HEADERS go out, the body waits.
    d.engine.send_response(SID, Response(200, b"body"))
    return False


def _send_end_stream(d: Driver) -> bool:
    d.engine.send_response(SID, Response(204))  # HEADERS with END_STREAM
    return True


def _send_rst_stream(d: Driver) -> bool:
    if d.state == "half_closed_local":
        # Answered 413: the body past DISCARD_FACTOR times the cap is cancelled.
        for _ in range(10):
            d.send(frame(W.DATA, 0, SID, bytes(MAX_BODY)))
    else:
        d.engine.tick(LIMITS.body_timeout + 1)  # stalled: cancelled
    return False


APPLY: dict[int, Callable[[Driver], bool]] = {
    RECV_HEADERS: _recv_headers,
    RECV_DATA: _recv_data,
    RECV_END_STREAM: _recv_end_stream,
    RECV_RST_STREAM: _recv_rst_stream,
    RECV_WINDOW_UPDATE: _recv_window_update,
    SEND_HEADERS: _send_headers,
    SEND_END_STREAM: _send_end_stream,
    SEND_RST_STREAM: _send_rst_stream,
}


def _expected(state: int, event: int, ends: bool) -> tuple[int, int] | None:
    """Where the table leads (a frame with END_STREAM is two events), or None for an error."""
    step = TRANSITIONS.get((state, event))
    if step is None:
        return None
    following = {RECV_HEADERS: RECV_END_STREAM, SEND_HEADERS: SEND_END_STREAM}
    if ends and step[1] == PROCEED and event in following:
        return TRANSITIONS.get((step[0], following[event]))
    return step


@pytest.mark.parametrize("pair", sorted(TRANSITIONS), ids=_id)
def test_each_transition_on_the_engine(pair: tuple[int, int]) -> None:
    state, event = pair
    d = reach(state, window=0 if event == SEND_HEADERS else None)
    ends = APPLY[event](d)
    written = d.flush()
    expected = _expected(state, event, ends)
    assert expected is not None
    next_state, effect = expected
    out = d.reader.outcome
    if effect in CONNECTION_ERRORS:
        assert out.goaway == CONNECTION_ERRORS[effect][0]
        assert d.engine.closed
        return
    assert out.goaway is None, out.describe()
    assert d.state == STATE_NAMES[next_state]
    if effect == STREAM_ERROR:
        assert out.resets == {SID: W.STREAM_CLOSED}
    elif effect == IGNORE:
        assert written == b""
    elif event == SEND_RST_STREAM:
        assert out.resets == {SID: W.CANCEL}
    else:
        assert SID not in out.resets


# END_STREAM comes on a frame, whose own event (RECV_DATA here) is stepped first: those pairs are
# the frame's, tested as RECV_DATA.
@pytest.mark.parametrize(
    "pair", [p for p in MISSING if p[1] not in (SEND_HEADERS, SEND_END_STREAM, SEND_RST_STREAM,
                                                RECV_END_STREAM)],
    ids=_id,
)  # fmt: skip
def test_each_frame_the_table_lacks_is_a_connection_error_on_the_engine(
    pair: tuple[int, int],
) -> None:
    state, event = pair
    d = reach(state)
    APPLY[event](d)
    d.flush()
    assert d.reader.outcome.goaway == W.PROTOCOL_ERROR
    assert d.engine.closed


@pytest.mark.parametrize(
    "pair", [p for p in MISSING if EVENT_NAMES[p[1]].startswith("send") and p[0] != IDLE],
    ids=_id,
)  # fmt: skip
def test_an_answer_the_table_lacks_is_dropped(pair: tuple[int, int]) -> None:
    """Our own events outside the table (an answer to a stream already answered, closed or
    reset while we decided) send nothing and change nothing."""
    state, event = pair
    d = reach(state)
    APPLY[event](d)
    assert d.flush() == b""
    assert d.state == STATE_NAMES[state]


def test_connection_errors_name_their_codes() -> None:
    assert CONNECTION_ERRORS[CLOSED_ERROR][0] == W.STREAM_CLOSED
    assert CONNECTION_ERRORS[ID_TOO_LOW][0] == W.PROTOCOL_ERROR
