"""Notices, budgets, pacing and frequency caps, in process, with a fake wall clock.

The bids come from the real pipeline and their nurl/burl/lurl are filled the way an exchange
fills them (``${AUCTION_PRICE}`` and the rest replaced in the URL text), then handed to the
notice endpoint through :class:`~bidder.app.BidderApp`, as the transport would.
"""

from __future__ import annotations

import base64
import random
import struct
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote, urlsplit

import msgspec
import pytest

from bidder.app import BidderApp
from bidder.campaigns import CampaignFile
from bidder.index import CampaignIndex, IndexHolder
from bidder.metrics import LOSSES, NOTICES, STATE_EVICTIONS, THROTTLED
from bidder.notices import (
    NoticeConfig,
    NoticeHandler,
    NoticeKey,
    Signer,
    notice_urls,
    register_price_decoder,
)
from bidder.pipeline import NoBid, Pipeline, PipelineConfig
from bidder.shared_state import SharedState
from bidder.state import DAY, Budget, LocalState, State, StateConfig
from openrtb import BidRequest, BidResponse, validate_response
from transport.events import Request

from .macros import exchange_fill, fill

KEY = NoticeKey(id="k1", secret="first secret")
OLD_KEY = NoticeKey(id="k0", secret="retired secret")
BANNER = {"id": "cr-b", "type": "banner", "w": 300, "h": 250, "markup": "<img>"}
ON_WIN = {
    "id": "cr-w",
    "type": "banner",
    "w": 728,
    "h": 90,
    "markup": "<img src='https://x.example/i.png?p=${AUCTION_PRICE}'>",
    "serve_on_win": True,
}
MIDNIGHT = 20 * DAY  # a whole number of days since the epoch


class Wall:
    """A wall clock the test moves."""

    def __init__(self, now: float = MIDNIGHT + 10 * 3600) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _shared(config: StateConfig | None) -> SharedState:
    return SharedState(None, config)


#: Every test here runs on both memory stores: a worker's own dicts, and the shared memory
#: that `bidwire serve` uses (bidder.shared_state): the same answers, to the nano.
STATES: dict[str, Callable[[StateConfig | None], State]] = {
    "local": LocalState,
    "shared": _shared,
}


@pytest.fixture(autouse=True, params=sorted(STATES))
def _state_kind(request: pytest.FixtureRequest) -> Iterator[None]:
    Rig.make_state = STATES[request.param]
    yield
    Rig.make_state = LocalState


class Rig:
    """Pipeline, state, notice handler and front door over one campaign file and one clock."""

    make_state: Callable[[StateConfig | None], State] = LocalState

    def __init__(
        self,
        *campaigns: dict[str, Any],
        notices: NoticeConfig | None = None,
        state: StateConfig | None = None,
        wall: Wall | None = None,
    ) -> None:
        file = msgspec.convert({"campaigns": list(campaigns)}, CampaignFile)
        self.wall = wall or Wall()
        self.notices = notices or NoticeConfig(keys=[KEY, OLD_KEY])
        self.signer = Signer(self.notices.keys)
        self.state = Rig.make_state(state)
        self.holder = IndexHolder(CampaignIndex(file))
        self.pipeline = Pipeline(
            self.holder,
            config=PipelineConfig(notices=self.notices),
            clock=lambda: 1000.0,
            wallclock=self.wall,
            state=self.state,
            signer=self.signer,
        )
        self.handler = NoticeHandler(self.notices, self.signer, self.state, self.holder, self.wall)
        self.app = BidderApp(self.pipeline.decide, notices=self.handler.handle)  # fmt: skip

    def bid(self, user: str | None = "user-1", rid: str = "r1", **imp: Any) -> BidResponse | None:
        fields: dict[str, Any] = {
            "id": rid,
            "imp": [{"id": "1", "banner": {"w": 300, "h": 250}, **imp}],
            "site": {"domain": "news.example"},
        }
        if user is not None:
            fields["user"] = {"id": user}
        request = msgspec.convert(fields, BidRequest)
        result = self.pipeline.decide(request, 1000.0)
        if isinstance(result, NoBid):
            return None
        assert validate_response(result, request) == []
        return result

    def notice(self, url: str, method: bytes = b"GET") -> tuple[int, bytes]:
        parts = urlsplit(url)
        target = f"{parts.path}?{parts.query}".encode()
        response = self.app.handle(Request(method, target))
        assert not hasattr(response, "coro")
        return response.status, response.body  # type: ignore[union-attr]

    def spent(self, campaign: str) -> tuple[int, int]:
        return self.state.spent(campaign, self.wall.now)


def only_bid(response: BidResponse | None) -> Any:
    assert response is not None and response.seatbid
    return response.seatbid[0].bid[0]


def filled(url: str, bid: Any, response: BidResponse, price: str, **extra: str) -> str:
    """Every OpenRTB 2.6 macro an exchange fills, filled as the exchange would."""
    return exchange_fill(
        url,
        auction=response.id,
        bidid=response.bidid or "",
        imp=bid.impid,
        seat=response.seatbid[0].seat or "",
        ad=bid.adid or "",
        price=price,
        cur=response.cur,
        min_to_win=extra.pop("min_to_win", "0.9"),
        multiplier=extra.pop("multiplier", "1"),
        loss=extra.pop("loss", "102"),
    )


def campaign(cid: str = "c1", price: float = 2.0, **extra: Any) -> dict[str, Any]:
    return {"id": cid, "seat": "s1", "adomain": [f"{cid}.example"], "price": price,
            "creatives": extra.pop("creatives", [BANNER]), **extra}  # fmt: skip


# -- the endpoint: what is refused, and how -------------------------------------------------


def test_win_bill_loss_round_trip_with_every_macro_filled() -> None:
    rig = Rig(campaign(daily_budget=100.0))
    response = rig.bid()
    assert response is not None
    bid = only_bid(response)
    assert "${AUCTION_PRICE}" in bid.nurl and "${AUCTION_LOSS}" in bid.lurl
    assert rig.notice(filled(bid.nurl, bid, response, "1.5")) == (204, b"")
    assert rig.notice(filled(bid.burl, bid, response, "1.5")) == (204, b"")
    assert rig.spent("c1") == (1_500_000, 1_500_000)  # 1.5 CPM = 0.0015 = 1.5e6 nanos
    assert rig.notice(filled(bid.lurl, bid, response, "1.5", loss="102")) == (204, b"")
    assert LOSSES.get("102") == 1
    for kind in ("win", "bill", "loss"):
        assert NOTICES.get(f"{kind}_ok") == 1


def test_a_forged_signature_is_refused_403() -> None:
    rig = Rig(campaign())
    response = rig.bid()
    bid = only_bid(response)
    assert response is not None
    url = filled(bid.burl, bid, response, "1.0")
    sig = url.split("&sig=")[1].split("&")[0]
    forged = url.replace(f"&sig={sig}", "&sig=" + ("A" * 22))
    status, body = rig.notice(forged)
    assert status == 403 and b"bad signature" in body
    assert rig.spent("c1") == (0, 0)
    assert NOTICES.get("bill_forged") == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [("p", "9.99"), ("c", "c2"), ("a", "other-auction"), ("t", "0"), ("u", "")],
)
def test_an_altered_signed_field_is_refused_403(field: str, value: str) -> None:
    rig = Rig(campaign(), campaign("c2"))
    response = rig.bid()
    assert response is not None
    bid = only_bid(response)
    url = filled(bid.burl, bid, response, "1.0")
    head, query = url.split("?", 1)
    params = [p.split("=", 1) for p in query.split("&")]
    altered = "&".join(f"{k}={value if k == field else v}" for k, v in params)
    assert altered != query
    assert rig.notice(f"{head}?{altered}")[0] == 403
    assert rig.spent("c1") == (0, 0)


def test_exchange_macros_that_contradict_the_bid_are_refused_403() -> None:
    rig = Rig(campaign())
    response = rig.bid()
    assert response is not None
    bid = only_bid(response)
    url = fill(bid.burl, AUCTION_PRICE="1.0", AUCTION_IMP_ID="not-the-imp")
    status, body = rig.notice(url)
    assert status == 403 and b'"path":"imp"' in body


def test_an_unknown_bid_is_refused() -> None:
    rig = Rig(campaign())
    # Signed by our key but for a campaign this bidder does not run: 404.
    values = {"a": "r9", "i": "1", "b": "0:ghost", "s": "s1", "c": "ghost", "cr": "cr-b",
              "p": "2.0", "cur": "USD", "t": str(int(rig.wall.now * 1000)), "u": ""}  # fmt: skip
    url = fill(notice_urls("http://x", rig.signer, values).burl, AUCTION_PRICE="1.0")
    status, body = rig.notice(url)
    assert status == 404 and b"no such campaign" in body
    # Not signed at all, or missing its identity: 400 naming the missing field.
    status, body = rig.notice("http://x/notice/bill?price=1.0")
    assert status == 400 and b'"path":"a"' in body


def test_a_replayed_notice_counts_once_and_answers_the_same() -> None:
    rig = Rig(campaign(creatives=[ON_WIN]))
    response = rig.bid(format=[{"w": 728, "h": 90}], banner={"w": 728, "h": 90})
    assert response is not None
    bid = only_bid(response)
    assert bid.adm is None  # served on the win notice
    win = filled(bid.nurl, bid, response, "1.25")
    bill = filled(bid.burl, bid, response, "1.25")
    first = rig.notice(win)
    assert first == (200, b"<img src='https://x.example/i.png?p=1.25'>")
    for _ in range(5):
        assert rig.notice(win) == first
        assert rig.notice(bill) == (204, b"")
    assert rig.spent("c1") == (1_250_000, 1_250_000)
    assert NOTICES.get("bill_ok") == 1
    assert NOTICES.get("bill_duplicate") == 4
    assert NOTICES.get("win_duplicate") == 5


@pytest.mark.parametrize(
    ("price", "why"),
    [("2.01", b"above the bid price"), ("-1", b">= 0"), ("abc", b"not a number"),
     ("nan", b">= 0"), ("inf", b">= 0"), ("${AUCTION_PRICE}", b"not filled"), ("", b"not filled")],
)  # fmt: skip
def test_a_bad_clearing_price_is_refused_400(price: str, why: bytes) -> None:
    rig = Rig(campaign(price=2.0))
    response = rig.bid()
    assert response is not None
    bid = only_bid(response)
    status, body = rig.notice(filled(bid.burl, bid, response, price))
    assert status == 400 and why in body and b'"path":"price"' in body
    assert rig.spent("c1") == (0, 0)
    # The same notice with a good price still counts afterwards: nothing was consumed.
    assert rig.notice(filled(bid.burl, bid, response, "2.0"))[0] == 204
    assert rig.spent("c1")[0] == 2_000_000


def test_expired_and_future_notices_are_refused() -> None:
    wall = Wall()
    rig = Rig(campaign(), wall=wall, notices=NoticeConfig(keys=[KEY], ttl=600))
    response = rig.bid()
    assert response is not None
    bid = only_bid(response)
    url = filled(bid.burl, bid, response, "1.0")
    wall.now += 601
    assert rig.notice(url)[0] == 410
    wall.now -= 601 + 60  # a minute before the bid was made
    assert rig.notice(url)[0] == 403


def test_key_rotation_old_key_verifies_unknown_key_does_not() -> None:
    old = Rig(campaign(), notices=NoticeConfig(keys=[OLD_KEY]))
    response = old.bid()
    assert response is not None
    bid = only_bid(response)
    url = filled(bid.burl, bid, response, "1.0")
    assert "k=k0" in url
    rotated = Rig(campaign(), notices=NoticeConfig(keys=[KEY, OLD_KEY]))
    assert rotated.notice(url)[0] == 204
    retired = Rig(campaign(), notices=NoticeConfig(keys=[KEY]))
    assert retired.notice(url)[0] == 403


def test_notices_by_post_with_a_form_body() -> None:
    rig = Rig(campaign())
    response = rig.bid()
    assert response is not None
    bid = only_bid(response)
    parts = urlsplit(filled(bid.burl, bid, response, "1.0"))
    post = Request(b"POST", parts.path.encode(), parts.query.encode(),
                   content_type=b"application/x-www-form-urlencoded")  # fmt: skip
    assert rig.app.handle(post).status == 204  # type: ignore[union-attr]
    assert rig.spent("c1")[0] == 1_000_000
    put = rig.app.handle(Request(b"PUT", parts.path.encode()))
    assert put.status == 405  # type: ignore[union-attr]


def test_an_encrypted_price_decoder_plugs_in() -> None:
    # A stand-in for an exchange's encrypted price: the double, packed and base64-encoded.
    register_price_decoder("packed", lambda text: struct.unpack("<d", base64.b64decode(text))[0])
    rig = Rig(campaign(), notices=NoticeConfig(keys=[KEY], price_decoder="packed"))
    response = rig.bid()
    assert response is not None
    bid = only_bid(response)
    sealed = base64.b64encode(struct.pack("<d", 0.75)).decode().replace("=", "%3D")
    assert rig.notice(filled(bid.burl, bid, response, sealed))[0] == 204
    assert rig.spent("c1")[0] == 750_000
    assert rig.notice(filled(bid.burl, bid, response, "not-base64!"))[0] in (204, 400)
    with pytest.raises(ValueError):
        NoticeHandler(NoticeConfig(price_decoder="nope"), rig.signer, rig.state, rig.holder)


def test_billing_on_the_win_notice_when_configured() -> None:
    rig = Rig(campaign(), notices=NoticeConfig(keys=[KEY], bill_on="nurl"))
    response = rig.bid()
    assert response is not None
    bid = only_bid(response)
    rig.notice(filled(bid.burl, bid, response, "1.0"))
    assert rig.spent("c1") == (0, 0)
    rig.notice(filled(bid.nurl, bid, response, "1.0", multiplier="3"))
    assert rig.spent("c1")[0] == 3_000_000  # a DOOH multiplier bills three impressions


# -- budgets ----------------------------------------------------------------------------------


def test_a_campaign_that_reaches_its_budget_stops_at_the_next_decision() -> None:
    # 2.0 CPM: 0.002 a bid; a total budget of 0.005 allows two bids in flight, not three.
    rig = Rig(campaign(total_budget=0.005, pacing="asap"), campaign("c2", price=1.0))
    first, second = only_bid(rig.bid(rid="a")), only_bid(rig.bid(rid="b"))
    assert first.cid == second.cid == "c1"
    assert only_bid(rig.bid(rid="c")).cid == "c2"  # c1's reservations fill its budget
    assert THROTTLED.get("budget") == 1


def test_a_loss_releases_the_reservation() -> None:
    rig = Rig(campaign(total_budget=0.002, pacing="asap"), campaign("c2", price=1.0))
    response = rig.bid(rid="a")
    assert response is not None
    bid = only_bid(response)
    assert only_bid(rig.bid(rid="b")).cid == "c2"
    rig.notice(filled(bid.lurl, bid, response, "", loss="102"))
    assert only_bid(rig.bid(rid="c")).cid == "c1"


def test_billing_below_the_bid_frees_the_difference() -> None:
    rig = Rig(campaign(total_budget=0.003, pacing="asap"), campaign("c2", price=1.0))
    response = rig.bid(rid="a")
    assert response is not None
    bid = only_bid(response)
    rig.notice(filled(bid.burl, bid, response, "0.5"))  # spent 0.0005, not 0.002
    assert rig.spent("c1")[0] == 500_000
    assert only_bid(rig.bid(rid="b")).cid == "c1"  # 0.0005 + 0.002 <= 0.003
    assert only_bid(rig.bid(rid="c")).cid == "c2"


def test_reservations_expire() -> None:
    wall = Wall()
    rig = Rig(campaign(total_budget=0.002, pacing="asap"), campaign("c2", price=1.0), wall=wall,
              state=StateConfig(reservation_ttl=60, reservation_bucket=10))  # fmt: skip
    assert only_bid(rig.bid(rid="a")).cid == "c1"
    assert only_bid(rig.bid(rid="b")).cid == "c2"
    wall.now += 75
    assert only_bid(rig.bid(rid="c")).cid == "c1"


# -- pacing: a simulated day ------------------------------------------------------------------


def simulate_day(pacing: str, seed: int = 7) -> list[int]:
    """24 h of traffic, one request every 4 s, against one 2.0 CPM campaign with a daily
    budget of 5.0 (2,500 impressions at full price); each bid wins with probability 0.6 and is
    billed at 60-100% of its price, through the notice endpoint. The day's spend (nanos) at
    the start of every hour, and at the end of the day."""
    wall = Wall(MIDNIGHT)
    rig = Rig(campaign("c1", price=2.0, daily_budget=5.0, pacing=pacing), wall=wall)
    rng = random.Random(seed)
    hourly: list[int] = []
    for n in range(21_600):
        wall.now = MIDNIGHT + n * 4
        if n % 900 == 0:
            hourly.append(rig.spent("c1")[1])
        response = rig.bid(rid=f"r{n}", user=None)
        if response is None:
            continue
        bid = only_bid(response)
        if rng.random() < 0.6:
            price = f"{bid.price * rng.uniform(0.6, 1.0):.6f}"
            assert rig.notice(filled(bid.nurl, bid, response, price))[0] == 204
            assert rig.notice(filled(bid.burl, bid, response, price))[0] == 204
        else:
            assert rig.notice(filled(bid.lurl, bid, response, "", loss="102"))[0] == 204
    wall.now = MIDNIGHT + DAY - 1
    hourly.append(rig.spent("c1")[1])
    return hourly


def test_even_pacing_follows_the_day_and_asap_spends_out_first() -> None:
    daily = 5_000_000_000  # 5.0 in nanos
    even, asap = simulate_day("even"), simulate_day("asap")
    for hour, spent in enumerate(even):
        target = daily * hour / 24
        assert abs(spent - target) <= 0.05 * daily, (hour, spent, target)
        assert spent <= daily
    assert even[-1] >= 0.95 * daily  # and it does spend the day's budget
    assert max(asap) <= daily
    spent_out = next(h for h, s in enumerate(asap) if s >= 0.99 * daily)
    assert spent_out <= 8, asap  # the even campaign gets there at the end of the day


# -- frequency caps ---------------------------------------------------------------------------


def test_frequency_cap_holds_exactly_for_its_window() -> None:
    wall = Wall()
    rig = Rig(campaign(frequency_cap={"count": 3, "window": 3600}), wall=wall)
    bids = [rig.bid(rid=f"r{i}") for i in range(10)]  # all in flight at once: none won yet
    made = [b for b in bids if b is not None]
    assert len(made) == 3
    assert THROTTLED.get("frequency_cap") == 7
    assert rig.bid(user="user-2") is not None  # another user is not capped
    assert rig.bid(user=None) is not None  # nor a request without a user
    for response in made:
        bid = only_bid(response)
        assert rig.notice(filled(bid.nurl, bid, response, "1.0"))[0] == 204
    assert rig.bid(rid="after-wins") is None  # three impressions: capped
    wall.now += 3599
    assert rig.bid(rid="late") is None
    wall.now += 1
    assert len([b for b in (rig.bid(rid=f"n{i}") for i in range(10)) if b is not None]) == 3


def test_a_loss_frees_its_cap_slot() -> None:
    rig = Rig(campaign(frequency_cap={"count": 1, "window": 3600}))
    response = rig.bid(rid="a")
    assert response is not None
    assert rig.bid(rid="b") is None
    bid = only_bid(response)
    rig.notice(filled(bid.lurl, bid, response, "", loss="102"))
    assert rig.bid(rid="c") is not None


def test_the_user_key_order_is_configurable() -> None:
    rig = Rig(campaign(frequency_cap={"count": 1, "window": 3600}),
              notices=NoticeConfig(keys=[KEY], user_keys=("device.ifa",)))  # fmt: skip
    req = {"id": "r", "imp": [{"id": "1", "banner": {"w": 300, "h": 250}}],
           "device": {"ifa": "ifa-1"}}  # fmt: skip
    first = rig.pipeline.decide(msgspec.convert({**req, "user": {"id": "u1"}}, BidRequest), 1000.0)
    again = rig.pipeline.decide(msgspec.convert({**req, "user": {"id": "u2"}}, BidRequest), 1000.0)
    assert isinstance(first, BidResponse) and isinstance(again, NoBid)


def test_frequency_cap_memory_is_bounded() -> None:
    state = LocalState(StateConfig(max_cap_keys=1_000))
    budget = Budget("c1", None, None, True, 3, 3600.0)
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for user in range(5_000):
        assert state.reserve(budget, f"{user:016x}", 1, MIDNIGHT) is None
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    assert state.sizes()["frequency_caps"] <= 1_000
    assert STATE_EVICTIONS.get("frequency_cap") == 4_000
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    # ~1,000 live counters plus the expiry heap's 5,000 entries; the bound is what matters.
    assert grown < 3_000_000, grown
    # Windows that end are forgotten: an hour and the reservation TTL later, nothing is left.
    state.reserve(budget, "late-user", 1, MIDNIGHT + 3600 + 301)
    assert state.sizes()["frequency_caps"] == 1


def test_notice_dedup_memory_is_bounded() -> None:
    state = LocalState(StateConfig(max_notice_keys=100))
    for i in range(1_000):
        assert state.first_notice(f"k{i}", MIDNIGHT, MIDNIGHT + 3600)
    assert state.sizes()["notice_keys"] == 100
    assert STATE_EVICTIONS.get("notice") == 900
    assert not state.first_notice("k999", MIDNIGHT, MIDNIGHT + 3600)
    # Expired keys are dropped as new notices arrive.
    assert state.first_notice("fresh", MIDNIGHT + 3601, MIDNIGHT + 7200)
    assert state.sizes()["notice_keys"] == 1


def test_ids_that_need_escaping_survive_the_round_trip() -> None:
    rig = Rig(campaign("c 1&x=%é"))
    response = rig.bid(rid="auction/1?&=#é")
    assert response is not None
    bid = only_bid(response)
    assert "c%201%26x%3D%25%C3%A9" in bid.burl
    # The exchange URL-encodes what it substitutes, as it must for ids like these.
    url = fill(bid.burl, AUCTION_ID=quote(response.id, safe=""), AUCTION_PRICE="1.0")
    assert rig.notice(url)[0] == 204
    assert rig.spent("c 1&x=%é")[0] == 1_000_000
    # Substituted raw, the id breaks the query apart: refused, not miscounted.
    assert rig.notice(fill(bid.nurl, AUCTION_ID=response.id, AUCTION_PRICE="1.0"))[0] == 403


def test_events_go_as_json_lines_with_the_memory_state(tmp_path: Any) -> None:
    path = tmp_path / "events.jsonl"
    rig = Rig(campaign(), state=StateConfig(events=str(path)))
    rig.pipeline = Pipeline(rig.holder, config=PipelineConfig(notices=rig.notices),
                            clock=lambda: 1000.0, wallclock=rig.wall,
                            state=rig.state, signer=rig.signer)  # fmt: skip
    response = rig.bid(rid="ev-1")
    assert response is not None
    bid = only_bid(response)
    rig.notice(filled(bid.burl, bid, response, "1.5"))
    rig.notice(filled(bid.lurl, bid, response, "", loss="2"))
    rig.state.poll()
    records = [msgspec.json.decode(line) for line in path.read_text().splitlines()]
    assert [(r["kind"], r["auction"], r["campaign"]) for r in records] == [
        ("bid", "ev-1", "c1"), ("bill", "ev-1", "c1"), ("loss", "ev-1", "c1")]  # fmt: skip
    assert records[1]["price"] == 1_500_000 and records[2]["detail"] == "2"


@pytest.mark.parametrize(
    ("request_id", "imp_id", "campaign_id", "seat", "creative_id", "user"),
    [
        ("r1", "1", "c1", "seat-a", "cr-b", "u1"),
        ("r?1 &", "imp #2", "c/é 1", "seat&=x", "cr:+%", None),
        ("", "1:2", "c~.-_", "s", "k", "ü"),
    ],
)
def test_bid_templates_make_the_urls_notice_urls_makes(
    request_id: str, imp_id: str, campaign_id: str, seat: str, creative_id: str, user: str | None
) -> None:
    # The response builds URLs from per-creative parts prepared at index build (quoted once,
    # length-prefixed once): byte for byte what notice_urls makes from the values.
    from bidder.response import ResponseConfig, Winner, build_response

    file = msgspec.convert(
        {"campaigns": [{"id": campaign_id, "seat": seat, "adomain": ["b.example"], "price": 2.0,
                        "creatives": [{**BANNER, "id": creative_id}]}]},
        CampaignFile,
    )  # fmt: skip
    entry = CampaignIndex(file).entries[0]
    request = msgspec.convert(
        {"id": request_id, "imp": [{"id": imp_id, "banner": {"w": 300, "h": 250}}]}, BidRequest
    )
    signer = Signer([KEY])
    fit = Pipeline._fit(entry, request.imp[0], None)
    assert fit is not None
    winners = [Winner(request.imp[0], entry, fit, 1.234567, None)] * 2
    response = build_response(request_id, winners, "EUR", ResponseConfig(public_url="http://x/"),
                              signer, 1_700_000_000_123, user)  # fmt: skip
    assert response.seatbid is not None
    bids = response.seatbid[0].bid
    assert [b.id for b in bids] == [f"0:{campaign_id}", f"1:{campaign_id}"]
    for bid in bids:
        values = {"a": request_id, "i": imp_id, "b": bid.id, "s": seat, "c": campaign_id,
                  "cr": creative_id, "p": repr(1.234567), "cur": "EUR", "t": "1700000000123",
                  "u": user or ""}  # fmt: skip
        assert (bid.nurl, bid.burl, bid.lurl) == tuple(notice_urls("http://x", signer, values))
