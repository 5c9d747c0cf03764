"""The host's state: budgets, caps, notice dedup and counters in memory all workers share.

``bidwire serve --workers N`` forks N workers. With a private :class:`~bidder.state.LocalState`
each, a billing notice replayed to two workers was spent twice, and caps and pacing were per
worker. :class:`SharedStore` is made once, by the parent, before it forks (a
:class:`~bidder.shm_table.Region`, an anonymous ``MAP_SHARED`` mapping, and two
``multiprocessing.Lock`` s); every worker wraps it in a :class:`SharedState`, which implements
:class:`~bidder.state.State` on it. So with any number of workers:

- a notice counts once on the host (dedup keys live in one table, checked and set under one
  lock), and spend is exact to the nano;
- budgets, pacing and frequency caps hold for the host as a whole (no 1/N split);
- one ``/metrics`` scrape on any worker shows the host's notices and spend.

There is no round trip: a bid's reservation is a few struct reads and writes in the mapping
under an uncontended lock (a futex: no system call unless another worker holds it). The
semantics are :class:`~bidder.state.LocalState`'s, with one bound: a user's capped campaign
keeps at most ``cap_pending_slots`` live reservations (bids with no win, loss or expiry yet);
past that it is capped early (never late). ``tests/test_shared_state.py`` checks the tables
against dict models and several processes against one counter.

A worker that dies holding a lock would stall the others: the locks are held for a few
microseconds around struct reads and writes, never across I/O or an await.
"""

from __future__ import annotations

import hashlib
import math
import multiprocessing
import struct
from collections.abc import Iterable
from typing import Final

from .events import Event, EventLog
from .metrics import NOTICES, SPEND_NANOS, STATE_EVICTIONS
from .shm_table import Region, Table
from .state import DAY, Budget, StateConfig, live_bids

#: Account record: total, today, day, pending, low (oldest bucket that may hold nanos), then
#: the reservation ring (bucket number, nanos) and the campaign id (for /metrics).
_ACCOUNT: Final = struct.Struct("<qqqqq")
_BUCKET: Final = struct.Struct("<qq")
_NAME_BYTES: Final = 64
_NEVER: Final = math.inf

#: Notice outcomes counted host-wide, by notice kind (see bidder.notices).
NOTICE_KINDS: Final = ("win", "bill", "loss")
NOTICE_OUTCOMES: Final = (
    "ok", "duplicate", "malformed", "forged", "altered", "future", "expired", "bad_price",
    "bad_currency", "unknown_campaign", "unknown_creative", "unknown_kind",
)  # fmt: skip
#: ``bidwire_notices_total`` label ("bill_ok") -> its host counter.
_SERIES: Final = {
    f"{kind}_{outcome}": n
    for n, (kind, outcome) in enumerate(
        (k, o) for k in (*NOTICE_KINDS, "unknown") for o in NOTICE_OUTCOMES
    )
}
_COUNTER: Final = struct.Struct("<q")


def _fingerprint(*parts: str) -> tuple[int, int]:
    """128 bits of BLAKE2b over ``parts``: the tables' key (odd second half: 0 marks empty)."""
    digest = hashlib.blake2b("\x00".join(parts).encode(), digest_size=16).digest()
    k1, k2 = struct.unpack("<QQ", digest)
    return k1, k2 | 1


class SharedStore:
    """The shared memory and its locks: make it in the parent, before forking the workers."""

    def __init__(self, config: StateConfig | None = None) -> None:
        self.config = config = config or StateConfig()
        #: Reservation ring slots per campaign: every bucket a live reservation may be in.
        self.buckets = math.ceil(config.reservation_ttl / config.reservation_bucket) + 1
        self.pending_slots = config.cap_pending_slots
        #: Where an account record keeps its campaign id (after the reservation ring).
        self.name_at = _ACCOUNT.size + _BUCKET.size * self.buckets
        account = self.name_at + _NAME_BYTES
        self.cap_record = struct.Struct(f"<dii{self.pending_slots}d")
        size = (
            Table.bytes_needed(config.max_accounts, account)
            + Table.bytes_needed(config.max_cap_keys, self.cap_record.size)
            + Table.bytes_needed(config.max_notice_keys, 0)
            + _COUNTER.size * len(_SERIES)
            + 4096
        )
        self.region = Region(size)
        self.accounts = Table(self.region, config.max_accounts, account, rotate=False)
        self.caps = Table(self.region, config.max_cap_keys, self.cap_record.size, rotate=True)
        self.notices = Table(self.region, config.max_notice_keys, 0, rotate=False)
        self.counters = self.region.take(_COUNTER.size * len(_SERIES))
        #: Accounts and caps (one bid's reservation touches both); notices and counters.
        context = multiprocessing.get_context("fork")
        self.bid_lock = context.Lock()
        self.notice_lock = context.Lock()


class SharedState:
    """One worker's :class:`~bidder.state.State` over the host's :class:`SharedStore`."""

    #: One host: nothing to claim from a fleet, and nothing remote that could be down.
    shared = False
    up = True

    def __init__(self, store: SharedStore | None = None, config: StateConfig | None = None) -> None:
        self.config = config or (store.config if store is not None else StateConfig())
        self.store = store if store is not None else SharedStore(self.config)
        self.events = EventLog(self.config.events)
        self._mm = self.store.region.mm
        #: campaign id -> account record offset: accounts are never removed nor moved.
        self._offsets: dict[str, int] = {}
        self._fingerprints: dict[str, tuple[int, int]] = {}
        self._ttl = self.config.reservation_ttl
        self._bucket = self.config.reservation_bucket
        self._nbuckets = self.store.buckets

    # -- accounts (under bid_lock) -------------------------------------------------------------

    def _account(self, campaign: str, now: float) -> int:
        """The offset of ``campaign``'s account, made if new, its day and reservations brought
        up to ``now``; -1 if the accounts table is full."""
        off = self._offsets.get(campaign)
        mm = self._mm
        if off is None:
            accounts = self.store.accounts
            k1, k2 = _fingerprint("account", campaign)
            off = accounts.find(k1, k2)
            if off < 0:
                if len(accounts) >= accounts.max_keys:
                    return -1
                off, _ = accounts.insert(k1, k2, _NEVER, now)
                bucket = int(now // self._bucket)
                _ACCOUNT.pack_into(mm, off, 0, 0, int(now // DAY), 0, bucket)
                name = campaign.encode()[:_NAME_BYTES]
                at = off + self.store.name_at
                mm[at : at + len(name)] = name
            self._offsets[campaign] = off
        total, today, day, pending, low = _ACCOUNT.unpack_from(mm, off)
        changed = False
        d = int(now // DAY)
        if day != d:
            day, today, changed = d, 0, True
        oldest = int((now - self._ttl) // self._bucket) + 1
        if low < oldest:
            base, n = off + _ACCOUNT.size, self._nbuckets
            for b in range(low, min(oldest, low + n)):
                slot = base + _BUCKET.size * (b % n)
                number, amount = _BUCKET.unpack_from(mm, slot)
                if number == b and amount:
                    pending -= amount
                    _BUCKET.pack_into(mm, slot, number, 0)
            low, changed = oldest, True
        if changed:
            _ACCOUNT.pack_into(mm, off, total, today, day, pending, low)
        return off

    def _release(self, off: int, issued: float, amount: int) -> None:
        mm = self._mm
        total, today, day, pending, low = _ACCOUNT.unpack_from(mm, off)
        bucket = int(issued // self._bucket)
        if bucket < low:
            return  # expired already: nothing is held any more
        slot = off + _ACCOUNT.size + _BUCKET.size * (bucket % self._nbuckets)
        number, held = _BUCKET.unpack_from(mm, slot)
        if number != bucket:
            return
        amount = min(amount, held)
        _BUCKET.pack_into(mm, slot, number, held - amount)
        _ACCOUNT.pack_into(mm, off, total, today, day, pending - amount, low)

    # -- caps (under bid_lock) -----------------------------------------------------------------

    def _cap_key(self, campaign: str, user: str) -> tuple[int, int]:
        key = f"{campaign}\x00{user}"
        found = self._fingerprints.get(key)
        if found is None:
            found = _fingerprint("cap", campaign, user)
            if len(self._fingerprints) < 4096:  # the hot users' keys; bounded
                self._fingerprints[key] = found
        return found

    def _cap(self, budget: Budget, user: str, now: float) -> tuple[int, float, int, list[float]]:
        """(offset, window start, wins, live pending issue times) of the user's counter, a
        new window begun if the last one ended."""
        caps, record = self.store.caps, self.store.cap_record
        k1, k2 = self._cap_key(budget.campaign, user)
        off = caps.find(k1, k2)
        window = budget.cap_window
        if off >= 0:
            start, wins, count, *times = record.unpack_from(self._mm, off)
            pending = times[:count]
            if now >= start + window:
                start, wins = now, 0  # live bids of the last window count against this one
        else:
            off, evicted = caps.insert(k1, k2, now + window, now)
            if evicted:
                STATE_EVICTIONS.values["frequency_cap"] += 1  # the host's count is the table's
            start, wins, pending = now, 0, []
        return off, start, wins, live_bids(pending, now, self._ttl)

    def _write_cap(
        self, off: int, start: float, wins: int, pending: list[float], window: float
    ) -> None:
        slots = self.store.pending_slots
        self.store.cap_record.pack_into(
            self._mm, off, start, wins, len(pending), *pending, *([0.0] * (slots - len(pending)))
        )
        until = start + window
        if pending:
            until = max(until, pending[-1] + self._ttl)
        self.store.caps.set_expires(off, until)

    # -- the State interface -------------------------------------------------------------------

    def reserve(self, budget: Budget, user: str | None, cost: int, now: float) -> str | None:
        budgeted = budget.daily is not None or budget.total is not None
        capped = budget.cap_count is not None and bool(user)
        with self.store.bid_lock:
            off = -1
            if budgeted:
                off = self._account(budget.campaign, now)
                if off < 0:
                    return "state_full"
                total, today, day, pending, low = _ACCOUNT.unpack_from(self._mm, off)
                committed = pending + cost
                share = self.config.budget_share
                if budget.total is not None and total + committed > budget.total * share:
                    return "budget"
                if budget.daily is not None:
                    spend = today + committed
                    daily = budget.daily * share
                    if spend > daily:
                        return "daily"
                    if budget.even:
                        elapsed = (now % DAY) / DAY
                        line = min(1.0, elapsed + self.config.pacing_tolerance)
                        if spend > daily * line:
                            return "pacing"
            if capped:
                assert user is not None and budget.cap_count is not None
                cap, start, wins, live = self._cap(budget, user, now)
                if wins + len(live) >= budget.cap_count or len(live) >= self.store.pending_slots:
                    self._write_cap(cap, start, wins, live, budget.cap_window)
                    return "frequency_cap"
                live.append(now)
                self._write_cap(cap, start, wins, live, budget.cap_window)
            if off >= 0:
                bucket = int(now // self._bucket)
                slot = off + _ACCOUNT.size + _BUCKET.size * (bucket % self._nbuckets)
                number, held = _BUCKET.unpack_from(self._mm, slot)
                _BUCKET.pack_into(self._mm, slot, bucket, (held if number == bucket else 0) + cost)
                _ACCOUNT.pack_into(self._mm, off, total, today, day, pending + cost, low)
        return None

    def first_notice(self, key: str, now: float, until: float) -> bool:
        k1, k2 = _fingerprint("notice", key)
        notices = self.store.notices
        with self.store.notice_lock:
            notices.sweep(now)
            if notices.find(k1, k2) >= 0:
                return False
            _, evicted = notices.insert(k1, k2, until, now)
        if evicted:
            STATE_EVICTIONS.values["notice"] += 1
        return True

    def won(self, budget: Budget, user: str | None, issued: float, now: float) -> None:
        if budget.cap_count is None or not user:
            return
        with self.store.bid_lock:
            k1, k2 = self._cap_key(budget.campaign, user)
            off = self.store.caps.find(k1, k2)
            if off < 0:
                # The counter was swept (its bid outlived the reservation): count the win anyway.
                off, start, wins, live = self._cap(budget, user, now)
            else:
                start, wins, count, *times = self.store.cap_record.unpack_from(self._mm, off)
                live = times[:count]
                if issued in live:
                    live.remove(issued)
            self._write_cap(off, start, wins + 1, live, budget.cap_window)

    def billed(self, budget: Budget, issued: float, reserved: int, spent: int, now: float) -> None:
        with self.store.bid_lock:
            off = self._account(budget.campaign, now)
            if off < 0:
                return  # the table is full: only reachable past max_accounts campaigns
            self._release(off, issued, reserved)
            total, today, day, pending, low = _ACCOUNT.unpack_from(self._mm, off)
            _ACCOUNT.pack_into(self._mm, off, total + spent, today + spent, day, pending, low)

    def lost(
        self, budget: Budget, user: str | None, issued: float, reserved: int, now: float
    ) -> None:
        with self.store.bid_lock:
            if budget.daily is not None or budget.total is not None:
                off = self._account(budget.campaign, now)
                if off >= 0:
                    self._release(off, issued, reserved)
            if budget.cap_count is not None and user:
                k1, k2 = self._cap_key(budget.campaign, user)
                cap = self.store.caps.find(k1, k2)
                if cap >= 0:
                    start, wins, count, *times = self.store.cap_record.unpack_from(self._mm, cap)
                    live = times[:count]
                    if issued in live:
                        live.remove(issued)
                        self._write_cap(cap, start, wins, live, budget.cap_window)

    def spent(self, campaign: str, now: float) -> tuple[int, int]:
        with self.store.bid_lock:
            off = self._offsets.get(campaign)
            if off is None:
                off = self.store.accounts.find(*_fingerprint("account", campaign))
                if off < 0:
                    return 0, 0
                self._offsets[campaign] = off
            total, today, day, _, _ = _ACCOUNT.unpack_from(self._mm, off)
        return total, today if day == int(now // DAY) else 0

    def record(self, event: Event) -> None:
        self.events.add(event)

    def poll(self) -> None:
        self.events.flush()

    def prepare(self, budgets: Iterable[Budget]) -> None:
        """Nothing to prepare: accounts are made on first use."""

    async def claim_notice(self, key: str, until: float) -> bool:
        """:meth:`first_notice` has answered for the whole host already."""
        return True

    async def close(self) -> None:
        """Nothing is held for anyone else (events are flushed by :meth:`poll`)."""

    def attach_metrics(self) -> None:
        """Make this worker's ``/metrics`` show the host's notices, spend and evictions
        (one worker per process: the metrics are the process's)."""
        NOTICES.sink = self.count_notice
        NOTICES.host = self.host_notices
        SPEND_NANOS.host = self.host_spend
        STATE_EVICTIONS.host = self.host_evictions

    # -- host-wide counters --------------------------------------------------------------------

    def count_notice(self, label: object, value: int = 1) -> None:
        """Count ``value`` notices with ``bidwire_notices_total`` label ``label`` ("bill_ok")
        for the host."""
        n = _SERIES.get(str(label))
        if n is None:
            return
        at = self.store.counters + _COUNTER.size * n
        with self.store.notice_lock:
            _COUNTER.pack_into(self._mm, at, _COUNTER.unpack_from(self._mm, at)[0] + value)

    def host_notices(self) -> dict[str, int]:
        """The host's notice counts by label ("bill_ok"), the zeros left out."""
        mm, base = self._mm, self.store.counters
        with self.store.notice_lock:
            values = {
                label: _COUNTER.unpack_from(mm, base + _COUNTER.size * n)[0]
                for label, n in _SERIES.items()
            }
        return {label: value for label, value in values.items() if value}

    def host_spend(self) -> dict[str, int]:
        """The host's spend in nanos, by campaign (those with any)."""
        mm, store = self._mm, self.store
        accounts = store.accounts
        spend: dict[str, int] = {}
        with store.bid_lock:
            for k1, k2 in accounts.members():
                off = accounts.find(k1, k2)
                total = _ACCOUNT.unpack_from(mm, off)[0]
                at = off + store.name_at
                name = bytes(mm[at : at + _NAME_BYTES]).rstrip(b"\x00").decode(errors="replace")
                if total:
                    spend[name] = total
        return spend

    def host_evictions(self) -> dict[str, int]:
        """Keys the host's tables dropped at their memory bound, by table."""
        return {
            "frequency_cap": self.store.caps.evictions,
            "notice": self.store.notices.evictions,
        }

    def sizes(self) -> dict[str, int]:
        """How many entries each table holds, host-wide."""
        return {
            "accounts": len(self.store.accounts),
            "frequency_caps": len(self.store.caps),
            "notice_keys": len(self.store.notices),
        }


__all__ = ["NOTICE_KINDS", "NOTICE_OUTCOMES", "SharedState", "SharedStore"]
