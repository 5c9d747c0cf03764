"""A trivial decision, standing in until the campaign pipeline lands.

It bids on every banner impression priced in USD (or with no floor) at the floor plus 20%, with
a floor of 0.50 CPM, so every answer passes :func:`openrtb.validate_response`.
"""

from __future__ import annotations

from openrtb.model import Bid, BidRequest, BidResponse, Imp, SeatBid

SEAT = "bidwire-demo"
ADOMAIN = ["bidwire.example"]
MARKUP = '<a href="https://bidwire.example/"><img width="{w}" height="{h}"></a>'


def _size(imp: Imp) -> tuple[int, int] | None:
    banner = imp.banner
    if banner is None:
        return None
    if banner.w and banner.h:
        return banner.w, banner.h
    for fmt in banner.format or ():
        if fmt.w and fmt.h:
            return fmt.w, fmt.h
    return None


def decide(request: BidRequest) -> BidResponse | None:
    """One bid per banner impression it can price, or None for no bid."""
    if request.cur and "USD" not in request.cur:
        return None
    if (request.wseat and SEAT not in request.wseat) or (request.bseat and SEAT in request.bseat):
        return None
    bids = []
    for imp in request.imp:
        size = _size(imp)
        if size is None or (imp.bidfloorcur != "USD" and imp.bidfloor > 0):
            continue
        if imp.pmp is not None and imp.pmp.private_auction:
            continue
        price = round(max(imp.bidfloor * 1.2, 0.5), 4)
        bids.append(
            Bid(
                id=f"{request.id}-{imp.id}",
                impid=imp.id,
                price=price,
                adid="demo-ad",
                crid="demo-creative",
                cid="demo-campaign",
                adomain=ADOMAIN,
                w=size[0],
                h=size[1],
                mtype=1,
                adm=MARKUP.format(w=size[0], h=size[1]),
                nurl="https://bidwire.example/win?price=${AUCTION_PRICE}",
            )
        )
    if not bids:
        return None
    return BidResponse(id=request.id, bidid=request.id, seatbid=[SeatBid(seat=SEAT, bid=bids)])


__all__ = ["decide"]
