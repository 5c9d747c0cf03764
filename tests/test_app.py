"""The front door without sockets: shedding at arrival, the arena, no-bid modes."""

from __future__ import annotations

import json

import msgspec

from bidder.app import AppConfig
from bidder.metrics import NOBIDS, SHED
from bidder.service import Bidder, BidderConfig
from bidder.shedding import SheddingConfig
from transport.events import Request

BID = json.dumps(
    {"id": "r", "imp": [{"id": "1", "banner": {"w": 300, "h": 250}}], "site": {"domain": "a.com"}}
).encode()


def bid_request(body: bytes = BID) -> Request:
    return Request(b"POST", b"/openrtb2/bid", body, content_type=b"application/json")


def bidder(**app: object) -> Bidder:
    return Bidder(BidderConfig(app=msgspec.convert(app, AppConfig)))


def test_loop_lag_sheds_before_decoding() -> None:
    b = bidder()
    b.app.shedder.observe_lag(0.5)
    response = b.app.handle(bid_request(b"not even json"))
    assert response.status == 204  # shed before decoding: a bad body would have been a 400
    assert SHED.get("loop_lag") == 1
    for _ in range(40):
        b.app.shedder.observe_lag(0.0)  # the lag decays: shedding stops
    assert b.app.handle(bid_request()).status == 200


def test_an_empty_arena_sheds() -> None:
    b = Bidder(BidderConfig(app=AppConfig(shedding=SheddingConfig(arena_size=1))))
    assert b.app.arena is not None
    held = b.app.arena.acquire()
    assert held is not None
    assert b.app.handle(bid_request()).status == 204
    assert SHED.get("arena_exhausted") == 1
    b.app.arena.release(held)
    assert b.app.handle(bid_request()).status == 200


def test_the_arena_buffer_is_reused_across_requests() -> None:
    b = bidder()
    arena = b.app.arena
    assert arena is not None
    first = b.app.handle(bid_request())
    assert first.status == 200 and first.context is not None
    assert arena.in_use == 1  # held until the transport has copied the body out
    buffer = first.body
    b.app.release(first)
    assert arena.in_use == 0
    second = b.app.handle(bid_request())
    assert second.body is buffer  # the same bytearray, encoded into again
    b.app.release(second)
    no_arena = bidder(arena=False).app.handle(bid_request())
    assert isinstance(no_arena.body, bytes) and no_arena.context is None


def test_no_bid_as_nbr() -> None:
    b = bidder(nobid="nbr")
    response = b.app.handle(bid_request(BID.replace(b'"w": 300', b'"w": 7')))
    assert response.status == 200
    assert json.loads(response.body) == {"id": "r", "nbr": 0}
    assert NOBIDS.get("no_fit") == 1
