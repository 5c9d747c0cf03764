"""The bidding pipeline: a decoded BidRequest in, a BidResponse or a no-bid out.

Stages: the request's eligible campaigns (index) -> per impression: media, deals and floors ->
the best-paying campaign whose creative fits -> its price -> the response. The pipeline never
sees HTTP or protobuf: the same Structs arrive from either wire format. It takes no locks and
reads one index snapshot per request (a reload swaps the snapshot between requests).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any, Final, NamedTuple

import msgspec

from openrtb.model import BidRequest, BidResponse, Imp

from .audiences import AudienceConfig
from .bidpath import (
    ATTRIBUTES,
    best_for_imp,
    blocked,
    deal_for,
    fit_entry,
    flat_candidates,
    hour_of_week,
    walk,
)
from .bitset import AllOf, Memo, Node, Without, is_empty
from .deadline import DeadlineConfig, StageCosts, deadline_for
from .events import Event
from .index import HOURS_PER_WEEK, CampaignIndex, IndexHolder
from .metrics import AUDIENCE_LOOKUPS, LATE
from .notices import NoticeConfig, Signer
from .pricing import SECOND_PRICE
from .response import ResponseBuilder, ResponseConfig, Winner
from .state import LocalState, State, StateConfig, nanos

if TYPE_CHECKING:
    from .audiences import AudienceLookup

# OpenRTB 2.6 no-bid reason codes (list 5.24) used here.
NBR_UNKNOWN: Final = 0
NBR_TECHNICAL: Final = 1
NBR_INVALID: Final = 2
NBR_INSUFFICIENT_TIME: Final = 15

#: The largest index (in chunks of campaigns) whose no_match no-bids say which filter left no
#: campaign (``bidwire_nobid_reasons_total``): 16 chunks, 16,384 campaigns by default.
MAX_EXPLAINED_CHUNKS: Final = 16
_STAGES: Final = ("match", "imps", "build")
_IMP_STAGES: Final = ("imps", "build")
#: What a lookup leaves free before the deadline: the decision, and the wait to start it.
_WAIT_STAGES: Final = ("wake", "match", "imps", "build")


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
        if index.flat is not None:
            return flat_candidates(index, request, hour, audiences)
        terms: list[Node] = [index.test if request.test else index.live, index.hours[hour]]
        for name in index.used:
            extract, many = ATTRIBUTES[name]
            g = index.filters[name]
            terms.append(g.match_any(extract(request)) if many else g.match(extract(request)))
        if index.audience is not None:
            terms.append(index.audience.match_any(audiences))
        if request.wseat:
            terms.append(index.union(index.seats, request.wseat))
        removed = [index.union(getattr(index, table), keys) for table, keys in blocked(request)]
        accepted = AllOf(terms)
        return Memo(Without(accepted, removed) if removed else accepted)

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
        """The best-paying campaign with a creative that fits ``imp``, at its price
        (:func:`bidder.bidpath.best_for_imp`)."""
        return best_for_imp(index, request, imp, candidates, currency, user, now,
                            self.config.first_price_shading, self.state)  # fmt: skip

    #: The impression's candidates on the chunked index, best price first (lazily).
    _walk = staticmethod(walk)

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

    #: The offered deal a campaign bids through (seat allowed), if any.
    _deal_for = staticmethod(deal_for)
    #: The first creative of a campaign that fits an impression (banners first).
    _fit = staticmethod(fit_entry)


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
