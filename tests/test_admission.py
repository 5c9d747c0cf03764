"""Admission control alone (transport/admission.py): the checks at arrival, the queue's order
(FIFO, then LIFO once it stands), the sweep, the concurrency limit, and a simulated worker in
which no answer, decided or shed, leaves after its deadline. No event loop, no clock: times are
given."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from transport.admission import (
    INITIAL_COST,
    OUTLIER,
    Admission,
    AdmissionConfig,
    GradientLimit,
    ShedReason,
    Ticket,
)
from transport.events import Request

MS = 1e-3


def ticket(arrival: float, budget: float, key: int = 0) -> Ticket[str]:
    return Ticket("conn", key, Request(b"POST", b"/bid", arrival=arrival), arrival + budget)


def admit(adm: Admission[str], t: Ticket[str]) -> ShedReason | None:
    reason = adm.check(t.deadline, t.arrival)
    if reason is None:
        adm.push(t)
    return reason


def test_a_request_with_less_time_left_than_a_decision_is_turned_away_at_arrival() -> None:
    adm: Admission[str] = Admission(AdmissionConfig(slack_ms=1.0))
    # cost (100 µs before any measure) + slack (1 ms) is what a decision needs.
    assert adm.check(10.0 + 1.05 * MS, 10.0) == ShedReason.BUDGET
    assert adm.check(10.0 + 1.2 * MS, 10.0) is None
    adm.decided(0.050)  # one slow decision (a collector pause) moves the estimate little
    assert adm.cost < 2 * INITIAL_COST
    assert adm.check(10.0 + 1.2 * MS, 10.0) is None
    for _ in range(100):  # decisions measured slower: the same budget is not enough any more
        adm.decided(0.050)
    assert adm.cost > 2 * MS
    assert adm.check(10.0 + 1.2 * MS, 10.0) == ShedReason.BUDGET


def test_the_queue_is_bounded_by_the_wait_its_deadline_allows() -> None:
    adm: Admission[str] = Admission(AdmissionConfig(slack_ms=0.0))
    adm.drain = 1 * MS  # one decision a millisecond
    budget = 10 * MS
    reasons = [admit(adm, ticket(0.0, budget, i)) for i in range(20)]
    admitted = reasons.count(None)
    # The n-th waits n ms; with 10 ms less the decision's cost, 10 fit (0..9 queued ahead).
    assert admitted == 10
    assert set(reasons[admitted:]) == {ShedReason.QUEUE}
    assert adm.queued == adm.in_flight == 10


def test_in_flight_at_the_limit_is_turned_away() -> None:
    adm: Admission[str] = Admission(AdmissionConfig(initial_limit=8, min_limit=8))
    adm.drain = 0.0
    reasons = [admit(adm, ticket(0.0, 1.0, i)) for i in range(10)]
    assert reasons == [None] * 8 + [ShedReason.LIMIT] * 2


def test_fifo_until_the_queue_stands_then_lifo_and_the_target_bounds_the_wait() -> None:
    config = AdmissionConfig(
        target_ms=5.0, interval_ms=20.0, slack_ms=0.0, sojourn_share=0.001, lifo=True
    )
    adm: Admission[str] = Admission(config)
    adm.drain = 0.0
    for i in range(30):
        assert admit(adm, ticket(i * MS, 1.0, i)) is None
    # Busy for less than the interval: FIFO, however long the oldest has waited.
    taken = adm.take(0.010)
    assert taken is not None and taken[0].key == 0 and taken[1] is None
    taken = adm.take(0.0195)
    assert taken is not None and taken[0].key == 1
    assert not adm.standing
    # Busy for 30 ms, the oldest waiting 28 ms: standing. The newest first (adaptive LIFO)...
    taken = adm.take(0.030)
    assert adm.standing
    assert taken is not None and taken[0].key == 29
    # ...and the sweep sheds what waited longer than the target (here more than a 1,000th of
    # its budget), oldest first.
    swept = adm.expired(0.030, 0.0)
    assert [t.key for t, _ in swept] == list(range(2, 25))
    assert {reason for _, reason in swept} == {ShedReason.SOJOURN}
    assert adm.queued == adm.in_flight - 3 == 4  # 25..28 queued; 0, 1 and 29 taken, unanswered
    # A standing queue admits no more than the target's worth of waiting.
    adm.drain = 2 * MS
    assert adm.check(1.0, 0.030) == ShedReason.QUEUE  # 4 queued x 2 ms > 5 ms
    # Standing until it empties, newest first.
    keys = []
    while (taken := adm.take(0.031)) is not None:
        keys.append(taken[0].key)
    assert keys == [28, 27, 26, 25]
    assert not adm.standing
    assert admit(adm, ticket(0.040, 1.0, 40)) is None
    assert admit(adm, ticket(0.041, 1.0, 41)) is None
    taken = adm.take(0.042)
    assert taken is not None and taken[0].key == 40


def test_a_standing_queue_bounds_the_wait_by_a_share_of_each_budget() -> None:
    adm: Admission[str] = Admission(
        AdmissionConfig(target_ms=5.0, interval_ms=1.0, slack_ms=0.0, sojourn_share=0.5, lifo=True)
    )
    adm.drain = 0.0
    short, long_ = ticket(0.0, 0.020, 1), ticket(0.0, 0.200, 2)
    for t in (short, long_, ticket(0.0, 0.200, 3)):
        assert admit(adm, t) is None
    assert adm.take(0.008) is not None and adm.standing
    # 8 ms waited: past the target; past half of the short one's 20 ms budget? not yet.
    assert adm.expired(0.008, 0.0) == []
    # 11 ms: past half of 20 ms (10 ms), not half of 200 ms.
    assert adm.expired(0.011, 0.0) == [(short, ShedReason.SOJOURN)]
    assert adm.expired(0.099, 0.0) == []
    assert adm.expired(0.101, 0.0) == [(long_, ShedReason.SOJOURN)]


def test_a_short_deadline_behind_a_long_one_is_swept_before_it_passes() -> None:
    adm: Admission[str] = Admission(AdmissionConfig(slack_ms=0.0))
    adm.drain = 0.0
    long_one, short_one = ticket(0.0, 1.0, 1), ticket(0.0, 0.010, 2)
    assert admit(adm, long_one) is None and admit(adm, short_one) is None
    assert adm.expired(0.001, 0.002) == []
    # The next sweep may come 2 ms later: at 8 ms, the short one (must start by 9.9 ms) goes.
    assert adm.expired(0.008, 0.002) == [(short_one, ShedReason.EXPIRED)]
    assert adm.in_flight == 1 and adm.queued == 1
    taken = adm.take(0.009)
    assert taken == (long_one, None)
    assert adm.take(0.009) is None


def test_a_request_taken_too_late_is_returned_as_expired() -> None:
    adm: Admission[str] = Admission(AdmissionConfig(slack_ms=0.0))
    t = ticket(0.0, 0.010)
    assert admit(adm, t) is None
    assert adm.take(0.00995) == (t, ShedReason.EXPIRED)  # 9.95 ms + 100 µs of cost > 10 ms
    assert adm.in_flight == 0


def test_in_flight_counts_every_way_out() -> None:
    adm: Admission[str] = Admission(AdmissionConfig(slack_ms=0.0))
    adm.drain = 0.0
    tickets = [ticket(0.0, 1.0, i) for i in range(4)]
    for t in tickets:
        assert admit(adm, t) is None
    assert adm.in_flight == 4
    first = adm.take(0.0)
    assert first is not None
    adm.answered(first[0], 0.001)
    second = adm.take(0.0)
    assert second is not None
    adm.dropped(second[0])  # its connection closed
    adm.dropped(tickets[3])  # still queued when its connection closed
    assert adm.in_flight == 1 and adm.queued == 1
    assert adm.expired(2.0, 0.0) == [(tickets[2], ShedReason.EXPIRED)]
    assert adm.in_flight == 0 and adm.queued == 0
    assert adm.take(2.0) is None


def _worker(adm: Admission[str], arrivals: list[float], budget: float, cost: float,
            stall_at: float, stall: float) -> list[tuple[float, ShedReason | None]]:  # fmt: skip
    """A worker as transport.dispatch runs one: reads (each arrival checked when read), then a
    run (the sweep over a slice and the loop's measured gap between runs, then decisions of
    ``cost`` for one slice). The loop stops once for ``stall`` seconds, after the first run
    past ``stall_at`` that leaves requests queued (the process descheduled, a collector pause,
    a disk). Each request's arrival and fate: None decided,
    else why it was turned away."""
    slice_s = adm.config.slice_ms / 1000.0
    fates: list[tuple[float, ShedReason | None]] = []
    now, ran_at, stalled, i = 0.0, 0.0, False, 0
    while i < len(arrivals) or adm.queued:
        now += 50e-6  # the reads
        while i < len(arrivals) and arrivals[i] <= now:
            item = ticket(now, budget, i)
            reason = adm.check(item.deadline, now)
            if reason is None:
                adm.push(item)
            else:
                fates.append((arrivals[i], reason))
            i += 1
        if ran_at:
            adm.between_runs(now - ran_at, slice_s)
        fates += [(item.arrival, why) for item, why in adm.expired(now, slice_s + adm.gap)]
        end = now + slice_s
        while now < end and (taken := adm.take(now)) is not None:
            item, why = taken
            if why is None:
                now += cost
                adm.decided(cost)
                adm.answered(item, now)
            fates.append((item.arrival, why))
        if adm.queued:
            ran_at = now
            if not stalled and now >= stall_at:  # between two runs, with requests waiting
                now, stalled = now + stall, True
        else:
            ran_at = 0.0
            adm.emptied()
        if not adm.queued and i < len(arrivals):
            now = max(now, arrivals[i])
    return fates


def test_one_stall_does_not_turn_requests_away_for_good() -> None:
    """A stall of a second (longer than any budget) sheds what waited through it, and then
    the worker decides again: no estimate it inflated (the gap between runs, the drain, the
    cost) keeps turning requests away. Half the worker's capacity is offered, in bursts of 40
    (as h2load's clients fire), so runs end with requests still queued."""
    adm: Admission[str] = Admission(AdmissionConfig(slice_ms=2.0, slack_ms=1.0))
    cost = 100e-6
    # 4 s at 5,000 a second: 40 every 8 ms.
    arrivals = [burst * 0.008 for burst in range(500) for _ in range(40)]
    fates = _worker(adm, arrivals, budget=0.030, cost=cost, stall_at=1.0, stall=1.0)
    assert len(fates) == len(arrivals)
    assert any(why is not None for arrival, why in fates if 1.0 <= arrival <= 2.0)
    after = [why for arrival, why in fates if arrival >= 2.5]
    assert after.count(None) >= 0.99 * len(after)


def test_a_cost_estimate_a_stall_inflated_is_corrected_by_an_idle_probe() -> None:
    adm: Admission[str] = Admission(AdmissionConfig(slack_ms=1.0, interval_ms=50.0))
    adm.cost = 0.040  # a decision believed to take longer than a whole budget
    budget = 0.030
    probe = ticket(5.0, budget, 1)
    assert admit(adm, probe) is None  # idle: one request is decided anyway
    assert admit(adm, ticket(5.0001, budget, 2)) == ShedReason.BUDGET  # not two at once
    taken = adm.take(5.0002)
    assert taken is not None and taken[1] is None
    adm.decided(60e-6)  # the probe's decision: what a decision really costs
    adm.answered(taken[0], 5.00026)
    assert adm.cost <= OUTLIER * 60e-6
    assert admit(adm, ticket(5.001, budget, 3)) is None
    # With a true estimate, a request whose deadline leaves less than it is still turned away.
    adm.cost = 0.040
    assert adm.check(5.2 + 0.005, 5.2) == ShedReason.BUDGET  # less than the target left


def test_a_stall_between_two_decisions_does_not_fill_the_queue_estimate() -> None:
    adm: Admission[str] = Admission(AdmissionConfig(slack_ms=0.0))
    adm.drain = 100e-6
    for i in range(4):
        assert admit(adm, ticket(0.0, 1.0, i)) is None
    assert adm.take(0.0001) is not None
    assert adm.take(1.0001) is not None  # a second between two decisions
    assert adm.drain <= OUTLIER * 100e-6
    # Five queued at ~400 µs each: 2 ms of wait, well inside a 30 ms budget.
    assert adm.check(1.001 + 0.030, 1.001) is None


def test_gradient_limit_shrinks_on_late_answers_grows_on_timely_ones_in_use() -> None:
    limit = GradientLimit(100, 10, 1000)
    assert limit.sample(0.020, 0.010, in_flight=90) < 100  # twice the target: shrinks
    shrunk = limit.limit
    assert limit.sample(0.005, 0.010, in_flight=5) == shrunk  # unused: nothing learnt
    assert limit.sample(0.005, 0.010, in_flight=80) > shrunk  # used and timely: grows
    for _ in range(1000):
        limit.sample(1.0, 0.010, in_flight=1000)
    assert limit.limit == 10  # clamped
    for _ in range(10_000):
        limit.sample(0.001, 0.010, in_flight=2000)
    assert limit.limit == 1000


@pytest.mark.parametrize(("wait", "service", "limit"), [(0.0, 0.080, 8), (0.060, 0.001, 64)])
def test_the_limit_follows_the_time_in_service_against_the_budget(
    wait: float, service: float, limit: int
) -> None:
    """Answers 80 ms after their decision started, later than half their 100 ms budget: the
    limit falls to its floor. Requests that waited 60 ms in the queue and were served in 1 ms
    leave it where it was: the queue's own rules bound the wait (counted from arrival, 61 ms,
    the limit fell)."""
    adm: Admission[str] = Admission(
        AdmissionConfig(initial_limit=64, min_limit=8, max_limit=512, latency_share=0.5)
    )
    adm.drain = 0.0
    for i in range(200):
        t = ticket(float(i), 0.100, i)
        assert admit(adm, t) is None
        assert adm.take(i + wait) == (t, None)
        adm.answered(t, i + wait + service)
    assert adm.limit == limit


@pytest.mark.parametrize(
    ("section", "field"),
    [
        ("target_ms = 0", "target_ms"),
        ("slice_ms = -1", "slice_ms"),
        ("min_limit = 10\ninitial_limit = 5", "min_limit"),
        ("latency_share = 2", "latency_share"),
        ('h1_refusal = "drop"', "h1_refusal"),
    ],
)
def test_bad_settings_are_refused_naming_the_setting(section: str, field: str) -> None:
    with pytest.raises(msgspec.ValidationError, match=field):
        msgspec.toml.decode(section.encode(), type=AdmissionConfig)


@given(
    arrivals=st.lists(
        st.tuples(
            st.floats(0.0, 3e-3),  # gap since the previous arrival
            st.sampled_from([5e-3, 20e-3, 30e-3, 80e-3, 180e-3]),  # budget
        ),
        min_size=1,
        max_size=400,
    ),
    cost=st.sampled_from([50e-6, INITIAL_COST, 300e-6, 2e-3]),
    gap=st.floats(0.0, 4e-3),
    lifo=st.booleans(),
)
def test_a_simulated_worker_never_answers_after_a_deadline(
    arrivals: list[tuple[float, float]], cost: float, gap: float, lifo: bool
) -> None:
    """A worker that alternates reads (arrivals, checked at once) and runs (a sweep, then
    decisions of ``cost`` each for one slice), as transport.dispatch does: every answer, a
    decision's or a no-bid's, is written by its request's deadline, and the books balance."""
    config = AdmissionConfig(slice_ms=2.0, slack_ms=0.0, lifo=lifo, target_ms=5.0)
    adm: Admission[str] = Admission(config)
    adm.cost = cost  # measured already: a decision takes exactly this
    pending: list[tuple[float, float, int]] = []
    t = 0.0
    for i, (dt, budget) in enumerate(arrivals):
        t += dt
        pending.append((t, budget, i))
    now, answered, late, shed_at_arrival = 0.0, 0, 0, 0
    slice_s = config.slice_ms / 1000.0
    while pending or adm.queued:
        # Reads: everything that arrived by now (the gap the loop spends reading).
        now += gap
        while pending and pending[0][0] <= now:
            _, budget, key = pending.pop(0)
            item = ticket(now, budget, key)  # stamped when read
            if adm.check(item.deadline, now) is not None:
                shed_at_arrival += 1
            else:
                adm.push(item)
        # A run: sweep (the next one may come a slice, a decision and a gap later), decide.
        for item, _ in adm.expired(now, slice_s + cost + gap):
            late += now > item.deadline
            answered += 1
        end = now + slice_s
        while now < end:
            taken = adm.take(now)
            if taken is None:
                break
            item, reason = taken
            if reason is None:
                now += cost
                adm.decided(cost)
                adm.answered(item, now)
            late += now > item.deadline
            answered += 1
        if not adm.queued and pending:
            now = max(now, pending[0][0])
    assert late == 0
    assert answered + shed_at_arrival == len(arrivals)
    assert adm.in_flight == 0
