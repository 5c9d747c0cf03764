"""Hypothesis properties of the bidding pipeline, on campaign files and requests made to meet.

- every bid passes the response validator, and is priced between the floor and the campaign's
  price (give or take the rounding to micro-CPM, see ``test_rounding_...`` below);
- the JSON and the protobuf form of a request get the same decision;
- the decision does not depend on the order of the campaigns in the file, nor on the chunk
  size of the index's bitsets.
"""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from hypothesis import assume, event, given
from hypothesis import strategies as st

from bidder.bitset import CHUNK_BITS
from bidder.campaigns import CampaignFile, semantic_problems
from bidder.index import CampaignIndex, IndexHolder
from bidder.notices import NoticeKey, Signer
from bidder.pipeline import NoBid, Pipeline
from fuzz.strategies import campaign_files, sensible_bid_requests
from openrtb import (
    BidRequest,
    BidResponse,
    JsonCodec,
    ProtoCodec,
    validate_request,
    validate_response,
)
from openrtb.proto_fast import BiddingProto

SIGNER = Signer([NoticeKey(id="test", secret="not a secret")])
JSON = JsonCodec()
PROTO = ProtoCodec()
FAST = BiddingProto(PROTO)
MONDAY_10H = 4 * 86400 + 10 * 3600  # 1970-01-05 was a Monday
ARRIVAL = 1000.0
#: Prices go out rounded to 6 decimals (micro-CPM), which can move them by half a micro.
ROUNDING = 5e-7 + 1e-12


def pipeline(campaigns: CampaignFile, chunk_bits: int = CHUNK_BITS, flat: bool = True) -> Pipeline:
    """A fresh pipeline (fresh budgets and caps) on ``campaigns``, with a clock that never
    moves, a fixed wall clock and a fixed notice key (so that equal decisions are equal).
    ``flat=False``: the chunked sets only, even when the campaigns fit one chunk."""
    index = CampaignIndex(campaigns, chunk_bits=chunk_bits, flat=flat)
    return Pipeline(IndexHolder(index),
                    clock=lambda: ARRIVAL, wallclock=lambda: MONDAY_10H, signer=SIGNER)  # fmt: skip


def decide(p: Pipeline, request: BidRequest) -> BidResponse | NoBid:
    result = p.decide(request, ARRIVAL)
    event("bid" if isinstance(result, BidResponse) else f"no bid: {result.reason}")
    return result


def nudged(response: BidResponse, by: float) -> BidResponse:
    """``response`` with every bid's price moved by ``by``."""
    seatbids = [
        msgspec.structs.replace(
            sb, bid=[msgspec.structs.replace(b, price=b.price + by) for b in sb.bid]
        )
        for sb in response.seatbid or ()
    ]
    return msgspec.structs.replace(response, seatbid=seatbids)


@given(campaign_files(), sensible_bid_requests())
def test_the_strategies_make_valid_campaigns_and_requests(
    campaigns: CampaignFile, request: BidRequest
) -> None:
    assert semantic_problems(campaigns) == []
    assert validate_request(request) == []


@given(campaign_files(), sensible_bid_requests())
def test_every_bid_is_valid_and_priced_between_floor_and_campaign_price(
    campaigns: CampaignFile, request: BidRequest
) -> None:
    p = pipeline(campaigns)
    result = decide(p, request)
    if isinstance(result, NoBid):
        return
    index = p.holder.index

    def fx(amount: float, from_cur: str, to_cur: str) -> float:
        return index.from_bidder_currency(index.to_bidder_currency(amount, from_cur), to_cur)

    # Exact but for the rounding (pinned by the xfail test below): a bid at the floor can be
    # rounded half a micro below it.
    assert validate_response(nudged(result, ROUNDING), request) == []
    assert validate_response(nudged(result, ROUNDING), request, fx=fx) == []
    by_id = {c.id: c for c in campaigns.campaigns}
    imps = {imp.id: imp for imp in request.imp}
    for seatbid in result.seatbid or ():
        for bid in seatbid.bid:
            assert bid.cid is not None
            campaign = by_id[bid.cid]
            ceiling = fx(campaign.price, campaign.currency or campaigns.currency, result.cur)
            assert bid.price <= ceiling + ROUNDING
            imp = imps[bid.impid]
            if bid.dealid is not None:
                assert imp.pmp is not None and imp.pmp.deals
                deal = next(d for d in imp.pmp.deals if d.id == bid.dealid)
                floor, floor_cur = deal.bidfloor, deal.bidfloorcur
            else:
                floor, floor_cur = imp.bidfloor, imp.bidfloorcur
            if floor_cur == "USD" and result.cur == "USD":
                assert bid.price >= floor - ROUNDING
            assert bid.price >= fx(floor, floor_cur, result.cur) - ROUNDING - 1e-9


@given(campaign_files(), sensible_bid_requests())
def test_every_bid_is_valid_as_made(campaigns: CampaignFile, request: BidRequest) -> None:
    # The front door does not check responses by default (AppConfig.validate_responses): the
    # pipeline's bids must pass the validator exactly as they leave, with no allowance.
    p = pipeline(campaigns)
    result = decide(p, request)
    if isinstance(result, NoBid):
        return
    index = p.holder.index

    def fx(amount: float, from_cur: str, to_cur: str) -> float:
        return index.from_bidder_currency(index.to_bidder_currency(amount, from_cur), to_cur)

    assert validate_response(result, request) == []
    assert validate_response(result, request, fx=fx) == []


@given(campaign_files(), sensible_bid_requests())
def test_json_and_protobuf_forms_get_the_same_decision(
    campaigns: CampaignFile, request: BidRequest
) -> None:
    # sensible_bid_requests() makes no ext and no JSON-only field: the protobuf leg carries all.
    via_json = JSON.decode_request(JSON.encode(request))
    via_proto = PROTO.decode_request(PROTO.encode_request(request))
    assert decide(pipeline(campaigns), via_json) == decide(pipeline(campaigns), via_proto)


@given(campaign_files(), sensible_bid_requests())
def test_the_protobuf_fast_path_gets_the_same_decision(
    campaigns: CampaignFile, request: BidRequest
) -> None:
    # The front door decodes protobuf through openrtb.proto_fast (only the fields the bidder
    # reads): the decision must be the one the full decode gets.
    payload = PROTO.encode_request(request)
    full, fast = PROTO.decode_request(payload), FAST.decode_request(payload)
    assert decide(pipeline(campaigns), fast) == decide(pipeline(campaigns), full)
    assert validate_request(fast) == validate_request(full)


@given(campaign_files(min_campaigns=2), sensible_bid_requests(), st.data())
def test_the_order_of_the_campaigns_does_not_matter(
    campaigns: CampaignFile, request: BidRequest, data: st.DataObject
) -> None:
    # Distinct prices (in the bidder's currency), so that "the best-paying" is one campaign.
    spread = [msgspec.structs.replace(c, price=c.price + i / 1000)
              for i, c in enumerate(campaigns.campaigns)]  # fmt: skip
    campaigns = msgspec.structs.replace(campaigns, campaigns=spread)
    index = CampaignIndex(campaigns)
    prices = [index.to_bidder_currency(c.price, c.currency) for c in spread if c.active]
    assume(len(set(prices)) == len(prices))
    shuffled = data.draw(st.permutations(spread), label="shuffled campaigns")
    reordered = msgspec.structs.replace(campaigns, campaigns=shuffled)
    assert decide(pipeline(campaigns), request) == decide(pipeline(reordered), request)


@given(
    campaign_files(min_campaigns=2, max_campaigns=20),
    sensible_bid_requests(),
    st.sampled_from((8, 16, 1024)),
)
def test_the_chunk_size_of_the_index_does_not_matter(
    campaigns: CampaignFile, request: BidRequest, chunk_bits: int
) -> None:
    # The chunked index evaluates candidates one chunk of campaigns at a time; with 8-campaign
    # chunks the 2-20 campaigns here span one to three chunks, so chunk boundaries and skipped
    # chunks are exercised against the flat ints of the one-chunk index (bidder/flat.py), which
    # is what the pipeline matches with when every campaign fits the first chunk.
    flat = pipeline(campaigns)
    assert flat.holder.index.flat is not None
    chunked = pipeline(campaigns, chunk_bits, flat=False)
    assert chunked.holder.index.flat is None
    assert decide(chunked, request) == decide(flat, request)


# -- what the properties found ----------------------------------------------------------------

ROUNDING_CASES: list[tuple[dict[str, Any], dict[str, Any], str]] = [
    # A fixed-price deal (at=3) bids the deal's floor, 0.0078125, which rounds to 0.007812.
    (
        {"price": 0.01, "targeting": {"deals": ["deal-2"], "open_auction": False}},
        {"pmp": {"deals": [{"id": "deal-2", "bidfloor": 0.0078125, "at": 3}]}},
        "below the deal floor",
    ),
    # A bid at the floor in USD, answered in EUR: 0.01 / 1.08 = 0.0092592... rounds to 0.009259,
    # below the floor converted to EUR.
    ({"price": 0.01}, {"bidfloor": 0.01}, "below the floor in the response currency"),
    # The campaign's price 1.9999996 rounds up to 2.0: above what the campaign pays.
    ({"price": 1.9999996}, {}, "above the campaign's price"),
]


# Found by the properties above: rounding to the nearest micro-CPM crossed the floor or the
# campaign's price by half a micro. round_price now rounds inside [floor, price], and bids
# nothing when no micro-CPM value lies between them.
@pytest.mark.parametrize(("campaign", "imp", "what"), ROUNDING_CASES)
def test_rounding_never_crosses_the_floor_nor_the_campaign_price(
    campaign: dict[str, Any], imp: dict[str, Any], what: str
) -> None:
    banner = {"id": "cr0", "type": "banner", "w": 300, "h": 250, "markup": "<img>"}
    file = msgspec.convert(
        {"fx": {"EUR": 1.08}, "campaigns": [
            {"id": "c1", "seat": "seat-a", "adomain": ["brand.example"], "creatives": [banner],
             **campaign}
        ]},
        CampaignFile,
    )  # fmt: skip
    cur = ["EUR"] if "response currency" in what else ["USD"]
    request = msgspec.convert(
        {"id": "r1", "cur": cur, "imp": [{"id": "1", "banner": {"w": 300, "h": 250}, **imp}]},
        BidRequest,
    )
    p = pipeline(file)
    result = p.decide(request, ARRIVAL)
    if what == "below the floor in the response currency":
        # floor == price == 0.00925925... EUR: no micro-CPM value is >= the one and <= the
        # other, so the only honest answer is no bid.
        assert isinstance(result, NoBid)
        return
    assert isinstance(result, BidResponse) and result.seatbid
    price = result.seatbid[0].bid[0].price
    index = p.holder.index

    def fx(amount: float, from_cur: str, to_cur: str) -> float:
        return index.from_bidder_currency(index.to_bidder_currency(amount, from_cur), to_cur)

    assert validate_response(result, request, fx=fx) == [], what
    assert price <= fx(file.campaigns[0].price, "USD", result.cur), what
