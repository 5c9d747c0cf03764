"""What the bidder remembers between requests: budgets, pacing, frequency caps, notice dedup.

:class:`State` is the interface the pipeline and the notice endpoints use; :class:`LocalState`
is the embedded, in-process implementation. A shared store (Redis, for a fleet) implements the
same methods by answering from local counters and exchanging deltas with the store in the
background: nothing here awaits, so the pipeline never does either.

Money is counted in integer *nanos*: one impression at a CPM of ``x`` costs ``x / 1000``
currency units, which is ``round(x * 1e6)`` nano-units. Prices leave the bidder rounded to a
micro-CPM, so every amount is an exact integer and spend never drifts, however many notices.

Bids *reserve* before they leave: the bid's price against the campaign's budgets and one slot
of the user's frequency cap. A billing notice turns the reservation into spend at the clearing
price, a win turns the cap slot into an impression, a loss (or the reservation's time-to-live)
releases both. So concurrent bids can never commit more than a budget or a cap allows, even
when every one of them wins.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from typing import Annotated, Final, Literal, NamedTuple, Protocol

import msgspec

from .campaigns import Campaign
from .events import Event, EventLog
from .metrics import STATE_EVICTIONS

DAY: Final = 86400.0

Count = Annotated[int, msgspec.Meta(ge=1)]
Seconds = Annotated[float, msgspec.Meta(gt=0)]
Share = Annotated[float, msgspec.Meta(ge=0, le=1)]
#: ``[pipeline.state] store``: "memory", or the URL of a Redis.
STORE_PATTERN: Final = r"^(memory|redis://.+|rediss://.+|unix://.+|rediss?\+cluster://.+)$"
STORE_FORMS: Final = (
    "'memory' or a redis://, rediss://, unix:// or redis+cluster://host:port,host:port,... URL"
)


def nanos(cpm: float) -> int:
    """The cost of one impression at ``cpm``, in 1e-9 currency units."""
    return round(cpm * 1_000_000)


class StateConfig(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Limits of the in-process state."""

    #: Even pacing lets spend run this share of the daily budget ahead of the elapsed-day line.
    pacing_tolerance: Share = 0.02
    #: How long a bid's reservation lives without a billing or loss notice (seconds).
    reservation_ttl: Seconds = 300.0
    #: Reservations are kept per campaign in buckets of this many seconds.
    reservation_bucket: Seconds = 10.0
    #: Memory bounds: at most this many dedup keys and frequency-cap counters. Past them the
    #: oldest are dropped early (counted in ``bidwire_state_evictions_total``).
    max_notice_keys: Count = 2_000_000
    max_cap_keys: Count = 1_000_000
    #: The shared memory store (``store = "memory"``): at most this many campaigns with a
    #: budget or spend (past it, new ones are throttled as ``state_full``)...
    max_accounts: Count = 100_000
    #: ...and at most this many live reservations (bids with no win, loss or expiry yet) per
    #: user and capped campaign: past them the user is capped early, never late.
    cap_pending_slots: Count = 8
    #: The share of each budget this host may spend (e.g. 1/H for H hosts that share no
    #: Redis). The workers of one host share the memory store: it is not split between them.
    budget_share: Annotated[float, msgspec.Meta(gt=0, le=1)] = 1.0
    #: "memory" (this host: every worker of ``bidwire serve`` shares it, bidder.shared_state),
    #: "redis://host:port/db" (a fleet of hosts; bidder.redis_state), or
    #: "redis+cluster://host:port,host:port,..." (the seed nodes of a Redis Cluster).
    store: Annotated[str, msgspec.Meta(pattern=STORE_PATTERN, description=STORE_FORMS)] = "memory"
    #: Where bid/win/loss/bill records go with the memory store: "off", "stdout" or a file
    #: (JSON lines). With Redis they go to the stream ``{redis_prefix}:events``.
    events: str = "off"
    # -- Redis only --
    redis_prefix: Annotated[str, msgspec.Meta(min_length=1)] = "bw"
    #: Socket timeout of every Redis call (seconds): the background task gives up that soon.
    redis_timeout: Seconds = 0.5
    #: When the store does not answer at start: "fail" (exit with one line naming it) or
    #: "wait" (retry every second, logging each try). Once up, an outage is bid through.
    redis_at_start: Literal["fail", "wait"] = "fail"
    #: How often deltas are written and leases renewed (seconds).
    sync_interval: Seconds = 0.1
    #: How often fleet-wide frequency counts and spend are re-read (seconds).
    cap_refresh: Seconds = 1.0
    #: Bids one worker may make for one user and campaign between two reads of the fleet count.
    cap_share: Count = 1
    #: A lease holds about this many seconds of the campaign's recent spend...
    lease_seconds: Seconds = 2.0
    #: ...and at least this many nanos (0.01 currency units: ten bids at a CPM of 1).
    min_lease: Annotated[int, msgspec.Meta(ge=0)] = 10_000_000
    #: The event stream keeps about this many records.
    events_maxlen: Count = 1_000_000


class Budget(NamedTuple):
    """A campaign's limits, as the state needs them (amounts in nanos)."""

    campaign: str
    daily: int | None
    total: int | None
    even: bool
    cap_count: int | None
    cap_window: float


def budget_for(campaign: Campaign) -> Budget:
    """A campaign's :class:`Budget` (its budgets are in the file's currency)."""
    cap = campaign.frequency_cap
    return Budget(
        campaign.id,
        None if campaign.daily_budget is None else round(campaign.daily_budget * 1e9),
        None if campaign.total_budget is None else round(campaign.total_budget * 1e9),
        campaign.pacing == "even",
        None if cap is None else cap.count,
        3600.0 if cap is None else float(cap.window),
    )


def live_bids(pending: list[float], now: float, ttl: float) -> list[float]:
    """The issue times in ``pending`` (oldest first) of bids whose reservation still holds."""
    if pending and pending[0] <= now - ttl:
        return [t for t in pending if t > now - ttl]
    return pending


class State(Protocol):
    """Budgets, pacing, caps and notice dedup. Every method returns at once (no I/O), except
    the two coroutines (:meth:`claim_notice`, :meth:`close`). Callers use every member
    directly: an implementation that has nothing to do for one says so in its own body."""

    #: True when the state is shared by a fleet (then :meth:`claim_notice` asks it).
    shared: bool
    #: False while a shared store does not answer (bidding goes on from local state).
    up: bool
    #: The event stream :meth:`record` feeds.
    events: EventLog

    def prepare(self, budgets: Iterable[Budget]) -> None:
        """The campaigns' budgets, at start-up and after each reload."""
        ...

    def reserve(self, budget: Budget, user: str | None, cost: int, now: float) -> str | None:
        """Hold ``cost`` and a cap slot for a bid; None if it may go, else why not (budget,
        daily, pacing, frequency_cap)."""
        ...

    def first_notice(self, key: str, now: float, until: float) -> bool:
        """True the first time ``key`` is seen; it is remembered until ``until`` (after which
        the notice endpoint refuses it as expired, so it is never counted twice)."""
        ...

    def won(self, budget: Budget, user: str | None, issued: float, now: float) -> None:
        """A win: the bid's cap slot becomes an impression."""
        ...

    def billed(self, budget: Budget, issued: float, reserved: int, spent: int, now: float) -> None:
        """A billing: ``spent`` nanos (clearing price) replace the ``reserved`` ones."""
        ...

    def lost(
        self, budget: Budget, user: str | None, issued: float, reserved: int, now: float
    ) -> None:
        """A loss: the bid's reservation and cap slot are released."""
        ...

    def spent(self, campaign: str, now: float) -> tuple[int, int]:
        """(total, today) spend of ``campaign`` in nanos."""
        ...

    def record(self, event: Event) -> None:
        """Add a record to the event stream (buffered; written in the background)."""
        ...

    def poll(self) -> None:
        """Called about once a second by the worker (flushes, background work)."""
        ...

    async def claim_notice(self, key: str, until: float) -> bool:
        """After :meth:`first_notice` said True: whether no other member of the fleet has
        counted ``key`` yet (always True for a state of one)."""
        ...

    async def close(self) -> None:
        """Hand back what is held (leases, queued writes) before the worker exits."""
        ...

    def sizes(self) -> dict[str, int]:
        """How many entries each structure holds (for metrics and the memory bound)."""
        ...


class _Account:
    """One campaign's money: spend and live reservations in time buckets."""

    __slots__ = ("total", "today", "day", "pending", "buckets")

    def __init__(self, day: int) -> None:
        self.total = 0
        self.today = 0
        self.day = day
        self.pending = 0
        #: bucket number -> reserved nanos, oldest first (buckets are created in time order).
        self.buckets: dict[int, int] = {}

    def expire(self, oldest: int) -> None:
        buckets = self.buckets
        while buckets:
            first = next(iter(buckets))
            if first >= oldest:
                return
            self.pending -= buckets.pop(first)

    def release(self, bucket: int, amount: int) -> None:
        held = self.buckets.get(bucket)
        if held is None:
            return  # expired already: nothing is held any more
        amount = min(amount, held)
        self.buckets[bucket] = held - amount
        self.pending -= amount


class _Cap:
    """One user's impressions of one campaign in the current window, and its live bids."""

    __slots__ = ("start", "wins", "pending")

    def __init__(self, start: float) -> None:
        self.start = start
        self.wins = 0
        #: Issue times of bids not yet won, lost or expired.
        self.pending: list[float] = []


class LocalState:
    """The in-process state of one worker: plain dicts, no locks (one event loop)."""

    shared = False
    #: Always answers: nothing remote.
    up = True

    def __init__(self, config: StateConfig | None = None) -> None:
        self.config = config or StateConfig()
        self.events = EventLog(self.config.events)
        self._accounts: dict[str, _Account] = {}
        self._caps: dict[tuple[str, str], _Cap] = {}
        #: A heap of (window end, window start, key): when to look at a counter again.
        self._cap_expiry: list[tuple[float, float, tuple[str, str]]] = []
        # key -> expiry, in arrival order: notices come soon after their bid, so this is close
        # to expiry order and sweeping from the front frees almost everything in time.
        self._notices: dict[str, float] = {}

    # -- bids ----------------------------------------------------------------------------------

    def _account(self, campaign: str, now: float) -> _Account:
        day = int(now // DAY)
        account = self._accounts.get(campaign)
        if account is None:
            account = self._accounts[campaign] = _Account(day)
        elif account.day != day:
            account.day = day
            account.today = 0
        bucket = self.config.reservation_bucket
        account.expire(int((now - self.config.reservation_ttl) // bucket) + 1)
        return account

    def reserve(self, budget: Budget, user: str | None, cost: int, now: float) -> str | None:
        account: _Account | None = None
        if budget.daily is not None or budget.total is not None:
            account = self._account(budget.campaign, now)
            committed = account.pending + cost
            share = self.config.budget_share
            if budget.total is not None and account.total + committed > budget.total * share:
                return "budget"
            if budget.daily is not None:
                today = account.today + committed
                daily = budget.daily * share
                if today > daily:
                    return "daily"
                if budget.even:
                    elapsed = (now % DAY) / DAY
                    line = min(1.0, elapsed + self.config.pacing_tolerance)
                    if today > daily * line:
                        return "pacing"
        cap: _Cap | None = None
        if budget.cap_count is not None and user:
            cap = self._cap(budget, user, now)
            if cap.wins + len(cap.pending) >= budget.cap_count:
                return "frequency_cap"
            cap.pending.append(now)
        if account is not None:
            account.pending += cost
            bucket = int(now // self.config.reservation_bucket)
            account.buckets[bucket] = account.buckets.get(bucket, 0) + cost
        return None

    def _cap(self, budget: Budget, user: str, now: float) -> _Cap:
        key = (user, budget.campaign)
        cap = self._caps.get(key)
        window = budget.cap_window
        if cap is None or now >= cap.start + window:
            pending = [] if cap is None else cap.pending
            cap = self._caps[key] = _Cap(now)
            # Live bids of the last window may still win: they count against this one.
            cap.pending = pending
            self._sweep_caps(now)
            heapq.heappush(self._cap_expiry, (now + window, now, key))
        cap.pending = live_bids(cap.pending, now, self.config.reservation_ttl)
        return cap

    def _sweep_caps(self, now: float) -> None:
        caps, expiry = self._caps, self._cap_expiry
        ttl = self.config.reservation_ttl
        while expiry and expiry[0][0] <= now:
            _, start, key = heapq.heappop(expiry)
            cap = caps.get(key)
            if cap is None or cap.start != start:
                continue  # forgotten already, or a newer window has its own entry
            live = live_bids(cap.pending, now, ttl)
            if live:
                # Its bids may still win: look again when the last of them expires.
                cap.pending = live
                heapq.heappush(expiry, (live[-1] + ttl, start, key))
            else:
                del caps[key]
        while len(caps) > self.config.max_cap_keys:
            del caps[next(iter(caps))]
            STATE_EVICTIONS.inc("frequency_cap")

    # -- notices -------------------------------------------------------------------------------

    def first_notice(self, key: str, now: float, until: float) -> bool:
        notices = self._notices
        while notices:
            first = next(iter(notices))
            if notices[first] > now:
                break
            del notices[first]
        if key in notices:
            return False
        if len(notices) >= self.config.max_notice_keys:
            del notices[next(iter(notices))]
            STATE_EVICTIONS.inc("notice")
        notices[key] = until
        return True

    def won(self, budget: Budget, user: str | None, issued: float, now: float) -> None:
        if budget.cap_count is None or not user:
            return
        cap = self._caps.get((user, budget.campaign))
        if cap is None:
            # The counter was swept (its bid outlived the reservation): count the win anyway.
            cap = self._cap(budget, user, now)
        elif issued in cap.pending:
            cap.pending.remove(issued)
        cap.wins += 1

    def billed(self, budget: Budget, issued: float, reserved: int, spent: int, now: float) -> None:
        account = self._account(budget.campaign, now)
        account.release(int(issued // self.config.reservation_bucket), reserved)
        account.total += spent
        account.today += spent

    def lost(
        self, budget: Budget, user: str | None, issued: float, reserved: int, now: float
    ) -> None:
        if budget.daily is not None or budget.total is not None:
            account = self._account(budget.campaign, now)
            account.release(int(issued // self.config.reservation_bucket), reserved)
        if budget.cap_count is not None and user:
            cap = self._caps.get((user, budget.campaign))
            if cap is not None and issued in cap.pending:
                cap.pending.remove(issued)

    def spent(self, campaign: str, now: float) -> tuple[int, int]:
        account = self._accounts.get(campaign)
        if account is None:
            return 0, 0
        today = account.today if account.day == int(now // DAY) else 0
        return account.total, today

    def record(self, event: Event) -> None:
        self.events.add(event)

    def poll(self) -> None:
        self.events.flush()

    def prepare(self, budgets: Iterable[Budget]) -> None:
        """Nothing to prepare: accounts are made on first use."""

    async def claim_notice(self, key: str, until: float) -> bool:
        """One worker's state: :meth:`first_notice` has answered already."""
        return True

    async def close(self) -> None:
        """Nothing is held for anyone else (events are flushed by :meth:`poll`)."""

    def sizes(self) -> dict[str, int]:
        """How many entries each structure holds (for metrics and the memory bound)."""
        return {
            "accounts": len(self._accounts),
            "frequency_caps": len(self._caps),
            "notice_keys": len(self._notices),
        }


__all__ = ["Budget", "LocalState", "State", "StateConfig", "budget_for", "live_bids", "nanos"]
