"""Differential test: the raw HTTP/2 engine against the h2 engine (the oracle).

Hypothesis draws frame sequences from :mod:`fuzz.frames` (valid requests, every invalid kind
there, floods, and frame soup), cuts them into reads at random points (and sometimes stops
early), and feeds the same reads to :class:`transport.h2_engine.H2Engine` and
:class:`transport.raw_h2.RawH2Engine`, answering every request the same way. Both must give
the same request events (stream, method, path, headers the bidder reads, body), the same
RST_STREAMs, the same connection error (GOAWAY code), the same stream states and the same
open/closed verdict, apart from :data:`PERMITTED_DIFFERENCES`.

Bounded by the hypothesis profile (``ci``: 150 sequences per test); ``make fuzz`` (profile
``long``) and ``DIFF_EXAMPLES=100000`` run it longer.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from h2.errors import ErrorCodes
from hypothesis import given, settings
from hypothesis import strategies as st

from fuzz.answers import FrameCase, Reader
from fuzz.frames import FLOODS, frame_cases
from transport.events import Request, Response
from transport.h2_engine import H2Engine
from transport.limits import Limits
from transport.metrics import PROTOCOL_ERRORS, REGISTRY
from transport.raw_h2 import RawH2Engine

STATUSES = (200, 204, 400, 413)


@dataclass
class Observed:
    """What one engine did with a sequence."""

    requests: list[tuple[object, ...]] = field(default_factory=list)
    goaway: int | None = None
    resets: dict[int, int] = field(default_factory=dict)
    states: dict[int, str] = field(default_factory=dict)
    closed: bool = False
    open_streams: int = 0
    errors: dict[str, int] = field(default_factory=dict)  # protocol errors by metric label
    answered: set[int] = field(default_factory=set)  # streams whose answer ended (END_STREAM)
    #: What was fed: ``data[:stop]`` in reads ending at ``cuts``.
    data: bytes = b""
    cuts: tuple[int, ...] = ()


def _request(sid: int, req: Request) -> tuple[object, ...]:
    return (sid, req.method, req.path, req.content_type, req.content_encoding,
            req.accept_encoding, req.openrtb_version, bytes(req.body),
            tuple(tuple(field) for field in req.trailers))  # fmt: skip


def drive(
    engine_type: type[H2Engine] | type[RawH2Engine], data: bytes, cuts: list[int], stop: int
) -> Observed:
    """Feed ``data[:stop]`` in reads ending at ``cuts``; answer what completes."""
    REGISTRY.reset()  # the errors counted below are this engine's alone
    engine = engine_type(Limits(), 0.0)
    reader = Reader()
    seen = Observed(data=data[:stop], cuts=tuple(cuts))
    start = 0
    for end in [*sorted({c for c in cuts if c < stop}), stop]:
        for sid, request in engine.receive_data(data[start:end], 0.0):
            seen.requests.append(_request(sid, request))
            status = STATUSES[sid % len(STATUSES)]
            engine.send_response(sid, Response(status, b"" if status == 204 else b"{}"))
        reader.feed(engine.data_to_send())
        start = end
    out = reader.outcome
    seen.goaway = out.goaway if out.goaway else None
    seen.resets = dict(out.resets)
    seen.answered = set(out.ended)
    seen.closed = engine.closed
    seen.open_streams = engine.open_streams
    seen.errors = {str(kind): n for kind, n in PROTOCOL_ERRORS.values.items()}
    highest = max([0, *seen.resets, *(r[0] for r in seen.requests)])  # type: ignore[list-item]
    for sid in range(1, highest + 4, 2):
        seen.states[sid] = engine.stream_state(sid)
    return seen


@dataclass(frozen=True)
class Difference:
    """A way the raw engine may differ from h2, and why."""

    name: str
    why: str
    applies: Callable[[Observed, Observed], bool]


E = ErrorCodes


def client_goaway_end(data: bytes) -> int | None:
    """Where the first whole GOAWAY frame after the preface ends, walking frame headers."""
    pos = 24
    while pos + 9 <= len(data):
        end = pos + 9 + int.from_bytes(data[pos : pos + 3], "big")
        if end > len(data):
            return None
        if data[pos + 3] == 7:
            return end
        pos = end
    return None


def _h2_refuses_only_what_follows_a_goaway(h2: Observed, raw: Observed) -> bool:
    """Raw stopped at the client's GOAWAY; h2 called what came after it a connection error
    (PROTOCOL_ERROR, or FRAME_SIZE_ERROR for a frame hyperframe cannot parse), and up to the
    GOAWAY the two agree in every respect."""
    end = client_goaway_end(raw.data)
    if end is None or end >= len(raw.data) or not raw.closed or raw.goaway is not None:
        return False
    if h2.goaway not in (E.PROTOCOL_ERROR, E.FRAME_SIZE_ERROR):
        return False
    h2_before = drive(H2Engine, raw.data, list(raw.cuts), end)
    raw_before = drive(RawH2Engine, raw.data, list(raw.cuts), end)
    return (
        h2_before.goaway is None
        and compare(h2_before, raw_before) is None
        and raw.requests == raw_before.requests
        and raw.answered == raw_before.answered
    )


#: Where the raw engine may answer differently. Each is a connection error on both sides (or
#: on the raw side only, before h2 would see it); once the connection is in error, what else
#: each engine had done (streams, resets) is not compared.
PERMITTED_DIFFERENCES: tuple[Difference, ...] = (
    Difference(
        "hpack-compression-error",
        "A header block that does not decode is COMPRESSION_ERROR (RFC 9113 4.3); h2 turns "
        "hpack's errors into PROTOCOL_ERROR.",
        lambda h2, raw: raw.goaway == E.COMPRESSION_ERROR and h2.goaway == E.PROTOCOL_ERROR,
    ),
    Difference(
        "settings-ack-with-payload",
        "SETTINGS with ACK and a payload is FRAME_SIZE_ERROR (RFC 9113 6.5); h2 (hyperframe) "
        "says PROTOCOL_ERROR.",
        lambda h2, raw: (
            raw.goaway == E.FRAME_SIZE_ERROR
            and h2.goaway == E.PROTOCOL_ERROR
            and "settings_ack_payload" in raw.errors
        ),
    ),
    Difference(
        "oversize-frame-on-its-header",
        "A frame over SETTINGS_MAX_FRAME_SIZE is refused as soon as its 9-byte header is in; "
        "h2 waits for the whole payload (buffering it), so it may answer the requests of the "
        "reads before, or nothing at all if the sequence stops inside the payload.",
        lambda h2, raw: (
            raw.goaway == E.FRAME_SIZE_ERROR
            and h2.goaway in (None, E.FRAME_SIZE_ERROR)
            and "h2_frame_too_large" in raw.errors
            and h2.requests[: len(raw.requests)] == raw.requests
        ),
    ),
    Difference(
        "push-promise-from-a-client",
        "A client's PUSH_PROMISE is always PROTOCOL_ERROR (RFC 9113 8.4); h2 lets some through "
        "(e.g. an empty one on an answered stream), found by a 20,000-sequence run.",
        lambda h2, raw: raw.goaway == E.PROTOCOL_ERROR and "push_promise" in raw.errors,
    ),
    Difference(
        "window-update-reserved-bit",
        "The reserved bit of a WINDOW_UPDATE increment is ignored (RFC 9113 6.9); hyperframe "
        "reads it as part of the increment and h2 answers PROTOCOL_ERROR. Found by the "
        "100,000-sequence run.",
        lambda h2, raw: (
            "window_update_reserved_bit" in raw.errors and h2.goaway == E.PROTOCOL_ERROR
        ),
    ),
    Difference(
        "malformed-frame-inside-a-header-block",
        "A frame that interrupts a header block is PROTOCOL_ERROR (RFC 9113 6.10) before its "
        "own payload is looked at; h2 (hyperframe) parses it first, and a malformed one (a "
        "PING of length 0, say) is FRAME_SIZE_ERROR there. Found by the 100,000-sequence run.",
        lambda h2, raw: (
            "header_block_interrupted" in raw.errors
            and raw.goaway == E.PROTOCOL_ERROR
            and h2.goaway == E.FRAME_SIZE_ERROR
        ),
    ),
    Difference(
        "continuation-without-a-header-block",
        "A CONTINUATION with no header block open is PROTOCOL_ERROR (RFC 9113 6.10); on a "
        "closed stream h2 reports STREAM_CLOSED instead. Found by the long run.",
        lambda h2, raw: (
            "continuation_without_headers" in raw.errors
            and raw.goaway == E.PROTOCOL_ERROR
            and h2.goaway in (E.PROTOCOL_ERROR, E.STREAM_CLOSED)
        ),
    ),
    Difference(
        "answers-before-a-client-goaway",
        "When a client's GOAWAY arrives in the same read as its last requests, the raw engine "
        "still sends the answers to the requests it returned (a client's GOAWAY refuses only "
        "server-initiated streams, RFC 9113 6.8) and then closes; h2's state machine refuses "
        "every frame once it has received GOAWAY, so those streams stay half-closed (remote) "
        "and unanswered. Everything else (requests, GOAWAY, verdict) must agree. Found by the "
        "100,000-sequence run.",
        lambda h2, raw: (
            h2.closed
            and raw.closed
            and h2.goaway is None
            and raw.goaway is None
            and h2.requests == raw.requests
            and h2.states != raw.states
            and all(
                (h2.states[sid], raw.states[sid]) == ("half_closed_remote", "closed")
                for sid in h2.states
                if h2.states[sid] != raw.states.get(sid)
            )
        ),
    ),
    Difference(
        "frames-after-a-client-goaway",
        "The raw engine stops reading at a client's GOAWAY and closes once it has answered "
        "what it already took; h2's state machine is closed by then and calls any later frame "
        "a PROTOCOL_ERROR (FRAME_SIZE_ERROR if hyperframe cannot parse it). Up to the GOAWAY "
        "both must agree in every respect (checked by replaying the sequence cut at the "
        "GOAWAY). Found by the 100,000-sequence run.",
        _h2_refuses_only_what_follows_a_goaway,
    ),
    Difference(
        "preface-without-settings",
        "The client preface must end with SETTINGS (RFC 9113 3.4); h2 does not check.",
        lambda h2, raw: "preface_without_settings" in raw.errors,
    ),
)


def compare(h2: Observed, raw: Observed) -> str | None:
    """Why the two differ beyond what is permitted; None when they agree."""
    for difference in PERMITTED_DIFFERENCES:
        if difference.applies(h2, raw):
            return None
    if h2.goaway != raw.goaway:
        return f"GOAWAY: h2 {h2.goaway}, raw {raw.goaway}"
    if h2.requests != raw.requests:
        return f"requests: h2 {h2.requests}, raw {raw.requests}"
    if h2.closed != raw.closed:
        return f"closed: h2 {h2.closed}, raw {raw.closed}"
    if h2.goaway not in (None, E.NO_ERROR):
        return None  # both ended the connection alike; what is left of it does not matter
    if h2.resets != raw.resets:
        return f"RST_STREAM: h2 {h2.resets}, raw {raw.resets}"
    if h2.states != raw.states:
        return f"stream states: h2 {h2.states}, raw {raw.states}"
    if h2.open_streams != raw.open_streams:
        return f"open streams: h2 {h2.open_streams}, raw {raw.open_streams}"
    return None


def check(case: FrameCase, cuts: list[int], stop: int) -> None:
    h2 = drive(H2Engine, case.data, cuts, stop)
    raw = drive(RawH2Engine, case.data, cuts, stop)
    problem = compare(h2, raw)
    assert problem is None, (case.name, problem, case.data[:stop].hex())


@st.composite
def reads(draw: st.DrawFn, case: FrameCase) -> tuple[list[int], int]:
    """Where to cut a sequence into reads, and where to stop (usually at its end)."""
    size = len(case.data)
    cuts = draw(st.lists(st.integers(0, size), max_size=5))
    stop = size if draw(st.integers(0, 3)) else draw(st.integers(0, size))
    return cuts, stop


_EXAMPLES = int(os.environ.get("DIFF_EXAMPLES", "0"))
_long = settings(max_examples=_EXAMPLES) if _EXAMPLES else (lambda f: f)


@_long
@given(frame_cases(), st.data())
def test_both_engines_answer_every_sequence_alike(case: FrameCase, data: st.DataObject) -> None:
    cuts, stop = data.draw(reads(case))
    check(case, cuts, stop)


@given(frame_cases(FLOODS))
def test_both_engines_stop_floods_alike(case: FrameCase) -> None:
    check(case, [], len(case.data))


@given(frame_cases(("soup",)), st.binary(max_size=64), st.data())
def test_both_engines_agree_on_garbage_after_a_valid_start(
    case: FrameCase, tail: bytes, data: st.DataObject
) -> None:
    cut = data.draw(st.integers(0, len(case.data)))
    mangled = FrameCase(case.name, case.data[:cut] + tail, case.expect)
    check(mangled, [cut], len(mangled.data))


def test_the_permitted_differences_are_documented() -> None:
    """Each permitted difference has a name and a reason (the list is the documentation)."""
    assert len({d.name for d in PERMITTED_DIFFERENCES}) == len(PERMITTED_DIFFERENCES)
    assert all(len(d.why) > 40 for d in PERMITTED_DIFFERENCES)


# Found by the 100,000-sequence run: WINDOW_UPDATE on stream 0 with the reserved bit set and an
# increment of 1. The raw engine ignores the bit (RFC 9113 6.9); h2 answers PROTOCOL_ERROR.
RESERVED_BIT = bytes.fromhex(
    "505249202a20485454502f322e300d0a0d0a534d0d0a0d0a00000c0400000000000004000040000002000000"
    "0000000408000000000080000001"
)


def test_the_reserved_bit_of_a_window_update_is_ignored() -> None:
    h2 = drive(H2Engine, RESERVED_BIT, [], len(RESERVED_BIT))
    raw = drive(RawH2Engine, RESERVED_BIT, [], len(RESERVED_BIT))
    assert raw.goaway is None and not raw.closed
    assert raw.errors == {"window_update_reserved_bit": 1}
    assert h2.goaway == E.PROTOCOL_ERROR
    assert compare(h2, raw) is None  # a permitted difference, not a silent one


# Found by the same run: HEADERS without END_HEADERS, then a PING of length 0.
INTERRUPTED = bytes.fromhex(
    "505249202a20485454502f322e300d0a0d0a534d0d0a0d0a"
    "000000040000000000"
    "000000010000000001"
    "000000060000000000"
)


def test_a_malformed_frame_inside_a_header_block() -> None:
    h2 = drive(H2Engine, INTERRUPTED, [], len(INTERRUPTED))
    raw = drive(RawH2Engine, INTERRUPTED, [], len(INTERRUPTED))
    assert raw.goaway == E.PROTOCOL_ERROR and "header_block_interrupted" in raw.errors
    assert h2.goaway == E.FRAME_SIZE_ERROR
    assert compare(h2, raw) is None


# Found by the same run: DATA on stream 2 (a server id, never opened) after stream 3 opened.
EVEN_IDLE = bytes.fromhex(
    "505249202a20485454502f322e300d0a0d0a534d0d0a0d0a"
    "000000040000000000"
    "000003010500000003"
    "838684"
    "000000000000000002"
)


def test_data_on_an_even_stream_is_a_connection_error() -> None:
    h2 = drive(H2Engine, EVEN_IDLE, [], len(EVEN_IDLE))
    raw = drive(RawH2Engine, EVEN_IDLE, [], len(EVEN_IDLE))
    assert raw.goaway == h2.goaway == E.PROTOCOL_ERROR


# Found by the same run (read in two parts, cut at byte 92): after streams 1-7, a CONTINUATION
# on stream 1, which was answered and closed, with no header block open.
LONE_CONTINUATION = bytes.fromhex(
    "505249202a20485454502f322e300d0a0d0a534d0d0a0d0a0000060400000000000002000000000000000101"
    "0000000100002309040000000183864186a0e41d139d09448a60f596ab1318988cd27f5f8b1d75d0620d263d"
    "4c7441ea0000000100000000030000050904000000038386c0bfbe0000000000000000030000590001000000"
    "037b226964223a226631222c22696d70223a5b7b226964223a2231222c2262616e6e6572223a7b2277223a33"
    "30302c2268223a3235307d7d5d2c2273697465223a7b22646f6d61696e223a226578616d706c652e636f6d22"
    "7d7d0000050104000000058386c0bfbe0000000000000000050000590000000000057b226964223a22663122"
    "2c22696d70223a5b7b226964223a2231222c2262616e6e6572223a7b2277223a3330302c2268223a3235307d"
    "7d5d2c2273697465223a7b22646f6d61696e223a226578616d706c652e636f6d227d7d000000010000000007"
    "0000050904000000078386c0bfbe0000000900000000010000000100000000090000050904000000098386c0"
    "bfbe0000000000000000090000590000000000097b226964223a226631222c22696d70223a5b7b226964223a"
    "2231222c2262616e6e6572223a7b2277223a3330302c2268223a3235307d7d5d2c2273697465223a7b22646f"
    "6d61696e223a226578616d706c652e636f6d227d7d00000001000000000b00000509040000000b8386c0bfbe"
    "00000000000000000b00005900000000000b7b226964223a226631222c22696d70223a5b7b226964223a2231"
    "222c2262616e6e6572223a7b2277223a3330302c2268223a3235307d7d5d2c2273697465223a7b22646f6d61"
    "696e223a226578616d706c652e636f6d227d7d"
)


def test_a_continuation_without_a_header_block() -> None:
    h2 = drive(H2Engine, LONE_CONTINUATION, [92], len(LONE_CONTINUATION))
    raw = drive(RawH2Engine, LONE_CONTINUATION, [92], len(LONE_CONTINUATION))
    assert raw.goaway == E.PROTOCOL_ERROR and "continuation_without_headers" in raw.errors
    assert h2.goaway == E.STREAM_CLOSED
    assert compare(h2, raw) is None


# Found by the 100,000-sequence run: SETTINGS, a whole request on stream 1, and a client GOAWAY,
# all in one read. Raw answers stream 1 and closes; h2 cannot send after receiving GOAWAY.
PREFACE_AND_SETTINGS = bytes.fromhex(
    "505249202a20485454502f322e300d0a0d0a534d0d0a0d0a000000040000000000"
)
REQUEST_THEN_GOAWAY = (
    PREFACE_AND_SETTINGS
    # HEADERS (END_STREAM|END_HEADERS): POST http /openrtb2/bid, :authority x
    + bytes.fromhex("0000110105000000018386448a60f596ab1318988cd27f4181f3")
    + bytes.fromhex("0000080700000000000000000000000000")  # GOAWAY(0, NO_ERROR)
)


def test_requests_ahead_of_a_client_goaway_are_answered() -> None:
    size = len(REQUEST_THEN_GOAWAY)
    h2 = drive(H2Engine, REQUEST_THEN_GOAWAY, [], size)
    raw = drive(RawH2Engine, REQUEST_THEN_GOAWAY, [], size)
    assert h2.requests == raw.requests and len(raw.requests) == 1
    assert raw.closed and h2.closed and raw.goaway is None and h2.goaway is None
    assert raw.answered == {1} and raw.states[1] == "closed"
    assert h2.answered == set() and h2.states[1] == "half_closed_remote"
    assert compare(h2, raw) is None
    # Cut before the GOAWAY, both answer: no difference at all.
    h2 = drive(H2Engine, REQUEST_THEN_GOAWAY, [size - 17], size)
    raw = drive(RawH2Engine, REQUEST_THEN_GOAWAY, [size - 17], size)
    assert h2.answered == raw.answered == {1} and h2.states == raw.states


def test_frames_after_a_client_goaway() -> None:
    """Found by the long run: PING after the client's GOAWAY (h2: PROTOCOL_ERROR; raw: ignored)."""
    data = REQUEST_THEN_GOAWAY + bytes.fromhex("0000080600000000000000000000000000")
    h2 = drive(H2Engine, data, [], len(data))
    raw = drive(RawH2Engine, data, [], len(data))
    assert h2.goaway == E.PROTOCOL_ERROR and raw.goaway is None and raw.closed
    assert raw.answered == {1}
    assert compare(h2, raw) is None
    # The same PING before the GOAWAY is no difference, so nothing is excused.
    ping_first = REQUEST_THEN_GOAWAY[:-17] + data[-17:] + REQUEST_THEN_GOAWAY[-17:]
    assert client_goaway_end(ping_first) == len(ping_first)
    h2 = drive(H2Engine, ping_first, [], len(ping_first))
    raw = drive(RawH2Engine, ping_first, [], len(ping_first))
    assert h2.goaway is None and raw.goaway is None


def _headers_frame(sid: int, block: bytes) -> bytes:
    return len(block).to_bytes(3, "big") + b"\x01\x05" + sid.to_bytes(4, "big") + block


def test_a_remembered_header_block_follows_the_dynamic_table() -> None:
    """The raw engine reuses the request a repeated header block made only while the HPACK
    table is unchanged: the same bytes after the table moved decode anew, as h2 decodes them."""
    # GET http / with :authority "x" as a literal without indexing (the table never holds it).
    start = bytes.fromhex("828684010178")
    first = start + b"\x40\x11x-openrtb-version\x032.5"  # indexed: table 62 = 2.5
    repeat = start + b"\xbe"  # index 62
    moved = start + b"\x40\x11x-openrtb-version\x032.6"  # 62 = 2.6, 63 = 2.5
    data = PREFACE_AND_SETTINGS + b"".join(
        _headers_frame(sid, block)
        for sid, block in ((1, first), (3, repeat), (5, repeat), (7, moved), (9, repeat))
    )
    h2 = drive(H2Engine, data, [], len(data))
    raw = drive(RawH2Engine, data, [], len(data))
    assert compare(h2, raw) is None and raw.requests == h2.requests
    versions = [r[6] for r in raw.requests]
    assert versions == [b"2.5", b"2.5", b"2.5", b"2.6", b"2.6"]
