"""tmax peeked off the wire (openrtb/peek.py), and the deadline the front doors give admission
control from it (BidderApp.deadline, GrpcFrontDoor.deadline)."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bidder.app import BidderApp
from bidder.deadline import DeadlineConfig, deadline_for
from bidder.grpc_wire import frame
from bidder.pipeline import NoBid
from openrtb import BidRequest, JsonCodec, ProtoCodec
from openrtb.peek import peek_tmax_json, peek_tmax_proto
from transport.events import Request

JSON = JsonCodec()
PROTO = ProtoCodec()


@pytest.mark.parametrize(
    ("body", "tmax"),
    [
        (b'{"id":"a","tmax":120,"imp":[]}', 120),
        (b'{"id": "a", "tmax" :\n 80 }', 80),
        (b'{"id":"a","imp":[]}', None),
        (b'{"tmax":"120"}', None),  # not a number: no peek (the decoder says what is wrong)
        (b'{"tmax":1234567890}', None),  # over 9 digits: no tmax
        (b'{"tmax"', None),
    ],
)
def test_json_peek(body: bytes, tmax: int | None) -> None:
    assert peek_tmax_json(body) == tmax


@given(tmax=st.one_of(st.none(), st.integers(1, 2**31 - 1)), test=st.booleans())
def test_proto_peek_reads_what_the_codec_wrote(tmax: int | None, test: bool) -> None:
    request = JSON.decode_request(
        b'{"id":"r1","imp":[{"id":"1","banner":{"w":300,"h":250}}],'
        b'"site":{"domain":"example.com"},"cur":["USD"]}'
    )
    request = BidRequest(id=request.id, imp=request.imp, site=request.site, cur=request.cur,
                         tmax=tmax, test=int(test))  # fmt: skip
    message = PROTO.encode_request(request)
    assert peek_tmax_proto(message) == tmax
    assert peek_tmax_proto(frame(message), 5) == tmax


@given(st.binary(max_size=64))
def test_proto_peek_never_raises(data: bytes) -> None:
    peek_tmax_proto(data)


def app() -> BidderApp:
    return BidderApp(lambda request, arrival: NoBid("test"))


def test_bid_requests_get_the_pipelines_deadline_and_the_rest_none() -> None:
    bidder, config = app(), DeadlineConfig()
    now = time.monotonic()

    def req(method: bytes, path: bytes, body: bytes = b"", **kw: bytes) -> Request:
        return Request(method, path, body, arrival=now, **kw)  # type: ignore[arg-type]

    body = b'{"id":"a","tmax":120,"imp":[{"id":"1"}]}'
    assert bidder.deadline(req(b"POST", b"/openrtb2/bid", body)) == deadline_for(now, 120, config)
    assert bidder.deadline(req(b"POST", b"/openrtb2/bid?x=1", b"{}")) == deadline_for(
        now, None, config
    )
    gzipped = req(b"POST", b"/openrtb2/bid", body, content_encoding=b"gzip")
    assert bidder.deadline(gzipped) == deadline_for(now, None, config)  # not peeked
    message = PROTO.encode_request(JSON.decode_request(body))
    proto = req(b"POST", b"/openrtb2/bid", message, content_type=b"application/x-protobuf")
    assert bidder.deadline(proto) == deadline_for(now, 120, config)
    for never in (
        req(b"GET", b"/healthz"),
        req(b"GET", b"/readyz"),
        req(b"GET", b"/metrics"),
        req(b"GET", b"/openrtb2/bid"),
        req(b"POST", b"/notice/win", b"a=b"),
    ):
        assert bidder.deadline(never) is None


def test_grpc_calls_take_the_earlier_of_tmax_and_grpc_timeout() -> None:
    bidder, config = app(), DeadlineConfig()
    now = time.monotonic()
    message = frame(
        PROTO.encode_request(JSON.decode_request(b'{"id":"a","tmax":300,"imp":[{"id":"1"}]}'))
    )
    grpc = b"application/grpc"
    call = Request(b"POST", b"/bidwire.v1.Bidder/Bid", message, content_type=grpc, arrival=now)
    assert bidder.deadline(call) == deadline_for(now, 300, config)
    call.grpc_timeout = b"100m"
    assert bidder.deadline(call) == pytest.approx(now + 0.100 - 0.020)
    call.grpc_timeout = b"bad"  # handle() answers INVALID_ARGUMENT; the deadline is tmax's
    assert bidder.deadline(call) == deadline_for(now, 300, config)
    health = Request(b"POST", b"/grpc.health.v1.Health/Check", b"", content_type=grpc)
    assert bidder.deadline(health) is None
