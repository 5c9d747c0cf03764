"""Hypothesis properties of the sans-IO HTTP/2 engine on whole frame sequences.

The engine never raises, whatever the bytes and however they are cut into reads; and it gives
every sequence of :mod:`fuzz.frames` the answer :func:`fuzz.answers.judge` holds it to: valid
requests answered, invalid sequences the right GOAWAY or RST_STREAM (floods ENHANCE_YOUR_CALM).
Also the regressions `bidwire fuzz` found in the engine.
"""

from __future__ import annotations

import hpack
from hyperframe.frame import HeadersFrame, RstStreamFrame, SettingsFrame, WindowUpdateFrame
from hypothesis import given
from hypothesis import strategies as st

from fuzz.answers import Expect, FrameCase, Outcome, Reader, judge
from fuzz.frames import CASES, FLOODS, PREFACE, frame_cases
from transport.events import Response
from transport.h2_engine import H2Engine
from transport.limits import Limits

#: The statuses the fake bidder answers with (a 5xx would be the bidder's, not the engine's).
STATUSES = (200, 204, 400, 413)


def drive(data: bytes, cuts: list[int], statuses: list[int], expect: Expect) -> Outcome:
    """Feed ``data`` to a fresh engine in reads ending at ``cuts``, answering each request it
    completes; what a client would have seen."""
    engine = H2Engine(Limits(), 0.0)
    reader = Reader()
    start = 0
    for end in [*sorted(set(cuts)), len(data)]:
        for sid, _request in engine.receive_data(data[start:end], 0.0):
            status = statuses[sid % len(statuses)]
            engine.send_response(sid, Response(status, b"" if status == 204 else b"{}"))
        reader.feed(engine.data_to_send())
        start = end
    outcome = reader.outcome
    outcome.closed = engine.closed
    outcome.timed_out = not engine.closed and not outcome.settled(expect)
    return outcome


@given(frame_cases(), st.data())
def test_every_sequence_gets_the_answer_it_is_owed(case: FrameCase, data: st.DataObject) -> None:
    cuts = data.draw(st.lists(st.integers(0, len(case.data)), max_size=4))
    statuses = data.draw(st.lists(st.sampled_from(STATUSES), min_size=1, max_size=3))
    outcome = drive(case.data, cuts, statuses, case.expect)
    assert judge(case.expect, outcome) is None, (case.name, outcome.describe())


@given(frame_cases(FLOODS))
def test_floods_are_enhance_your_calm(case: FrameCase) -> None:
    outcome = drive(case.data, [], [200], case.expect)
    assert outcome.goaway == 11, outcome.describe()  # ENHANCE_YOUR_CALM


@given(st.sampled_from(tuple(CASES)), st.binary(max_size=256), st.data())
def test_arbitrary_bytes_after_a_valid_start_never_raise(
    name: str, tail: bytes, data: st.DataObject
) -> None:
    case = data.draw(frame_cases((name,)))
    cut = data.draw(st.integers(0, len(case.data)))
    drive(case.data[:cut] + tail, [cut], [200], Expect("any"))


# -- regressions ----------------------------------------------------------------------------------


def _start(engine: H2Engine, encoder: hpack.Encoder) -> None:
    headers = [(b":method", b"POST"), (b":scheme", b"http"), (b":authority", b"x"),
               (b":path", b"/openrtb2/bid")]  # fmt: skip
    opening = HeadersFrame(1, encoder.encode(headers), flags=["END_HEADERS"])
    engine.receive_data(PREFACE + SettingsFrame(0).serialize() + opening.serialize(), 0.0)
    engine.data_to_send()


def test_frames_on_an_idle_stream_after_others_opened_are_protocol_error() -> None:
    """h2 answers RST_STREAM or WINDOW_UPDATE on an idle stream with PROTOCOL_ERROR only while
    no stream is open; with stream 1 open it dropped them (RFC 9113 5.1: connection error)."""
    for frame in (RstStreamFrame(15, 8), WindowUpdateFrame(7, 1)):
        engine = H2Engine(Limits(), 0.0)
        _start(engine, hpack.Encoder())
        engine.receive_data(frame.serialize(), 0.0)
        reader = Reader()
        reader.feed(engine.data_to_send())
        assert engine.closed
        assert reader.outcome.goaway == 1  # PROTOCOL_ERROR


def test_content_length_without_the_body_is_a_malformed_request() -> None:
    """HEADERS with END_STREAM and content-length: 10 is malformed (RFC 9113 8.1.1); h2 checks
    content-length only when DATA ends the stream, so it reached the bidder."""
    engine = H2Engine(Limits(), 0.0)
    encoder = hpack.Encoder()
    headers = [(b":method", b"POST"), (b":scheme", b"http"), (b":authority", b"x"),
               (b":path", b"/"), (b"content-length", b"10")]  # fmt: skip
    frame = HeadersFrame(1, encoder.encode(headers), flags=["END_HEADERS", "END_STREAM"])
    ready = engine.receive_data(PREFACE + SettingsFrame(0).serialize() + frame.serialize(), 0.0)
    assert ready == []
    reader = Reader()
    reader.feed(engine.data_to_send())
    assert reader.outcome.resets == {1: 1}  # RST_STREAM(PROTOCOL_ERROR)
    assert not engine.closed
