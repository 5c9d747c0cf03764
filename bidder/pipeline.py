"""The bidding pipeline: a decoded BidRequest in, a BidResponse or a no-bid out.

Stages: the request's eligible campaigns (index) -> per impression: media, deals and floors ->
the best-paying campaign whose creative fits -> its price -> the response. The pipeline never
sees HTTP or protobuf: the same Structs arrive from either wire format. It takes no locks and
reads one index snapshot per request (a reload swaps the snapshot between requests).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any, Final, NamedTuple

import msgspec

from openrtb.model import BidRequest, BidResponse, Deal, Geo, Imp, NativeRequest

from .audiences import AudienceConfig
from .bitset import AllOf, Memo, Node, Without, any_of, is_empty
from .deadline import DeadlineConfig, StageCosts, deadline_for
from .events import Event
from .fit import Fit, banner_sizes, fit, parse_native
from .flat import flat_positions
from .index import HOURS_PER_WEEK, CampaignIndex, Entry, IndexHolder, domain_and_parents
from .metrics import AUDIENCE_LOOKUPS, LATE, THROTTLED
from .notices import NoticeConfig, Signer
from .pricing import SECOND_PRICE, bid_price, round_price
from .response import ResponseBuilder, ResponseConfig, Winner
from .state import LocalState, State, StateConfig, nanos

if TYPE_CHECKING:
    from .audiences import AudienceLookup

# OpenRTB 2.6 no-bid reason codes (list 5.24) used here.
NBR_UNKNOWN: Final = 0
NBR_TECHNICAL: Final = 1
NBR_INVALID: Final = 2
NBR_INSUFFICIENT_TIME: Final = 15

_MTYPES: Final = (("banner", 1), ("video", 2), ("audio", 3), ("native", 4))
#: The largest index (in chunks of campaigns) whose no_match no-bids say which filter left no
#: campaign (``bidwire_nobid_reasons_total``): 16 chunks, 16,384 campaigns by default.
MAX_EXPLAINED_CHUNKS: Final = 16
_STAGES: Final = ("match", "imps", "build")
_IMP_STAGES: Final = ("imps", "build")
#: What a lookup leaves free before the deadline: the decision, and the wait to start it.
_WAIT_STAGES: Final = ("wake", "match", "imps", "build")


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
_ATTRIBUTES: Final[dict[str, tuple[Callable[[BidRequest], Any], bool]]] = {
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


def _blocked(request: BidRequest) -> list[tuple[str, list[Any]]]:
    """The request's blocks: (the index table they look up, the keys)."""
    out: list[tuple[str, list[Any]]] = []
    if request.badv:
        out.append(("adomains", [blocked.lower().rstrip(".") for blocked in request.badv]))
    if request.bcat:
        out.append(("cats", [(request.cattax, cat) for cat in request.bcat]))
    if request.bapp:
        out.append(("bundles", [b.lower() for b in request.bapp]))
    if request.bseat:
        out.append(("seats", list(request.bseat)))
    return out


#: A stage that must wait for something (an external lookup, say). It may enrich or veto the
#: request: returning a NoBid ends the decision there.
AsyncStage = Callable[[BidRequest], Awaitable["NoBid | None"]]


class Later:
    """A decision that waits for a lookup (the user's audiences): when ``found`` resolves,
    ``finish(found.result())`` makes it. The front door answers it as a
    :class:`transport.events.Deferred` whose answer is a future set from ``found``'s callback:
    no task nor coroutine per request."""

    __slots__ = ("found", "finish")

    def __init__(
        self,
        found: asyncio.Future[list[str] | None],
        finish: Callable[[list[str] | None], BidResponse | NoBid],
    ) -> None:
        self.found = found
        self.finish = finish


class NoBid(NamedTuple):
    """A decision not to bid, with the reason (a metrics label) and its OpenRTB nbr code;
    ``detail``: a finer reason when one is known at no cost to the bid path (for ``no_match``,
    the request filter that left no campaign: ``bidwire_nobid_reasons_total``)."""

    reason: str
    nbr: int = NBR_UNKNOWN
    detail: str | None = None


class PipelineConfig(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Everything the pipeline can be told."""

    deadline: DeadlineConfig = msgspec.field(default_factory=DeadlineConfig)
    response: ResponseConfig = msgspec.field(default_factory=ResponseConfig)
    notices: NoticeConfig = msgspec.field(default_factory=NoticeConfig)
    state: StateConfig = msgspec.field(default_factory=StateConfig)
    audiences: AudienceConfig = msgspec.field(default_factory=AudienceConfig)
    #: First-price auctions: bid this share of the campaign's price (never below the floor).
    first_price_shading: Annotated[float, msgspec.Meta(gt=0, le=1)] = 1.0
    #: An async stage that only waits this long before each decision, in ms (0: none): a
    #: stand-in for an external lookup, for benchmarks (``bidwire bench overload --async-ms``).
    sleep_stage_ms: Annotated[float, msgspec.Meta(ge=0, le=10_000)] = 0.0


def sleep_stage(seconds: float) -> AsyncStage:
    """An async stage that waits ``seconds`` and lets the decision go on (see
    ``PipelineConfig.sleep_stage_ms``)."""

    async def wait(request: BidRequest) -> NoBid | None:
        await asyncio.sleep(seconds)
        return None

    return wait


def hour_of_week(epoch_seconds: float) -> int:
    """0 = Monday 00:00-01:00 UTC ... 167."""
    days = int(epoch_seconds // 86400)
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday
    return weekday * 24 + int(epoch_seconds % 86400 // 3600)


class Pipeline:
    """Decides bids for requests against the current campaign index."""

    def __init__(
        self,
        holder: IndexHolder,
        *,
        config: PipelineConfig | None = None,
        clock: Callable[[], float] = time.monotonic,
        wallclock: Callable[[], float] = time.time,
        async_stages: Sequence[AsyncStage] = (),
        state: State | None = None,
        signer: Signer | None = None,
        audiences: AudienceLookup | None = None,
    ) -> None:
        self.holder = holder
        #: Stages awaited before the synchronous decision; with none, the pipeline is all sync
        #: and answers inline. With some, the transport enforces the deadline with a timer.
        self.async_stages = tuple(async_stages)
        self.config = config or PipelineConfig()
        self.clock = clock
        self.wallclock = wallclock
        self.costs = StageCosts()
        #: Budgets, pacing and frequency caps (reserved here, spent by the notice endpoint).
        self.state: State = state or LocalState(self.config.state)
        self.signer = signer or Signer(self.config.notices.keys)
        self._user_paths = tuple(self.config.notices.user_keys)
        self._events = self.state.events.enabled
        self._responses = ResponseBuilder(self.config.response, self.signer)
        #: First-party audience lookups (a Redis store): see :meth:`decide_or_wait`.
        self.audiences = audiences
        self._margin = self.config.audiences.margin_ms / 1000.0
        self._max_wait = self.config.audiences.max_wait_ms / 1000.0

    # -- entry point ---------------------------------------------------------------------------

    def decide_or_wait(
        self, request: BidRequest, arrival: float | None = None
    ) -> BidResponse | NoBid | Later:
        """:meth:`decide` now, or :class:`Later` after looking up the user's audiences: only
        when a campaign targets audiences and the Bloom filter knows one of the user's ids.
        The lookup may take the time left before the deadline less the decision's recent cost;
        past that, or on an error, the decision is made without audience data."""
        lookup = self.audiences
        if lookup is None or self.holder.index.audience is None:
            return self.decide(request, arrival)
        user = lookup.known_user(request)
        if user is None:
            return self.decide(request, arrival)
        now = self.clock()
        deadline = deadline_for(arrival if arrival else now, request.tmax, self.config.deadline)
        until = min(deadline - self.costs.estimate(_WAIT_STAGES) - self._margin,
                    now + self._max_wait)  # fmt: skip
        if until <= now:
            AUDIENCE_LOOKUPS.inc("no_time")
            return self.decide(request, arrival)
        found = lookup.lookup(user, until)
        if found is None:
            return self.decide(request, arrival)
        return Later(found, partial(self._decide_found, request, arrival, until))

    def _decide_found(
        self, request: BidRequest, arrival: float | None, until: float, segments: list[str] | None
    ) -> BidResponse | NoBid:
        if segments is None:
            # Given up at ``until``: how late the decision starts after that (timer slack, the
            # loop's turn) is part of what a lookup must leave free; it is learnt, as the
            # stages' costs are.
            self.costs.record("wake", max(0.0, self.clock() - until))
        return self.decide(request, arrival, segments or ())

    def decide(
        self, request: BidRequest, arrival: float | None = None, audiences: Sequence[str] = ()
    ) -> BidResponse | NoBid:
        """Bid on ``request`` (arrived at monotonic time ``arrival``), or say why not; the user
        is in ``audiences`` (first-party segment ids)."""
        clock = self.clock
        start = clock()
        deadline = deadline_for(arrival if arrival else start, request.tmax, self.config.deadline)
        costs = self.costs
        if start + costs.estimate(_STAGES) > deadline:
            return NoBid("insufficient_time", NBR_INSUFFICIENT_TIME)
        index = self.holder.index
        # Targeting by hour, reservations and notice URLs share one wall-clock reading; the
        # issue time is in whole milliseconds.
        issued_ms = int(self.wallclock() * 1000)
        candidates = self.request_candidates(
            index, request, hour_of_week(issued_ms / 1000.0), audiences
        )
        empty = is_empty(candidates)
        now = clock()
        costs.record("match", now - start)
        if empty:
            return self._no_match(index, request, issued_ms)
        cur = request.cur
        currency = (
            index.currency
            if not cur or index.currency in cur
            else self.response_currency(index, request)
        )
        if currency is None:
            return NoBid("currency")
        winners = []
        user = self.user_key(request)
        for imp in request.imp:
            if now + costs.estimate(_IMP_STAGES) > deadline:
                return NoBid("insufficient_time", NBR_INSUFFICIENT_TIME)
            winner = self.best_for_imp(
                index, request, imp, candidates, currency, user, issued_ms / 1000.0
            )
            if winner is not None:
                winners.append(winner)
            after = clock()
            costs.record("imps", after - now)
            now = after
        if not winners:
            return NoBid("no_fit")
        response = self._responses.build(request.id, winners, currency, issued_ms, user)
        if self._events:
            record = self.state.record
            for w in winners:
                record(Event("bid", issued_ms, request.id, w.imp.id, w.entry.campaign.id,
                             nanos(index.to_bidder_currency(w.price, currency))))  # fmt: skip
        end = clock()
        costs.record("build", end - now)
        if end > deadline:
            LATE.inc()
            return NoBid("late", NBR_INSUFFICIENT_TIME)
        return response

    @staticmethod
    def _no_match(index: CampaignIndex, request: BidRequest, issued_ms: int) -> NoBid:
        """No campaign accepts the request: say which filter left none. That takes a few µs
        per chunk of campaigns the index has: an index of more than ``MAX_EXPLAINED_CHUNKS``
        chunks is not asked, on the bid path (its no-bids are counted as ``no_match``)."""
        if index.size > MAX_EXPLAINED_CHUNKS * index.chunk_bits:
            return NoBid("no_match")
        from .explain import emptied_by

        return NoBid(
            "no_match",
            NBR_UNKNOWN,
            emptied_by(index, request, hour_of_week(issued_ms / 1000.0) % HOURS_PER_WEEK),
        )

    def explain(self, request: BidRequest, decision: BidResponse | NoBid) -> dict[str, Any]:
        """Why ``decision`` for ``request``: per impression, the campaign that bids and the
        filter that removed each other one (:func:`bidder.explain.explain`). On demand only."""
        from .explain import explain

        return explain(self, request, decision, hour_of_week(self.wallclock()) % HOURS_PER_WEEK)

    async def decide_async(
        self, request: BidRequest, arrival: float | None = None
    ) -> BidResponse | NoBid:
        """Run the async stages, then :meth:`decide`. The caller enforces the deadline (a timer
        answers no-bid when it passes); a result computed after it is dropped by the caller."""
        for stage in self.async_stages:
            veto = await stage(request)
            if veto is not None:
                return veto
        return self.decide(request, arrival)

    # -- stages --------------------------------------------------------------------------------

    def request_candidates(
        self,
        index: CampaignIndex,
        request: BidRequest,
        hour: int | None = None,
        audiences: Sequence[str] = (),
    ) -> Memo | int:
        """Campaigns whose targeting and blocks accept this request (before per-imp checks),
        in hour of week ``hour`` (default: now), for a user in ``audiences``.

        On a one-chunk index (``index.flat``), an int: one dict lookup and one ``&`` per term.
        Otherwise a lazy set: each term is a dict lookup here, and the set is evaluated one chunk
        of campaigns at a time as the impressions walk it (see :mod:`bidder.bitset`)."""
        if hour is None:
            hour = hour_of_week(self.wallclock())
        hour %= HOURS_PER_WEEK
        flat = index.flat
        if flat is not None:
            bits = (flat.test if request.test else flat.live) & flat.hours[hour]
            for name, f in flat.used:
                extract, many = _ATTRIBUTES[name]
                bits &= f.match_any(extract(request)) if many else f.match(extract(request))
            if flat.audience is not None:
                bits &= flat.audience.match_any(audiences)
            if request.wseat:
                bits &= flat.union(flat.seats, request.wseat)
            if request.badv or request.bcat or request.bapp or request.bseat:
                for table, keys in _blocked(request):
                    bits &= ~flat.union(getattr(flat, table), keys)
            return bits
        terms: list[Node] = [index.test if request.test else index.live, index.hours[hour]]
        for name in index.used:
            extract, many = _ATTRIBUTES[name]
            g = index.filters[name]
            terms.append(g.match_any(extract(request)) if many else g.match(extract(request)))
        if index.audience is not None:
            terms.append(index.audience.match_any(audiences))
        if request.wseat:
            terms.append(index.union(index.seats, request.wseat))
        blocked = [index.union(getattr(index, table), keys) for table, keys in _blocked(request)]
        accepted = AllOf(terms)
        return Memo(Without(accepted, blocked) if blocked else accepted)

    def response_currency(self, index: CampaignIndex, request: BidRequest) -> str | None:
        """The bidder's currency if the request allows it, else the first allowed one with FX."""
        if not request.cur or index.currency in request.cur:
            return index.currency
        for cur in request.cur:
            if cur in index.fx:
                return cur
        return None

    def best_for_imp(
        self,
        index: CampaignIndex,
        request: BidRequest,
        imp: Imp,
        candidates: Node | int,
        currency: str,
        user: str | None = None,
        now: float = 0.0,
    ) -> Winner | None:
        """The best-paying campaign with a creative that fits ``imp``, at its price."""
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
        if flat is not None and type(candidates) is int:
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
            entries = self._walk(index, imp, candidates, sizes, native, offered, private,
                                 imp_floor)  # fmt: skip
        deals = {offer.id: offer for offer, _ in offered}
        for entry in entries:
            deal = self._deal_for(entry, deals) if deals else None
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
            price = bid_price(entry.price, floor, at, shading=self.config.first_price_shading)
            if price is None:
                continue
            chosen = self._fit(entry, imp, native, sizes)
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
                refused = self.state.reserve(budget, user, cost, now)
                if refused is not None:
                    THROTTLED.inc(refused)
                    continue
            return Winner(imp, entry, chosen, out_price, deal)
        return None

    @staticmethod
    def _walk(
        index: CampaignIndex,
        imp: Imp,
        candidates: Node | int,
        sizes: list[tuple[int, int]] | None,
        native: NativeRequest | None,
        offered: list[tuple[Deal, float]],
        private: bool,
        imp_floor: float | None,
    ) -> Iterable[Entry]:
        """The impression's candidates on the chunked index, best price first (lazily)."""
        assert not isinstance(candidates, int)
        media: list[Node] = []
        if sizes:
            get = index.banner_sizes.get
            media.extend(found for found in map(get, sizes) if found is not None)
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

    def user_key(self, request: BidRequest) -> str | None:
        """The keyed hash of the request's user id for frequency caps (first configured
        source present), or None."""
        user, device = request.user, request.device
        for path in self._user_paths:
            if path == "user.id":
                value = user.id if user is not None else None
            elif path == "user.buyeruid":
                value = user.buyeruid if user is not None else None
            else:
                value = device.ifa if device is not None else None
            if value:
                return self.signer.user_hash(value)
        return None

    @staticmethod
    def _deal_for(entry: Entry, deals: dict[str, Deal]) -> Deal | None:
        """The offered deal this campaign bids through (seat allowed), if any."""
        seat = entry.campaign.seat
        for deal_id in entry.campaign.targeting.deals:
            deal = deals.get(deal_id)
            if deal is not None and (not deal.wseat or seat in deal.wseat):
                return deal
        return None

    @staticmethod
    def _fit(
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
    "NBR_INSUFFICIENT_TIME",
    "NBR_INVALID",
    "NBR_TECHNICAL",
    "NBR_UNKNOWN",
    "Later",
    "NoBid",
    "Pipeline",
    "PipelineConfig",
    "SECOND_PRICE",
    "hour_of_week",
    "sleep_stage",
]
