"""Build the BidResponse from the pipeline's winners, with signed notice URLs (see
:mod:`bidder.notices`) whose OpenRTB macros the exchange fills."""

from __future__ import annotations

from typing import NamedTuple

import msgspec

from openrtb.model import Bid, BidResponse, Deal, Imp, SeatBid

from .fit import Fit
from .index import Entry
from .notices import Signer, notice_urls


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


def build_response(
    request_id: str,
    winners: list[Winner],
    currency: str,
    config: ResponseConfig,
    signer: Signer,
    issued_ms: int,
    user: str | None,
) -> BidResponse:
    """One BidResponse holding a bid per winner, grouped by seat, with signed notice URLs
    (issued at ``issued_ms``, wall clock; ``user``: the frequency-cap user hash)."""
    base = config.public_url.rstrip("/")
    by_seat: dict[str, list[Bid]] = {}
    issued = str(issued_ms)
    for n, w in enumerate(winners):
        campaign = w.entry.campaign
        creative = w.fit.creative
        # Unique within the response whatever the ids contain ("{imp.id}-{campaign.id}"
        # collided for imp "1-c" with campaign "1" and imp "1" with campaign "c-1").
        bid_id = f"{n}:{campaign.id}"
        urls = notice_urls(
            base,
            signer,
            {
                "a": request_id,
                "i": w.imp.id,
                "b": bid_id,
                "s": campaign.seat,
                "c": campaign.id,
                "cr": creative.id,
                "p": repr(w.price),
                "cur": currency,
                "t": issued,
                "u": user or "",
            },
        )
        bid = Bid(
            id=bid_id,
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
            nurl=urls.nurl,
            burl=urls.burl,
            lurl=urls.lurl,
        )
        by_seat.setdefault(campaign.seat, []).append(bid)
    return BidResponse(
        id=request_id,
        bidid=request_id,
        cur=currency,
        seatbid=[SeatBid(seat=seat, bid=bids) for seat, bids in by_seat.items()],
    )


__all__ = ["ResponseConfig", "Winner", "build_response"]
