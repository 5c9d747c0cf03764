"""Audience data for tests: users written to Redis as ``bidwire audiences load`` writes them."""

from __future__ import annotations

from bidder.audience_store import AudienceWriter, bloom_shape, merge_bloom, redis_client
from bidder.audiences import AudienceConfig
from bidder.redis_pipe import RedisPipe


async def load_users(
    url: str, prefix: str, users: dict[str, list[str]], expires: int,
    config: AudienceConfig | None = None,
) -> None:  # fmt: skip
    """The users' hashes, then their Bloom filter merged into Redis's."""
    redis = redis_client(url, 1.0)
    pipe = RedisPipe(url)
    await pipe.start()
    bloom = await bloom_shape(redis, prefix, config or AudienceConfig(bloom_capacity=10_000))
    writer = AudienceWriter(pipe, prefix, bloom)
    for user, segments in users.items():
        writer.add(user, segments, expires)
    await writer.drain()
    await merge_bloom(redis, prefix, writer.bloom)
    pipe.close()
    await redis.aclose()
