"""The OpenRTB 2.6 bid response: BidResponse, SeatBid and Bid (spec section 4.2)."""

from __future__ import annotations

from typing import ClassVar

from ._base import Ext, Int32, OpenRTBObject


class Bid(OpenRTBObject, kw_only=True):
    """One bid on one impression (4.2.3). ``id``, ``impid`` and ``price`` are required.

    ``adm`` holds the markup as a string; for native it is the Native Ads response as JSON.
    A protobuf sender may send the native response as a message (``adm_native``); the protobuf
    codec turns it into that JSON string, so readers see one form.
    """

    #: Required by the spec, but some senders omit it; the validator reports a missing id.
    id: str | None = None
    impid: str
    price: float
    nurl: str | None = None
    burl: str | None = None
    lurl: str | None = None
    adm: str | None = None
    adid: str | None = None
    adomain: list[str] | None = None
    bundle: str | None = None
    iurl: str | None = None
    cid: str | None = None
    crid: str | None = None
    tactic: str | None = None
    cattax: Int32 = 1
    cat: list[str] | None = None
    attr: list[Int32] | None = None
    apis: list[Int32] | None = None
    #: Deprecated in 2.6 (use ``apis``); still decoded.
    api: Int32 | None = None
    protocol: Int32 | None = None
    qagmediarating: Int32 | None = None
    language: str | None = None
    langb: str | None = None
    dealid: str | None = None
    w: Int32 | None = None
    h: Int32 | None = None
    wratio: Int32 | None = None
    hratio: Int32 | None = None
    exp: Int32 | None = None
    dur: Int32 | None = None
    mtype: Int32 | None = None
    slotinpod: Int32 = 0
    ext: Ext | None = None

    __deprecated__: ClassVar[frozenset[str]] = frozenset({"api"})


class SeatBid(OpenRTBObject, kw_only=True):
    """The bids of one buyer seat (4.2.2)."""

    bid: list[Bid]
    seat: str | None = None
    group: Int32 = 0
    ext: Ext | None = None


class BidResponse(OpenRTBObject, kw_only=True):
    """The top-level bid response (4.2.1). ``id`` echoes the request's id."""

    id: str
    seatbid: list[SeatBid] | None = None
    bidid: str | None = None
    cur: str = "USD"
    customdata: str | None = None
    nbr: Int32 | None = None
    ext: Ext | None = None


__all__ = ["Bid", "BidResponse", "SeatBid"]
