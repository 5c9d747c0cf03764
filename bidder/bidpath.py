"""The bid path's functions: what a request says about each targeting attribute, which
campaigns accept it, and the best bid for one impression.

They were :class:`bidder.pipeline.Pipeline`'s methods; they hold no state (the pipeline hands
them the index, the state and its settings), so this module can be compiled with mypyc as
:mod:`bidder.flat`, :mod:`bidder.pricing`, :mod:`bidder.fit`, :mod:`bidder.templates` and
:mod:`bidder.response` are (``make compile``; :mod:`bidder.compiled` says which run compiled),
while the pipeline, which tests patch, stays a Python class. Compiled or not, the decisions are
the same: ``tests/test_compiled.py`` runs the decision record both ways.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Final

from openrtb.model import BidRequest, Deal, Geo, Imp, NativeRequest

from .bitset import AllOf, Node, any_of
from .fit import Fit, banner_sizes, fit, parse_native
from .flat import flat_positions
from .index import CampaignIndex, Entry, domain_and_parents
from .metrics import THROTTLED
from .pricing import bid_price, round_price
from .response import Winner
from .state import nanos

if TYPE_CHECKING:
    from .state import State

_MTYPES: Final = (("banner", 1), ("video", 2), ("audio", 3), ("native", 4))


# -- what a request says about each targeting attribute (see bidder.index) -----------------------


def _geo(request: BidRequest) -> Geo | None:
    device, user = request.device, request.user
    return (device.geo if device is not None else None) or (user.geo if user is not None else None)


def _lower(value: str | None) -> str | None:
    return value.lower() if value else None


def _country(request: BidRequest) -> str | None:
    geo = _geo(request)
    return _lower(geo.country) if geo is not None else None


def _region(request: BidRequest) -> str | None:
    geo = _geo(request)
    return _lower(geo.region) if geo is not None else None


def _metro(request: BidRequest) -> str | None:
    geo = _geo(request)
    return _lower(geo.metro) if geo is not None else None


def _os(request: BidRequest) -> str | None:
    device = request.device
    return _lower(device.os) if device is not None else None


def _devicetype(request: BidRequest) -> int | None:
    device = request.device
    return device.devicetype if device is not None else None


def _connectiontype(request: BidRequest) -> int | None:
    device = request.device
    return device.connectiontype if device is not None else None


def _site_domain(request: BidRequest) -> list[str]:
    site, app = request.site, request.app
    domain = site.domain if site is not None else (app.domain if app is not None else None)
    return domain_and_parents(domain) if domain else []


def _app_bundle(request: BidRequest) -> str | None:
    app = request.app
    return _lower(app.bundle) if app is not None else None


def _publisher(request: BidRequest) -> str | None:
    channel = request.site or request.app or request.dooh
    publisher = channel.publisher if channel is not None else None
    return _lower(publisher.id) if publisher is not None else None


def _content_cat(request: BidRequest) -> list[str]:
    site, app = request.site, request.app
    cats: list[str] = []
    ch = site if site is not None else app
    if ch is not None:
        cats.extend(ch.cat or ())
        cats.extend(ch.sectioncat or ())
        cats.extend(ch.pagecat or ())
    channel = site or app or request.dooh
    content = channel.content if channel is not None else None
    if content is not None and content.cat:
        cats.extend(content.cat)
    return cats


def _segment(request: BidRequest) -> list[str]:
    user = request.user
    if user is None:
        return []
    return [s.id for d in (user.data or ()) for s in (d.segment or ()) if s.id]


#: Per filter of the index: what the request's value is, and whether it has several (matched
#: with ``match_any``: site domain and its parents, content categories, user segments).
ATTRIBUTES: Final[dict[str, tuple[Callable[[BidRequest], Any], bool]]] = {
    "country": (_country, False),
    "region": (_region, False),
    "metro": (_metro, False),
    "os": (_os, False),
    "devicetype": (_devicetype, False),
    "connectiontype": (_connectiontype, False),
    "site_domain": (_site_domain, True),
    "app_bundle": (_app_bundle, False),
    "publisher": (_publisher, False),
    "content_cat": (_content_cat, True),
    "segment": (_segment, True),
}


def blocked(request: BidRequest) -> list[tuple[str, list[Any]]]:
    """The request's blocks: (the index table they look up, the keys)."""
    out: list[tuple[str, list[Any]]] = []
    if request.badv:
        out.append(("adomains", [b.lower().rstrip(".") for b in request.badv]))
    if request.bcat:
        out.append(("cats", [(request.cattax, cat) for cat in request.bcat]))
    if request.bapp:
        out.append(("bundles", [b.lower() for b in request.bapp]))
    if request.bseat:
        out.append(("seats", list(request.bseat)))
    return out


def hour_of_week(epoch_seconds: float) -> int:
    """0 = Monday 00:00-01:00 UTC ... 167."""
    days = int(epoch_seconds // 86400)
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday
    return weekday * 24 + int(epoch_seconds % 86400 // 3600)


# -- the stages ----------------------------------------------------------------------------------


def flat_candidates(
    index: CampaignIndex, request: BidRequest, hour: int, audiences: Sequence[str]
) -> int:
    """The campaigns of a one-chunk index (``index.flat``) whose targeting and blocks accept
    ``request`` in hour of week ``hour`` (0-167), for a user in ``audiences``: one dict lookup
    and one ``&`` per term."""
    flat = index.flat
    assert flat is not None
    bits: int = (flat.test if request.test else flat.live) & flat.hours[hour]
    for name, f in flat.used:
        extract, many = ATTRIBUTES[name]
        bits &= f.match_any(extract(request)) if many else f.match(extract(request))
    if flat.audience is not None:
        bits &= flat.audience.match_any(audiences)
    if request.wseat:
        bits &= flat.union(flat.seats, request.wseat)
    if request.badv or request.bcat or request.bapp or request.bseat:
        for table, keys in blocked(request):
            bits &= ~flat.union(getattr(flat, table), keys)
    return bits


def best_for_imp(
    index: CampaignIndex,
    request: BidRequest,
    imp: Imp,
    candidates: Node | int,
    currency: str,
    user: str | None,
    now: float,
    shading: float,
    state: State,
) -> Winner | None:
    """The best-paying campaign with a creative that fits ``imp``, at its price (first-price
    bids shaded by ``shading``), its budget and caps reserved in ``state``."""
    sizes = banner_sizes(imp.banner) if imp.banner is not None else None
    native = parse_native(imp) if imp.native is not None else None
    pmp = imp.pmp
    private = pmp is not None and bool(pmp.private_auction)
    # The offered deals the index knows, with their floors in the bidder's currency.
    offered: list[tuple[Deal, float]] = []
    if pmp is not None and pmp.deals:
        known = index.deals
        for offer in pmp.deals:
            if offer.id not in known:
                continue
            try:
                floor = index.to_bidder_currency(offer.bidfloor, offer.bidfloorcur)
            except KeyError:
                continue  # a floor we cannot convert: that deal cannot be priced
            offered.append((offer, floor))
    try:
        imp_floor: float | None = index.to_bidder_currency(imp.bidfloor, imp.bidfloorcur)
    except KeyError:
        imp_floor = None
    # Campaigns are numbered by price, so "price >= floor" is a prefix of the positions:
    # masking by it here means the walk below never visits a campaign under its floor.
    flat = index.flat
    entries: Iterable[Entry]
    if flat is not None and isinstance(candidates, int):
        media = 0
        if sizes:
            get = flat.banner_sizes.get
            for size in sizes:
                media |= get(size, 0)
        if imp.video is not None:
            media |= flat.timed_candidates("video", imp.video)
        if imp.audio is not None:
            media |= flat.timed_candidates("audio", imp.audio)
        if native is not None:
            media |= flat.media["native"]
        bits = media & candidates
        market = 0
        for offer, floor in offered:
            market |= flat.deals[offer.id] & flat.at_least(floor)
        if not private and imp_floor is not None:
            if offered:
                market |= flat.open_auction & flat.at_least(imp_floor)
            else:
                bits &= flat.open_auction & flat.at_least(imp_floor)
        if offered:
            bits &= market
        if not bits:
            return None
        entries = map(index.entries.__getitem__, flat_positions(bits))
    else:
        assert not isinstance(candidates, int)
        entries = walk(index, imp, candidates, sizes, native, offered, private, imp_floor)
    deals = {offer.id: offer for offer, _ in offered}
    for entry in entries:
        deal = deal_for(entry, deals) if deals else None
        if deal is not None:
            floor = index.to_bidder_currency(deal.bidfloor, deal.bidfloorcur)
            at = deal.at or request.at
        else:
            # In the open market: the campaign bids there and meets the floor (the same test
            # as the mask above, without touching a 100,000-bit int).
            if (
                private
                or imp_floor is None
                or not entry.campaign.targeting.open_auction
                or entry.price < imp_floor
            ):
                continue
            floor, at = imp_floor, request.at
        price = bid_price(entry.price, floor, at, shading=shading)
        if price is None:
            continue
        chosen = fit_entry(entry, imp, native, sizes)
        if chosen is None:
            continue
        if currency == index.currency:
            out_price = round_price(price, floor, entry.price)
        else:
            out_price = round_price(
                index.from_bidder_currency(price, currency),
                index.from_bidder_currency(floor, currency),
                index.from_bidder_currency(entry.price, currency),
            )
        if out_price is None:
            continue
        budget = entry.budget
        if budget.daily is not None or budget.total is not None or budget.cap_count:
            cost = nanos(index.to_bidder_currency(out_price, currency))
            refused = state.reserve(budget, user, cost, now)
            if refused is not None:
                THROTTLED.inc(refused)
                continue
        return Winner(imp, entry, chosen, out_price, deal)
    return None


def walk(
    index: CampaignIndex,
    imp: Imp,
    candidates: Node,
    sizes: list[tuple[int, int]] | None,
    native: NativeRequest | None,
    offered: list[tuple[Deal, float]],
    private: bool,
    imp_floor: float | None,
) -> Iterable[Entry]:
    """The impression's candidates on the chunked index, best price first (lazily)."""
    media: list[Node] = []
    if sizes:
        get = index.banner_sizes.get
        for size in sizes:
            found = get(size)
            if found is not None:
                media.append(found)
    if imp.video is not None:
        media.append(index.timed_candidates("video", imp.video))
    if imp.audio is not None:
        media.append(index.timed_candidates("audio", imp.audio))
    if native is not None:
        media.append(index.media["native"])
    market: list[Node] = [
        AllOf((index.deals[offer.id], index.at_least(floor))) for offer, floor in offered
    ]
    terms: list[Node] = [any_of(media), candidates]
    if not private and imp_floor is not None:
        if not market:
            # The common case, no deal: one flat intersection, no nested node.
            terms.append(index.open_auction)
            if imp_floor > 0:
                terms.append(index.at_least(imp_floor))
        elif imp_floor > 0:
            market.append(AllOf((index.open_auction, index.at_least(imp_floor))))
        else:
            market.append(index.open_auction)
    if market:
        terms.append(any_of(market))
    bits = AllOf(terms)
    if not bits.summary:
        return ()
    return index.walk(bits)


def deal_for(entry: Entry, deals: dict[str, Deal]) -> Deal | None:
    """The offered deal this campaign bids through (seat allowed), if any."""
    seat = entry.campaign.seat
    for deal_id in entry.campaign.targeting.deals:
        deal = deals.get(deal_id)
        if deal is not None and (not deal.wseat or seat in deal.wseat):
            return deal
    return None


def fit_entry(
    entry: Entry,
    imp: Imp,
    native: NativeRequest | None,
    sizes: list[tuple[int, int]] | None = None,
) -> Fit | None:
    """The first creative of the campaign that fits (banners first), with what the bid says
    about it; ``sizes``: the banner's sizes, when the caller has them already."""
    by_type = entry.creatives_by_type
    for kind, mtype in _MTYPES:
        for creative in by_type.get(kind, ()):
            found = fit(creative, imp, mtype, native, sizes)
            if found is not None:
                return found
    return None


__all__ = [
    "ATTRIBUTES",
    "best_for_imp",
    "blocked",
    "deal_for",
    "fit_entry",
    "flat_candidates",
    "hour_of_week",
    "walk",
]
