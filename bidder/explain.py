"""Why no bid: which filter removed each campaign, per impression (the debug switch).

The pipeline answers from intersected bitsets and never looks at a campaign it does not bid
with, so it cannot say why the others were left out. This module asks every question again,
one campaign at a time, in the order the pipeline asks them: the request's filters (traffic,
hour of week, each targeting attribute, ``wseat``, the blocks ``badv``, ``bcat``, ``bapp``,
``bseat``), then per impression the media and sizes, deals and the private auction, floors,
the creative's fit and the price. It runs only on demand (a debug request, see
:class:`bidder.app.BidderApp`), never on the bid path; the one thing the bid path asks of it is
:func:`emptied_by` for a no-bid whose request matched no campaign, on a one-chunk index.

The answer mirrors prebid-server's ``ext.debug``: ``ext.debug`` of the BidResponse holds, per
impression, the campaign that bids and the reason of every other one.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any, Final

from openrtb.model import BidRequest, BidResponse, Imp

from .bidpath import ATTRIBUTES, blocked
from .bitset import Node, to_int
from .fit import banner_sizes, parse_native
from .pricing import bid_price, round_price

if TYPE_CHECKING:
    from .index import CampaignIndex, Entry
    from .pipeline import NoBid, Pipeline

#: The request's blocks, by the index table they look up.
BLOCKS: Final = {"adomains": "badv", "cats": "bcat", "bundles": "bapp", "seats": "bseat"}
#: The most campaigns named per impression (best-paying first); the rest are counted.
MAX_NAMED: Final = 50


def request_terms(
    index: CampaignIndex, request: BidRequest, hour: int
) -> tuple[list[tuple[str, Node]], list[tuple[str, Node]]]:
    """The request's filters as named sets, in the pipeline's order: what each accepts, and
    what each block removes."""
    accepted: list[tuple[str, Node]] = [
        ("traffic", index.test if request.test else index.live),
        ("hours_of_week", index.hours[hour]),
    ]
    for name in index.used:
        extract, many = ATTRIBUTES[name]
        g = index.filters[name]
        accepted.append(
            (name, g.match_any(extract(request)) if many else g.match(extract(request)))
        )
    if request.wseat:
        accepted.append(("wseat", index.union(index.seats, request.wseat)))
    removed = [
        (BLOCKS[table], index.union(getattr(index, table), keys))
        for table, keys in blocked(request)
    ]
    return accepted, removed


def emptied_by(index: CampaignIndex, request: BidRequest, hour: int) -> str:
    """The first of the request's filters after which no campaign is left (``no_match``'s
    detail for ``bidwire_nobid_reasons_total``); "no_campaigns" for an empty index."""
    if not index.size:
        return "no_campaigns"
    chunk_bits = index.chunk_bits
    accepted, removed = request_terms(index, request, hour)
    bits = (1 << index.size) - 1
    for name, node in accepted:
        bits &= to_int(node, chunk_bits)
        if not bits:
            return name
    for name, node in removed:
        bits &= ~to_int(node, chunk_bits)
        if not bits:
            return name
    return "no_match"


def _request_reasons(index: CampaignIndex, request: BidRequest, hour: int) -> list[str | None]:
    """Per campaign position, the first request filter that removes it (None: none does)."""
    chunk_bits = index.chunk_bits
    accepted, removed = request_terms(index, request, hour)
    sets = [(name, to_int(node, chunk_bits), True) for name, node in accepted]
    sets += [(name, to_int(node, chunk_bits), False) for name, node in removed]
    reasons: list[str | None] = []
    for position in range(index.size):
        bit = 1 << position
        reasons.append(
            next((name for name, bits, keeps in sets if bool(bits & bit) != keeps), None)
        )
    return reasons


def _media(index: CampaignIndex, imp: Imp) -> int:
    """The campaigns with a creative of a media type and size the impression offers."""
    chunk_bits = index.chunk_bits
    bits = 0
    if imp.banner is not None:
        for size in banner_sizes(imp.banner):
            found = index.banner_sizes.get(size)
            if found is not None:
                bits |= to_int(found, chunk_bits)
    if imp.video is not None:
        bits |= to_int(index.timed_candidates("video", imp.video), chunk_bits)
    if imp.audio is not None:
        bits |= to_int(index.timed_candidates("audio", imp.audio), chunk_bits)
    if imp.native is not None and parse_native(imp) is not None:
        bits |= to_int(index.media["native"], chunk_bits)
    return bits


def _imp_reason(
    pipeline: Pipeline,
    index: CampaignIndex,
    request: BidRequest,
    imp: Imp,
    entry: Entry,
    currency: str,
) -> str | None:
    """Why ``entry`` cannot bid on ``imp`` once the request's filters let it through, in the
    order of :meth:`bidder.pipeline.Pipeline.best_for_imp`; None when it can."""
    pmp = imp.pmp
    private = pmp is not None and bool(pmp.private_auction)
    deals = {}
    if pmp is not None and pmp.deals:
        for offer in pmp.deals:
            if offer.id not in index.deals:
                continue
            try:
                index.to_bidder_currency(offer.bidfloor, offer.bidfloorcur)
            except KeyError:
                continue
            deals[offer.id] = offer
    try:
        imp_floor: float | None = index.to_bidder_currency(imp.bidfloor, imp.bidfloorcur)
    except KeyError:
        imp_floor = None
    deal = pipeline._deal_for(entry, deals) if deals else None
    if deal is not None:
        floor = index.to_bidder_currency(deal.bidfloor, deal.bidfloorcur)
        at = deal.at or request.at
    else:
        if private:
            return "private_auction"
        if not entry.campaign.targeting.open_auction:
            return "deals_only"
        if imp_floor is None:
            return "floor_currency"
        if entry.price < imp_floor:
            return "floor"
        floor, at = imp_floor, request.at
    price = bid_price(entry.price, floor, at, shading=pipeline.config.first_price_shading)
    if price is None:
        return "floor"
    native = parse_native(imp) if imp.native is not None else None
    sizes = banner_sizes(imp.banner) if imp.banner is not None else None
    if pipeline._fit(entry, imp, native, sizes) is None:
        return "creative"
    out = round_price(
        index.from_bidder_currency(price, currency),
        index.from_bidder_currency(floor, currency),
        index.from_bidder_currency(entry.price, currency),
    )
    return "price" if out is None else None


def explain(
    pipeline: Pipeline, request: BidRequest, decision: BidResponse | NoBid, hour: int
) -> dict[str, Any]:
    """The debug document for ``request``, given the ``decision`` the pipeline made for it
    (in hour of week ``hour``): per impression, the campaign that bids and why each other
    campaign does not (``bid``, ``outbid``: a better-paying one bids; ``throttled``: held back
    by its budget, pacing or frequency cap; else the filter that removed it)."""
    from .pipeline import NoBid

    index = pipeline.holder.index
    doc: dict[str, Any] = {
        "campaigns": index.size,
        "decision": decision.reason if isinstance(decision, NoBid) else "bid",
    }
    winners: dict[str, str] = {}
    if not isinstance(decision, NoBid):
        for seat in decision.seatbid or ():
            for bid in seat.bid:
                if bid.cid is not None:
                    winners[bid.impid] = bid.cid
    currency = pipeline.response_currency(index, request)
    if currency is None:
        doc["currency"] = "no currency of the request's cur has an FX rate"
    before = _request_reasons(index, request, hour)
    imps = []
    for imp in request.imp:
        media = _media(index, imp)
        winner = winners.get(imp.id)
        won_at = index.by_id[winner].position if winner in index.by_id else None
        reasons: dict[str, str] = {}
        for entry in index.entries:
            reason = before[entry.position]
            if reason is None and not media >> entry.position & 1:
                reason = "media"
            if reason is None and currency is None:
                reason = "currency"
            if reason is None:
                assert currency is not None
                reason = _imp_reason(pipeline, index, request, imp, entry, currency)
            if reason is None:
                if entry.campaign.id == winner:
                    reason = "bid"
                elif won_at is not None and won_at < entry.position:
                    reason = "outbid"
                else:
                    reason = "throttled"
            reasons[entry.campaign.id] = reason
        named = dict(list(reasons.items())[:MAX_NAMED])
        imps.append({
            "id": imp.id,
            "bid": winner,
            "removed": dict(sorted(Counter(reasons.values()).items())),
            "campaigns": named,
            **({"more": len(reasons) - len(named)} if len(reasons) > len(named) else {}),
        })  # fmt: skip
    doc["imp"] = imps
    return doc


__all__ = ["BLOCKS", "MAX_NAMED", "emptied_by", "explain", "request_terms"]
