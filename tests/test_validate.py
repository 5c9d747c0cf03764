"""Request and response validators: each problem is found, named, and located."""

from __future__ import annotations

import msgspec
import pytest

from openrtb import BidRequest, BidResponse, JsonCodec, validate_request, validate_response
from openrtb.model import App, Banner, Bid, Deal, Format, Imp, Pmp, SeatBid, Site, Video

JSON = JsonCodec()


def codes(problems: list) -> list[str]:  # type: ignore[type-arg]
    return [p.code for p in problems]


def test_valid_request_has_no_problems() -> None:
    r = BidRequest(id="1", imp=[Imp(id="1", banner=Banner(w=300, h=250))], site=Site())
    assert validate_request(r) == []


def test_request_problems() -> None:
    r = BidRequest(
        id="", imp=[Imp(id="a"), Imp(id="a", video=Video()), Imp(id="")], site=Site(), app=App()
    )
    problems = validate_request(r)
    assert codes(problems) == [
        "missing_id",
        "imp_without_media",
        "duplicate_imp_id",
        "missing_imp_id",
        "imp_without_media",
        "multiple_distribution_channels",
    ]
    assert problems[2].path == "$.imp[1].id"
    assert codes(validate_request(BidRequest(id="x", imp=[]))) == ["no_imp"]


REQUEST = BidRequest(
    id="req",
    imp=[
        Imp(
            id="1",
            banner=Banner(format=[Format(w=300, h=250), Format(w=728, h=90)], battr=[3]),
            bidfloor=1.0,
        ),
        Imp(
            id="2",
            video=Video(battr=[9]),
            pmp=Pmp(private_auction=1, deals=[Deal(id="d1", bidfloor=5.0, wseat=["seat-a"])]),
        ),
        Imp(id="3", banner=Banner(w=320, h=50), bidfloor=2.0, bidfloorcur="EUR"),
    ],
    cur=["USD"],
    bcat=["IAB25"],
    badv=["blocked.com"],
    bapp=["com.blocked.app"],
    bseat=["bad-seat"],
)


def resp(*bids: Bid, seat: str | None = "seat-a", cur: str = "USD") -> BidResponse:
    return BidResponse(id="req", cur=cur, seatbid=[SeatBid(seat=seat, bid=list(bids))])


def good(**kw: object) -> Bid:
    base = dict(
        id="b1", impid="1", price=1.5, w=300, h=250, mtype=1, adomain=["ok.com"], cat=["IAB1"]
    )
    base.update(kw)
    return Bid(**base)  # type: ignore[arg-type]


def test_valid_response_has_no_problems() -> None:
    deal_bid = Bid(id="b2", impid="2", price=6.0, dealid="d1", mtype=2)
    assert validate_response(resp(good(), deal_bid), REQUEST) == []


@pytest.mark.parametrize(
    ("bid", "code"),
    [
        (good(impid="nope"), "unknown_impid"),
        (good(price=0.0), "non_positive_price"),
        (good(price=0.5), "below_floor"),
        (Bid(id="b", impid="2", price=4.0, dealid="d1", mtype=2), "below_deal_floor"),
        (Bid(id="b", impid="2", price=9.0, dealid="zzz", mtype=2), "unknown_deal"),
        (Bid(id="b", impid="2", price=9.0, mtype=2), "private_auction_without_deal"),
        (good(adomain=["ads.blocked.com"]), "blocked_adomain"),
        (good(cat=["IAB25"]), "blocked_category"),
        (good(attr=[3]), "blocked_attribute"),
        (good(bundle="com.blocked.app"), "blocked_app"),
        (good(mtype=2), "mtype_not_offered"),
        (good(w=160, h=600), "size_not_offered"),
        (Bid(id=None, impid="1", price=2.0), "missing_bid_id"),
    ],
)
def test_each_response_problem_is_found(bid: Bid, code: str) -> None:
    assert code in codes(validate_response(resp(bid), REQUEST))


def test_bcat_is_compared_in_the_same_taxonomy_only() -> None:
    assert validate_response(resp(good(cat=["IAB25"], cattax=2)), REQUEST) == []


def test_seat_and_currency_and_ids() -> None:
    assert "blocked_seat" in codes(validate_response(resp(good(), seat="bad-seat"), REQUEST))
    wseat = msgspec.structs.replace(REQUEST, wseat=["only"])
    assert "seat_not_allowed" in codes(validate_response(resp(good()), wseat))
    assert "seat_not_allowed" in codes(
        validate_response(
            resp(Bid(id="b", impid="2", price=6.0, dealid="d1"), seat="other"), REQUEST
        )
    )
    assert "currency_not_allowed" in codes(validate_response(resp(good(), cur="EUR"), REQUEST))
    dup = validate_response(resp(good(), good()), REQUEST)
    assert codes(dup) == ["duplicate_bid_id"] and dup[0].path == "$.seatbid[0].bid[1].id"
    other = msgspec.structs.replace(resp(good()), id="other")
    assert codes(validate_response(other, REQUEST)) == ["id_mismatch"]


def test_floors_in_other_currencies_use_fx_when_given() -> None:
    bid = Bid(id="b", impid="3", price=2.1, w=320, h=50)
    assert validate_response(resp(bid), REQUEST) == []  # EUR floor, USD bid, no fx: not comparable

    def fx(amount: float, src: str, dst: str) -> float:
        return amount * 1.1 if (src, dst) == ("EUR", "USD") else amount

    assert codes(validate_response(resp(bid), REQUEST, fx=fx)) == ["below_floor"]


def test_corpus_style_response_validates() -> None:
    request = JSON.decode_request(
        b'{"id":"1","imp":[{"id":"1","banner":{"w":300,"h":250},"bidfloor":0.03}],"badv":["x.com"]}'
    )
    response = JSON.decode_response(
        b'{"id":"1","seatbid":[{"bid":[{"id":"1","impid":"1","price":0.5,"w":300,"h":250,"adomain":["y.com"]}]}]}'
    )
    assert validate_response(response, request) == []
