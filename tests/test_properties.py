"""Hypothesis properties of the codecs: round trips are the identity; bad bytes raise only ours;
the JSON and protobuf forms of a realistic request get the same decision."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bidder.campaigns import CampaignFile
from bidder.index import CampaignIndex, IndexHolder
from bidder.pipeline import Pipeline
from fuzz.hostile import hostile_json_bodies, hostile_proto_bodies
from fuzz.realistic import realistic_bid_requests
from fuzz.strategies import bid_requests, bid_responses, campaign_files, json_values
from openrtb import (
    BidRequest,
    BidResponse,
    DecodeError,
    JsonCodec,
    ProtoCodec,
    validate_request,
)

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


# -- what `bidwire fuzz` sends ------------------------------------------------------------------


@given(hostile_json_bodies(realistic_bid_requests()))
def test_hostile_json_raises_only_decode_error(body: bytes) -> None:
    """Wrong types, missing fields, huge and deep values, bad UTF-8, duplicate keys..."""
    for decode in (JSON.decode_request, STRICT.decode_request):
        with contextlib.suppress(DecodeError):
            validate_request(decode(body))  # what decodes also validates without raising


@given(hostile_proto_bodies(realistic_bid_requests(ext=False)))
def test_hostile_protobuf_raises_only_decode_error(body: bytes) -> None:
    """Wrong wire types, truncated varints, unknown fields and groups, bad lengths..."""
    with contextlib.suppress(DecodeError):
        validate_request(PROTO.decode_request(body))


def test_duplicate_keys_keep_the_last_value_whatever_the_first_was() -> None:
    """Regression (found by `bidwire fuzz`): the lenient pass once repaired the value the
    document kept (the last) as if it had the type of the one the typed pass saw (the first),
    and raised ValueError. The last value wins, as in the typed pass when both are good."""
    assert JSON.decode_request(b'{"id":1.5,"id":"r1","imp":[{"id":"1"}]}').id == "r1"
    banner = JSON.decode_request(b'{"id":"r","imp":[{"id":"1","banner":{"w":"x","w":5}}]}')
    assert banner.imp[0].banner is not None and banner.imp[0].banner.w == 5
    assert JSON.decode_request(b'{"id":"a","id":"b","imp":[{"id":"1"}]}').id == "b"
    with pytest.raises(DecodeError, match=r"\$\.imp\[0\]\.banner\.w: expected int, got str"):
        JSON.decode_request(b'{"id":"r","imp":[{"id":"1","banner":{"w":5,"w":"x"}}]}')


@given(realistic_bid_requests())
def test_realistic_requests_round_trip_and_validate(request: BidRequest) -> None:
    assert validate_request(request) == []
    assert JSON.decode_request(JSON.encode(request)) == request


@given(campaign_files(), realistic_bid_requests(ext=False))
def test_json_and_protobuf_forms_of_realistic_requests_get_the_same_decision(
    campaigns: CampaignFile, request: BidRequest
) -> None:
    """Any channel (DOOH too), privacy signals in 2.6 fields or 2.5 ext: protobuf carries
    them all, and the decision is the same."""
    via_json = JSON.decode_request(JSON.encode(request))
    via_proto = PROTO.decode_request(PROTO.encode_request(request))
    assert via_proto == via_json

    def decide(request: BidRequest) -> object:
        index = IndexHolder(CampaignIndex(campaigns))
        return Pipeline(index, clock=lambda: 1000.0, wallclock=lambda: 4 * 86400.0).decide(
            request, 1000.0
        )

    assert decide(via_json) == decide(via_proto)
