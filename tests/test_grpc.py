"""The gRPC front door without sockets: framing, status codes, grpc-timeout, grpc-message,
the health service, metrics and the dispatch by content type (bidder/grpc.py, grpc_wire.py)."""

from __future__ import annotations

import gzip
import json
import time
import zlib

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bidder.app import AppConfig
from bidder.grpc import BID_METHOD, HEALTH_CHECK, is_grpc
from bidder.grpc_wire import (
    GrpcError,
    ServingStatus,
    Status,
    decode_message,
    encode_message,
    frame,
    health_response,
    health_service,
    parse_timeout,
    read_unary,
)
from bidder.metrics import GRPC_RESPONSES, REQUESTS, SHED
from bidder.service import Bidder, BidderConfig
from openrtb import JsonCodec, ProtoCodec
from transport.events import Request, Response

JSON, PROTO = JsonCodec(), ProtoCodec()
BID_JSON = json.dumps(
    {
        "id": "r1",
        "imp": [{"id": "1", "banner": {"w": 300, "h": 250}}],
        "site": {"domain": "a.com"},
        "device": {"geo": {"country": "USA"}},
    }
).encode()
BID_PROTO = PROTO.encode_request(JSON.decode_request(BID_JSON))


def bidder(**app: object) -> Bidder:
    return Bidder(BidderConfig(app=msgspec.convert(app, AppConfig)))


def call(
    body: bytes,
    path: bytes = BID_METHOD,
    *,
    content_type: bytes = b"application/grpc",
    b: Bidder | None = None,
    **headers: bytes | float,
) -> Response:
    request = Request(b"POST", path, body, content_type=content_type, **headers)  # type: ignore[arg-type]
    response = (b or bidder()).app.handle(request)
    assert isinstance(response, Response)
    return response


def status_of(response: Response) -> tuple[int, str]:
    """(grpc-status, grpc-message) from the trailers, or from the headers (trailers-only)."""
    fields = dict(response.trailers)
    return int(fields[b"grpc-status"]), decode_message(fields.get(b"grpc-message", b""))


def message_of(response: Response) -> bytes:
    body = bytes(response.body)
    assert body[0] in (0, 1) and int.from_bytes(body[1:5], "big") == len(body) - 5
    return gzip.decompress(body[5:]) if body[0] else body[5:]


# -- framing ----------------------------------------------------------------------------------


@given(st.binary(max_size=2000), st.booleans())
def test_a_framed_message_reads_back(message: bytes, gzipped: bool) -> None:
    if gzipped:
        assert read_unary(frame(gzip.compress(message), compressed=True), b"gzip", 4096) == message
    else:
        assert read_unary(frame(message), None, 4096) == message


@pytest.mark.parametrize(
    ("body", "encoding", "status", "words"),
    [
        (b"", None, Status.INVALID_ARGUMENT, "no request message"),
        (b"\x00\x00\x00", None, Status.INVALID_ARGUMENT, "truncated message prefix"),
        (b"\x00\x00\x00\x00\x09abc", None, Status.INVALID_ARGUMENT, "truncated message (3 of 9"),
        (frame(b"a") + frame(b"b"), None, Status.INVALID_ARGUMENT, "more than one"),
        (b"\x02\x00\x00\x00\x00", None, Status.INVALID_ARGUMENT, "bad compressed flag 2"),
        (b"\x00\xff\xff\xff\xff", None, Status.RESOURCE_EXHAUSTED, "larger than max"),
        (frame(b"x", compressed=True), None, Status.INVALID_ARGUMENT, "without a grpc-encoding"),
        (frame(b"x", compressed=True), b"identity", Status.INVALID_ARGUMENT, "without a grpc"),
        (frame(b"x", compressed=True), b"snappy", Status.UNIMPLEMENTED, "snappy"),
        (frame(b"not gzip", compressed=True), b"gzip", Status.INVALID_ARGUMENT, "bad gzip"),
        (
            frame(gzip.compress(b"x")[:-4], compressed=True),
            b"gzip",
            Status.INVALID_ARGUMENT,
            "truncated",
        ),
        (
            # Past the 4 KiB limit, compressing about 20x (zeros would be refused for their
            # ratio first, a 4 KiB step sooner).
            frame(gzip.compress(bytes(range(256)) * 20), compressed=True),
            b"gzip",
            Status.RESOURCE_EXHAUSTED,
            "inflated message larger",
        ),
    ],
)
def test_bad_framing_is_a_named_status(
    body: bytes, encoding: bytes | None, status: Status, words: str
) -> None:
    with pytest.raises(GrpcError) as caught:
        read_unary(body, encoding, 4096)
    assert caught.value.status == status
    assert words in caught.value.message


def test_a_gzip_bomb_stops_at_the_limit() -> None:
    bomb = zlib.compressobj(9, zlib.DEFLATED, 31)
    payload = bomb.compress(bytes(50 * 2**20)) + bomb.flush()  # 50 MiB of zeros, ~50 KB
    with pytest.raises(GrpcError) as caught:
        read_unary(frame(payload, compressed=True), b"gzip", 2 * 2**20)
    assert caught.value.status == Status.RESOURCE_EXHAUSTED


# -- header values ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (b"1H", 3600.0),
        (b"2M", 120.0),
        (b"3S", 3.0),
        (b"100m", 0.1),
        (b"250u", 250e-6),
        (b"99999999n", 0.099999999),
        (b"0m", 0.0),
    ],
)
def test_grpc_timeout_units(value: bytes, seconds: float) -> None:
    assert parse_timeout(value) == pytest.approx(seconds)


@pytest.mark.parametrize("value", [b"", b"m", b"100", b"123456789m", b"-1m", b"1.5S", b"10x"])
def test_a_malformed_grpc_timeout_is_invalid_argument(value: bytes) -> None:
    with pytest.raises(GrpcError) as caught:
        parse_timeout(value)
    assert caught.value.status == Status.INVALID_ARGUMENT


@given(st.text())
def test_grpc_message_percent_encoding_round_trips(text: str) -> None:
    encoded = encode_message(text)
    assert all(0x20 <= b <= 0x7E for b in encoded)
    assert decode_message(encoded) == text.encode("utf-8", "replace").decode("utf-8", "replace")


def test_grpc_message_escapes_percent_and_non_ascii() -> None:
    assert encode_message("50% off: café\n") == b"50%25 off: caf%C3%A9%0A"


def test_health_messages() -> None:
    assert health_response(ServingStatus.SERVING) == b"\x08\x01"
    assert health_response(ServingStatus.UNKNOWN) == b""
    assert health_service(b"") == ""
    assert health_service(b"\x0a\x11bidwire.v1.Bidder") == "bidwire.v1.Bidder"
    assert health_service(b"\x10\x05\x0a\x01x") == "x"  # an unknown varint field is skipped
    with pytest.raises(GrpcError):
        health_service(b"\x0a\x05ab")  # truncated


def test_dispatch_by_content_type() -> None:
    assert is_grpc(b"application/grpc")
    assert is_grpc(b"application/grpc+proto")
    assert is_grpc(b"application/grpc; charset=x")
    assert not is_grpc(b"application/grpc-web")
    assert not is_grpc(b"application/json")


# -- the front door ---------------------------------------------------------------------------


def test_a_bid_over_grpc_is_ok_with_headers_then_trailers() -> None:
    before = GRPC_RESPONSES.get("OK"), REQUESTS.get("grpc")
    response = call(frame(BID_PROTO))
    assert response.status == 200
    assert response.content_type == b"application/grpc"
    assert dict(response.headers)[b"grpc-accept-encoding"] == b"identity,gzip"
    assert response.trailers == ((b"grpc-status", b"0"),)
    answer = PROTO.decode_response(message_of(response))
    assert answer.id == "r1"
    assert answer.seatbid  # the demo campaigns bid on it
    assert (GRPC_RESPONSES.get("OK"), REQUESTS.get("grpc")) == (before[0] + 1, before[1] + 1)


def test_the_decision_is_the_same_as_over_http() -> None:
    b = bidder()
    over_http = b.app.handle(
        Request(b"POST", b"/openrtb2/bid", BID_PROTO, content_type=b"application/x-protobuf")
    )
    assert isinstance(over_http, Response)
    http_answer = PROTO.decode_response(bytes(over_http.body))
    grpc_answer = PROTO.decode_response(message_of(call(frame(BID_PROTO), b=b)))
    strip = [(bid.cid, bid.crid, bid.price, bid.adomain) for sb in http_answer.seatbid or ()
             for bid in sb.bid]  # fmt: skip
    assert strip == [(bid.cid, bid.crid, bid.price, bid.adomain)
                     for sb in grpc_answer.seatbid or () for bid in sb.bid]  # fmt: skip


def test_a_nobid_is_ok_with_the_request_id_and_nbr() -> None:
    nobid = JSON.decode_request(BID_JSON.replace(b'"w": 300', b'"w": 7'))
    response = call(frame(PROTO.encode_request(nobid)))
    assert status_of(response) == (0, "")
    answer = PROTO.decode_response(message_of(response))
    assert answer.id == "r1" and not answer.seatbid and answer.nbr is not None


def test_a_gzip_request_and_a_gzip_answer() -> None:
    body = frame(gzip.compress(BID_PROTO), compressed=True)
    response = call(body, grpc_encoding=b"gzip", grpc_accept_encoding=b"gzip")
    assert status_of(response)[0] == 0
    assert dict(response.headers)[b"grpc-encoding"] == b"gzip"
    assert bytes(response.body)[0] == 1
    assert PROTO.decode_response(message_of(response)).seatbid


def test_bad_input_is_invalid_argument_with_the_field_path_never_internal() -> None:
    bad = call(frame(b"\x0a\x02r1\x12\x03\x0a"))  # imp: a truncated sub-message
    assert status_of(bad)[0] == Status.INVALID_ARGUMENT
    assert bad.body == b"" and bad.trailers_only
    no_imp = call(frame(PROTO.encode_request(JSON.decode_request(b'{"id": "x", "imp": []}'))))
    code, message = status_of(no_imp)
    assert code == Status.INVALID_ARGUMENT and message.startswith("$.imp")
    twice = JSON.decode_request(BID_JSON)
    twice.imp.append(twice.imp[0])
    duplicate = call(frame(PROTO.encode_request(twice)))
    assert status_of(duplicate) == (Status.INVALID_ARGUMENT, "$.imp[1].id: imp id '1' repeats")


def test_unknown_methods_codecs_and_verbs_are_unimplemented() -> None:
    assert status_of(call(frame(b""), b"/bidwire.v1.Bidder/Nope"))[0] == Status.UNIMPLEMENTED
    assert status_of(call(frame(b""), b"/grpc.health.v1.Health/Watch"))[0] == 12
    json_codec = call(frame(b"{}"), content_type=b"application/grpc+json")
    assert status_of(json_codec)[0] == Status.UNIMPLEMENTED


def test_grpc_timeout_is_folded_into_the_deadline() -> None:
    # A timeout inside the network allowance leaves no time: an immediate no-bid (nbr 15).
    short = call(frame(BID_PROTO), grpc_timeout=b"5m", arrival=time.monotonic())
    answer = PROTO.decode_response(message_of(short))
    assert not answer.seatbid and answer.nbr == 15
    long = call(frame(BID_PROTO), grpc_timeout=b"10S")
    assert PROTO.decode_response(message_of(long)).seatbid
    bad = call(frame(BID_PROTO), grpc_timeout=b"soon")
    assert status_of(bad)[0] == Status.INVALID_ARGUMENT


def test_shed_calls_are_no_bids_and_drain_is_unavailable() -> None:
    """A shed call is a no-bid like any other (OK, nbr 15, the request's id), not decoded;
    DEADLINE_EXCEEDED when the caller's own timeout made it hopeless; RESOURCE_EXHAUSTED when
    the message cannot be peeked for its id; UNAVAILABLE while draining."""
    b = bidder()
    b.app.shedder.observe_lag(0.5)
    before = SHED.get("loop_lag")
    shed = call(frame(BID_PROTO), b=b)
    assert status_of(shed)[0] == Status.OK
    answer = PROTO.decode_response(message_of(shed))
    assert answer.id == PROTO.decode_request(BID_PROTO).id and answer.nbr == 15
    assert not answer.seatbid
    assert SHED.get("loop_lag") == before + 1
    request = Request(b"POST", BID_METHOD, frame(BID_PROTO), content_type=b"application/grpc")
    assert status_of(b.app.refuse(request, "queue_full"))[0] == Status.OK
    hurried = Request(b"POST", BID_METHOD, frame(BID_PROTO), content_type=b"application/grpc",
                      grpc_timeout=b"1m")  # fmt: skip
    assert status_of(b.app.refuse(hurried, "budget"))[0] == Status.DEADLINE_EXCEEDED
    garbage = Request(b"POST", BID_METHOD, b"\x00\x00\x00\x00\x02\x0a\xff",
                      content_type=b"application/grpc")  # fmt: skip
    assert status_of(b.app.refuse(garbage, "queue_full"))[0] == Status.RESOURCE_EXHAUSTED
    b.app.start_drain()
    assert status_of(b.app.refuse(request, "queue_full"))[0] == Status.UNAVAILABLE


def test_health_check_serving_then_not_serving_while_draining() -> None:
    b = bidder()
    assert message_of(call(frame(b""), HEALTH_CHECK, b=b)) == b"\x08\x01"
    named = frame(b"\x0a\x11bidwire.v1.Bidder")
    assert message_of(call(named, HEALTH_CHECK, b=b)) == b"\x08\x01"
    unknown = call(frame(b"\x0a\x03foo"), HEALTH_CHECK, b=b)
    assert status_of(unknown)[0] == Status.NOT_FOUND
    b.app.start_drain()
    assert message_of(call(frame(b""), HEALTH_CHECK, b=b)) == b"\x08\x02"


def test_grpc_can_be_turned_off() -> None:
    response = call(frame(BID_PROTO), b=bidder(grpc=False))
    assert response.status == 404  # the HTTP door: no such path


def test_metrics_count_grpc_statuses() -> None:
    before = GRPC_RESPONSES.get("UNIMPLEMENTED")
    call(frame(b""), b"/x.Y/Z")
    assert GRPC_RESPONSES.get("UNIMPLEMENTED") == before + 1
    b = bidder()
    metrics = b.app.handle(Request(b"GET", b"/metrics"))
    assert isinstance(metrics, Response)
    assert b'bidwire_grpc_responses_total{status="UNIMPLEMENTED"}' in bytes(metrics.body)
