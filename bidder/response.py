"""Build the BidResponse from the pipeline's winners, with signed notice URLs (see
:mod:`bidder.notices`) whose OpenRTB macros the exchange fills."""

from __future__ import annotations

from typing import NamedTuple

import msgspec

from openrtb.model import Bid, BidResponse, Deal, Imp, SeatBid
from openrtb.validate import BANNER

from .fit import Fit
from .index import Entry
from .notices import MACRO_QUERY, Signer
from .templates import BidTemplate, quoted, signed_part


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
    (issued at ``issued_ms``, wall clock; ``user``: the frequency-cap user hash).

    Each bid is a copy of its creative's :class:`~bidder.templates.BidTemplate` with its own
    id, imp, price and URLs; the URLs are those of :func:`bidder.notices.notice_urls`, with the
    fields every bid of the response shares (auction, currency, time, user) quoted once."""
    base = config.public_url.rstrip("/")
    by_seat: dict[str, list[Bid]] = {}
    issued = str(issued_ms)
    u = user or ""
    # The query and signed-message parts of the fields every bid here shares: "a" leads them,
    # "cur", "t" and "u" close them (the order of SIGNED), then the key id.
    head_q = f"a={quoted(request_id)}&i="
    head_m = signed_part(request_id)
    key_q = quoted(signer.key_id)
    tail_q = f"&cur={quoted(currency)}&t={quoted(issued)}&u={quoted(u)}&k={key_q}&sig="
    tail_m = signed_part(currency) + signed_part(issued) + signed_part(u)
    sign = signer.sign_message
    replace = msgspec.structs.replace
    for n, w in enumerate(winners):
        fit = w.fit
        creative = fit.creative
        entry = w.entry
        template = entry.templates.get(creative.id)
        if template is None or template.creative is not creative:
            template = BidTemplate(entry.campaign, creative)  # an unchecked file: ids repeat
        imp_id = w.imp.id
        # Unique within the response whatever the ids contain ("{imp.id}-{campaign.id}"
        # collided for imp "1-c" with campaign "1" and imp "1" with campaign "c-1").
        bid_id = f"{n}:{entry.campaign.id}"
        price = repr(w.price)
        signature = sign(
            f"{head_m}{len(imp_id)}:{imp_id};{len(bid_id)}:{bid_id};{template.message}"
            f"{len(price)}:{price};{tail_m}".encode()
        )
        query = (
            f"{head_q}{quoted(imp_id)}&b={n}:{template.campaign_q}&{template.query}"
            f"&p={quoted(price)}{tail_q}{signature}&{MACRO_QUERY}"
        )
        dealid = w.deal.id if w.deal is not None else None
        if template.static_adm and fit.mtype == BANNER:
            # A banner: the template holds its size and markup already.
            bid = replace(template.bid, id=bid_id, impid=imp_id, price=w.price, dealid=dealid,
                          nurl=f"{base}/notice/win?{query}", burl=f"{base}/notice/bill?{query}",
                          lurl=f"{base}/notice/loss?{query}&loss=${{AUCTION_LOSS}}")  # fmt: skip
        else:
            bid = replace(template.bid, id=bid_id, impid=imp_id, price=w.price, dealid=dealid,
                          w=fit.w, h=fit.h, dur=fit.dur, protocol=fit.protocol,
                          adm=None if creative.serve_on_win else fit.adm,
                          nurl=f"{base}/notice/win?{query}", burl=f"{base}/notice/bill?{query}",
                          lurl=f"{base}/notice/loss?{query}&loss=${{AUCTION_LOSS}}")  # fmt: skip
        found = by_seat.get(template.seat)
        if found is None:
            by_seat[template.seat] = [bid]
        else:
            found.append(bid)
    return BidResponse(
        id=request_id,
        bidid=request_id,
        cur=currency,
        seatbid=[SeatBid(seat=seat, bid=bids) for seat, bids in by_seat.items()],
    )


__all__ = ["ResponseConfig", "Winner", "build_response"]
