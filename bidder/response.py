"""Build the BidResponse from the pipeline's winners, with notice URLs and OpenRTB macros."""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import quote

import msgspec

from openrtb.model import Bid, BidResponse, Deal, Imp, SeatBid

from .fit import Fit
from .index import Entry


class Winner(NamedTuple):
    """The best bid found for one impression."""

    imp: Imp
    entry: Entry
    fit: Fit
    price: float  # CPM, in the response currency
    deal: Deal | None


class ResponseConfig(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """How bids are written."""

    #: Where the exchange reaches this bidder's notice endpoints (nurl, burl, lurl).
    public_url: str = "http://127.0.0.1:8080"


def _notice(base: str, kind: str, campaign: str, creative: str, extra: str = "") -> str:
    # The ${...} macros are left for the exchange to fill (OpenRTB 2.6 section 4.4).
    return (
        f"{base}/notice/{kind}?auction=${{AUCTION_ID}}&bid=${{AUCTION_BID_ID}}"
        f"&imp=${{AUCTION_IMP_ID}}&seat=${{AUCTION_SEAT_ID}}&price=${{AUCTION_PRICE}}"
        f"&cur=${{AUCTION_CURRENCY}}&c={quote(campaign, safe='')}&cr={quote(creative, safe='')}"
        f"{extra}"
    )


def build_response(
    request_id: str, winners: list[Winner], currency: str, config: ResponseConfig
) -> BidResponse:
    """One BidResponse holding a bid per winner, grouped by seat."""
    base = config.public_url.rstrip("/")
    by_seat: dict[str, list[Bid]] = {}
    for n, w in enumerate(winners):
        campaign = w.entry.campaign
        creative = w.fit.creative
        win = _notice(base, "win", campaign.id, creative.id)
        bid = Bid(
            # Unique within the response whatever the ids contain ("{imp.id}-{campaign.id}"
            # collided for imp "1-c" with campaign "1" and imp "1" with campaign "c-1").
            id=f"{n}:{campaign.id}",
            impid=w.imp.id,
            price=w.price,
            adid=creative.id,
            crid=creative.id,
            cid=campaign.id,
            adomain=list(campaign.adomain),
            cat=list(campaign.cat) or None,
            cattax=campaign.cattax,
            bundle=campaign.bundle,
            attr=list(creative.attr) or None,
            w=w.fit.w,
            h=w.fit.h,
            dur=w.fit.dur,
            protocol=w.fit.protocol,
            mtype=w.fit.mtype,
            dealid=w.deal.id if w.deal is not None else None,
            adm=None if creative.serve_on_win else w.fit.adm,
            nurl=win,
            burl=_notice(base, "bill", campaign.id, creative.id),
            lurl=_notice(base, "loss", campaign.id, creative.id, "&loss=${AUCTION_LOSS}"),
        )
        by_seat.setdefault(campaign.seat, []).append(bid)
    return BidResponse(
        id=request_id,
        bidid=request_id,
        cur=currency,
        seatbid=[SeatBid(seat=seat, bid=bids) for seat, bids in by_seat.items()],
    )


__all__ = ["ResponseConfig", "Winner", "build_response"]
