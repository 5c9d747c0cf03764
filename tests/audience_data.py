"""Audience data for tests: users written to Redis as ``bidwire audiences load`` writes them."""

from __future__ import annotations

from typing import Any

from bidder.audience_store import AudienceWriter, bloom_shape, merge_bloom
from bidder.audiences import AudienceConfig
from bidder.redis_pipe import RedisPipe, parse_store


def redis_client(url: str, timeout: float) -> Any:
    """redis-py's asyncio client for ``url`` (a cluster's from its seed nodes), for checks."""
    address = parse_store(url)
    if address.cluster:
        from redis.asyncio.cluster import ClusterNode, RedisCluster

        nodes = [ClusterNode(host, port) for host, port in address.nodes]
        return RedisCluster(startup_nodes=nodes, socket_timeout=timeout)
    import redis.asyncio as aioredis

    return aioredis.from_url(url, socket_timeout=timeout)


async def load_users(
    url: str, prefix: str, users: dict[str, list[str]], expires: int,
    config: AudienceConfig | None = None,
) -> None:  # fmt: skip
    """The users' hashes, then their Bloom filter merged into Redis's."""
    pipe = RedisPipe(url)
    await pipe.start()
    bloom = await bloom_shape(pipe, prefix, config or AudienceConfig(bloom_capacity=10_000))
    writer = AudienceWriter(pipe, prefix, bloom)
    for user, segments in users.items():
        writer.add(user, segments, expires)
    await writer.drain()
    await merge_bloom(pipe, prefix, writer.bloom)
    pipe.close()
