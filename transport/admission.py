"""Admission control: which requests are decided, in what order, and which are turned away at
once because their answer could not leave before their deadline. Sans-IO: times in, verdicts
out; :mod:`transport.dispatch` applies them on the event loop.

Every request with a deadline (the app says which: :meth:`transport.app.App.deadline`) is
stamped when it is read and offered here. Three mechanisms, each from the literature:

- **The deadline.** A request is decided only if its decision can end before its deadline:
  ``now + cost + slack <= deadline``, with ``cost`` the measured time a decision takes. One that
  cannot is turned away at once with a cheap answer (a no-bid), at arrival (``budget``) or while
  queued (``expired``, swept before the moment passes, so the no-bid itself is on time).
- **The queue, bounded by time (Little's law).** The expected wait of a new request is the
  number queued times the measured time between two decisions (``drain``: everything the loop
  does per decision, reads and sheds included). Past the wait the deadline allows, it is turned
  away (``queue_full``). CoDel's idea on top (Nichols and Jacobson, "Controlling Queue Delay"):
  a queue whose delay stayed above ``target`` for ``interval`` is *standing*; then nothing may
  wait longer than ``sojourn_share`` of its budget, or ``target`` if that is more (``sojourn``:
  a bidder's budget is its own scale of delay), and, with ``lifo``, the newest request is decided
  first (adaptive LIFO, Facebook's "Fail at Scale"): the freshest have the most time left, and
  the oldest, which would be the next to miss anyway, are the ones shed.
- **A concurrency limit** on requests in flight (queued, being decided, or awaiting an async
  stage), :class:`GradientLimit`: Netflix concurrency-limits' Gradient2 with the deadline as
  its anchor. It matters most for pipelines with async stages, where work in flight is not in
  the queue (``concurrency``).
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from typing import Annotated, Final, Generic, Literal, TypeVar

import msgspec

from .app import ShedReason
from .events import Request

#: What answers a ticket (a connection, to the dispatcher; anything, to a test).
Owner = TypeVar("Owner")

#: The ranges of the settings: a duration in ms above zero (at most a minute), a limit.
Millis = Annotated[float, msgspec.Meta(gt=0, le=60_000)]
Limit = Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]

#: What a decision is assumed to cost before one has been measured (seconds).
INITIAL_COST: Final = 100e-6
#: Weight of a new sample in the cost and drain estimates (EWMA).
ALPHA: Final = 0.05
#: How far one sample may move an estimate: up, it counts at most as this many times the
#: estimate; down, one this many times below it pulls the estimate to this many times it. A
#: stall (a collector pause, the process descheduled, a disk) must not make every request look
#: undecidable, and an estimate a stall did inflate must come back with the first true sample.
OUTLIER: Final = 4.0


def _fold(estimate: float, sample: float) -> float:
    """An EWMA step with :data:`OUTLIER`'s bounds."""
    if sample > OUTLIER * estimate:
        sample = OUTLIER * estimate
    elif sample * OUTLIER < estimate:
        return sample * OUTLIER
    return estimate + ALPHA * (sample - estimate)


class AdmissionConfig(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """The ``[admission]`` section: how the transport keeps every answer inside its deadline."""

    #: Queue requests with a deadline and decide them in slices (False: decide each inline as
    #: it is read, the old behaviour, with no admission control).
    enabled: bool = True
    #: CoDel's target: the queueing delay tolerated in a standing queue, in ms.
    target_ms: Millis = 10.0
    #: CoDel's interval: a queue whose delay stayed above the target this long is standing (ms).
    interval_ms: Millis = 50.0
    #: Kept free before each deadline for writing the answer and the estimate's error (ms).
    slack_ms: Annotated[float, msgspec.Meta(ge=0, le=10_000)] = 1.0
    #: In a standing queue nothing waits longer than this share of its budget (deadline less
    #: arrival), or ``target_ms`` when that is more.
    sojourn_share: Annotated[float, msgspec.Meta(gt=0, le=1)] = 0.5
    #: Decide the newest request first while the queue is standing (adaptive LIFO). Off by
    #: default: the checks at arrival already keep out what could not be decided in time, so a
    #: FIFO queue answers everything it admits; under LIFO a queue that stands for good (a
    #: client keeping 256 requests in flight, each answered in 15 ms of a 100 ms budget) left
    #: its oldest to age out unanswered: 20% shed by ``sojourn`` at the closed-loop maximum.
    lifo: bool = False
    #: The longest one run decides before the loop reads its sockets again (ms): what arrives
    #: meanwhile waits in the kernel, where no deadline can see it.
    slice_ms: Millis = 2.0
    #: A run stops deciding (after one decision) once the oldest request not yet read may have
    #: waited this long in the kernel (ms; :mod:`transport.read_clock`). A backstop, not a
    #: control: at 5 ms, HTTP/1.1 at 1x and 2x of the maximum decided one request a round,
    #: the drain estimate (time between decisions) grew with the rounds, and ``queue_full``
    #: turned most away: on-time bids 37% and 10% of the maximum (at 50 ms: 82%, and 7,334/s).
    read_wait_ms: Millis = 50.0
    #: The concurrency limit: where it starts and the range it adapts in.
    initial_limit: Limit = 256
    min_limit: Limit = 8
    max_limit: Limit = 8192
    #: Answers that come later than this share of their budget shrink the limit.
    latency_share: Annotated[float, msgspec.Meta(gt=0, le=1)] = 0.75
    #: How a request is turned away over HTTP/2: "nobid" (the app's cheap answer: 204, or 200
    #: with nbr) or "refused_stream" (RST_STREAM REFUSED_STREAM, which clients may retry).
    h2_refusal: Literal["nobid", "refused_stream"] = "nobid"
    #: Over HTTP/1.1: "nobid", or "503" (503 with Retry-After).
    h1_refusal: Literal["nobid", "503"] = "nobid"
    #: The Retry-After of a 503, in seconds.
    retry_after_s: Annotated[int, msgspec.Meta(ge=0, le=86_400)] = 1
    #: HTTP/2: SETTINGS_MAX_CONCURRENT_STREAMS follows the concurrency limit (never above
    #: ``[limits] max_concurrent_streams``).
    follow_streams: bool = True

    def __post_init__(self) -> None:
        if not self.min_limit <= self.initial_limit <= self.max_limit:
            raise ValueError("admission.min_limit <= initial_limit <= max_limit does not hold")


class GradientLimit:
    """A concurrency limit fed one sample per answer (its latency, the latency it should have
    stayed under, and the requests in flight): Netflix's Gradient2, anchored on the deadline.

    Gradient2 compares the latency now with a long-run average; a bidder knows better what
    latency is too much: a share of the request's own budget. An answer later than that shrinks
    the limit by the gradient ``target / latency`` (at most by half); one in time grows it by
    ``sqrt(limit)`` (Gradient2's queue allowance) when the limit is in use, so it finds what the
    pipeline sustains today by itself. Changes are smoothed.
    """

    __slots__ = ("limit", "low", "high", "smoothing")

    def __init__(self, initial: float, low: float, high: float, smoothing: float = 0.2) -> None:
        self.limit = float(initial)
        self.low = float(low)
        self.high = float(high)
        self.smoothing = smoothing

    def sample(self, latency: float, target: float, in_flight: int) -> float:
        """Fold one answer in; the new limit."""
        limit = self.limit
        if latency > target:
            goal = limit * max(0.5, target / latency)
        elif 2 * in_flight >= limit:
            goal = limit + math.sqrt(limit)
        else:
            return limit  # the limit is not what holds the load back: nothing to learn
        limit += self.smoothing * (goal - limit)
        self.limit = min(self.high, max(self.low, limit))
        return self.limit


class Ticket(Generic[Owner]):
    """One admitted request: where its answer goes, and its times (monotonic seconds)."""

    __slots__ = ("owner", "key", "request", "deadline", "expires", "stale", "queued", "started")

    def __init__(self, owner: Owner, key: int, request: Request, deadline: float) -> None:
        #: The connection that answers it (opaque here), and its key there.
        self.owner = owner
        self.key = key
        self.request = request
        #: When its answer must have left.
        self.deadline = deadline
        #: The latest moment its decision may start (set when queued).
        self.expires = 0.0
        #: When it has waited too long in a standing queue (set when queued).
        self.stale = 0.0
        #: True while it waits in the queue.
        self.queued = False
        #: When its decision started (set when taken to be decided; 0 before).
        self.started = 0.0

    @property
    def arrival(self) -> float:
        """When the request was read."""
        return self.request.arrival


class Admission(Generic[Owner]):
    """The queue of one worker and the decisions about it."""

    def __init__(self, config: AdmissionConfig) -> None:
        self.config = config
        self.target = config.target_ms / 1000.0
        self.interval = config.interval_ms / 1000.0
        self.slack = config.slack_ms / 1000.0
        self.lifo = config.lifo
        self.sojourn_share = config.sojourn_share
        #: Measured seconds one decision takes (from its start to its answer queued).
        self.cost = INITIAL_COST
        #: Measured seconds between two decisions while the queue is busy: how fast it drains.
        self.drain = INITIAL_COST
        self.limiter = GradientLimit(config.initial_limit, config.min_limit, config.max_limit)
        #: Admitted and not yet answered: queued, being decided, or awaiting an async stage.
        self.in_flight = 0
        #: Requests waiting, in arrival order (taken from either end; stale entries skipped).
        self._queue: deque[Ticket[Owner]] = deque()
        #: The same, by the moment each can no longer start: (expires, sequence, ticket).
        self._expiry: list[tuple[float, int, Ticket[Owner]]] = []
        self._seq = 0
        self.queued = 0
        #: Since when the queue has held something without a break (None: it is empty).
        self._busy_since: float | None = None
        #: The time the loop takes between two runs while requests wait (its reads): the next
        #: sweep may come that late, so what would expire before it is shed at this one.
        self.gap = 0.0
        #: The earliest moment an idle worker may decide a request its cost estimate turns
        #: away (a probe: see :meth:`check`).
        self._probe_at = 0.0
        #: Whether the queue is standing: busy for an interval with its oldest request waiting
        #: longer than the target; until it empties.
        self.standing = False
        self._last_take = 0.0

    # -- arrival -------------------------------------------------------------------------------

    def check(self, deadline: float, now: float) -> ShedReason | None:
        """Whether a request arriving now with ``deadline`` may be queued: None, or why not.
        Cheap (a shed request costs what its no-bid costs): no allocation."""
        remaining = deadline - now - self.cost - self.slack
        if remaining < 0.0:
            # An idle worker decides one such request per interval anyway when its deadline
            # leaves more than the target: otherwise an estimate that a stall inflated past
            # the budgets would turn every request away, and, nothing decided, nothing would
            # correct it. (A true decision that long is late once per interval.)
            if self.in_flight or now < self._probe_at or deadline - now - self.slack < self.target:
                return ShedReason.BUDGET
            self._probe_at = now + self.interval
            return None
        if self.in_flight >= self.limiter.limit:
            return ShedReason.LIMIT
        wait = self.queued * self.drain
        if wait > remaining or (self.standing and wait > self._patience(deadline - now)):
            return ShedReason.QUEUE
        return None

    def push(self, ticket: Ticket[Owner]) -> None:
        """Queue a ticket that :meth:`check` admitted."""
        expires = ticket.deadline - self.cost - self.slack
        # A probe (see check) could not start in time by the estimate: only its deadline holds.
        ticket.expires = expires if expires >= ticket.arrival else ticket.deadline - self.slack
        ticket.stale = ticket.arrival + self._patience(ticket.deadline - ticket.arrival)
        ticket.queued = True
        self._seq += 1
        if self._busy_since is None:
            self._busy_since = ticket.arrival
        self._queue.append(ticket)
        heapq.heappush(self._expiry, (ticket.expires, self._seq, ticket))
        self.queued += 1
        self.in_flight += 1

    # -- the queue -----------------------------------------------------------------------------

    def expired(self, now: float, horizon: float) -> list[tuple[Ticket[Owner], ShedReason]]:
        """The queued requests to turn away now: those whose decision could not start before
        ``now + horizon`` (the next sweep), and, in a standing queue, those that have waited
        longer than the target. They leave the queue and the requests in flight."""
        out: list[tuple[Ticket[Owner], ShedReason]] = []
        expiry = self._expiry
        until = now + horizon
        while expiry and expiry[0][0] <= until:
            ticket = heapq.heappop(expiry)[2]
            if ticket.queued:
                self._leave(ticket)
                self.in_flight -= 1
                out.append((ticket, ShedReason.EXPIRED))
        if self.standing:
            queue = self._queue
            # In arrival order, and each by its own budget: approximate when budgets differ (a
            # short one behind a long one goes later), exact when they do not; the deadline is
            # kept either way (the heap above).
            while queue and (not queue[0].queued or queue[0].stale < now):
                ticket = queue.popleft()
                if ticket.queued:
                    self._leave(ticket)
                    self.in_flight -= 1
                    out.append((ticket, ShedReason.SOJOURN))
        return out

    def take(self, now: float) -> tuple[Ticket[Owner], ShedReason | None] | None:
        """The next request to decide, with None; or one that can no longer be decided in
        time, with why (it leaves the requests in flight); None when the queue is empty."""
        queue = self._queue
        if not self.standing:
            self._codel(now)
        lifo = self.lifo and self.standing
        while queue:
            ticket = queue.pop() if lifo else queue.popleft()
            if not ticket.queued:
                continue  # swept already
            self._leave(ticket)
            if self._last_take:
                self.drain = _fold(self.drain, now - self._last_take)
            self._last_take = now
            if now > ticket.expires:
                self.in_flight -= 1
                return ticket, ShedReason.EXPIRED
            ticket.started = now
            return ticket, None
        self.idle()
        return None

    def idle(self) -> None:
        """The queue is empty: its delay is nothing, and the next decision starts a busy
        period (the gap before it is not drain time)."""
        self._busy_since = None
        self.standing = False
        self._last_take = 0.0
        if not self.queued and len(self._expiry) > 64:
            self._expiry.clear()  # only stale entries are left
            self._queue.clear()

    def _patience(self, budget: float) -> float:
        """How long a request with ``budget`` may wait in a standing queue."""
        patience = self.sojourn_share * budget
        return patience if patience > self.target else self.target

    def _codel(self, now: float) -> None:
        # Fail at Scale's rule, with CoDel's delay test: a queue that has not emptied for an
        # interval and whose oldest request has waited past the target is standing. With
        # LIFO the request taken is the newest, so its own wait says nothing: the oldest's does.
        # It stands until it empties (the sweep keeps the oldest's wait under the target then).
        since = self._busy_since
        if since is None or now - since < self.interval:
            return
        queue = self._queue
        while queue and not queue[0].queued:
            queue.popleft()  # taken or swept already
        if queue and now - queue[0].arrival > self.target:
            self.standing = True

    def _leave(self, ticket: Ticket[Owner]) -> None:
        ticket.queued = False
        self.queued -= 1

    # -- after the decision --------------------------------------------------------------------

    def decided(self, seconds: float) -> None:
        """One decision took ``seconds`` (from its start until its answer, or its deferred
        answer, was handed over)."""
        # Bounded both ways (OUTLIER): a collector pause or a cold first call must not make
        # every request look undecidable for a while.
        self.cost = _fold(self.cost, seconds)

    def between_runs(self, gap: float, slice_s: float) -> None:
        """The loop took ``gap`` seconds between two runs while requests waited (``slice_s``:
        the longest a run decides). The sweep's horizon rises at once with a longer gap, at
        most to :data:`OUTLIER` times the last plus a slice, and falls slowly; a one-off stall
        must not sweep every queued request for good (the estimate falls only with gaps
        measured, and an emptied queue measures none: :meth:`emptied`)."""
        known = self.gap
        if gap > known:
            ceiling = OUTLIER * known + slice_s
            self.gap = gap if gap < ceiling else ceiling
        else:
            self.gap = known + ALPHA * (gap - known)

    def emptied(self) -> None:
        """A run left nothing queued: nothing waited through the loop's reads, so the gap it
        allowed for was not needed (the estimate decays)."""
        self.gap *= 1.0 - ALPHA

    def answered(self, ticket: Ticket[Owner], now: float) -> None:
        """The answer to an admitted request was written (or its connection is gone)."""
        self.in_flight -= 1
        budget = ticket.deadline - ticket.arrival
        target = max(self.target, self.config.latency_share * budget)
        # The limit learns from the time in service (from the decision's start: async stages
        # included), not from arrival: the wait in the queue is the queue's to bound (the
        # deadline, the sojourn), and counted here too it shrank the limit under every
        # overload until nothing but min_limit requests could be in flight (with a 5 ms async
        # stage at 2x: a limit of 8, 1,300 decisions a second, the CPU a quarter idle).
        started = ticket.started or ticket.arrival
        self.limiter.sample(now - started, target, self.in_flight)

    def dropped(self, ticket: Ticket[Owner]) -> None:
        """An admitted request taken (or still queued) that will get no answer: its
        connection closed."""
        if ticket.queued:
            self._leave(ticket)
        self.in_flight -= 1

    @property
    def limit(self) -> int:
        """The concurrency limit now."""
        return int(self.limiter.limit)


__all__ = [
    "ALPHA",
    "INITIAL_COST",
    "OUTLIER",
    "Admission",
    "AdmissionConfig",
    "GradientLimit",
    "ShedReason",
    "Ticket",
]
