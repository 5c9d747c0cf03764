"""The Redis fleet state against a real redis-server: leases, caps, dedup, outages.

Several :class:`RedisState` objects on one Redis stand for the workers of a fleet; each
``sync()`` is the background round a worker runs every 100 ms.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from bidder.events import Event, decode_batch
from bidder.metrics import STATE_STORE_UP
from bidder.redis_state import RedisState
from bidder.state import DAY, Budget, StateConfig

from .redis_server import RedisServer, free_port

NOW = 20 * DAY + 12 * 3600.0
CPM_1 = 1_000_000  # one impression at a CPM of 1.0, in nanos


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    srv = RedisServer(tmp_path_factory.mktemp("redis"))
    yield srv
    srv.stop()


def fleet(url: str, prefix: str, n: int = 4, **config: object) -> list[RedisState]:
    settings = StateConfig(redis_prefix=prefix, min_lease=3 * CPM_1, **config)  # type: ignore[arg-type]
    return [RedisState(url, settings, wallclock=lambda: NOW) for _ in range(n)]


async def sync_all(states: list[RedisState]) -> None:
    for state in states:
        await state.sync()


def test_leases_never_grant_more_than_the_budget(server: RedisServer) -> None:
    budget = Budget("c1", None, 50 * CPM_1, False, None, 3600.0)

    async def main() -> int:
        states = fleet(server.url, "lease")
        for state in states:
            state.prepare([budget])
        made = 0
        for _ in range(40):
            await sync_all(states)
            for state in states:
                while state.reserve(budget, None, CPM_1, NOW) is None:
                    made += 1
        for state in states:
            await state.close()
        return made

    assert asyncio.run(main()) == 50  # exactly the budget: never more, and all of it
    raw = redis.Redis.from_url(server.url)
    assert int(raw.get("lease:g:{c1}:t") or 0) == 50 * CPM_1


def test_losses_and_billing_give_back_to_the_fleet(server: RedisServer) -> None:
    budget = Budget("c2", None, 4 * CPM_1, False, None, 3600.0)

    async def main() -> tuple[int, int]:
        a, b = fleet(server.url, "give", n=2)
        a.prepare([budget])
        b.prepare([budget])

        async def drain() -> int:
            made = 0
            for _ in range(3):
                await sync_all([a, b])
                for state in (a, b):
                    while state.reserve(budget, None, CPM_1, NOW) is None:
                        made += 1
            return made

        first = await drain()
        # Notices land on b: one loss, one billing at half the bid price: 1.5 CPM come back.
        b.lost(budget, None, NOW, CPM_1, NOW)
        b.billed(budget, NOW, CPM_1, CPM_1 // 2, NOW)
        second = await drain()
        for state in (a, b):
            await state.close()
        return first, second

    assert asyncio.run(main()) == (4, 1)
    raw = redis.Redis.from_url(server.url)
    assert int(raw.get("give:s:c2:t") or 0) == CPM_1 // 2


def test_a_notice_is_claimed_once_across_the_fleet(server: RedisServer) -> None:
    async def main() -> list[bool]:
        a, b = fleet(server.url, "dedup", n=2)
        claims = [await a.claim_notice("bill|k|sig", NOW + 3600),
                  await b.claim_notice("bill|k|sig", NOW + 3600),
                  await b.claim_notice("win|k|sig", NOW + 3600)]  # fmt: skip
        for state in (a, b):
            await state.close()
        return claims

    assert asyncio.run(main()) == [True, False, True]


def test_frequency_caps_are_shared_after_a_refresh(server: RedisServer) -> None:
    budget = Budget("c3", None, None, True, 3, 3600.0)

    async def main() -> tuple[list[str | None], list[str | None]]:
        a, b = fleet(server.url, "caps", n=2, cap_refresh=0.0)
        at_a = []
        for _ in range(3):
            at_a.append(a.reserve(budget, "u1", 0, NOW))
            at_a.append(a.reserve(budget, "u1", 0, NOW))  # one bid per refresh interval
            a.won(budget, "u1", NOW, NOW)
            await a.sync()
        at_a.append(a.reserve(budget, "u1", 0, NOW))  # three won: capped
        # b has never seen u1: its first bid goes out before it has read the fleet count
        # (the staleness the bound allows: cap - 1 + N x cap_share = 4 here)...
        at_b = [b.reserve(budget, "u1", 0, NOW)]
        b.lost(budget, "u1", NOW, 0, NOW)
        await b.sync()
        # ...and after one read it knows: capped, while another user is not.
        at_b += [b.reserve(budget, "u1", 0, NOW), b.reserve(budget, "u2", 0, NOW)]
        for state in (a, b):
            await state.close()
        return at_a, at_b

    at_a, at_b = asyncio.run(main())
    cap = "frequency_cap"
    assert at_a == [None, cap, None, cap, None, cap, cap]
    assert at_b == [None, cap, None]


def test_events_go_to_the_stream(server: RedisServer) -> None:
    async def main() -> None:
        (a,) = fleet(server.url, "ev", n=1)
        a.record(Event("bid", 1, "auction-1", "1", "c1", CPM_1))
        a.record(Event("loss", 2, "auction-1", "1", "c1", CPM_1, "102"))
        await a.sync()
        await a.close()

    asyncio.run(main())
    raw = redis.Redis.from_url(server.url, decode_responses=True)
    entries = raw.xrange("ev:events")
    assert len(entries) == 1  # one entry per sync round
    records = decode_batch(entries[0][1]["r"])
    assert [r.kind for r in records] == ["bid", "loss"] and records[1].detail == "102"
    assert entries[0][1]["n"] == "2"


def test_with_redis_down_the_state_answers_locally_and_catches_up(tmp_path: Path) -> None:
    port = free_port()
    budget = Budget("c4", None, 100 * CPM_1, False, 2, 3600.0)

    async def main() -> None:
        (state,) = fleet(f"redis://127.0.0.1:{port}/0", "down", n=1, redis_timeout=0.2)
        state.prepare([budget])
        await state.sync()  # nothing listens: counted, nothing raised
        assert not state.up
        assert STATE_STORE_UP.value == 0
        assert state.reserve(budget, "u", CPM_1, NOW) == "lease"  # no lease: no bid
        assert await state.claim_notice("k", NOW + 60)  # the local answer stands
        state.billed(budget, NOW, CPM_1, CPM_1, NOW)  # queued
        server = RedisServer(tmp_path, port)
        try:
            await state.sync()
            assert state.up
            assert state.reserve(budget, "u", CPM_1, NOW) is None
            raw = redis.Redis.from_url(server.url)
            assert int(raw.get("down:s:c4:t") or 0) == CPM_1  # the queued spend arrived
            await state.close()
        finally:
            server.stop()

    asyncio.run(main())
