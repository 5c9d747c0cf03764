"""HTTP/2 frame sequences, valid and invalid, each with the answer a server owes it.

A :class:`FrameCase` is the bytes a client sends on a fresh connection (preface included) and an
:class:`Expect`: the streams that must be answered, or the error the sequence must draw (RFC
9113: GOAWAY, or RST_STREAM for a stream error). :class:`Reader` parses what a server sends back
into an :class:`Outcome`, and :func:`judge` says whether that answer is right. Frames are built
and serialised by hyperframe; the frames it refuses to build (wrong sizes, DATA on stream 0)
are :func:`raw` ``ExtensionFrame``\\ s with the type byte of the real one.

    case = frame_case(RandomSource(random.Random(3)))       # the fuzzer's way
    @given(frame_cases())                                   # the tests' way
"""

from __future__ import annotations

import hpack
from h2.errors import ErrorCodes
from hyperframe.frame import (
    ContinuationFrame,
    DataFrame,
    ExtensionFrame,
    Frame,
    HeadersFrame,
    PingFrame,
    PriorityFrame,
    PushPromiseFrame,
    RstStreamFrame,
    SettingsFrame,
    WindowUpdateFrame,
)
from hypothesis import strategies as st

from transport.h2_wire import MAX_WINDOW, PREFACE

from .answers import Expect, FrameCase
from .source import DrawSource, Source

E = ErrorCodes
#: Bodies of the requests in valid sequences: the server may answer them 2xx or 4xx.
BODIES = (
    b'{"id":"f1","imp":[{"id":"1","banner":{"w":300,"h":250}}],"site":{"domain":"example.com"}}',
    b'{"id":"f2","imp":[{"id":"1","banner":{"w":7,"h":7}}]}',
    b"\n\x02f3\x12\x05\n\x011\x12\x00",  # protobuf: id "f3", one imp
    b"{not json",
    b"",
)


def raw(frame_type: int, flags: int, stream_id: int, payload: bytes = b"") -> ExtensionFrame:
    """A frame hyperframe will not build (a wrong size, or a stream it forbids), as an
    ExtensionFrame carrying the real type byte."""
    frame = ExtensionFrame(type=frame_type, stream_id=stream_id, flag_byte=flags, body=payload)
    frame.body_len = len(payload)  # ExtensionFrame.serialize trusts body_len, set by parsing
    return frame


class Builder:
    """The client side of one sequence: its HPACK state and the bytes so far."""

    def __init__(self, path: bytes, authority: bytes) -> None:
        self.path = path
        self.authority = authority
        self.encoder = hpack.Encoder()
        self.chunks: list[bytes] = []
        self.next_stream = 1

    def add(self, *frames: Frame | bytes) -> None:
        """Append frames (or bytes) to the sequence."""
        self.chunks += [f if isinstance(f, bytes) else f.serialize() for f in frames]

    def start(self, src: Source) -> None:
        """The preface and a SETTINGS frame with valid values."""
        settings: dict[int, int] = {}
        if src.integer(0, 2) == 0:
            settings[SettingsFrame.INITIAL_WINDOW_SIZE] = src.choice((16384, 65535, MAX_WINDOW))
        if src.integer(0, 2) == 0:
            settings[SettingsFrame.MAX_FRAME_SIZE] = src.choice((16384, 2**24 - 1))
        if src.integer(0, 3) == 0:
            settings[SettingsFrame.ENABLE_PUSH] = 0
        self.add(PREFACE, SettingsFrame(0, settings=settings))

    def block(self, headers: list[tuple[bytes, bytes]] | None = None) -> bytes:
        """An HPACK header block (a POST to the target, by default)."""
        if headers is None:
            headers = self.headers()
        return bytes(self.encoder.encode(headers))

    def headers(
        self, body: bytes = b"", extra: tuple[tuple[bytes, bytes], ...] = ()
    ) -> list[tuple[bytes, bytes]]:
        """The headers of a POST of ``body`` to the target."""
        ctype = b"application/x-protobuf" if body[:1] == b"\n" else b"application/json"
        return [
            (b":method", b"POST"), (b":scheme", b"http"), (b":authority", self.authority),
            (b":path", self.path), (b"content-type", ctype), *extra,
        ]  # fmt: skip

    def stream(self) -> int:
        """A new client stream id."""
        sid = self.next_stream
        self.next_stream += 2
        return sid

    def request(self, src: Source, *, end: bool = True) -> int:
        """A valid POST on a new stream; its header block and body split at random."""
        sid = self.stream()
        body = src.choice(BODIES)
        block = self.block(self.headers(body))
        cut = src.integer(0, len(block)) if src.integer(0, 2) == 0 else len(block)
        only_headers = end and not body
        flags = ["END_STREAM"] if only_headers else []
        if cut == len(block):
            self.add(HeadersFrame(sid, block, flags=[*flags, "END_HEADERS"]))
        else:
            self.add(
                HeadersFrame(sid, block[:cut], flags=flags),
                ContinuationFrame(sid, block[cut:], flags=["END_HEADERS"]),
            )
        if body:
            at = src.integer(0, len(body))
            pad = src.choice((0, 0, 7))
            # Sometimes trailers end the stream after the body (as gRPC clients may send).
            trailers = end and src.integer(0, 3) == 0
            first = DataFrame(sid, body[:at], pad_length=pad, flags=["PADDED"] if pad else [])
            last = ["END_STREAM"] if end and not trailers else []
            self.add(first, DataFrame(sid, body[at:], flags=last))
            if trailers:
                block = self.block([(b"x-checksum", b"%d" % len(body))])
                self.add(HeadersFrame(sid, block, flags=["END_HEADERS", "END_STREAM"]))
        return sid

    def noise(self, src: Source) -> None:
        """Frames a server must take in its stride anywhere between two frames."""
        kind = src.integer(0, 4)
        if kind == 0:
            self.add(PingFrame(0, src.binary(8, 8)))
        elif kind == 1:
            self.add(WindowUpdateFrame(0, src.integer(1, 65535)))
        elif kind == 2:
            self.add(PriorityFrame(self.next_stream + 2, depends_on=0, stream_weight=16))
        elif kind == 3:
            self.add(raw(src.integer(0x0B, 0xFF), src.integer(0, 255), 0, src.binary(0, 8)))
        else:
            self.add(SettingsFrame(0, flags=["ACK"]))

    def data(self) -> bytes:
        """The whole sequence."""
        return b"".join(self.chunks)


# -- the cases --------------------------------------------------------------------------------
#
# Each returns the Expect for what it appended to the builder. Invalid ones may start with
# valid requests: those need not be answered (a connection error may drop them, RFC 9113 6.8).


def _goaway(*codes: int) -> Expect:
    return Expect("goaway", frozenset(codes))


def _reset(sid: int, *codes: int) -> Expect:
    return Expect("reset", frozenset(codes), (sid,))


def _requests(src: Source, b: Builder) -> Expect:
    streams = []
    for _ in range(src.integer(1, 5)):
        if src.integer(0, 2) == 0:
            b.noise(src)
        streams.append(b.request(src))
    return Expect("answer", streams=tuple(streams))


def _cancelled(src: Source, b: Builder) -> Expect:
    sid = b.request(src, end=False)
    b.add(RstStreamFrame(sid, src.choice((E.CANCEL, E.NO_ERROR, E.INTERNAL_ERROR))))
    return Expect("answer", streams=(b.request(src),))


def _some_requests(src: Source, b: Builder) -> None:
    for _ in range(src.integer(0, 2)):
        b.request(src)


def _bad_preface(src: Source, b: Builder) -> Expect:
    # Same length, one byte changed, then binary frames: no HTTP/1.x parser waits for more.
    preface = bytearray(PREFACE)
    preface[src.integer(0, len(PREFACE) - 1)] ^= src.integer(1, 255)
    b.chunks = [bytes(preface), SettingsFrame(0).serialize(), b"\x00" * 16]
    return Expect("close")


def _data_on_stream_0(src: Source, b: Builder) -> Expect:
    b.add(raw(0x0, src.choice((0, 1)), 0, src.binary(0, 8)))
    return _goaway(E.PROTOCOL_ERROR)


def _headers_on_even_stream(src: Source, b: Builder) -> Expect:
    b.add(HeadersFrame(2 * src.integer(1, 100), b.block(), flags=["END_HEADERS", "END_STREAM"]))
    return _goaway(E.PROTOCOL_ERROR)


def _frame_on_idle_stream(src: Source, b: Builder) -> Expect:
    sid = b.next_stream + 2 * src.integer(0, 10)
    frame = src.choice(
        (DataFrame(sid, b"x"), WindowUpdateFrame(sid, 1), RstStreamFrame(sid, E.CANCEL),
         ContinuationFrame(sid, b"", flags=["END_HEADERS"]))
    )  # fmt: skip
    b.add(frame)
    return _goaway(E.PROTOCOL_ERROR)


def _frame_on_closed_stream(src: Source, b: Builder) -> Expect:
    sid = b.request(src)
    if src.integer(0, 1):
        b.add(DataFrame(sid, b"late", flags=["END_STREAM"]))
    else:
        b.add(HeadersFrame(sid, b.block(), flags=["END_HEADERS", "END_STREAM"]))
    return _reset(sid, E.STREAM_CLOSED, E.PROTOCOL_ERROR)


def _decreasing_stream_id(src: Source, b: Builder) -> Expect:
    b.next_stream += 2 * src.integer(1, 5)
    high = b.request(src)
    b.add(HeadersFrame(high - 2, b.block(), flags=["END_HEADERS", "END_STREAM"]))
    return _goaway(E.PROTOCOL_ERROR, E.STREAM_CLOSED)


def _connection_window_overflow(src: Source, b: Builder) -> Expect:
    # Two legal increments whose sum, on top of the initial 65,535, passes 2^31-1.
    first = src.integer(1, MAX_WINDOW - 1)
    b.add(WindowUpdateFrame(0, first), WindowUpdateFrame(0, MAX_WINDOW - first))
    return _goaway(E.FLOW_CONTROL_ERROR)


def _stream_window_overflow(src: Source, b: Builder) -> Expect:
    sid = b.request(src, end=False)
    b.add(WindowUpdateFrame(sid, MAX_WINDOW), WindowUpdateFrame(sid, src.integer(1, MAX_WINDOW)))
    return _reset(sid, E.FLOW_CONTROL_ERROR)


def _zero_window_update(src: Source, b: Builder) -> Expect:
    b.add(raw(0x8, 0, 0, (0).to_bytes(4, "big")))
    return _goaway(E.PROTOCOL_ERROR)


def _bad_settings(src: Source, b: Builder) -> Expect:
    setting, value, code = src.choice(
        (
            (SettingsFrame.ENABLE_PUSH, src.integer(2, 2**32 - 1), E.PROTOCOL_ERROR),
            (
                SettingsFrame.INITIAL_WINDOW_SIZE,
                src.integer(2**31, 2**32 - 1),
                E.FLOW_CONTROL_ERROR,
            ),
            (SettingsFrame.MAX_FRAME_SIZE, src.integer(0, 16383), E.PROTOCOL_ERROR),
            (SettingsFrame.MAX_FRAME_SIZE, src.integer(2**24, 2**32 - 1), E.PROTOCOL_ERROR),
        )
    )
    b.add(SettingsFrame(0, settings={setting: value}))
    return _goaway(code)


def _wrong_frame_size(src: Source, b: Builder) -> Expect:
    # (type, a size the type may not have): PING 8, RST_STREAM 4, WINDOW_UPDATE 4, SETTINGS 6n.
    frame_type, size = src.choice(((0x6, 7), (0x6, 9), (0x3, 3), (0x3, 5), (0x8, 3), (0x4, 5)))
    sid = b.request(src, end=False) if frame_type == 0x3 else 0
    b.add(raw(frame_type, 0, sid, src.binary(size, size)))
    return _goaway(E.FRAME_SIZE_ERROR, E.PROTOCOL_ERROR)


def _settings_ack_with_payload(src: Source, b: Builder) -> Expect:
    b.add(raw(0x4, 0x1, 0, src.binary(1, 12)))
    return _goaway(E.FRAME_SIZE_ERROR, E.PROTOCOL_ERROR)


def _oversize_frame(src: Source, b: Builder) -> Expect:
    sid = b.request(src, end=False)
    size = src.choice((16385, 16385 + src.integer(0, 20000)))
    b.add(DataFrame(sid, b"x" * size))
    return _goaway(E.FRAME_SIZE_ERROR)


def _continuation_without_headers(src: Source, b: Builder) -> Expect:
    sid = b.request(src) if src.integer(0, 1) else b.stream()
    b.add(ContinuationFrame(sid, b.block(), flags=["END_HEADERS"]))
    return _goaway(E.PROTOCOL_ERROR)


def _interrupted_header_block(src: Source, b: Builder) -> Expect:
    sid = b.stream()
    block = b.block()
    b.add(HeadersFrame(sid, block[: len(block) // 2]))
    b.add(src.choice((PingFrame(0), DataFrame(sid, b"x"), PriorityFrame(sid), SettingsFrame(0))))
    return _goaway(E.PROTOCOL_ERROR)


def _hpack_garbage(src: Source, b: Builder) -> Expect:
    garbage = src.choice((b"\xff" * 6, b"\x3f\xff\xff\xff\xff\x0f", b"\x80", b"\x7e"))
    b.add(HeadersFrame(b.stream(), garbage, flags=["END_HEADERS", "END_STREAM"]))
    return _goaway(E.COMPRESSION_ERROR, E.PROTOCOL_ERROR)


def _malformed_request(src: Source, b: Builder) -> Expect:
    sid = b.stream()
    headers = b.headers(
        b"",
        src.choice(
            (
                ((b"Content-Type", b"text/plain"),),  # upper case
                ((b"connection", b"keep-alive"),),  # connection-specific
                ((b"te", b"gzip"),),
                ((b":method", b"GET"),),  # duplicate pseudo-header
                ((b":status", b"200"),),  # response pseudo-header
                ((b"content-length", b"10"),),  # and no body
            )
        ),
    )
    if src.integer(0, 2) == 0:
        headers = [h for h in headers if h[0] != b":path"]
    b.add(HeadersFrame(sid, b.block(headers), flags=["END_HEADERS", "END_STREAM"]))
    return _reset(sid, E.PROTOCOL_ERROR)


def _push_promise(src: Source, b: Builder) -> Expect:
    sid = b.request(src, end=False)
    b.add(PushPromiseFrame(sid, promised_stream_id=2, data=b.block(), flags=["END_HEADERS"]))
    return _goaway(E.PROTOCOL_ERROR)


def _self_dependency(src: Source, b: Builder) -> Expect:
    sid = b.request(src, end=False)
    b.add(PriorityFrame(sid, depends_on=sid, stream_weight=src.integer(0, 255)))
    return _reset(sid, E.PROTOCOL_ERROR)


def _rst_storm(src: Source, b: Builder) -> Expect:
    # Rapid Reset (CVE-2023-44487): open and cancel streams far past any sane rate.
    for _ in range(src.integer(400, 900)):
        sid = b.stream()
        b.add(HeadersFrame(sid, b.block(), flags=["END_HEADERS"]), RstStreamFrame(sid, E.CANCEL))
    return _goaway(E.ENHANCE_YOUR_CALM)


def _settings_flood(src: Source, b: Builder) -> Expect:
    b.add(*[SettingsFrame(0) for _ in range(src.integer(200, 600))])
    return _goaway(E.ENHANCE_YOUR_CALM)


def _ping_flood(src: Source, b: Builder) -> Expect:
    ping = PingFrame(0, src.binary(8, 8))
    b.add(*[ping] * src.integer(500, 1500))
    return _goaway(E.ENHANCE_YOUR_CALM)


def _continuation_flood(src: Source, b: Builder) -> Expect:
    sid = b.stream()
    b.add(HeadersFrame(sid, b.block()[:1]))
    b.add(*[ContinuationFrame(sid, b"") for _ in range(src.integer(200, 2000))])
    return _goaway(E.ENHANCE_YOUR_CALM)


def _soup(src: Source, b: Builder) -> Expect:
    """Frames of any type, flags, stream and payload: valid or not, never a 5xx or a crash."""
    for _ in range(src.integer(1, 12)):
        if src.integer(0, 3) == 0:
            b.request(src, end=bool(src.integer(0, 1)))
        else:
            sid = src.choice((0, 1, 2, 3, b.next_stream, MAX_WINDOW))
            b.add(raw(src.integer(0, 12), src.integer(0, 255), sid, src.binary(0, 24)))
    return Expect("any")


CASES = {
    "requests": _requests,
    "cancelled-stream": _cancelled,
    "bad-preface": _bad_preface,
    "data-on-stream-0": _data_on_stream_0,
    "headers-on-even-stream": _headers_on_even_stream,
    "frame-on-idle-stream": _frame_on_idle_stream,
    "frame-on-closed-stream": _frame_on_closed_stream,
    "decreasing-stream-id": _decreasing_stream_id,
    "connection-window-overflow": _connection_window_overflow,
    "stream-window-overflow": _stream_window_overflow,
    "zero-window-update": _zero_window_update,
    "bad-settings": _bad_settings,
    "wrong-frame-size": _wrong_frame_size,
    "settings-ack-with-payload": _settings_ack_with_payload,
    "oversize-frame": _oversize_frame,
    "continuation-without-headers": _continuation_without_headers,
    "interrupted-header-block": _interrupted_header_block,
    "hpack-garbage": _hpack_garbage,
    "malformed-request": _malformed_request,
    "push-promise": _push_promise,
    "self-dependency": _self_dependency,
    "rst-stream-storm": _rst_storm,
    "settings-flood": _settings_flood,
    "ping-flood": _ping_flood,
    "continuation-flood": _continuation_flood,
    "soup": _soup,
}
#: The cases that build a valid sequence.
VALID = ("requests", "cancelled-stream")
#: The floods: large sequences that a server with no rate limits answers in full.
FLOODS = ("rst-stream-storm", "settings-flood", "ping-flood", "continuation-flood")


def frame_case(
    src: Source,
    name: str | None = None,
    *,
    path: bytes = b"/openrtb2/bid",
    authority: bytes = b"localhost",
) -> FrameCase:
    """One sequence (of kind ``name``, else one ``src`` picks from :data:`CASES`): the preface,
    SETTINGS, maybe valid requests and noise, then what the case is about."""
    name = name or src.choice(tuple(CASES))
    b = Builder(path, authority)
    b.start(src)
    if name not in VALID and name != "bad-preface":
        _some_requests(src, b)
    expect = CASES[name](src, b)
    return FrameCase(name, b.data(), expect)


@st.composite
def _frame_cases(draw: st.DrawFn, names: tuple[str, ...]) -> FrameCase:
    src = DrawSource(draw)
    return frame_case(src, src.choice(names))


def frame_cases(names: tuple[str, ...] | None = None) -> st.SearchStrategy[FrameCase]:
    """Frame sequences of the kinds ``names`` (default: every kind in :data:`CASES`)."""
    return _frame_cases(names or tuple(CASES))


__all__ = ["CASES", "FLOODS", "PREFACE", "VALID", "Builder", "frame_case", "frame_cases", "raw"]
