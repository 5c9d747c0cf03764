"""Build the BidResponse from the pipeline's winners, with signed notice URLs (see
:mod:`bidder.notices`) whose OpenRTB macros the exchange fills.

Compiled by ``make compile-bidder`` (:mod:`bidder.compiled`): its settings, a msgspec Struct,
live in :mod:`bidder.response_config` (msgspec reads a Struct's annotations, which a compiled
class does not keep as it reads them).
"""

from __future__ import annotations

from typing import NamedTuple

import msgspec

from openrtb.model import Bid, BidResponse, Deal, Imp, SeatBid
from openrtb.validate import BANNER

from .fit import Fit
from .index import Entry
from .notices import MACRO_QUERY, Signer
from .response_config import FALLBACK_PUBLIC_URL, ResponseConfig
from .templates import BidTemplate, quoted, quoted_often, signed_part


class Winner(NamedTuple):
    """The best bid found for one impression."""

    imp: Imp
    entry: Entry
    fit: Fit
    price: float  # CPM, in the response currency
    deal: Deal | None


class ResponseBuilder:
    """Builds the BidResponses of one pipeline: what every response repeats (the notice URLs'
    prefixes, the key id quoted, the signer's methods) is made once here."""

    __slots__ = ("_begin", "_finish", "_key_q", "_urls")

    def __init__(self, config: ResponseConfig, signer: Signer) -> None:
        base = (config.public_url or FALLBACK_PUBLIC_URL).rstrip("/")
        self._urls = (f"{base}/notice/win?", f"{base}/notice/bill?", f"{base}/notice/loss?")
        self._key_q = quoted(signer.key_id)
        self._begin = signer.begin
        self._finish = signer.finish

    def build(
        self,
        request_id: str,
        winners: list[Winner],
        currency: str,
        issued_ms: int,
        user: str | None,
    ) -> BidResponse:
        """One BidResponse holding a bid per winner, grouped by seat, with signed notice URLs
        (issued at ``issued_ms``, wall clock; ``user``: the frequency-cap user hash).

        Each bid is a copy of its creative's :class:`~bidder.templates.BidTemplate` with its
        own id, imp, price and URLs; the URLs are those of :func:`bidder.notices.notice_urls`,
        with the fields every bid of the response shares (auction, currency, time, user) quoted
        once, and signed from one HMAC state that has read the auction id."""
        by_seat: dict[str, list[Bid]] = {}
        issued = str(issued_ms)
        u = user or ""
        # The query and signed-message parts of the fields every bid here shares: "a" leads
        # them, "cur", "t" and "u" close them (the order of SIGNED), then the key id.
        head_q = f"a={quoted(request_id)}&i="
        tail_q = f"&cur={quoted_often(currency)}&t={issued}&u={quoted(u)}&k={self._key_q}&sig="
        tail_m = f"{len(currency)}:{currency};{len(issued)}:{issued};{len(u)}:{u};"
        shared = self._begin(signed_part(request_id).encode())
        finish = self._finish
        replace = msgspec.structs.replace
        win, bill, loss = self._urls
        for n, w in enumerate(winners):
            fit = w.fit
            creative = fit.creative
            template = w.entry.templates.get(creative.id)
            if template is None or template.creative is not creative:
                template = BidTemplate(w.entry.campaign, creative)  # an unchecked file: ids repeat
            imp_id = w.imp.id
            # Unique within the response whatever the ids contain ("{imp.id}-{campaign.id}"
            # collided for imp "1-c" with campaign "1" and imp "1" with campaign "c-1").
            bid_id, bid_m, bid_q = template.bid_part(n)
            price = repr(w.price)
            # A float's repr needs quoting only for the "+" of a large exponent.
            price_q = price if "+" not in price else quoted(price)
            state = shared.copy()
            state.update(
                f"{len(imp_id)}:{imp_id};{bid_m}{template.message}{len(price)}:{price};{tail_m}".encode()
            )
            query = (
                f"{head_q}{quoted_often(imp_id)}&{bid_q}&{template.query}&p={price_q}{tail_q}"
                f"{finish(state)}&{MACRO_QUERY}"
            )
            dealid = w.deal.id if w.deal is not None else None
            if template.static_adm and fit.mtype == BANNER:
                # A banner: the template holds its size and markup already.
                bid = replace(template.bid, id=bid_id, impid=imp_id, price=w.price, dealid=dealid,
                              nurl=win + query, burl=bill + query,
                              lurl=f"{loss}{query}&loss=${{AUCTION_LOSS}}")  # fmt: skip
            else:
                bid = replace(template.bid, id=bid_id, impid=imp_id, price=w.price, dealid=dealid,
                              w=fit.w, h=fit.h, dur=fit.dur, protocol=fit.protocol,
                              adm=None if creative.serve_on_win else fit.adm,
                              nurl=win + query, burl=bill + query,
                              lurl=f"{loss}{query}&loss=${{AUCTION_LOSS}}")  # fmt: skip
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


def build_response(
    request_id: str,
    winners: list[Winner],
    currency: str,
    config: ResponseConfig,
    signer: Signer,
    issued_ms: int,
    user: str | None,
) -> BidResponse:
    """:meth:`ResponseBuilder.build` with a builder made for this call."""
    return ResponseBuilder(config, signer).build(request_id, winners, currency, issued_ms, user)


__all__ = ["FALLBACK_PUBLIC_URL", "ResponseConfig", "Winner", "build_response"]
