"""First-party audiences: user key -> segment ids, looked up in Redis inside the deadline.

**Data.** A user's audiences are one Redis hash, ``{prefix}:a:{user}``: segment id -> the unix
second it expires at (the key itself expires with its last segment). The user is the id as
the request carries it, from the sources of ``user_keys`` in order (``user.id``,
``user.buyeruid``, ``device.ifa``, ``eids:<source>``: the first ``uids[].id`` of that
``user.eids`` source). Writers: ``bidwire audiences load`` and the update stream
(:mod:`bidder.audience_store`).

**Which users cost a round trip.** Each worker holds a Bloom filter of the user keys Redis
knows (:mod:`bidder.bloom`, read from Redis at start and kept current from the update stream).
A request whose ids are all unknown to it is decided at once, with no audience, and never waits:
most traffic. Otherwise the first id the filter knows is looked up.

**The lookup stage.** Lookups made during one turn of the event loop go out together in the
next: one pipelined ``HGETALL`` batch, one write per Redis node (:mod:`bidder.redis_pipe`),
however many requests asked. Each waits at most ``max_wait_ms``, and never past its deadline
less the recent cost of the decision, the learnt delay of waking up to make it, and
``margin_ms``; when the answer is not there by then, or is an error, the request is decided
without audience data: campaigns that include an audience do not bid, those that
only exclude one do. Every outcome is counted in ``bidwire_audience_lookups_total``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Final

import msgspec

from .bloom import BloomFilter
from .metrics import AUDIENCE_BATCH_KEYS, AUDIENCE_LOOKUPS, AUDIENCE_ROUND_TRIPS
from .redis_pipe import RedisPipe
from .resp import Reply

if TYPE_CHECKING:
    from openrtb.model import BidRequest

#: ``user_keys`` entries: where a request's user id comes from.
USER_KEY_PATTERN: Final = r"^(user\.id|user\.buyeruid|device\.ifa|eids:.+)$"
USER_KEY_FORMS: Final = "user.id, user.buyeruid, device.ifa or eids:<source>"

UserKey = Annotated[str, msgspec.Meta(pattern=USER_KEY_PATTERN, description=USER_KEY_FORMS)]


class AudienceConfig(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """``[pipeline.audiences]``: first-party audiences (with a Redis state store)."""

    #: Look audiences up when the state store is Redis and a campaign targets audiences.
    enabled: bool = True
    #: Where the user key comes from, in order; the first id the Bloom filter knows is used.
    user_keys: tuple[UserKey, ...] = ("user.id", "user.buyeruid", "device.ifa")
    #: The Bloom filter's size: this many users at ``bloom_fp_rate``. Read from Redis when the
    #: filter there exists already (its size wins: it is what the loader wrote).
    bloom_capacity: Annotated[int, msgspec.Meta(ge=1000)] = 10_000_000
    bloom_fp_rate: Annotated[float, msgspec.Meta(gt=0, lt=0.5)] = 0.01
    #: The longest a lookup waits, whatever the deadline leaves (milliseconds): past it the
    #: request is decided without audience data.
    max_wait_ms: Annotated[float, msgspec.Meta(gt=0)] = 20.0
    #: Kept free after a lookup, besides the decision's learnt cost and the learnt delay of
    #: waking up to make it, for the answer to be sent (milliseconds).
    margin_ms: Annotated[float, msgspec.Meta(ge=0)] = 3.0
    #: At most this many keys per round trip (more lookups wait for the next loop turn).
    max_batch: Annotated[int, msgspec.Meta(ge=1)] = 512
    #: At most this many lookups waiting for Redis; past it, requests decide without asking.
    max_waiting: Annotated[int, msgspec.Meta(ge=1)] = 4096
    #: Socket timeout of the lookup connections' set-up (seconds).
    connect_timeout: Annotated[float, msgspec.Meta(gt=0)] = 0.5
    #: The TTL of segments loaded or streamed without one (seconds): 30 days.
    default_ttl: Annotated[int, msgspec.Meta(ge=1)] = 30 * 86400
    #: Apply the update stream to Redis in this worker (a consumer group shares the work).
    apply_updates: bool = True
    #: Entries a worker was given and did not acknowledge for this long are claimed by
    #: another (seconds).
    claim_after: Annotated[float, msgspec.Meta(gt=0)] = 30.0


# -- key names (one place: the loader, the stream consumer and the lookups agree) ---------------


def user_key(prefix: str, user: str) -> bytes:
    """The Redis key of a user's audiences."""
    return f"{prefix}:a:{user}".encode()


def bloom_key(prefix: str) -> str:
    """The Bloom filter of known users, as a Redis string (SETBIT layout). The ``{bloom}``
    hash tag keeps it, its size and the loader's scratch copies in one cluster slot, so
    that ``BITOP OR`` can merge them."""
    return f"{prefix}:a:{{bloom}}"


def bloom_meta_key(prefix: str) -> str:
    """A hash: ``m`` (bits) and ``k`` (hash functions) of the filter at :func:`bloom_key`."""
    return f"{prefix}:a:{{bloom}}:meta"


def updates_key(prefix: str) -> str:
    """The Redis Stream of audience updates (fields ``user``, ``segments``, ``ttl``,
    ``remove``: see :mod:`bidder.audience_store`)."""
    return f"{prefix}:a:updates"


# -- the request's user ids ---------------------------------------------------------------------


def _eids_id(request: BidRequest, source: str) -> str | None:
    user = request.user
    if user is None or not user.eids:
        return None
    for eid in user.eids:
        if eid.source == source and eid.uids:
            for uid in eid.uids:
                if uid.id:
                    return uid.id
    return None


def user_ids(request: BidRequest, sources: tuple[str, ...]) -> list[str]:
    """The request's ids from ``sources``, in order (absent ones left out)."""
    user, device = request.user, request.device
    out = []
    for source in sources:
        if source == "user.id":
            value = user.id if user is not None else None
        elif source == "user.buyeruid":
            value = user.buyeruid if user is not None else None
        elif source == "device.ifa":
            value = device.ifa if device is not None else None
        else:
            value = _eids_id(request, source[5:])
        if value:
            out.append(value)
    return out


def live_segments(reply: Reply, now: float) -> list[str]:
    """The segment ids of an ``HGETALL`` reply that have not expired at unix time ``now``
    (fields starting with ``#`` are bookkeeping: the last stream id applied)."""
    if not isinstance(reply, list):
        return []
    out = []
    for i in range(0, len(reply) - 1, 2):
        field, expiry = reply[i], reply[i + 1]
        if isinstance(field, bytes) and field[:1] != b"#" and isinstance(expiry, bytes):
            try:
                if int(expiry) > now:
                    out.append(field.decode("utf-8", "replace"))
            except ValueError:
                continue
    return out


class _Lookup:
    __slots__ = ("key", "future", "until")

    def __init__(self, key: bytes, future: asyncio.Future[list[str] | None], until: float) -> None:
        self.key = key
        self.future = future
        self.until = until


class AudienceLookup:
    """A worker's audience lookups: the Bloom filter and the per-loop-turn batches."""

    def __init__(
        self,
        config: AudienceConfig,
        client: RedisPipe,
        prefix: str,
        *,
        clock: Callable[[], float] = time.monotonic,
        wallclock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.client = client
        self.prefix = prefix
        self.clock = clock
        self.wallclock = wallclock
        #: Known users. Empty (nobody known, no lookups) until read from Redis.
        self.bloom = BloomFilter.for_capacity(config.bloom_capacity, config.bloom_fp_rate)
        #: False until the filter has been read from Redis once.
        self.ready = False
        self._sources = tuple(config.user_keys)
        self._key_prefix = user_key(prefix, "")
        self._pending: list[_Lookup] = []
        self._scheduled = False
        #: Lookups sent and not answered or given up yet.
        self.waiting = 0

    def known_user(self, request: BidRequest) -> str | None:
        """The first of the request's ids that the Bloom filter knows, or None (counted as
        ``unknown``: decided with no audience, no round trip)."""
        bloom = self.bloom
        for value in user_ids(request, self._sources):
            if value.encode() in bloom:
                return value
        AUDIENCE_LOOKUPS.inc("unknown")
        return None

    def lookup(self, user: str, until: float) -> asyncio.Future[list[str] | None] | None:
        """Ask for ``user``'s live segments, giving up at monotonic time ``until``; the future
        gets them (a list, maybe empty), or None when Redis did not answer in time or failed.
        None instead of a future: too many lookups are waiting already (counted ``busy``)."""
        if self.waiting >= self.config.max_waiting:
            AUDIENCE_LOOKUPS.inc("busy")
            return None
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[str] | None] = loop.create_future()
        self._pending.append(_Lookup(self._key_prefix + user.encode(), future, until))
        self.waiting += 1
        if not self._scheduled:
            self._scheduled = True
            # Run after every callback of this loop turn: their lookups share the round trip.
            loop.call_soon(self._flush)
        return future

    def _flush(self) -> None:
        self._scheduled = False
        pending = self._pending
        if not pending:
            return
        size = self.config.max_batch
        batch, self._pending = pending[:size], pending[size:]
        if self._pending:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)
        keys = [item.key for item in batch]
        # HGETALL key, as encode_command writes it, inline (a third of the batch's cost).
        commands = [b"*2\r\n$7\r\nHGETALL\r\n$%d\r\n%s\r\n" % (len(key), key) for key in keys]
        AUDIENCE_ROUND_TRIPS.inc()
        AUDIENCE_BATCH_KEYS.inc(value=len(keys))
        answered = self.client.execute(keys, commands)
        loop = asyncio.get_running_loop()
        soonest = min(item.until for item in batch)
        timer = loop.call_later(max(0.0, soonest - self.clock()), self._expire, batch)
        answered.add_done_callback(lambda f: self._answered(batch, f, timer))

    def _answered(
        self, batch: list[_Lookup], answered: asyncio.Future[list[Reply]], timer: asyncio.Handle
    ) -> None:
        timer.cancel()
        now = self.wallclock()
        for item, reply in zip(batch, answered.result(), strict=True):
            if item.future.done():
                continue  # given up already (counted as a timeout)
            self.waiting -= 1
            if isinstance(reply, list):
                segments = live_segments(reply, now)
                AUDIENCE_LOOKUPS.inc("found" if segments else "empty")
                item.future.set_result(segments)
            else:
                AUDIENCE_LOOKUPS.inc("error")
                item.future.set_result(None)

    def _expire(self, batch: list[_Lookup]) -> None:
        now = self.clock()
        later = []
        for item in batch:
            if item.future.done():
                continue
            if item.until <= now + 0.0002:
                self.waiting -= 1
                AUDIENCE_LOOKUPS.inc("timeout")
                item.future.set_result(None)
            else:
                later.append(item.until)
        if later:
            loop = asyncio.get_running_loop()
            loop.call_later(min(later) - now, self._expire, batch)


__all__ = [
    "AudienceConfig",
    "AudienceLookup",
    "bloom_key",
    "bloom_meta_key",
    "live_segments",
    "updates_key",
    "user_ids",
    "user_key",
]
