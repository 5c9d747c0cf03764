"""The raw engine's repeated header blocks (``Requests._known``): a client that indexes its
header fields (nghttp2, h2load) sends the same few bytes for every request, and the engine makes
each of those requests from the first one it decoded (``Request.like``) instead of decoding the
block again. Each must be the request a full decode would make, with its own arrival and body.
"""

from __future__ import annotations

import struct

import hpack

from transport import h2_wire as W
from transport.events import Request
from transport.limits import Limits
from transport.raw_h2 import RawH2Engine

HEADERS = [
    (":method", "POST"), (":scheme", "http"), (":authority", "x"), (":path", "/openrtb2/bid?a=1"),
    ("content-type", "application/json"), ("content-encoding", "identity"),
    ("accept-encoding", "gzip"), ("x-openrtb-version", "2.6"), ("grpc-timeout", "20m"),
    ("grpc-encoding", "identity"), ("grpc-accept-encoding", "gzip"), ("x-bidwire-debug", "1"),
]  # fmt: skip


def frame(kind: int, flags: int, sid: int, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))[1:]
        + bytes((kind, flags))
        + struct.pack(">I", sid)
        + payload
    )


def fields(request: Request) -> dict[str, object]:
    return {name: getattr(request, name) for name in Request.__slots__}


def test_a_repeated_block_makes_the_request_a_decode_makes() -> None:
    encoder = hpack.Encoder()
    engine = RawH2Engine(Limits(), 0.0)
    engine.receive_data(W.PREFACE + frame(W.SETTINGS, 0, 0, b""), 0.0)
    blocks = [encoder.encode(HEADERS) for _ in range(3)]
    assert blocks[1] == blocks[2] != blocks[0]  # the second and third are all indexed
    got: list[Request] = []
    for i, block in enumerate(blocks):
        sid = 2 * i + 1
        body = b'{"n":%d}' % i
        data = frame(W.HEADERS, W.END_HEADERS, sid, block) + frame(W.DATA, W.END_STREAM, sid, body)
        ready = engine.receive_data(data, float(i + 1))
        assert [key for key, _ in ready] == [sid]
        got.append(ready[0][1])
    first = fields(got[0])
    for i, request in enumerate(got):
        assert request.arrival == float(i + 1)
        assert request.body == b'{"n":%d}' % i
        assert request.trailers == ()
        assert {**fields(request), "arrival": 0, "body": 0} == {**first, "arrival": 0, "body": 0}
    assert got[2] is not got[1]
    assert first["path"] == b"/openrtb2/bid?a=1" and first["debug"] == b"1"
    assert first["grpc_accept_encoding"] == b"gzip"
