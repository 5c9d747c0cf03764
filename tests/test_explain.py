"""Why no bid: the debug switch (``x-bidwire-debug``) and ``bidwire_nobid_reasons_total``.

The explanation asks each campaign again what the index answered for all of them at once; the
properties below hold it to the pipeline's own decisions on generated campaign files and
requests, so it cannot drift from what the bidder does."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given

from bidder.app import AppConfig
from bidder.bitset import to_int
from bidder.campaigns import CampaignFile, parse
from bidder.metrics import NOBID_REASONS, NOBIDS
from bidder.pipeline import NoBid, Pipeline, hour_of_week
from bidder.service import Bidder, BidderConfig
from fuzz.strategies import campaign_files, sensible_bid_requests
from openrtb import BidRequest, BidResponse
from transport.events import Request

from .test_pipeline_properties import ARRIVAL, MONDAY_10H, pipeline

TOKEN = "debug-token-123"
CAMPAIGNS = """
[[campaigns]]
id = "c-shoes"
seat = "s"
adomain = ["shoes.example"]
cat = ["IAB22"]
price = 2.0
[campaigns.targeting]
traffic = "both"
[[campaigns.creatives]]
id = "cr"
type = "banner"
w = 300
h = 250
markup = "<img>"

[[campaigns]]
id = "c-usa"
seat = "s"
adomain = ["usa.example"]
price = 3.0
[campaigns.targeting.country]
include = ["USA"]
[[campaigns.creatives]]
id = "cr"
type = "banner"
w = 728
h = 90
markup = "<img>"
"""


def bidder(tmp_path: Any, **app: Any) -> Bidder:
    path = tmp_path / "campaigns.toml"
    path.write_text(CAMPAIGNS)
    return Bidder(BidderConfig(campaigns=str(path), app=AppConfig(**app)))


def ask(b: Bidder, body: dict[str, Any], debug: bytes | None = None) -> tuple[int, Any]:
    request = Request(b"POST", b"/openrtb2/bid", json.dumps(body).encode(),
                      content_type=b"application/json", debug=debug)  # fmt: skip
    response = b.app.handle(request)
    assert not isinstance(response, type(None))
    status = response.status  # type: ignore[union-attr]
    payload = bytes(response.body)  # type: ignore[union-attr]
    return status, json.loads(payload) if payload else None


BLOCKED = {
    "id": "r1", "imp": [{"id": "1", "banner": {"w": 300, "h": 250}}],
    "site": {"domain": "news.example"}, "bcat": ["IAB22"], "tmax": 500,
}  # fmt: skip


def test_a_blocked_campaign_is_named_with_the_token(tmp_path: Any) -> None:
    """The issue's case: a 204 gave no clue that the request's bcat blocked the campaign."""
    b = bidder(tmp_path, debug_token=TOKEN)
    assert ask(b, BLOCKED) == (204, None)
    status, answer = ask(b, BLOCKED, TOKEN.encode())
    assert status == 200  # a debugged no-bid is a 200 with nbr, never a 204
    assert answer["nbr"] == 0 and "seatbid" not in answer
    debug = answer["ext"]["debug"]
    assert debug["decision"] == "no_match"
    (imp,) = debug["imp"]
    assert imp["bid"] is None
    assert imp["campaigns"] == {"c-usa": "country", "c-shoes": "bcat"}
    assert imp["removed"] == {"bcat": 1, "country": 1}


def test_without_the_right_token_the_header_is_ignored(tmp_path: Any) -> None:
    for app in ({}, {"debug_token": TOKEN}):
        b = bidder(tmp_path, **app)
        assert ask(b, BLOCKED, b"guess") == (204, None)
        assert ask(b, BLOCKED, b"1") == (204, None)


def test_test_traffic_may_ask_without_the_token(tmp_path: Any) -> None:
    b = bidder(tmp_path, debug_test_traffic=True)
    assert ask(b, BLOCKED, b"1") == (204, None)  # live traffic: not without the token
    status, answer = ask(b, {**BLOCKED, "test": 1}, b"1")
    assert status == 200 and answer["ext"]["debug"]["imp"][0]["campaigns"]["c-shoes"] == "bcat"


def test_a_bid_says_who_bids_and_why_the_others_do_not(tmp_path: Any) -> None:
    b = bidder(tmp_path, debug_token=TOKEN)
    body = {
        "id": "r2", "imp": [{"id": "1", "banner": {"w": 300, "h": 250}, "bidfloor": 2.5},
                            {"id": "2", "banner": {"w": 300, "h": 250}}],
        "device": {"geo": {"country": "USA"}}, "tmax": 500,
    }  # fmt: skip
    status, answer = ask(b, body, TOKEN.encode())
    assert status == 200
    assert [bid["impid"] for bid in answer["seatbid"][0]["bid"]] == ["2"]
    first, second = answer["ext"]["debug"]["imp"]
    assert first == {"id": "1", "bid": None, "removed": {"floor": 1, "media": 1},
                     "campaigns": {"c-usa": "media", "c-shoes": "floor"}}  # fmt: skip
    assert second["bid"] == "c-shoes" and second["campaigns"]["c-usa"] == "media"


def test_no_bid_reasons_are_counted_without_the_switch(tmp_path: Any) -> None:
    b = bidder(tmp_path)
    ask(b, BLOCKED)
    ask(b, {**BLOCKED, "bcat": [], "imp": [{"id": "1", "banner": {"w": 1, "h": 1}}]})
    assert NOBIDS.get("no_match") == 1 and NOBIDS.get("no_fit") == 1
    assert NOBID_REASONS.get("bcat") == 1 and NOBID_REASONS.get("no_fit") == 1


def test_the_explanation_runs_only_on_demand(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bid path never calls it: a request without the switch does not reach it."""
    b = bidder(tmp_path, debug_token=TOKEN)
    calls: list[object] = []
    monkeypatch.setattr(b.app, "explain", lambda *args: calls.append(args) or {})
    ask(b, BLOCKED)
    ask(b, BLOCKED, b"wrong")
    assert calls == []
    ask(b, BLOCKED, TOKEN.encode())
    assert len(calls) == 1


# -- the explanation agrees with the pipeline ------------------------------------------------------


def _check(p: Pipeline, request: BidRequest) -> None:
    decision = p.decide(request, ARRIVAL)
    doc = p.explain(request, decision)
    index = p.holder.index
    hour = hour_of_week(MONDAY_10H)
    candidates = to_int(p.request_candidates(index, request, hour), index.chunk_bits)
    winners: dict[str, str] = {}
    if isinstance(decision, BidResponse):
        for seat in decision.seatbid or ():
            for bid in seat.bid:
                winners[bid.impid] = str(bid.cid)
    request_filters = {"traffic", "hours_of_week", *index.used, "wseat", "badv", "bcat", "bapp",
                       "bseat"}  # fmt: skip
    assert len(doc["imp"]) == len(request.imp)
    for imp, explained in zip(request.imp, doc["imp"], strict=True):
        assert explained["bid"] == winners.get(imp.id)
        assert sum(explained["removed"].values()) == index.size
        for cid, reason in explained["campaigns"].items():
            entry = index.by_id[cid]
            in_candidates = bool(candidates >> entry.position & 1)
            assert (reason in request_filters) == (not in_candidates), (cid, reason)
            assert (reason == "bid") == (winners.get(imp.id) == cid)
            if reason == "outbid":
                assert index.by_id[winners[imp.id]].position < entry.position
            if reason == "throttled":  # refused by the state: only campaigns with limits
                budget = entry.budget
                assert budget.daily is not None or budget.total is not None or budget.cap_count
    if isinstance(decision, NoBid) and decision.reason == "no_match":
        assert decision.detail in request_filters | {"no_campaigns"}


@given(campaign_files(), sensible_bid_requests())
def test_the_explanation_agrees_with_the_decision(
    campaigns: CampaignFile, request: BidRequest
) -> None:
    _check(pipeline(campaigns), request)


@given(campaign_files(), sensible_bid_requests())
def test_the_explanation_agrees_on_the_chunked_index(
    campaigns: CampaignFile, request: BidRequest
) -> None:
    _check(pipeline(campaigns, chunk_bits=8, flat=False), request)


def test_a_file_parses() -> None:
    assert len(parse(CAMPAIGNS.encode()).campaigns) == 2
