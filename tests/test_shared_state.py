"""The shared-memory tables and state (bidder.shm_table, bidder.shared_state).

- A :class:`Table` behaves exactly like an insertion-ordered dict model (the same expiry
  sweep and oldest-first eviction, written in plain Python) under any sequence of inserts,
  expiry moves, lookups and clock steps: hypothesis draws them.
- Processes forked after the store is made, incrementing the same counters at once, lose
  nothing; a notice key claimed by many processes at once is first exactly once.
- The shared state keeps LocalState's memory bounds, counted as evictions.
"""

from __future__ import annotations

import multiprocessing
import struct
from collections import OrderedDict

from hypothesis import given, settings
from hypothesis import strategies as st

from bidder.metrics import NOTICES, SPEND_NANOS, STATE_EVICTIONS
from bidder.shared_state import SharedState, SharedStore
from bidder.shm_table import ROTATIONS, Region, Table
from bidder.state import DAY, Budget, StateConfig

MIDNIGHT = 20 * DAY


class Model:
    """What a Table must do, with an OrderedDict: key -> (expiry, value)."""

    def __init__(self, max_keys: int, rotate: bool) -> None:
        self.max_keys = max_keys
        self.rotate = rotate
        self.d: OrderedDict[tuple[int, int], list[float]] = OrderedDict()
        self.evictions = 0

    def sweep(self, now: float) -> None:
        rotations = ROTATIONS if self.rotate else 0
        while self.d:
            key, (until, _) = next(iter(self.d.items()))
            if until <= now:
                del self.d[key]
            elif rotations:
                rotations -= 1
                self.d.move_to_end(key)
            else:
                return

    def insert(self, key: tuple[int, int], until: float, value: float, now: float) -> int:
        self.sweep(now)
        evicted = 0
        if len(self.d) >= self.max_keys:
            self.d.popitem(last=False)
            self.evictions += 1
            evicted = 1
        self.d[key] = [until, value]
        return evicted


# Few distinct first halves (so keys collide on home slots and probe runs form and are cut by
# deletions), odd second halves (0 marks an empty slot).
keys = st.tuples(st.integers(0, 40), st.integers(0, 6).map(lambda n: 2 * n + 1))
small = st.integers(0, 20).map(float)
put = st.tuples(st.just("put"), keys, small, st.floats(-1e6, 1e6))
operations = st.lists(
    st.one_of(
        put,
        put,
        put,
        st.tuples(st.just("expire"), keys, small, st.just(0.0)),
        st.tuples(st.just("tick"), keys, st.integers(0, 6).map(float), st.just(0.0)),
        st.tuples(st.just("sweep"), keys, st.just(0.0), st.just(0.0)),
    ),
    min_size=10,
    max_size=150,
)


@settings(max_examples=300, deadline=None)
@given(operations, st.integers(1, 12), st.booleans())
def test_a_table_behaves_like_an_ordered_dict(
    ops: list[tuple[str, tuple[int, int], float, float]], max_keys: int, rotate: bool
) -> None:
    record = 8  # one float of payload, to check records move with their keys
    region = Region(Table.bytes_needed(max_keys, record) + 64)
    table = Table(region, max_keys, record, rotate=rotate)
    model = Model(max_keys, rotate)
    now = 0.0
    for op, key, amount, value in ops:
        if op == "put":
            found = table.find(*key)
            if found >= 0:  # update in place: new expiry and value
                table.set_expires(found, now + amount)
                struct.pack_into("<d", region.mm, found, value)
                model.d[key] = [now + amount, value]
            else:
                off, evicted = table.insert(*key, now + amount, now)
                struct.pack_into("<d", region.mm, off, value)
                assert evicted == model.insert(key, now + amount, value, now)
        elif op == "expire" and key in model.d:
            found = table.find(*key)
            table.set_expires(found, now + amount)
            model.d[key][0] = now + amount
        elif op == "tick":
            now += amount
        elif op == "sweep":
            table.sweep(now)
            model.sweep(now)
        # Exactly the model's keys, in the model's order, with the model's records.
        assert table.members() == list(model.d)
        assert len(table) == len(model.d) <= max_keys
        assert table.evictions == model.evictions
        for k, (until, v) in model.d.items():
            found = table.find(*k)
            assert found >= 0
            assert table.expires(found) == until
            assert struct.unpack_from("<d", region.mm, found)[0] == v
        for _, k, _, _ in ops:
            if k not in model.d:
                assert table.find(*k) == -1


# -- processes at once ------------------------------------------------------------------------


def _bill_many(state: SharedState, budget: Budget, n: int) -> None:
    for i in range(n):
        state.billed(budget, MIDNIGHT, 0, 1 + i % 7, MIDNIGHT)
        state.count_notice("bill_ok")


def test_processes_incrementing_the_same_counters_lose_nothing() -> None:
    store = SharedStore(StateConfig(max_notice_keys=1_000, max_cap_keys=1_000))
    budget = Budget("c1", None, 10**15, False, None, 3600.0)
    state = SharedState(store)
    n, procs = 5_000, 4
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_bill_many, args=(state, budget, n)) for _ in range(procs)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
        assert w.exitcode == 0
    per_process = sum(1 + i % 7 for i in range(n))
    assert state.spent("c1", MIDNIGHT) == (procs * per_process, procs * per_process)
    assert state.host_notices() == {"bill_ok": procs * n}


def _claim(state: SharedState, keys: int, out: multiprocessing.Queue[int]) -> None:
    firsts = sum(state.first_notice(f"bill|k|{i}", MIDNIGHT, MIDNIGHT + 3600) for i in range(keys))
    out.put(firsts)


def test_a_notice_claimed_by_many_processes_at_once_is_first_once() -> None:
    state = SharedState(SharedStore(StateConfig(max_notice_keys=10_000, max_cap_keys=10)))
    context = multiprocessing.get_context("fork")
    out: multiprocessing.Queue[int] = context.Queue()
    workers = [context.Process(target=_claim, args=(state, 3_000, out)) for _ in range(4)]
    for w in workers:
        w.start()
    firsts = [out.get(timeout=60) for _ in workers]
    for w in workers:
        w.join(60)
    assert sum(firsts) == 3_000
    assert state.sizes()["notice_keys"] == 3_000


def _reserve_capped(state: SharedState, budget: Budget, out: multiprocessing.Queue[int]) -> None:
    out.put(sum(state.reserve(budget, "the-user", 1, MIDNIGHT) is None for _ in range(200)))


def test_a_cap_and_a_budget_hold_across_processes() -> None:
    state = SharedState(SharedStore(StateConfig(max_notice_keys=10, max_cap_keys=10)))
    context = multiprocessing.get_context("fork")
    for budget, allowed in (
        (Budget("capped", None, None, False, 3, 3600.0), 3),
        (Budget("budgeted", None, 50, False, None, 3600.0), 50),  # 50 nanos at 1 each
    ):
        out: multiprocessing.Queue[int] = context.Queue()
        workers = [context.Process(target=_reserve_capped, args=(state, budget, out))
                   for _ in range(4)]  # fmt: skip
        for w in workers:
            w.start()
        assert sum(out.get(timeout=60) for _ in workers) == allowed
        for w in workers:
            w.join(60)


# -- memory bounds ----------------------------------------------------------------------------


def test_frequency_cap_memory_is_bounded() -> None:
    state = SharedState(None, StateConfig(max_cap_keys=1_000, max_notice_keys=10))
    budget = Budget("c1", None, None, True, 3, 3600.0)
    for user in range(5_000):
        assert state.reserve(budget, f"{user:016x}", 1, MIDNIGHT) is None
    assert state.sizes()["frequency_caps"] == 1_000
    assert STATE_EVICTIONS.get("frequency_cap") == 4_000
    assert state.host_evictions() == {"frequency_cap": 4_000, "notice": 0}
    # Windows that end are forgotten: an hour and the reservation TTL later, nothing is left.
    state.reserve(budget, "late-user", 1, MIDNIGHT + 3600 + 301)
    assert state.sizes()["frequency_caps"] == 1


def test_notice_dedup_memory_is_bounded() -> None:
    state = SharedState(None, StateConfig(max_notice_keys=100, max_cap_keys=10))
    for i in range(1_000):
        assert state.first_notice(f"k{i}", MIDNIGHT, MIDNIGHT + 3600)
    assert state.sizes()["notice_keys"] == 100
    assert STATE_EVICTIONS.get("notice") == 900
    assert not state.first_notice("k999", MIDNIGHT, MIDNIGHT + 3600)
    assert state.first_notice("fresh", MIDNIGHT + 3601, MIDNIGHT + 7200)
    assert state.sizes()["notice_keys"] == 1


def test_a_users_live_reservations_are_bounded_and_cap_early() -> None:
    state = SharedState(None, StateConfig(max_cap_keys=10, max_notice_keys=10,
                                          cap_pending_slots=4))  # fmt: skip
    budget = Budget("c1", None, None, False, 100, 3600.0)
    got = [state.reserve(budget, "u", 1, MIDNIGHT + i) for i in range(6)]
    assert got == [None] * 4 + ["frequency_cap"] * 2
    state.lost(budget, "u", MIDNIGHT + 1, 1, MIDNIGHT + 10)  # frees one slot
    assert state.reserve(budget, "u", 1, MIDNIGHT + 11) is None
    state.won(budget, "u", MIDNIGHT + 2, MIDNIGHT + 12)  # an impression: frees one more
    assert state.reserve(budget, "u", 1, MIDNIGHT + 13) is None
    assert state.reserve(budget, "u", 1, MIDNIGHT + 14) == "frequency_cap"


def test_host_notices_and_spend_are_rendered_by_campaign_and_kind() -> None:
    state = SharedState(None, StateConfig(max_cap_keys=10, max_notice_keys=10))
    state.attach_metrics()
    try:
        budget = Budget('c"1', None, None, False, None, 3600.0)
        state.billed(budget, MIDNIGHT, 0, 2_480_000, MIDNIGHT)
        NOTICES.inc("bill_ok")
        NOTICES.inc("bill_duplicate")
        lines: list[str] = []
        for metric in (NOTICES, SPEND_NANOS, STATE_EVICTIONS):
            metric.samples(lines)
        assert 'bidwire_spend_nanos_total{campaign="c\\"1"} 2480000' in lines
        assert 'bidwire_notices_total{kind="bill_ok"} 1' in lines
        assert 'bidwire_notices_total{kind="bill_duplicate"} 1' in lines
        assert 'bidwire_state_evictions_total{kind="notice"} 0' in lines
    finally:
        NOTICES.sink = NOTICES.host = SPEND_NANOS.host = STATE_EVICTIONS.host = None
