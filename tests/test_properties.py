"""Hypothesis properties of the codecs: round trips are the identity; bad bytes raise only ours."""

from __future__ import annotations

import contextlib

from hypothesis import given
from hypothesis import strategies as st

from fuzz.strategies import bid_requests, bid_responses, json_values
from openrtb import BidRequest, BidResponse, DecodeError, JsonCodec, ProtoCodec

JSON = JsonCodec()
STRICT = JsonCodec(strict=True)
PROTO = ProtoCodec()


@given(bid_requests())
def test_json_round_trip_is_identity_on_requests(request: BidRequest) -> None:
    assert JSON.decode_request(JSON.encode(request)) == request
    assert STRICT.decode_request(JSON.encode(request)) == request


@given(bid_responses())
def test_json_round_trip_is_identity_on_responses(response: BidResponse) -> None:
    assert JSON.decode_response(JSON.encode(response)) == response


# ext is the one thing the protobuf leg may lose, so these generate objects without it.
@given(bid_requests(with_ext=False))
def test_protobuf_round_trip_is_identity_on_requests(request: BidRequest) -> None:
    assert PROTO.decode_request(PROTO.encode_request(request)) == request


@given(bid_responses(with_ext=False))
def test_protobuf_round_trip_is_identity_on_responses(response: BidResponse) -> None:
    assert PROTO.decode_response(PROTO.encode_response(response)) == response


@given(bid_requests(with_ext=False))
def test_json_and_protobuf_agree(request: BidRequest) -> None:
    via_json = JSON.decode_request(JSON.encode(request))
    via_proto = PROTO.decode_request(PROTO.encode_request(via_json))
    assert via_json == via_proto


@given(st.binary(max_size=512))
def test_arbitrary_bytes_raise_only_decode_error(data: bytes) -> None:
    for decode in (
        JSON.decode_request,
        STRICT.decode_request,
        JSON.decode_response,
        PROTO.decode_request,
        PROTO.decode_response,
    ):
        with contextlib.suppress(DecodeError):
            decode(data)


@given(json_values)
def test_arbitrary_json_raises_only_decode_error(value: object) -> None:
    data = JSON.encode(value)
    for decode in (JSON.decode_request, STRICT.decode_request, JSON.decode_response):
        with contextlib.suppress(DecodeError):
            decode(data)


@given(bid_requests(), st.data())
def test_mutated_valid_bytes_raise_only_decode_error(
    request: BidRequest, data: st.DataObject
) -> None:
    for encoded, decode in (
        (JSON.encode(request), JSON.decode_request),
        (PROTO.encode_request(request), PROTO.decode_request),
    ):
        cut = data.draw(st.integers(0, len(encoded)))
        flip = data.draw(st.integers(0, 255))
        mutated = bytearray(encoded[:cut])
        if mutated:
            mutated[-1] ^= flip
        with contextlib.suppress(DecodeError):
            decode(bytes(mutated))
