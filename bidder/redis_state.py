"""Fleet state on Redis: budgets by leases, frequency caps, notice dedup and the event stream.

The bid path never waits for Redis. Every method of :class:`~bidder.state.State` answers from
local structures; a background task (:meth:`RedisState.sync`, every ``sync_interval``) writes
the batched deltas with one pipeline and fetches what the local side needs:

- **Budgets by leases.** A worker spends only nanos it was granted. A Lua script grants a slice
  atomically, never past the campaign's total budget nor (for even pacing) past the day's
  pacing line, and counts it as *granted*. A bid consumes its price from the local lease; a
  loss gives it back to the fleet, a billing gives back what the clearing price did not use.
  So the fleet's spend never exceeds what was granted, which never exceeds the budget: the
  overspend bound is zero (bids with no notice at all stay counted at their price: the error
  is on the safe side). Slices are sized from the campaign's recent local spend rate.
- **Frequency caps.** Windows aligned to the epoch (``now // window``), one Redis counter per
  user, campaign and window, with an expiry. Wins are counted locally and written in batches;
  fleet counts of the users this worker saw are re-read every ``cap_refresh`` seconds (R).
  Between two reads a worker lets at most ``cap_share`` (s, default 1) bids of one user
  through, and none once the count it knows reaches the cap. Bound: while the known count is
  below the cap, N workers let through at most N x s bids per interval, and a win is seen one
  interval plus the notice delay L after its bid; so a user gets at most
  ``cap - 1 + N x s x ceil((R + L) / R)`` impressions per window: ``cap + N - 1`` when
  notices come within a refresh interval of their bid (s = 1), ``cap`` with one worker.
- **Notice dedup.** ``SET key 1 NX EX <until the notice URL expires>``: a notice replayed
  to another worker counts once.
- **Events.** Bids, wins, losses and billing go to a Redis Stream: one ``XADD`` per sync round
  whose entry holds the round's records (a JSON array of arrays), with an approximate
  ``MAXLEN`` (in entries).

When Redis is down or slow, the bidder keeps answering from what it holds: campaigns whose
lease runs out stop bidding, caps use local counts, deltas queue up (bounded) and are written
when Redis returns. ``/metrics`` shows ``bidwire_state_store_up`` and the errors.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from typing import Any, Final

from .events import Event, EventLog, encode_batch
from .metrics import STATE_ERRORS, STATE_EVICTIONS, STATE_STORE_UP
from .resp import Reply, RespError, encode_command
from .state import DAY, Budget, LocalState, StateConfig, live_bids

log = logging.getLogger("bidwire")

#: KEYS: granted total, granted today. ARGV: wanted nanos, total budget or -1, the day's line
#: (daily budget, or its paced share so far) or -1, the day key's TTL. Returns the grant.
GRANT_LUA: Final = """
local total = tonumber(redis.call('GET', KEYS[1]) or '0')
local today = tonumber(redis.call('GET', KEYS[2]) or '0')
local room = tonumber(ARGV[1])
if ARGV[2] ~= '-1' then room = math.min(room, tonumber(ARGV[2]) - total) end
if ARGV[3] ~= '-1' then room = math.min(room, tonumber(ARGV[3]) - today) end
if room <= 0 then return 0 end
redis.call('INCRBY', KEYS[1], room)
redis.call('INCRBY', KEYS[2], room)
redis.call('EXPIRE', KEYS[2], ARGV[4])
return room
"""

#: At most this many queued writes wait for Redis; past it the oldest are dropped (counted).
MAX_QUEUED: Final = 1_000_000


class RedisDown(Exception):
    """Some of a round's commands got no answer, or an error: Redis (or a node) is down."""


def _int(value: Reply) -> int:
    return int(value) if isinstance(value, bytes | int) else 0


class _FleetCap:
    __slots__ = ("window", "fleet", "flushed", "unflushed", "pending", "recent")

    def __init__(self, window: int) -> None:
        self.window = window
        self.fleet = 0  # the fleet-wide count last read (ours included, once flushed)
        self.flushed = 0  # our wins written to Redis
        self.unflushed = 0  # our wins not written yet
        self.pending: list[float] = []  # issue times of our live bids
        self.recent = 0  # our bids since the fleet count was last read

    def count(self) -> int:
        return max(self.fleet, self.flushed) + self.unflushed + len(self.pending)


def probe(url: str, timeout: float) -> str | None:
    """None when the Redis at ``url`` answers PING within ``timeout`` seconds, else why not (one
    line). ``bidwire serve`` asks before it starts: a store that is not there at start is a
    wrong address (an error), not an outage to bid through."""
    import redis

    from .redis_pipe import sync_client

    try:
        client = sync_client(url, timeout)
    except (ValueError, redis.RedisError, OSError) as exc:  # a cluster asks its nodes at once
        return str(exc) or type(exc).__name__
    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        return str(exc) or type(exc).__name__
    finally:
        client.close()
    return None


class RedisState:
    """The :class:`~bidder.state.State` of one worker in a fleet sharing one Redis."""

    shared = True

    def __init__(
        self,
        url: str,
        config: StateConfig | None = None,
        *,
        events: EventLog | None = None,
        wallclock: Any = time.time,
    ) -> None:
        from .redis_pipe import RedisPipe

        self.config = config or StateConfig()
        self.events = events or EventLog("redis")
        self.wallclock = wallclock
        self.prefix = self.config.redis_prefix
        #: A Redis, or a Redis Cluster (``redis+cluster://``): the keys a script uses together
        #: share a hash tag (``{campaign}``), so each script stays in one slot. Our own
        #: pipelined client (bidder.redis_pipe), not redis-py's: each command's reply (or
        #: error) comes back on its own, so a round that a failover cuts in half re-sends only
        #: what failed (never counts twice what succeeded), and a changed cluster costs one read
        #: of its slot map (redis-py's cluster client stalled the loop 0.4 s at a time there).
        self.redis = RedisPipe(url, timeout=self.config.redis_timeout)
        #: Notice keys seen here: replays to this worker are caught without a round trip.
        self.local = LocalState(self.config)
        self.up = False
        self._leases: dict[str, int] = {}
        self._lease_day: dict[str, int] = {}
        self._consumed: dict[str, int] = {}
        self._rate: dict[str, float] = {}
        self._budgets: dict[str, Budget] = {}
        self._caps: dict[tuple[str, str], _FleetCap] = {}
        self._windows: dict[str, float] = {}
        #: Writes not sent yet: (command, key, amount, ttl seconds).
        self._queue: list[tuple[str, str, int, int]] = []
        self._spent: dict[str, tuple[int, int]] = {}
        self._last_sync = 0.0
        self._last_refresh = 0.0
        self._task: asyncio.Task[None] | None = None

    # -- keys ----------------------------------------------------------------------------------

    def _key(self, *parts: object) -> str:
        return ":".join((self.prefix, *map(str, parts)))

    def _granted(self, cid: str, *parts: object) -> str:
        """A campaign's granted-total and granted-today keys: one Lua script reads both, so
        they share the hash tag ``{campaign}`` (one slot of a cluster)."""
        return self._key("g", f"{{{cid}}}", *parts)

    # -- the State interface (all local, no I/O) -----------------------------------------------

    def prepare(self, budgets: Iterable[Budget]) -> None:
        """Know the campaigns with budgets before their first bid: leases are fetched ahead."""
        for budget in budgets:
            if budget.daily is not None or budget.total is not None:
                self._budgets[budget.campaign] = budget

    def reserve(self, budget: Budget, user: str | None, cost: int, now: float) -> str | None:
        cid = budget.campaign
        budgeted = budget.daily is not None or budget.total is not None
        if budgeted:
            self._budgets[cid] = budget
            day = int(now // DAY)
            if budget.daily is not None and self._lease_day.get(cid) != day:
                self._new_day(cid, day)
            available = self._leases.get(cid, 0)
            if available < cost:
                return "lease"
        cap: _FleetCap | None = None
        if budget.cap_count is not None and user:
            window = int(now // budget.cap_window)
            key = (user, cid)
            cap = self._caps.get(key)
            if cap is None or cap.window != window:
                cap = self._caps[key] = _FleetCap(window)
                self._windows[cid] = budget.cap_window
            cap.pending = live_bids(cap.pending, now, self.config.reservation_ttl)
            if cap.count() >= budget.cap_count or cap.recent >= self.config.cap_share:
                return "frequency_cap"
            cap.pending.append(now)
            cap.recent += 1
        if budgeted:
            self._leases[cid] = self._leases.get(cid, 0) - cost
            self._consumed[cid] = self._consumed.get(cid, 0) + cost
        return None

    def _new_day(self, cid: str, day: int) -> None:
        # Yesterday's unspent lease goes back to the total; today's grants start from zero.
        old = self._lease_day.get(cid)
        left = self._leases.get(cid, 0)
        if old is not None and left > 0:
            self._queue.append(("decrby", self._granted(cid, "t"), left, 0))
        self._leases[cid] = 0
        self._lease_day[cid] = day

    def first_notice(self, key: str, now: float, until: float) -> bool:
        return self.local.first_notice(key, now, until)

    async def claim_notice(self, key: str, until: float) -> bool:
        """True if no worker of the fleet has counted this notice yet (one Redis round trip;
        with Redis down, the local answer stands and the failure is counted)."""
        ttl = max(1, int(until - self.wallclock()) + 1)
        name = self._key("n", key).encode()
        reply = await self._call(name, b"SET", name, b"1", b"NX", b"EX", ttl)
        if isinstance(reply, RespError):  # any Redis or network error: keep serving
            self._down(RedisDown(reply.message))
            STATE_ERRORS.inc("notice_claim")
            return True
        return reply is not None

    def won(self, budget: Budget, user: str | None, issued: float, now: float) -> None:
        if budget.cap_count is None or not user:
            return
        window = int(issued // budget.cap_window)
        cap = self._caps.get((user, budget.campaign))
        if cap is not None and cap.window == window:
            if issued in cap.pending:
                cap.pending.remove(issued)
            cap.unflushed += 1
        else:
            ttl = int(budget.cap_window) + 60
            self._queue.append(("incrby", self._key("c", budget.campaign, user, window), 1, ttl))

    def billed(self, budget: Budget, issued: float, reserved: int, spent: int, now: float) -> None:
        cid = budget.campaign
        day = int(now // DAY)
        self._queue.append(("incrby", self._key("s", cid, "t"), spent, 0))
        self._queue.append(("incrby", self._key("s", cid, "d", day), spent, 2 * int(DAY)))
        if budget.daily is not None or budget.total is not None:
            self._give_back(cid, issued, max(reserved - spent, 0))

    def lost(
        self, budget: Budget, user: str | None, issued: float, reserved: int, now: float
    ) -> None:
        if budget.daily is not None or budget.total is not None:
            self._give_back(budget.campaign, issued, reserved)
        if budget.cap_count is not None and user:
            cap = self._caps.get((user, budget.campaign))
            if cap is not None and issued in cap.pending:
                cap.pending.remove(issued)

    def _give_back(self, cid: str, issued: float, amount: int) -> None:
        if amount <= 0:
            return
        self._queue.append(("decrby", self._granted(cid, "t"), amount, 0))
        day = int(issued // DAY)
        self._queue.append(("decrby", self._granted(cid, "d", day), amount, 2 * int(DAY)))

    def spent(self, campaign: str, now: float) -> tuple[int, int]:
        """The fleet's spend as last read from Redis (total, today)."""
        return self._spent.get(campaign, (0, 0))

    def record(self, event: Event) -> None:
        self.events.add(event)

    # -- the background task -------------------------------------------------------------------

    def poll(self) -> None:
        """Called about once a second by the worker: (re)start the sync task if needed."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self.run())

    async def _call(self, key: bytes, *args: bytes | str | int) -> Reply:
        if not self.redis.started:
            await self.redis.start()
        (reply,) = await self.redis.execute([key], [encode_command(*args)])
        return reply

    async def run(self) -> None:
        """Sync every ``sync_interval`` seconds until cancelled."""
        while True:
            await self.sync()
            await asyncio.sleep(self.config.sync_interval)

    async def close(self) -> None:
        """Write what is queued, give unspent leases back, stop."""
        if self._task is not None:
            self._task.cancel()
        for cid, left in self._leases.items():
            if left > 0:
                self._give_back(cid, self.wallclock(), left)
        self._leases.clear()
        await self.sync()
        self.redis.close()

    async def sync(self) -> None:
        """One round: write the queued deltas and events, renew leases, refresh caps and spend."""
        now = self.wallclock()
        try:
            await self._sync(now)
        except Exception as exc:  # Redis down or slow: keep what is queued, try again
            self._down(exc)
            return
        if not self.up and STATE_ERRORS.get("sync"):
            log.warning("state store reachable again: %s", self.prefix)
        self.up = True
        STATE_STORE_UP.value = 1

    def _down(self, exc: BaseException) -> None:
        if self.up or STATE_ERRORS.get("sync") == 0:
            log.error("state store unreachable, bidding from local leases and counts: %s", exc)
        self.up = False
        STATE_ERRORS.inc("sync")
        STATE_STORE_UP.value = 0
        if len(self._queue) > MAX_QUEUED:
            dropped = len(self._queue) - MAX_QUEUED
            del self._queue[:dropped]
            STATE_EVICTIONS.inc("redis_queue", dropped)

    async def _sync(self, now: float) -> None:
        if not self.redis.connected:
            await self.redis.ensure()
        elapsed = max(now - self._last_sync, 1e-3) if self._last_sync else 1.0
        self._last_sync = now
        # 1. Deltas: wins per cap window, spend, give-backs.
        queue, self._queue = self._queue, []
        flushing = []
        for (user, cid), cap in self._caps.items():
            if cap.unflushed:
                window = self._windows[cid]
                ttl = int(window) + 60
                name = self._key("c", cid, user, cap.window)
                flushing.append((cap, cap.unflushed, ("incrby", name, cap.unflushed, ttl)))
        events = self.events.take()
        try:
            failed = await self._write(queue, [op for _, _, op in flushing], events)
        except BaseException:
            # Cancelled mid-round: what was written is unknown; keep it all (the safe side).
            self._queue[:0] = queue
            self.events.buffer[:0] = events
            raise
        for i, (cap, flushed, _) in enumerate(flushing):
            if len(queue) + i not in failed:
                cap.unflushed -= flushed
                cap.flushed += flushed
        if failed:
            raise RedisDown(f"{len(failed)} writes failed")
        # 2. Leases: top up the campaigns running low, sized from their recent rate.
        day = int(now // DAY)
        wanted = []
        for cid, budget in self._budgets.items():
            rate = 0.7 * self._rate.get(cid, 0.0) + 0.3 * self._consumed.pop(cid, 0) / elapsed
            self._rate[cid] = rate
            want = max(self.config.min_lease, int(rate * self.config.lease_seconds))
            if budget.daily is not None and self._lease_day.get(cid) != day:
                self._new_day(cid, day)
            if self._leases.get(cid, 0) < want // 2:
                wanted.append((cid, budget, want - self._leases.get(cid, 0)))
        if wanted:
            names, commands = [], []
            for cid, budget, want in wanted:
                line = -1
                if budget.daily is not None:
                    line = budget.daily
                    if budget.even:
                        share = min(1.0, (now % DAY) / DAY + self.config.pacing_tolerance)
                        line = int(budget.daily * share)
                total = budget.total if budget.total is not None else -1
                keys = [self._granted(cid, "t").encode(), self._granted(cid, "d", day).encode()]
                names.append(keys[0])
                # EVAL, not EVALSHA: a replica promoted by a failover may not have the script
                # cached, and Redis caches what EVAL compiles anyway.
                commands.append(encode_command(b"EVAL", GRANT_LUA, 2, *keys, want, total, line,
                                               2 * int(DAY)))  # fmt: skip
            refused = 0
            for (cid, _, _), granted in zip(wanted, await self.redis.execute(names, commands),
                                            strict=True):  # fmt: skip
                if isinstance(granted, int):
                    self._leases[cid] = self._leases.get(cid, 0) + granted
                else:
                    refused += 1
            if refused:
                raise RedisDown(f"{refused} lease grants failed")
        # 3. Fleet counts of the caps in use, and the fleet's spend, every cap_refresh.
        if now - self._last_refresh >= self.config.cap_refresh:
            self._last_refresh = now
            await self._refresh(now, day)

    async def _refresh(self, now: float, day: int) -> None:
        live = [
            (key, cap) for key, cap in self._caps.items()
            if cap.window == int(now // self._windows[key[1]])
        ]  # fmt: skip
        # Counters of ended windows are forgotten here.
        self._caps = dict(live)
        cids = sorted(self._budgets)
        keys = [self._key("c", cid, user, cap.window) for (user, cid), cap in live]
        keys += [self._key("s", cid, part) for cid in cids for part in ("t", f"d:{day}")]
        if not keys:
            return
        names = [key.encode() for key in keys]
        values = await self.redis.execute(names, [encode_command(b"GET", n) for n in names])
        counts, spends = values[: len(live)], values[len(live) :]
        for (_, cap), value in zip(live, counts, strict=True):
            if not isinstance(value, RespError):
                cap.fleet = _int(value)
                cap.recent = 0
        for i, cid in enumerate(cids):
            total, today = spends[2 * i], spends[2 * i + 1]
            if not isinstance(total, RespError) and not isinstance(today, RespError):
                self._spent[cid] = (_int(total), _int(today))

    async def _write(
        self, queue: list[tuple[str, str, int, int]], flushes: list[tuple[str, str, int, int]],
        events: list[Event],
    ) -> set[int]:  # fmt: skip
        """Send the queued deltas, then the caps' flushes, then the events, in one pipelined
        round. Returns the indexes (into queue + flushes) of the deltas that failed: failed
        queued ones are queued again (only they: their neighbours are written), an expiry that
        failed after its increment is queued alone; failed events go back to the buffer."""
        ops = [*queue, *flushes]
        names: list[bytes] = []
        commands: list[bytes] = []
        owners: list[tuple[int, bool]] = []  # (op index or -1 for the events, is an expiry)
        for i, (command, name, amount, ttl) in enumerate(ops):
            key = name.encode()
            names.append(key)
            commands.append(encode_command(command.upper(), key, amount))
            owners.append((i, False))
            if ttl:
                names.append(key)
                commands.append(encode_command(b"EXPIRE", key, ttl))
                owners.append((i, True))
        if events:
            # One stream entry per round holding the round's records: an XADD per record cost
            # the bid path 12% of its throughput (bench/state_ab.py).
            key = self._key("events").encode()
            names.append(key)
            commands.append(encode_command(
                b"XADD", key, b"MAXLEN", b"~", self.config.events_maxlen, b"*",
                b"n", len(events), b"r", encode_batch(events)))  # fmt: skip
            owners.append((-1, False))
        if not commands:
            return set()
        replies = await self.redis.execute(names, commands)
        failed: set[int] = set()
        expiries: list[tuple[str, str, int, int]] = []
        for (i, expiry), reply in zip(owners, replies, strict=True):
            if not isinstance(reply, RespError):
                continue
            if i < 0:
                self.events.buffer[:0] = events
            elif not expiry:
                failed.add(i)
            elif i not in failed:
                _, name, _, ttl = ops[i]
                expiries.append(("expire", name, ttl, 0))
        requeue = [ops[i] for i in sorted(failed) if i < len(queue)]
        self._queue[:0] = requeue + expiries
        if expiries and not failed:
            failed.add(-1)  # something failed: the round is not a success
        return failed

    def sizes(self) -> dict[str, int]:
        return {
            "frequency_caps": len(self._caps),
            "queued_writes": len(self._queue),
            **{f"local_{k}": v for k, v in self.local.sizes().items()},
        }


__all__ = ["GRANT_LUA", "RedisState", "probe"]
