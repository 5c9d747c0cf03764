"""Trailers on both HTTP/2 engines, sans-IO (what a gRPC front door needs of the transport).

Requests: a header block, DATA, then a trailing HEADERS with END_STREAM; the trailers arrive in
``Request.trailers``, validated like header fields (no pseudo-headers). Responses: with
``Response.trailers``, HEADERS, the body's DATA without END_STREAM, then HEADERS with END_STREAM
carrying the trailers; with ``trailers_only``, one HEADERS with END_STREAM carrying the status,
the header fields and the trailers.
"""

from __future__ import annotations

from collections.abc import Iterator

import h2.events
import hpack
import pytest
from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.settings import SettingCodes, Settings
from hyperframe.frame import DataFrame, Frame, GoAwayFrame, HeadersFrame, SettingsFrame

from transport import h2_wire as W
from transport.events import Request, Response
from transport.h1_engine import H1Engine
from transport.h2_engine import H2Engine
from transport.limits import Limits
from transport.raw_h2 import RawH2Engine

Engine = H2Engine | RawH2Engine
GRPC = b"application/grpc"
REQUEST = [(b":method", b"POST"), (b":scheme", b"http"), (b":authority", b"t"), (b":path", b"/x")]
TRAILERS = ((b"grpc-status", b"0"), (b"grpc-message", b"all%20good"))


@pytest.fixture(params=["h2", "raw"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    yield (H2Engine if request.param == "h2" else RawH2Engine)(Limits(), 0.0)


class Client:
    """An h2 client wired to an engine by hand."""

    def __init__(self, engine: Engine, *, window: int | None = None) -> None:
        self.engine = engine
        self.conn = H2Connection(config=H2Configuration(client_side=True, header_encoding=None))
        if window is not None:
            initial = {SettingCodes.INITIAL_WINDOW_SIZE: window}
            self.conn.local_settings = Settings(client=True, initial_values=initial)
        self.conn.initiate_connection()
        self.frames: list[Frame] = []
        self.events: list[h2.events.Event] = []

    def flush(self) -> list[tuple[int, Request]]:
        return self.engine.receive_data(self.conn.data_to_send(), 0.0)

    def deliver(self) -> list[h2.events.Event]:
        data = self.engine.data_to_send()
        self.frames += _parse(data)
        events = self.conn.receive_data(data)
        for event in events:
            if isinstance(event, h2.events.DataReceived) and event.flow_controlled_length:
                self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        self.events += events
        return events

    def of(self, kind: type[h2.events.Event]) -> list[h2.events.Event]:
        return [e for e in self.events if isinstance(e, kind)]

    def stream_frames(self, sid: int) -> list[tuple[str, bool]]:
        """The engine's frames on ``sid``: (type, END_STREAM)."""
        return [
            (type(f).__name__, "END_STREAM" in f.flags)
            for f in self.frames
            if f.stream_id == sid and isinstance(f, HeadersFrame | DataFrame)
        ]


def _parse(data: bytes) -> list[Frame]:
    frames: list[Frame] = []
    view = memoryview(data)
    pos = 0
    while pos < len(data):
        frame, length = Frame.parse_frame_header(view[pos : pos + 9])
        frame.parse_body(view[pos + 9 : pos + 9 + length])
        frames.append(frame)
        pos += 9 + length
    return frames


# -- request trailers --------------------------------------------------------------------------


def test_request_trailers_after_the_body_are_collected(engine: Engine) -> None:
    client = Client(engine)
    client.conn.send_headers(1, REQUEST)
    client.conn.send_data(1, b"hello")
    assert client.flush() == []  # not complete before the trailers end the stream
    client.conn.send_headers(1, [(b"x-checksum", b"abc"), (b"x-count", b"1")], end_stream=True)
    ((sid, request),) = client.flush()
    assert sid == 1
    assert request.body == b"hello"
    assert request.trailers == ((b"x-checksum", b"abc"), (b"x-count", b"1"))


def test_request_trailers_right_after_the_header_block(engine: Engine) -> None:
    client = Client(engine)
    client.conn.send_headers(1, REQUEST)
    client.conn.send_headers(1, [(b"x-checksum", b"abc")], end_stream=True)
    ((_, request),) = client.flush()
    assert request.body == b""
    assert request.trailers == ((b"x-checksum", b"abc"),)


def test_requests_without_trailers_have_none(engine: Engine) -> None:
    client = Client(engine)
    for sid in (1, 3):  # the second one from the raw engine's cache of known header blocks
        client.conn.send_headers(sid, REQUEST)
        client.conn.send_data(sid, b"x", end_stream=True)
    assert [r.trailers for _, r in client.flush()] == [(), ()]


def _hand_made(engine: Engine, trailers: list[tuple[bytes, bytes]], flags: list[str]) -> bool:
    """HEADERS, DATA, then a trailing HEADERS as given; whether the engine ended the connection
    with GOAWAY(PROTOCOL_ERROR)."""
    encoder = hpack.Encoder()
    data = b"".join(
        f.serialize()
        for f in (
            SettingsFrame(0),
            HeadersFrame(1, encoder.encode(REQUEST), flags=["END_HEADERS"]),
            DataFrame(1, b"hello"),
            HeadersFrame(1, encoder.encode(trailers), flags=flags),
        )
    )
    assert engine.receive_data(W.PREFACE + data, 0.0) == []
    goaways = [f for f in _parse(engine.data_to_send()) if isinstance(f, GoAwayFrame)]
    return engine.closed and [g.error_code for g in goaways] == [W.PROTOCOL_ERROR]


def test_request_trailers_with_a_pseudo_header_are_a_connection_error(engine: Engine) -> None:
    assert _hand_made(engine, [(b":path", b"/y")], ["END_HEADERS", "END_STREAM"])


def test_request_trailers_without_end_stream_are_a_connection_error(engine: Engine) -> None:
    assert _hand_made(engine, [(b"x-checksum", b"abc")], ["END_HEADERS"])


# -- response trailers -------------------------------------------------------------------------


def _ask(client: Client, sid: int = 1) -> int:
    client.conn.send_headers(sid, REQUEST)
    client.conn.send_data(sid, b"q", end_stream=True)
    ((got, _),) = client.flush()
    return got


def test_response_trailers_follow_the_body(engine: Engine) -> None:
    client = Client(engine)
    sid = _ask(client)
    engine.send_response(sid, Response(200, b"\x00\x00\x00\x00\x01z", content_type=GRPC,
                                       trailers=TRAILERS))  # fmt: skip
    client.deliver()
    assert client.stream_frames(sid) == [
        ("HeadersFrame", False),
        ("DataFrame", False),
        ("HeadersFrame", True),
    ]
    (response,) = client.of(h2.events.ResponseReceived)
    assert dict(response.headers)[b"content-type"] == GRPC  # type: ignore[attr-defined]
    (data,) = client.of(h2.events.DataReceived)
    assert data.data == b"\x00\x00\x00\x00\x01z"  # type: ignore[attr-defined]
    (trailers,) = client.of(h2.events.TrailersReceived)
    assert tuple(trailers.headers) == TRAILERS  # type: ignore[attr-defined]
    assert client.of(h2.events.StreamEnded)
    assert engine.open_streams == 0
    assert engine.stream_state(sid) == "closed"


def test_response_trailers_wait_for_the_whole_body(engine: Engine) -> None:
    """The client's window takes the body in pieces; the trailers come after the last one."""
    client = Client(engine, window=10)
    client.flush()
    client.deliver()  # the engine learns the window
    client.flush()
    sid = _ask(client)
    engine.send_response(sid, Response(200, bytes(35), trailers=TRAILERS))
    for _ in range(10):
        client.deliver()  # each DataReceived acknowledged: the window opens again
        client.flush()
    kinds = client.stream_frames(sid)
    assert kinds[0] == ("HeadersFrame", False)
    assert kinds[-1] == ("HeadersFrame", True)
    assert {k for k in kinds[1:-1]} == {("DataFrame", False)} and len(kinds) > 3
    assert sum(len(e.data) for e in client.of(h2.events.DataReceived)) == 35  # type: ignore[attr-defined]
    (trailers,) = client.of(h2.events.TrailersReceived)
    assert tuple(trailers.headers) == TRAILERS  # type: ignore[attr-defined]


def test_response_trailers_with_no_body(engine: Engine) -> None:
    client = Client(engine)
    sid = _ask(client)
    engine.send_response(sid, Response(200, content_type=GRPC, trailers=TRAILERS))
    client.deliver()
    assert client.stream_frames(sid) == [("HeadersFrame", False), ("HeadersFrame", True)]
    (trailers,) = client.of(h2.events.TrailersReceived)
    assert tuple(trailers.headers) == TRAILERS  # type: ignore[attr-defined]


def test_trailers_only_response_is_one_header_block(engine: Engine) -> None:
    client = Client(engine)
    sid = _ask(client)
    status = ((b"grpc-status", b"12"), (b"grpc-message", b"unimplemented"))
    engine.send_response(sid, Response(200, content_type=GRPC, trailers=status, trailers_only=True))
    client.deliver()
    assert client.stream_frames(sid) == [("HeadersFrame", True)]
    (response,) = client.of(h2.events.ResponseReceived)
    fields = dict(response.headers)  # type: ignore[attr-defined]
    assert fields[b":status"] == b"200"
    assert fields[b"content-type"] == GRPC
    assert fields[b"grpc-status"] == b"12"
    assert fields[b"grpc-message"] == b"unimplemented"
    assert not client.of(h2.events.TrailersReceived)
    assert not client.of(h2.events.DataReceived)
    assert engine.open_streams == 0


def test_answers_without_trailers_are_unchanged(engine: Engine) -> None:
    client = Client(engine)
    sid = _ask(client)
    engine.send_response(sid, Response(200, b"{}", content_type=b"application/json"))
    client.deliver()
    assert client.stream_frames(sid) == [("HeadersFrame", False), ("DataFrame", True)]
    assert not client.of(h2.events.TrailersReceived)


def test_large_trailers_are_split_into_continuations(engine: Engine) -> None:
    client = Client(engine)
    sid = _ask(client)
    big = ((b"x-big", b"v" * 20_000),)
    engine.send_response(sid, Response(200, b"body", trailers=big))
    client.deliver()
    (trailers,) = client.of(h2.events.TrailersReceived)
    assert tuple(trailers.headers) == big  # type: ignore[attr-defined]


def test_http1_sends_a_trailers_only_answer_as_headers() -> None:
    """HTTP/1.1 has no trailers here: a trailers-only answer's trailers are header fields."""
    h1 = H1Engine(Limits(), 0.0)
    ((key, _),) = h1.receive_data(b"POST /x HTTP/1.1\r\nhost: t\r\ncontent-length: 0\r\n\r\n", 0.0)
    h1.send_response(key, Response(200, trailers=((b"grpc-status", b"5"),), trailers_only=True))
    assert b"\r\ngrpc-status: 5\r\n" in h1.data_to_send()
