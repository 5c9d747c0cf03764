"""The HTTP/2 engines, sans-IO: an h2 client (or hand-made frames) on one side, no sockets.

Every test runs on both engines, :class:`transport.h2_engine.H2Engine` (on h2, the reference)
and :class:`transport.raw_h2.RawH2Engine`, through their common interface, with an explicit
fake clock (the ``now`` floats passed in), so timeouts and token buckets are deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import h2.events
import hpack
import pytest
from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.errors import ErrorCodes
from h2.settings import SettingCodes, Settings
from hyperframe.frame import (
    ContinuationFrame,
    DataFrame,
    Frame,
    GoAwayFrame,
    HeadersFrame,
    PingFrame,
    RstStreamFrame,
    SettingsFrame,
)

from transport.events import Request, Response
from transport.h2_engine import H2Engine
from transport.h2_lifecycle import DRAIN_PING
from transport.h2_wire import MAX_STREAM_ID, PREFACE
from transport.limits import Limits
from transport.metrics import ERRORS, HTTP_RESPONSES, PROTOCOL_ERRORS
from transport.raw_h2 import RawH2Engine

JSON = b"application/json"
Headers = list[tuple[bytes, bytes]]


#: The engine the current test runs on (set by the ``engine`` fixture).
ENGINE: type[H2Engine] | type[RawH2Engine] = H2Engine


@pytest.fixture(autouse=True, params=["h2", "raw"])
def engine(request: pytest.FixtureRequest) -> Iterator[str]:
    """Every test in this file, once per engine."""
    global ENGINE
    ENGINE = H2Engine if request.param == "h2" else RawH2Engine
    yield request.param
    ENGINE = H2Engine


def request_headers(
    path: bytes = b"/openrtb", method: bytes = b"POST", extra: Iterable[tuple[bytes, bytes]] = ()
) -> Headers:
    return [
        (b":method", method),
        (b":scheme", b"https"),
        (b":authority", b"bidder.test"),
        (b":path", path),
        *extra,
    ]


def answer_all(engine: H2Engine | RawH2Engine, ready: Sequence[tuple[int, Request]]) -> None:
    """The bidder of these tests: echo the body (or ``ok``) with 200."""
    for sid, req in ready:
        engine.send_response(sid, Response(200, req.body or b"ok", content_type=JSON))


def protocol_errors(kind: str) -> int:
    return PROTOCOL_ERRORS.get(kind)


# -- an h2 client as the peer ------------------------------------------------------------------


class Answer:
    """What the client saw of one stream."""

    def __init__(self) -> None:
        self.headers: dict[bytes, bytes] = {}
        self.body = bytearray()
        self.chunks: list[int] = []  # the size of each DATA frame
        self.ended = False
        self.reset: int | None = None

    @property
    def status(self) -> int:
        return int(self.headers[b":status"])


class Peer:
    """An engine and an h2 client wired together by hand."""

    def __init__(
        self,
        limits: Limits | None = None,
        *,
        now: float = 0.0,
        client_settings: dict[SettingCodes, int] | None = None,
    ) -> None:
        self.engine = ENGINE(limits or Limits(), now)
        self.client = H2Connection(config=H2Configuration(client_side=True, header_encoding=None))
        if client_settings:
            self.client.local_settings = Settings(client=True, initial_values=client_settings)
        self.client.initiate_connection()
        self.answers: dict[int, Answer] = {}
        self.terminated: h2.events.ConnectionTerminated | None = None
        self.events: list[h2.events.Event] = []

    def flush(self, now: float) -> list[tuple[int, Request]]:
        """Client bytes into the engine; the requests it completed."""
        return self.engine.receive_data(self.client.data_to_send(), now)

    def deliver(self, *, acknowledge: bool = True) -> list[h2.events.Event]:
        """Engine bytes into the client; its events (also recorded per stream)."""
        events = self.client.receive_data(self.engine.data_to_send())
        self.events += events
        for event in events:
            if isinstance(event, h2.events.ResponseReceived):
                assert event.stream_id is not None and event.headers is not None
                self.stream(event.stream_id).headers = dict(event.headers)
            elif isinstance(event, h2.events.DataReceived):
                assert event.stream_id is not None and event.data is not None
                answer = self.stream(event.stream_id)
                answer.body += event.data
                answer.chunks.append(len(event.data))
                if acknowledge and event.flow_controlled_length:
                    self.client.acknowledge_received_data(
                        event.flow_controlled_length, event.stream_id
                    )
            elif isinstance(event, h2.events.StreamEnded):
                assert event.stream_id is not None
                self.stream(event.stream_id).ended = True
            elif isinstance(event, h2.events.StreamReset):
                assert event.stream_id is not None
                self.stream(event.stream_id).reset = event.error_code
            elif isinstance(event, h2.events.ConnectionTerminated):
                self.terminated = event
        return events

    def roundtrip(self, now: float) -> list[tuple[int, Request]]:
        """Flush, answer everything, deliver; the requests answered."""
        ready = self.flush(now)
        answer_all(self.engine, ready)
        self.deliver()
        return ready

    def request(
        self,
        sid: int,
        body: bytes = b"",
        *,
        end: bool = True,
        extra: Iterable[tuple[bytes, bytes]] = (),
    ) -> None:
        """Queue a POST on the client (HEADERS, then DATA unless ``body`` is empty)."""
        self.client.send_headers(sid, request_headers(extra=extra), end_stream=end and not body)
        if body:
            self.client.send_data(sid, body, end_stream=end)

    def stream(self, sid: int) -> Answer:
        """What the client has seen of stream ``sid`` so far."""
        return self.answers.setdefault(sid, Answer())


# -- a hand-driven peer: raw frames out, parsed frames in -----------------------------------------


def raw_frame(frame_type: int, flags: int, stream_id: int, payload: bytes = b"") -> bytes:
    """A frame hyperframe would refuse to build (e.g. DATA on stream 0)."""
    header = len(payload).to_bytes(3, "big") + bytes([frame_type, flags])
    return header + stream_id.to_bytes(4, "big") + payload


def parse_frames(data: bytes) -> list[Frame]:
    frames: list[Frame] = []
    view = memoryview(data)
    pos = 0
    while pos < len(data):
        frame, length = Frame.parse_frame_header(view[pos : pos + 9])
        frame.parse_body(view[pos + 9 : pos + 9 + length])
        frames.append(frame)
        pos += 9 + length
    return frames


class RawPeer:
    """An engine fed hand-made frames; what it sends back is parsed and sorted by kind."""

    def __init__(self, limits: Limits | None = None, *, now: float = 0.0) -> None:
        self.engine = ENGINE(limits or Limits(), now)
        self.encoder = hpack.Encoder()
        self.decoder = hpack.Decoder()
        self.frames: list[Frame] = []
        self.answers: dict[int, Answer] = {}
        self.goaways: list[tuple[int, int]] = []  # (last_stream_id, error_code)
        self.pings: list[bytes] = []  # PINGs from the engine (not ACKs)
        self.ping_acks: list[bytes] = []

    def send(self, *chunks: bytes | Frame, now: float) -> list[tuple[int, Request]]:
        data = b"".join(c if isinstance(c, bytes) else c.serialize() for c in chunks)
        return self.engine.receive_data(data, now)

    def start(self, now: float = 0.0, settings: dict[int, int] | None = None) -> None:
        """The client preface and SETTINGS (and the ACK of the engine's SETTINGS)."""
        self.send(
            PREFACE, SettingsFrame(0, settings=settings), SettingsFrame(0, flags=["ACK"]), now=now
        )

    def block(self, headers: Headers) -> bytes:
        return self.encoder.encode(headers)

    def headers(
        self, sid: int, headers: Headers | None = None, *, end_stream: bool = False
    ) -> HeadersFrame:
        flags = ["END_HEADERS", "END_STREAM"] if end_stream else ["END_HEADERS"]
        return HeadersFrame(sid, self.block(headers or request_headers()), flags=flags)

    def receive(self) -> list[Frame]:
        frames = parse_frames(self.engine.data_to_send())
        self.frames += frames
        for frame in frames:
            answer = self.answers.setdefault(frame.stream_id, Answer()) if frame.stream_id else None
            if isinstance(frame, HeadersFrame):
                assert answer is not None
                answer.headers = dict(self.decoder.decode(frame.data, raw=True))
                answer.ended = "END_STREAM" in frame.flags
            elif isinstance(frame, DataFrame):
                assert answer is not None
                answer.body += frame.data
                answer.chunks.append(len(frame.data))
                answer.ended = "END_STREAM" in frame.flags
            elif isinstance(frame, RstStreamFrame):
                assert answer is not None
                answer.reset = frame.error_code
            elif isinstance(frame, GoAwayFrame):
                self.goaways.append((frame.last_stream_id, frame.error_code))
            elif isinstance(frame, PingFrame):
                (self.ping_acks if "ACK" in frame.flags else self.pings).append(frame.opaque_data)
        return frames

    def answer(self, ready: Sequence[tuple[int, Request]]) -> None:
        answer_all(self.engine, ready)


# -- 1. assembly ----------------------------------------------------------------------------------


def test_post_body_over_several_data_frames_is_one_request() -> None:
    """HEADERS + three DATA frames make one Request, with the headers the bidder reads copied."""
    peer = Peer()
    body = b'{"id":"1","imp":[{"id":"1","banner":{"w":300,"h":250}}]}'
    extra = [
        (b"content-type", b"application/json"),
        (b"content-encoding", b"identity"),
        (b"accept-encoding", b"gzip, br"),
        (b"x-openrtb-version", b"2.6"),
        (b"content-length", str(len(body)).encode()),
    ]
    peer.client.send_headers(1, request_headers(extra=extra))
    assert peer.flush(0.0) == []
    peer.client.send_data(1, body[:10])
    peer.client.send_data(1, body[10:30])
    assert peer.flush(0.1) == []  # not complete yet
    assert peer.engine.open_streams == 1
    peer.client.send_data(1, body[30:], end_stream=True)
    ready = peer.flush(0.2)

    assert len(ready) == 1
    sid, req = ready[0]
    assert sid == 1
    assert req.method == b"POST"
    assert req.path == b"/openrtb"
    assert req.body == body
    assert req.content_type == b"application/json"
    assert req.content_encoding == b"identity"
    assert req.accept_encoding == b"gzip, br"
    assert req.openrtb_version == b"2.6"
    assert req.arrival == 0.0  # when its HEADERS arrived

    answer_all(peer.engine, ready)
    peer.deliver()
    answer = peer.answers[1]
    assert answer.status == 200
    assert answer.headers[b"content-type"] == JSON
    assert answer.headers[b"content-length"] == str(len(body)).encode()
    assert bytes(answer.body) == body
    assert answer.ended
    assert peer.engine.open_streams == 0
    assert not peer.engine.closed


# -- 2. flow control ------------------------------------------------------------------------------


def test_response_respects_a_tiny_client_window() -> None:
    """With SETTINGS_INITIAL_WINDOW_SIZE=16, a 100-byte answer goes out 16 bytes per update."""
    window = 16
    peer = Peer(client_settings={SettingCodes.INITIAL_WINDOW_SIZE: window})
    body = bytes(range(100))
    peer.request(1, body)
    ready = peer.flush(0.0)
    assert [sid for sid, _ in ready] == [1]
    answer_all(peer.engine, ready)

    rounds = 0
    answer = peer.stream(1)
    while not answer.ended:
        rounds += 1
        assert rounds < 20, "the answer never completed"
        peer.deliver(acknowledge=False)
        if answer.ended:
            break
        # Still sending: the engine waits for the client's WINDOW_UPDATE, not for more time.
        assert peer.engine.open_streams == 1
        assert peer.engine.data_to_send() == b""
        peer.client.increment_flow_control_window(window, stream_id=1)
        assert peer.flush(0.1 * rounds) == []

    assert answer.status == 200
    assert bytes(answer.body) == body
    assert answer.chunks and max(answer.chunks) <= window
    assert len(answer.chunks) == 7  # 6 x 16 + 4
    assert peer.engine.open_streams == 0


def test_response_larger_than_max_frame_size_is_split() -> None:
    """Bodies past 16384 bytes go out in several DATA frames; past 64 KiB they also wait for
    the connection window, refilled by the client's WINDOW_UPDATEs."""
    peer = Peer()
    peer.request(1, b"x")
    peer.request(3, b"y")
    ready = peer.flush(0.0)
    assert [sid for sid, _ in ready] == [1, 3]
    small, big = b"a" * 40_000, b"b" * 200_000
    peer.engine.send_response(1, Response(200, small, content_type=JSON))
    peer.engine.send_response(3, Response(200, big, content_type=JSON))

    for step in range(50):
        peer.deliver()  # acknowledges what it read: WINDOW_UPDATE on stream and connection
        if peer.stream(1).ended and peer.stream(3).ended:
            break
        peer.flush(1.0 + step)
    first, second = peer.answers[1], peer.answers[3]
    assert bytes(first.body) == small
    assert first.chunks == [16384, 16384, 40_000 - 2 * 16384]
    assert bytes(second.body) == big
    assert max(second.chunks) == 16384
    assert second.headers[b"content-length"] == b"200000"
    assert peer.engine.open_streams == 0


# -- 3. client reset ------------------------------------------------------------------------------


def test_stream_reset_mid_body_is_forgotten() -> None:
    """RST_STREAM in the middle of a body drops that stream; another one still completes."""
    peer = Peer()
    peer.request(1, b'{"id":', end=False)
    peer.request(3, b"part one,", end=False)
    assert peer.flush(0.0) == []
    assert peer.engine.open_streams == 2

    peer.client.reset_stream(1, ErrorCodes.CANCEL)
    assert peer.flush(0.1) == []
    assert peer.engine.open_streams == 1
    assert protocol_errors("h2_client_reset") == 1

    peer.client.send_data(3, b" part two", end_stream=True)
    ready = peer.roundtrip(0.2)
    assert [(sid, req.body) for sid, req in ready] == [(3, b"part one, part two")]
    assert peer.answers[3].status == 200
    assert peer.answers[3].ended
    assert 1 not in peer.answers  # nothing was ever sent on the reset stream
    assert peer.engine.open_streams == 0
    assert not peer.engine.closed


# -- 4. CONTINUATION ------------------------------------------------------------------------------


def test_header_block_over_headers_and_two_continuations() -> None:
    """A header block in HEADERS + CONTINUATION + CONTINUATION(END_HEADERS) is one request."""
    peer = RawPeer()
    peer.start()
    block = peer.block(request_headers(extra=[(b"content-type", JSON)]))
    third = len(block) // 3
    ready = peer.send(
        HeadersFrame(1, block[:third]),
        ContinuationFrame(1, block[third : 2 * third]),
        ContinuationFrame(1, block[2 * third :], flags=["END_HEADERS"]),
        DataFrame(1, b"{}", flags=["END_STREAM"]),
        now=0.0,
    )
    assert len(ready) == 1
    assert ready[0][1].path == b"/openrtb"
    assert ready[0][1].content_type == JSON
    assert ready[0][1].body == b"{}"
    peer.answer(ready)
    peer.receive()
    assert peer.answers[1].status == 200
    assert peer.goaways == []


def test_continuation_flood_is_enhance_your_calm() -> None:
    """More than max_continuation_frames CONTINUATIONs in one block: GOAWAY(ENHANCE_YOUR_CALM)."""
    limits = Limits(max_continuation_frames=4)
    peer = RawPeer(limits)
    peer.start()
    # A block of exactly the limit is fine.
    block = peer.block(request_headers(path=b"/fine"))
    pieces = [block[i : i + 4] for i in range(0, 16, 4)] + [block[16:]]
    assert len(pieces) == 5 and b"".join(pieces) == block  # HEADERS + 4 CONTINUATION
    frames: list[Frame] = [HeadersFrame(1, pieces[0], flags=["END_STREAM"])]
    frames += [ContinuationFrame(1, p) for p in pieces[1:-1]]
    frames.append(ContinuationFrame(1, pieces[-1], flags=["END_HEADERS"]))
    ready = peer.send(*frames, now=0.0)
    assert [req.path for _, req in ready] == [b"/fine"]
    peer.answer(ready)
    peer.receive()
    assert peer.answers[1].status == 200

    # The flood: CONTINUATION after CONTINUATION, never END_HEADERS.
    block = peer.block(request_headers(path=b"/flood", extra=[(b"x-pad", b"p" * 40)]))
    flood: list[Frame] = [HeadersFrame(3, block[:1])]
    flood += [ContinuationFrame(3, block[i : i + 1]) for i in range(1, 1 + 5)]
    assert peer.send(*flood, now=0.1) == []
    peer.receive()
    assert peer.goaways == [(1, ErrorCodes.ENHANCE_YOUR_CALM)]
    assert peer.engine.closed
    assert protocol_errors("continuation_flood") == 1
    assert peer.send(ContinuationFrame(3, block[6:], flags=["END_HEADERS"]), now=0.2) == []


# -- 5. concurrency -------------------------------------------------------------------------------


def test_streams_past_max_concurrent_are_refused() -> None:
    """A third stream while two are open gets RST_STREAM(REFUSED_STREAM); the two complete.

    The client sends all three before it has read the engine's SETTINGS (as it may: until then
    the limit is unknown to it), so the stream is refused rather than the connection closed.
    """
    peer = Peer(Limits(max_concurrent_streams=2))
    for sid in (1, 3, 5):
        peer.request(sid, b"{", end=False)
    assert peer.flush(0.0) == []
    peer.deliver()
    assert peer.answers[5].reset == ErrorCodes.REFUSED_STREAM
    assert peer.terminated is None
    assert not peer.engine.closed
    assert peer.engine.open_streams == 2

    peer.client.send_data(1, b"}", end_stream=True)
    peer.client.send_data(3, b"}", end_stream=True)
    ready = peer.roundtrip(0.1)
    assert [(sid, req.body) for sid, req in ready] == [(1, b"{}"), (3, b"{}")]
    assert peer.answers[1].status == 200 and peer.answers[1].ended
    assert peer.answers[3].status == 200 and peer.answers[3].ended
    assert 5 not in dict(ready)

    # With slots free again, a new stream is served.
    peer.request(7, b"again")
    assert [sid for sid, _ in peer.roundtrip(0.2)] == [7]
    assert bytes(peer.answers[7].body) == b"again"


def test_stream_past_max_concurrent_after_settings_is_refused() -> None:
    """A client that ignores the SETTINGS it has acknowledged is refused stream by stream."""
    peer = RawPeer(Limits(max_concurrent_streams=1))
    peer.start()
    assert peer.send(peer.headers(1), peer.headers(3), now=0.0) == []
    peer.receive()
    assert peer.answers[3].reset == ErrorCodes.REFUSED_STREAM
    assert peer.goaways == []
    ready = peer.send(DataFrame(1, b"ok", flags=["END_STREAM"]), now=0.1)
    assert [sid for sid, _ in ready] == [1]
    peer.answer(ready)
    peer.receive()
    assert peer.answers[1].status == 200


def test_streams_far_past_the_limit_in_one_read_end_the_connection() -> None:
    """Refusal is per stream up to a ceiling (the limit plus at least 100) within one read;
    a client far past it gets GOAWAY(PROTOCOL_ERROR) from h2, without an exception. (With the
    whole budget: on a new connection the refusals' cost, 16 each, ends it sooner.)"""
    peer = RawPeer(Limits(max_concurrent_streams=1, cost_initial=4096))
    peer.start()
    frames = [peer.headers(sid) for sid in range(1, 2 * 102, 2)]  # 102 streams
    assert peer.send(*frames, now=0.0) == []
    peer.receive()
    assert peer.goaways and peer.goaways[-1][1] == ErrorCodes.PROTOCOL_ERROR
    assert peer.engine.closed
    assert protocol_errors("h2_too_many_streams") == 1


# -- 6. floods ------------------------------------------------------------------------------------


def _answered_first(peer: Peer, now: float = 0.0) -> None:
    """Stream 1 completes and is answered before any attack."""
    peer.request(1, b"first")
    assert [sid for sid, _ in peer.roundtrip(now)] == [1]
    assert bytes(peer.answers[1].body) == b"first" and peer.answers[1].ended


def _assert_calmed(peer: Peer, reason: str) -> None:
    peer.deliver()
    assert peer.terminated is not None
    assert peer.terminated.error_code == ErrorCodes.ENHANCE_YOUR_CALM
    assert peer.terminated.last_stream_id == 1
    assert peer.engine.closed
    assert peer.engine.close_reason == reason
    assert protocol_errors(reason) == 1
    # What was answered before the attack reached the client whole.
    assert bytes(peer.answers[1].body) == b"first" and peer.answers[1].ended


def test_rapid_reset_is_enhance_your_calm() -> None:
    """Opening and resetting streams past the RST_STREAM budget (CVE-2023-44487) ends the
    connection with GOAWAY(ENHANCE_YOUR_CALM)."""
    peer = Peer(Limits(rst_burst=5, rst_per_second=1.0))
    _answered_first(peer)
    for sid in range(3, 3 + 2 * 6, 2):
        peer.client.send_headers(sid, request_headers(), end_stream=False)
        peer.client.reset_stream(sid, ErrorCodes.CANCEL)
    assert peer.flush(0.0) == []
    _assert_calmed(peer, "rst_stream_flood")


def test_settings_flood_is_enhance_your_calm() -> None:
    """SETTINGS frames past the budget end the connection; their ACKs are not counted."""
    peer = Peer(Limits(settings_burst=3, settings_per_second=1.0))
    _answered_first(peer)  # the preface SETTINGS took one token
    flood = b"".join(SettingsFrame(0).serialize() for _ in range(3))
    acks = b"".join(SettingsFrame(0, flags=["ACK"]).serialize() for _ in range(10))
    assert peer.engine.receive_data(acks, 0.0) == []
    assert not peer.engine.closed
    assert peer.engine.receive_data(flood, 0.0) == []
    _assert_calmed(peer, "settings_flood")


def test_ping_flood_is_enhance_your_calm() -> None:
    """PINGs past the budget end the connection with GOAWAY(ENHANCE_YOUR_CALM)."""
    peer = Peer(Limits(ping_burst=4, ping_per_second=1.0))
    _answered_first(peer)
    for i in range(4):
        peer.client.ping(b"ping%04d" % i)
    assert peer.flush(0.0) == []
    peer.deliver()
    assert sum(isinstance(e, h2.events.PingAckReceived) for e in peer.events) == 4
    assert not peer.engine.closed
    peer.client.ping(b"one more")
    assert peer.flush(0.0) == []
    _assert_calmed(peer, "ping_flood")


@pytest.mark.parametrize("kind", ["rst", "settings", "ping"])
def test_token_buckets_refill_over_time(kind: str) -> None:
    """Ten times the burst, spread over time at the allowed rate, is no flood."""
    limits = Limits(
        rst_burst=4, rst_per_second=2.0, settings_burst=4, settings_per_second=2.0,
        ping_burst=4, ping_per_second=2.0,
    )  # fmt: skip
    peer = Peer(limits)
    peer.flush(0.0)
    peer.deliver()
    sid = 1
    now = 0.0
    for batch in range(10):
        now = 1.0 + 2.0 * batch  # two seconds refill four tokens
        for _ in range(4):
            if kind == "rst":
                peer.client.send_headers(sid, request_headers())
                peer.client.reset_stream(sid, ErrorCodes.CANCEL)
                sid += 2
            elif kind == "settings":
                peer.client.update_settings({SettingCodes.ENABLE_PUSH: 0})
            else:
                peer.client.ping(b"%08d" % batch)
        assert peer.flush(now) == []
        peer.deliver()
        assert not peer.engine.closed, f"flood reported in batch {batch}"
    assert peer.terminated is None
    # The burst is the limit: one more at the same instant is one too many.
    for _ in range(5):
        if kind == "rst":
            peer.client.send_headers(sid, request_headers())
            peer.client.reset_stream(sid, ErrorCodes.CANCEL)
            sid += 2
        elif kind == "settings":
            peer.client.update_settings({SettingCodes.ENABLE_PUSH: 0})
        else:
            peer.client.ping(b"last-one")
    peer.flush(now + 2.0)
    reason = "rst_stream_flood" if kind == "rst" else f"{kind}_flood"
    assert peer.engine.closed
    assert peer.engine.close_reason == reason
    assert protocol_errors(reason) == 1


# -- 7. header list size --------------------------------------------------------------------------


def test_hpack_bomb_is_a_connection_error() -> None:
    """A small header block that decodes past max_header_list_size ends the connection.

    h2 stops decoding at the limit, so the HPACK decoder is no longer in step with the
    client's encoder: the connection cannot go on (RFC 9113 4.3 makes any failure to process
    a field block a connection error). The code is ENHANCE_YOUR_CALM rather than
    COMPRESSION_ERROR because the block itself decodes fine; it is refused as abuse, which
    RFC 9113 10.5 answers with ENHANCE_YOUR_CALM (and RFC 7541 7.3 lets a decoder cap the
    decoded size it accepts).
    """
    limits = Limits(max_header_list_size=4096)
    peer = Peer(limits)
    _answered_first(peer)
    # One 1000-byte header, then references to the dynamic table entry: tiny on the wire.
    bomb = request_headers(extra=[(b"x-bomb", b"b" * 1000)] * 20)
    peer.flush(0.05)  # the client's WINDOW_UPDATEs for the first answer
    peer.client.send_headers(3, bomb, end_stream=True)
    wire = peer.client.data_to_send()
    assert len(wire) < 1200 < 20 * 1000
    assert peer.engine.receive_data(wire, 0.1) == []
    peer.deliver()
    assert peer.terminated is not None
    assert peer.terminated.error_code == ErrorCodes.ENHANCE_YOUR_CALM
    assert peer.terminated.last_stream_id == 1
    assert peer.engine.closed
    assert protocol_errors("h2_header_list_too_large") == 1
    assert 3 not in peer.answers


def test_header_list_just_under_the_limit_is_served() -> None:
    """The cap counts decoded size (name + value + 32 per field): under it is served."""
    limits = Limits(max_header_list_size=4096)
    peer = Peer(limits)
    peer.request(1, b"x", extra=[(b"x-big", b"v" * 3000)])
    assert [sid for sid, _ in peer.roundtrip(0.0)] == [1]
    assert peer.answers[1].status == 200


# -- 8. body size ---------------------------------------------------------------------------------


def test_content_length_over_the_cap_is_413_and_the_rest_is_dropped() -> None:
    """content-length past max_body_size: 413 at once, no reset (curl reports a reset as an
    error instead of the 413); the rest of the body is read and dropped; the connection
    serves the next stream."""
    peer = Peer(Limits(max_body_size=100))
    peer.client.send_headers(1, request_headers(extra=[(b"content-length", b"1000")]))
    peer.client.send_data(1, b"z" * 50)
    assert peer.flush(0.0) == []
    peer.deliver()
    answer = peer.answers[1]
    assert answer.status == 413
    assert answer.ended
    assert b"too large" in answer.body
    assert answer.reset is None
    peer.client.send_data(1, b"z" * 950, end_stream=True)  # the rest arrives and is dropped
    assert peer.flush(0.05) == []
    assert ERRORS.get("body_too_large") == 1
    assert HTTP_RESPONSES.get(413) == 1
    assert peer.engine.open_streams == 0

    peer.request(3, b"small")
    assert [sid for sid, _ in peer.roundtrip(0.1)] == [3]
    assert peer.answers[3].status == 200
    assert not peer.engine.closed


def test_body_growing_past_the_cap_is_413() -> None:
    """Without content-length, the body is counted as it arrives: 413 once it passes the cap,
    and whatever the client still sends on that stream is dropped."""
    peer = Peer(Limits(max_body_size=100))
    peer.client.send_headers(1, request_headers())
    peer.client.send_data(1, b"a" * 60)
    assert peer.flush(0.0) == []
    peer.client.send_data(1, b"b" * 60)
    assert peer.flush(0.1) == []
    peer.deliver()
    assert peer.answers[1].status == 413
    assert peer.answers[1].reset is None
    assert peer.engine.open_streams == 0

    peer.request(3, b"fine")
    ready = peer.roundtrip(0.2)
    assert [(sid, req.body) for sid, req in ready] == [(3, b"fine")]
    assert peer.answers[3].status == 200


def test_body_past_the_cap_with_end_stream_in_the_same_read() -> None:
    """The whole oversize body (and END_STREAM) in one read: one 413, no request, no error."""
    peer = Peer(Limits(max_body_size=100))
    peer.client.send_headers(1, request_headers())
    for _ in range(3):
        peer.client.send_data(1, b"c" * 60)
    peer.client.end_stream(1)
    peer.request(3, b"next")
    ready = peer.roundtrip(0.0)
    assert [sid for sid, _ in ready] == [3]
    assert peer.answers[1].status == 413
    assert peer.answers[3].status == 200
    assert peer.engine.open_streams == 0
    assert not peer.engine.closed


# -- 9. protocol violations -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "attack",
    [
        pytest.param(raw_frame(0x0, 0x1, 0, b"data"), id="data-on-stream-0"),
        pytest.param(b"even", id="headers-on-even-stream"),
        pytest.param(raw_frame(0x8, 0x0, 0, (0).to_bytes(4, "big")), id="zero-window-update"),
        pytest.param(raw_frame(0x4, 0x0, 1, b""), id="settings-on-a-stream"),
    ],
)
def test_protocol_violations_are_goaway_protocol_error(attack: bytes) -> None:
    """Frames the protocol forbids end the connection with GOAWAY(PROTOCOL_ERROR)."""
    peer = RawPeer()
    peer.start()
    ready = peer.send(peer.headers(1, end_stream=True), now=0.0)
    peer.answer(ready)
    peer.receive()
    assert peer.answers[1].status == 200
    if attack == b"even":
        attack = peer.headers(2, end_stream=True).serialize()
    assert peer.send(attack, now=0.1) == []
    peer.receive()
    assert peer.goaways == [(1, ErrorCodes.PROTOCOL_ERROR)]
    assert peer.engine.closed
    assert peer.engine.close_reason == "protocol_error"
    assert peer.send(peer.headers(3, end_stream=True), now=0.2) == []  # closed: ignored


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(request_headers(extra=[(b"Content-Type", JSON)]), id="uppercase-name"),
        pytest.param([h for h in request_headers() if h[0] != b":path"], id="no-path"),
        pytest.param(request_headers(extra=[(b"connection", b"keep-alive")]), id="connection"),
        pytest.param([*request_headers(), (b":method", b"GET")], id="duplicate-pseudo"),
    ],
)
def test_malformed_request_is_protocol_error(headers: Headers) -> None:
    """A malformed request (RFC 9113 8.2) gets PROTOCOL_ERROR; no exception escapes.

    h2 makes it a connection error (GOAWAY), which RFC 9113 5.4.1 allows for any stream
    error. Other connections are their own engines and are not touched.
    """
    peer = RawPeer()
    other = RawPeer()
    peer.start()
    other.start()
    assert peer.send(peer.headers(1, headers, end_stream=True), now=0.0) == []
    peer.receive()
    assert peer.goaways == [(1, ErrorCodes.PROTOCOL_ERROR)]
    assert peer.engine.closed
    assert protocol_errors("h2_protocol_error") == 1

    ready = other.send(other.headers(1, end_stream=True), now=0.0)
    other.answer(ready)
    other.receive()
    assert other.answers[1].status == 200
    assert not other.engine.closed


def test_broken_preface_is_a_connection_error() -> None:
    """A client preface that is not the HTTP/2 one does not raise out of receive_data."""
    peer = RawPeer()
    assert peer.send(PREFACE.replace(b"SM", b"XX"), SettingsFrame(0), now=0.0) == []
    peer.receive()
    assert peer.engine.closed
    assert peer.engine.close_reason == "protocol_error"
    # h2 closes without a GOAWAY, which RFC 9113 3.4 allows: the peer does not speak HTTP/2.
    assert peer.goaways == []


# -- 10. graceful drain ---------------------------------------------------------------------------


def test_graceful_drain() -> None:
    """GOAWAY(2^31-1) and a PING; after the PING ACK, the final GOAWAY with the highest stream
    seen; in-flight streams finish; later streams are refused; then the engine is closed."""
    limits = Limits()
    peer = RawPeer(limits)
    peer.start()
    assert peer.send(peer.headers(1), DataFrame(1, b"one-"), peer.headers(3), now=0.0) == []
    assert peer.engine.open_streams == 2
    peer.receive()

    peer.engine.start_drain()
    peer.receive()
    assert peer.goaways == [(MAX_STREAM_ID, ErrorCodes.NO_ERROR)]
    assert peer.pings == [DRAIN_PING]
    assert not peer.engine.closed

    # The client had a stream on its way before it read the first GOAWAY: still served.
    assert peer.send(peer.headers(5), now=0.1) == []
    ack = PingFrame(0, DRAIN_PING, flags=["ACK"])
    assert peer.send(ack, now=0.2) == []
    # The final GOAWAY may wait a short grace period after the ACK, driven by tick().
    peer.engine.tick(0.2 + limits.drain_grace + 0.05)
    peer.receive()
    assert peer.goaways == [(MAX_STREAM_ID, ErrorCodes.NO_ERROR), (5, ErrorCodes.NO_ERROR)]
    assert peer.engine.drain_state == "final"
    assert not peer.engine.closed

    # A stream past the final GOAWAY is refused.
    assert peer.send(peer.headers(7, end_stream=True), now=0.5) == []
    peer.receive()
    assert peer.answers[7].reset == ErrorCodes.REFUSED_STREAM
    assert peer.engine.open_streams == 3

    ready = peer.send(
        DataFrame(1, b"two", flags=["END_STREAM"]),
        DataFrame(3, b"three", flags=["END_STREAM"]),
        DataFrame(5, b"five", flags=["END_STREAM"]),
        now=0.6,
    )
    assert [(sid, req.body) for sid, req in ready] == [(1, b"one-two"), (3, b"three"), (5, b"five")]
    peer.answer(ready[:2])
    assert not peer.engine.closed
    peer.answer(ready[2:])
    assert peer.engine.closed
    assert peer.engine.close_reason == "drained"
    peer.receive()
    for sid, body in ((1, b"one-two"), (3, b"three"), (5, b"five")):
        assert peer.answers[sid].status == 200
        assert bytes(peer.answers[sid].body) == body
        assert peer.answers[sid].ended


def test_drain_of_an_idle_connection_closes_after_the_ack() -> None:
    """With nothing in flight, the PING ACK (and grace) lead straight to closed."""
    limits = Limits()
    peer = RawPeer(limits)
    peer.start()
    ready = peer.send(peer.headers(1, end_stream=True), now=0.0)
    peer.answer(ready)
    peer.engine.start_drain()
    peer.send(PingFrame(0, DRAIN_PING, flags=["ACK"]), now=1.0)
    peer.engine.tick(1.0 + limits.drain_grace + 0.05)
    peer.receive()
    assert peer.answers[1].status == 200
    assert peer.goaways[-1] == (1, ErrorCodes.NO_ERROR)
    assert peer.engine.closed


# -- 11. timeouts ---------------------------------------------------------------------------------


def test_body_timeout_resets_the_stream() -> None:
    """A body not finished within body_timeout: RST_STREAM(CANCEL) on tick()."""
    limits = Limits(body_timeout=5.0, idle_timeout=60.0)
    peer = Peer(limits)
    peer.request(1, b"slow", end=False)
    peer.request(3, b"fast", end=False)
    assert peer.flush(0.0) == []
    peer.client.send_data(3, b"er", end_stream=True)
    assert [sid for sid, _ in peer.roundtrip(1.0)] == [3]

    peer.engine.tick(5.0)  # not past it yet
    peer.deliver()
    assert peer.stream(1).reset is None
    peer.engine.tick(5.5)
    peer.deliver()
    assert peer.answers[1].reset == ErrorCodes.CANCEL
    assert protocol_errors("h2_stream_timeout") == 1
    assert peer.engine.open_streams == 0
    assert not peer.engine.closed
    assert bytes(peer.answers[3].body) == b"faster"


def test_idle_connection_gets_goaway_no_error() -> None:
    """Nothing in flight for idle_timeout: GOAWAY(NO_ERROR) and closed."""
    limits = Limits(idle_timeout=30.0)
    peer = Peer(limits)
    peer.request(1, b"x")
    peer.roundtrip(10.0)
    peer.engine.tick(40.0)
    assert not peer.engine.closed
    peer.engine.tick(40.5)
    assert peer.engine.closed
    assert peer.engine.close_reason == "idle"
    assert protocol_errors("idle_timeout") == 1
    peer.deliver()
    assert peer.terminated is not None
    assert peer.terminated.error_code == ErrorCodes.NO_ERROR
    assert peer.terminated.last_stream_id == 1


def test_answer_waiting_on_flow_control_is_not_a_body_timeout() -> None:
    """body_timeout is about the request: an answer stalled by the client's window is not
    cancelled by it (send_timeout is its deadline), and completes when the window opens."""
    limits = Limits(body_timeout=5.0, send_timeout=30.0)
    peer = Peer(limits, client_settings={SettingCodes.INITIAL_WINDOW_SIZE: 10})
    peer.request(1, b"y" * 50)
    peer.roundtrip(0.0)
    assert peer.engine.open_streams == 1  # 40 bytes wait for a WINDOW_UPDATE
    peer.engine.tick(20.0)
    assert not peer.engine.closed
    assert peer.engine.open_streams == 1
    assert peer.answers[1].reset is None
    peer.client.increment_flow_control_window(100, stream_id=1)
    peer.flush(21.0)
    peer.deliver()
    assert bytes(peer.answers[1].body) == b"y" * 50
    assert peer.answers[1].ended
    assert peer.engine.open_streams == 0


# -- response shapes ------------------------------------------------------------------------------


def test_head_gets_headers_without_body_and_204_has_no_content_length() -> None:
    """HEAD: headers only (content-length of the body it would get); 204: no content-length."""
    peer = Peer()
    peer.client.send_headers(1, request_headers(method=b"HEAD"), end_stream=True)
    peer.request(3, b"x")
    ready = peer.flush(0.0)
    assert [(sid, req.method) for sid, req in ready] == [(1, b"HEAD"), (3, b"POST")]
    peer.engine.send_response(1, Response(200, b"twelve bytes", content_type=JSON))
    peer.engine.send_response(3, Response(204))
    peer.deliver()
    head, empty = peer.answers[1], peer.answers[3]
    assert head.status == 200 and head.ended
    assert head.headers[b"content-length"] == b"12"
    assert bytes(head.body) == b""
    assert empty.status == 204 and empty.ended
    assert b"content-length" not in empty.headers
    assert peer.engine.open_streams == 0


def test_header_block_trickled_past_the_header_timeout_ends_the_connection() -> None:
    """A HEADERS frame without END_HEADERS, then nothing: slowloris on the header block.
    The header block cannot be abandoned, so tick() ends the connection (ENHANCE_YOUR_CALM)."""
    limits = Limits(header_timeout=5.0)
    engine = ENGINE(limits, 0.0)
    block = hpack.Encoder().encode(
        [(b":method", b"POST"), (b":scheme", b"http"), (b":path", b"/"), (b":authority", b"x")]
    )
    frame = HeadersFrame(1, data=block[:5])  # no END_HEADERS flag
    client = H2Connection(config=H2Configuration(client_side=True, header_encoding=None))
    client.initiate_connection()
    engine.receive_data(client.data_to_send() + frame.serialize(), 0.5)
    engine.tick(3.0)
    assert not engine.closed
    engine.tick(6.0)
    assert engine.closed
    events = client.receive_data(engine.data_to_send())
    ended = [e for e in events if isinstance(e, h2.events.ConnectionTerminated)]
    assert ended and ended[0].error_code == ErrorCodes.ENHANCE_YOUR_CALM
    assert PROTOCOL_ERRORS.get("header_timeout") == 1


def test_a_413_stream_that_keeps_sending_is_reset_past_the_discard_cap() -> None:
    """Dropping the rest of a too-large body is bounded: past DISCARD_FACTOR times the cap the
    stream is reset (CANCEL) and counted."""
    from transport.h2_base import DISCARD_FACTOR

    peer = Peer(Limits(max_body_size=100))
    peer.client.send_headers(1, request_headers(extra=[(b"content-length", b"100000")]))
    peer.flush(0.0)
    for i in range(DISCARD_FACTOR + 2):
        peer.client.send_data(1, b"q" * 100)
        peer.flush(0.01 * i)
    peer.deliver()
    assert peer.answers[1].status == 413
    assert peer.answers[1].reset == ErrorCodes.CANCEL
    assert protocol_errors("h2_discard_cap") == 1
    peer.request(3, b"ok")
    assert [sid for sid, _ in peer.roundtrip(1.0)] == [3]
