"""First-party audiences: targeting by the index, the user's ids, and the lookup stage against
a real redis-server (one round trip per loop turn, deadlines, failures)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest

from bidder.audience_store import AudienceFeed
from bidder.audiences import AudienceConfig, AudienceLookup, live_segments, user_ids
from bidder.campaigns import CampaignFile
from bidder.index import CampaignIndex, IndexHolder
from bidder.metrics import AUDIENCE_BATCH_KEYS, AUDIENCE_LOOKUPS, AUDIENCE_ROUND_TRIPS
from bidder.pipeline import Later, Pipeline
from bidder.redis_pipe import RedisPipe, parse_store
from bidder.resp import RespError

from . import audience_data
from .audience_data import redis_client
from .delay_proxy import DelayProxy
from .redis_server import RedisServer
from .test_pipeline import request, winner

BANNER = {"id": "cr-b", "type": "banner", "w": 300, "h": 250, "markup": "<img>"}


def campaign(cid: str, price: float, **targeting: Any) -> dict[str, Any]:
    return {"id": cid, "seat": "s1", "adomain": [f"{cid}.example"], "price": price,
            "creatives": [BANNER], "targeting": targeting}  # fmt: skip


CAMPAIGNS = [
    campaign("c-retarget", 3.0, audiences={"include": ["cart", "visitors"]}),
    campaign("c-prospect", 2.0, audiences={"exclude": ["customers"]}),
    campaign("c-anyone", 1.0),
]


def index(flat: bool = True, campaigns: list[dict[str, Any]] = CAMPAIGNS) -> IndexHolder:
    file = msgspec.convert({"campaigns": campaigns}, CampaignFile)
    return IndexHolder(CampaignIndex(file, flat=flat, chunk_bits=1024 if flat else 8))


@pytest.mark.parametrize("flat", [True, False])
@pytest.mark.parametrize(
    ("audiences", "expected"),
    [
        (("cart",), "c-retarget"),
        (("visitors", "customers"), "c-retarget"),
        (("customers",), "c-anyone"),  # excluded from prospecting, not in the retargeting list
        ((), "c-prospect"),  # no audience data: include campaigns never bid, exclude ones do
        (("unrelated",), "c-prospect"),
    ],
)
def test_the_index_targets_audiences(flat: bool, audiences: tuple[str, ...], expected: str) -> None:
    pipeline = Pipeline(index(flat))
    assert winner(pipeline.decide(request(), None, audiences)) == expected


def test_audiences_are_not_matched_when_no_campaign_targets_them() -> None:
    holder = index(campaigns=[campaign("c-anyone", 1.0)])
    assert holder.index.audience is None and holder.index.flat is not None
    assert holder.index.flat.audience is None


def test_user_ids_follow_the_configured_order() -> None:
    req = request(
        user={"id": "u1", "buyeruid": "b1",
              "eids": [{"source": "other.example", "uids": [{"id": "o1"}]},
                       {"source": "id5-sync.com", "uids": [{"id": ""}, {"id": "id5-x"}]}]},
        device={"ifa": "ifa-1"},
    )  # fmt: skip
    assert user_ids(req, ("eids:id5-sync.com", "device.ifa", "user.id")) == ["id5-x", "ifa-1", "u1"]
    assert user_ids(req, ("user.buyeruid", "eids:missing.example")) == ["b1"]
    assert user_ids(request(), ("user.id", "device.ifa", "eids:x")) == []


def test_live_segments_drop_expired_and_bookkeeping_fields() -> None:
    reply: list[Any] = [b"cart", b"2000", b"old", b"999", b"#", b"1-0", b"bad", b"x"]
    assert live_segments(reply, 1000.0) == ["cart"]
    assert live_segments(RespError("ERR"), 1000.0) == []
    assert live_segments([], 1000.0) == []


def test_store_urls() -> None:
    assert parse_store("redis://127.0.0.1:6380/2").db == 2
    cluster = parse_store("redis+cluster://a:7000,b:7001")
    assert cluster.cluster and cluster.nodes == (("a", 7000), ("b", 7001))
    auth = parse_store("rediss://user:s%40cret@host")
    assert (auth.username, auth.password, auth.tls, auth.nodes) == ("user", "s@cret", True,
                                                                   (("host", 6379),))  # fmt: skip
    assert parse_store("unix:///run/redis.sock?db=3").unix == "/run/redis.sock"
    for bad in ("http://x", "redis://a:1,b:2", "redis+cluster://a:1/3", "redis://:1"):
        with pytest.raises(ValueError):
            parse_store(bad)


# -- against a real redis-server ------------------------------------------------------------------


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("audience-redis"))
    yield server
    server.stop()


PREFIX = "aud"
CONFIG = AudienceConfig(bloom_capacity=10_000)


async def load_users(url: str, users: dict[str, list[str]], expires: int) -> None:
    await audience_data.load_users(url, PREFIX, users, expires, CONFIG)


async def started(url: str, config: AudienceConfig = CONFIG) -> tuple[AudienceLookup, AudienceFeed]:
    lookup = AudienceLookup(config, RedisPipe(url), PREFIX)
    feed = AudienceFeed(lookup, url, PREFIX, 1.0)
    feed.poll()  # the background task: reads the filter, then follows the update stream
    deadline = time.monotonic() + 10
    while not lookup.ready:
        assert time.monotonic() < deadline, "the Bloom filter was never read"
        await asyncio.sleep(0.01)
    return lookup, feed


def test_lookups_of_one_loop_turn_share_one_round_trip(redis_server: RedisServer) -> None:
    now = int(time.time())
    users = {f"user-{i}": ["cart"] if i % 2 else ["customers", "visitors"] for i in range(200)}

    async def main() -> None:
        await load_users(redis_server.url, users, now + 3600)
        lookup, feed = await started(redis_server.url)
        trips, keys = AUDIENCE_ROUND_TRIPS.get(), AUDIENCE_BATCH_KEYS.get()
        until = time.monotonic() + 5.0
        futures = [lookup.lookup(f"user-{i}", until) for i in range(100)]
        answers = await asyncio.gather(*futures)  # type: ignore[arg-type]
        assert AUDIENCE_ROUND_TRIPS.get() - trips == 1
        assert AUDIENCE_BATCH_KEYS.get() - keys == 100
        assert answers == [users[f"user-{i}"] for i in range(100)]
        assert lookup.waiting == 0
        # Next turn, next round trip; an id the filter knows nothing of costs none.
        assert lookup.known_user(request(user={"id": "stranger"})) is None
        assert (
            lookup.known_user(request(user={"id": "stranger"}, device={"ifa": "user-3"}))
            == "user-3"
        )
        assert await lookup.lookup("nobody", until) == []  # asked anyway: empty
        assert AUDIENCE_ROUND_TRIPS.get() - trips == 2
        await feed.close()

    asyncio.run(main())


def test_the_bloom_filter_knows_exactly_the_loaded_users(redis_server: RedisServer) -> None:
    async def main() -> None:
        await load_users(redis_server.url, {f"bf-{i}": ["cart"] for i in range(1000)},
                         int(time.time()) + 3600)  # fmt: skip
        lookup, feed = await started(redis_server.url)
        assert all(f"bf-{i}".encode() in lookup.bloom for i in range(1000))
        strangers = sum(f"stranger-{i}".encode() in lookup.bloom for i in range(10_000))
        assert strangers < 300  # about 1% of them (the filter holds ~1,200 of 10,000 users)
        await feed.close()

    asyncio.run(main())


def test_segments_expire_one_by_one(redis_server: RedisServer) -> None:
    async def main() -> None:
        now = int(time.time())
        await load_users(redis_server.url, {"exp-1": ["short"]}, now + 2)
        await load_users(redis_server.url, {"exp-1": ["long"]}, now + 3600)
        redis = redis_client(redis_server.url, 1.0)
        ttl = await redis.ttl(f"{PREFIX}:a:exp-1")
        assert 3500 < ttl <= 3600  # the key lives as long as its longest segment
        await load_users(redis_server.url, {"exp-1": ["shorter"]}, now + 60)
        assert await redis.ttl(f"{PREFIX}:a:exp-1") > 3500  # never shortened
        await redis.aclose()
        lookup, feed = await started(redis_server.url)
        lookup.wallclock = lambda: now + 100.0
        assert sorted(await lookup.lookup("exp-1", time.monotonic() + 5) or []) == ["long"]
        await feed.close()

    asyncio.run(main())


def test_a_slow_redis_times_out_at_each_lookups_own_deadline(redis_server: RedisServer) -> None:
    delay = 0.05  # a reply 50 ms late; one lookup waits 1 ms, the other a second

    async def main() -> None:
        await load_users(redis_server.url, {"slow-1": ["cart"]}, int(time.time()) + 3600)
        proxy = DelayProxy(redis_server.port, 0.0)
        lookup, feed = await started(proxy.url)
        proxy.delay = delay
        timeouts = AUDIENCE_LOOKUPS.get("timeout")
        start = time.monotonic()
        short = lookup.lookup("slow-1", start + 0.001)
        long = lookup.lookup("slow-1", start + 1.0)
        assert short is not None and long is not None
        assert await short is None  # given up at its deadline: decided without audience data
        assert not long.done()  # the same round trip is still out...
        assert await long == ["cart"]  # ...and answers the one that could wait
        assert AUDIENCE_LOOKUPS.get("timeout") - timeouts == 1
        await feed.close()
        proxy.close()

    asyncio.run(main())


def test_redis_gone_means_errors_then_reconnects(tmp_path_factory: pytest.TempPathFactory) -> None:
    server = RedisServer(tmp_path_factory.mktemp("gone-redis"))

    async def main() -> None:
        await load_users(server.url, {"gone-1": ["cart"]}, int(time.time()) + 3600)
        lookup, feed = await started(server.url)
        errors = AUDIENCE_LOOKUPS.get("error")
        server.stop()
        await asyncio.sleep(0.1)
        assert await lookup.lookup("gone-1", time.monotonic() + 1.0) is None
        assert AUDIENCE_LOOKUPS.get("error") - errors == 1
        server.start()
        deadline = time.monotonic() + 10
        while not lookup.client.connected and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        # Redis came back empty (no persistence): the user is known to the filter, not to Redis.
        assert await lookup.lookup("gone-1", time.monotonic() + 1.0) == []
        await feed.close()

    try:
        asyncio.run(main())
    finally:
        server.stop()


def test_the_pipeline_waits_only_for_known_users_and_only_inside_the_budget(
    redis_server: RedisServer,
) -> None:
    async def main() -> None:
        await load_users(redis_server.url, {"pipe-1": ["cart"], "pipe-2": ["customers"]},
                         int(time.time()) + 3600)  # fmt: skip
        lookup, feed = await started(redis_server.url)
        pipeline = Pipeline(index(), audiences=lookup)
        unknown = pipeline.decide_or_wait(request(user={"id": "nobody"}))
        assert winner(unknown) == "c-prospect"  # type: ignore[arg-type]
        later = pipeline.decide_or_wait(request(user={"id": "pipe-1"}))
        assert isinstance(later, Later)
        assert winner(later.finish(await later.found)) == "c-retarget"
        later = pipeline.decide_or_wait(request(user={"id": "pipe-2"}))
        assert isinstance(later, Later)
        assert winner(later.finish(await later.found)) == "c-anyone"
        no_time = AUDIENCE_LOOKUPS.get("no_time")
        # Arrived 28.5 ms ago with tmax 50 (20 ms of it the network's): 1.5 ms left, less
        # than the 2 ms margin kept for the decision, so no lookup (a stopped clock).
        stopped = Pipeline(index(), audiences=lookup, clock=lambda: 1000.0)
        hurried = stopped.decide_or_wait(request(user={"id": "pipe-1"}, tmax=50), 1000.0 - 0.0285)
        assert winner(hurried) == "c-prospect"  # type: ignore[arg-type]
        assert AUDIENCE_LOOKUPS.get("no_time") - no_time == 1
        # No campaign targets audiences: nothing is looked up.
        plain = Pipeline(index(campaigns=[campaign("c-anyone", 1.0)]), audiences=lookup)
        assert winner(plain.decide_or_wait(request(user={"id": "pipe-1"}))) == "c-anyone"  # type: ignore[arg-type]
        await feed.close()

    asyncio.run(main())


def test_user_ids_read_from_protobuf_through_the_fast_lane() -> None:
    from openrtb import ProtoCodec
    from openrtb.proto_fast import BiddingProto

    codec = ProtoCodec()
    req = request(user={"id": "u1", "eids": [{"source": "id5-sync.com", "uids": [{"id": "x"}]}]},
                  device={"ifa": "ifa-1"})  # fmt: skip
    decoded = BiddingProto(codec).decode_request(codec.encode_request(req))
    assert user_ids(decoded, ("eids:id5-sync.com", "device.ifa", "user.id")) == ["x", "ifa-1", "u1"]
