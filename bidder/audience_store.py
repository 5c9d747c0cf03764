"""The Redis side of audiences, away from the bid path: the Bloom filter of known users, the
writes, and a worker's background task (connect the lookups, read the filter, follow and apply
the update stream).

**The filter** lives in Redis as a string (``bloom_key``) with its size in a hash (``m`` bits,
``k`` hashes: ``bloom_meta_key``), written by whoever adds users (``bidwire audiences load``
merges its own filter in with ``BITOP OR``; the stream applier sets the bits of each user it
adds). A worker reads it once at start, then adds the users of every update it sees.

**The update stream** (``updates_key``) carries one change per entry, as any producer adds
it with ``XADD``: ``user`` (the id), ``segments`` (``a|b|c``: added, or refreshed, until the
entry's time plus ``ttl`` seconds, or ``default_ttl``), ``remove`` (``a|b``: dropped). Two
readers in every worker:

- the *follower* reads every entry (``XREAD``) and adds its user to the worker's filter, so
  the next request of that user is looked up;
- the *applier* (``apply_updates``) reads as one member of the consumer group
  ``appliers`` (``XREADGROUP``: the fleet shares the entries, each delivered to one worker)
  and applies each to Redis with :data:`APPLY_LUA`, which records the stream id applied last
  in the user's hash (field ``#``) and skips an entry whose id is not newer. So an entry
  delivered twice (its worker died before ``XACK``; another claimed it) is applied once, and
  an old entry never undoes a newer one. Entries left pending by a dead worker for
  ``claim_after`` seconds are claimed (``XAUTOCLAIM``) by a live one.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from typing import Any, Final, NamedTuple

from .audiences import (
    AudienceConfig,
    AudienceLookup,
    bloom_key,
    bloom_meta_key,
    updates_key,
    user_key,
)
from .bloom import BloomFilter
from .metrics import AUDIENCE_BLOOM_BYTES, AUDIENCE_UPDATES
from .redis_pipe import CommandError, RedisPipe
from .resp import Reply, RespError, encode_command

log = logging.getLogger("bidwire")


#: KEYS: the filter's size hash. ARGV: m, k. The size already there wins (the first writer
#: sets it), so every writer and reader agrees on the bit positions.
BLOOM_SHAPE_LUA: Final = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'm', ARGV[1], 'k', ARGV[2])
end
return redis.call('HMGET', KEYS[1], 'm', 'k')
"""

#: KEYS: the user's hash. ARGV: the entry's stream id, the expiry (unix s) of the added
#: segments, how many are added, the added ones, then the removed ones. Returns 1 when
#: applied, 0 when an entry as new or newer was applied already.
APPLY_LUA: Final = """
local last = redis.call('HGET', KEYS[1], '#')
if last then
  local lms, lseq = string.match(last, '^(%d+)-(%d+)$')
  local ms, seq = string.match(ARGV[1], '^(%d+)-(%d+)$')
  lms, lseq, ms, seq = tonumber(lms), tonumber(lseq), tonumber(ms), tonumber(seq)
  if ms < lms or (ms == lms and seq <= lseq) then return 0 end
end
local added = tonumber(ARGV[3])
for i = 4, 3 + added do redis.call('HSET', KEYS[1], ARGV[i], ARGV[2]) end
for i = 4 + added, #ARGV do redis.call('HDEL', KEYS[1], ARGV[i]) end
redis.call('HSET', KEYS[1], '#', ARGV[1])
local fields = redis.call('HGETALL', KEYS[1])
local latest = 0
for i = 1, #fields, 2 do
  if string.sub(fields[i], 1, 1) ~= '#' then
    local at = tonumber(fields[i + 1])
    if at and at > latest then latest = at end
  end
end
-- No segment left: the id applied last is kept a day, so that a late duplicate is refused.
if latest > 0 then redis.call('EXPIREAT', KEYS[1], latest)
else redis.call('EXPIRE', KEYS[1], 86400) end
return 1
"""

#: The consumer group of the workers that apply the update stream to Redis.
APPLIERS: Final = "appliers"

#: Longest segment id accepted.
MAX_SEGMENT: Final = 200


def segment_problem(segment: str) -> str | None:
    """Why ``segment`` cannot be a segment id, or None."""
    if not segment:
        return "empty segment id"
    if segment[0] == "#" or "|" in segment:
        return f"segment id {segment[:40]!r} starts with # or holds |"
    if len(segment) > MAX_SEGMENT:
        return f"segment id longer than {MAX_SEGMENT} characters"
    return None


async def bloom_shape(pipe: RedisPipe, prefix: str, config: AudienceConfig) -> BloomFilter:
    """An empty filter of the size Redis's filter has (set from ``config`` if it has none)."""
    from .bloom import bloom_size

    m, k = bloom_size(config.bloom_capacity, config.bloom_fp_rate)
    meta = bloom_meta_key(prefix)
    got = await pipe.command(meta, b"EVAL", BLOOM_SHAPE_LUA, 1, meta, m, k)
    assert isinstance(got, list) and isinstance(got[0], bytes) and isinstance(got[1], bytes)
    return BloomFilter(int(got[0]), int(got[1]))


#: KEYS: the filter, a scratch key in its slot. ARGV: the bits to OR in. One script, so the
#: merge is atomic against other writers and leaves no scratch key behind.
MERGE_LUA: Final = """
redis.call('SET', KEYS[2], ARGV[1])
redis.call('BITOP', 'OR', KEYS[1], KEYS[1], KEYS[2])
redis.call('DEL', KEYS[2])
return 1
"""


async def merge_bloom(pipe: RedisPipe, prefix: str, bloom: BloomFilter) -> None:
    """OR ``bloom`` into Redis's filter (``BITOP`` in one script: atomic against concurrent
    writers; the scratch key shares the filter's hash tag, so on a cluster it is one slot)."""
    target = bloom_key(prefix)
    scratch = f"{target}:merge:{os.getpid()}:{os.urandom(4).hex()}"
    await pipe.command(target, b"EVAL", MERGE_LUA, 2, target, scratch, bytes(bloom.bits))


async def read_bloom(pipe: RedisPipe, prefix: str, config: AudienceConfig) -> BloomFilter:
    """The filter of known users as Redis holds it (its size set from ``config`` when Redis
    has none yet: then every writer and reader uses that size)."""
    bloom = await bloom_shape(pipe, prefix, config)
    bits = await pipe.command(bloom_key(prefix), b"GET", bloom_key(prefix))
    if isinstance(bits, bytes):
        bloom.merge(bits)
    return bloom


def user_commands(prefix: str, user: str, segments: list[str], expires: int) -> list[bytes]:
    """The commands that add ``segments`` to ``user`` until unix time ``expires``: the hash
    fields, then the key's expiry moved to the latest of its segments'."""
    key = user_key(prefix, user)
    fields: list[bytes | str | int] = []
    for segment in segments:
        fields += (segment, expires)
    return [
        encode_command(b"HSET", key, *fields),
        encode_command(b"EXPIREAT", key, expires, b"NX"),
        encode_command(b"EXPIREAT", key, expires, b"GT"),
    ]


class WriteError(Exception):
    """Redis refused or did not answer some writes of a batch."""


class AudienceWriter:
    """Writes users' segments in pipelined batches (a few in flight), and remembers them in
    its own Bloom filter, for :func:`merge_bloom`."""

    def __init__(self, pipe: RedisPipe, prefix: str, bloom: BloomFilter, *, depth: int = 3) -> None:
        self.pipe = pipe
        self.prefix = prefix
        self.bloom = bloom
        self.depth = depth
        self._keys: list[bytes] = []
        self._commands: list[bytes] = []
        self._in_flight: list[asyncio.Future[list[Reply]]] = []
        #: Users written (their commands sent and acknowledged).
        self.written = 0
        self._sent_users: list[int] = []
        self._users = 0

    def add(self, user: str, segments: list[str], expires: int) -> None:
        """Queue one user's segments (sent by :meth:`send`)."""
        commands = user_commands(self.prefix, user, segments, expires)
        key = user_key(self.prefix, user)
        self._keys += (key, key, key)
        self._commands += commands
        self._users += 1
        self.bloom.add(user.encode())

    @property
    def queued(self) -> int:
        """Users queued and not sent yet."""
        return self._users

    async def send(self) -> None:
        """Send what is queued as one batch; wait for the oldest while ``depth`` are out."""
        if self._commands:
            self._in_flight.append(self.pipe.execute(self._keys, self._commands))
            self._sent_users.append(self._users)
            self._keys, self._commands, self._users = [], [], 0
        while len(self._in_flight) > self.depth:
            await self._settle_oldest()

    async def drain(self) -> None:
        """Send what is queued and wait for every batch to be acknowledged."""
        await self.send()
        while self._in_flight:
            await self._settle_oldest()

    async def _settle_oldest(self) -> None:
        replies = await self._in_flight.pop(0)
        users = self._sent_users.pop(0)
        errors = [r for r in replies if isinstance(r, RespError)]
        if errors:
            raise WriteError(f"{len(errors)} of {len(replies)} writes failed: {errors[0].message}")
        self.written += users


class Update(NamedTuple):
    """One entry of the update stream."""

    id: str
    user: str
    segments: list[str]
    #: When the added segments expire (unix seconds): the entry's time plus its ttl.
    expires: int
    remove: list[str]


def _text(value: object) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def parse_update(entry_id: object, fields: dict[Any, Any], default_ttl: int) -> Update | str:
    """An entry of the update stream, or what is wrong with it."""
    eid = _text(entry_id)
    got = {_text(k): _text(v) for k, v in fields.items()}
    user = got.get("user", "")
    if not user:
        return f"entry {eid}: no user"
    segments = [x for x in got.get("segments", "").split("|") if x]
    remove = [x for x in got.get("remove", "").split("|") if x]
    if not segments and not remove:
        return f"entry {eid}: neither segments nor remove"
    for segment in (*segments, *remove):
        problem = segment_problem(segment)
        if problem is not None:
            return f"entry {eid}: {problem}"
    try:
        ttl = int(got["ttl"]) if got.get("ttl") else default_ttl
        at = int(eid.split("-", 1)[0]) // 1000
    except ValueError:
        return f"entry {eid}: ttl must be a whole number of seconds"
    if ttl < 1:
        return f"entry {eid}: ttl must be >= 1"
    return Update(eid, user, segments, at + ttl, remove)


async def apply_updates(pipe: RedisPipe, prefix: str, bloom: BloomFilter, updates: list[Update]
                        ) -> list[bool]:  # fmt: skip
    """Apply ``updates`` to Redis (one pipelined round); for each, whether it was applied
    (False: an entry as new or newer was applied before). Added users' bits go into Redis's
    filter. Raises :class:`CommandError` when any failed (the entries are then not
    acknowledged, and come again: applying twice changes nothing)."""
    keys: list[bytes] = []
    commands: list[bytes] = []
    for update in updates:
        key = user_key(prefix, update.user)
        keys.append(key)
        commands.append(encode_command(b"EVAL", APPLY_LUA, 1, key, update.id, update.expires,
                                       len(update.segments), *update.segments,
                                       *update.remove))  # fmt: skip
    target = bloom_key(prefix).encode()
    for update in updates:
        if update.segments:
            ops: list[bytes | str | int] = []
            for position in bloom.positions(update.user.encode()):
                ops += (b"SET", b"u1", position, 1)
            keys.append(target)
            commands.append(encode_command(b"BITFIELD", target, *ops))
    if not commands:
        return []
    answers = await pipe.execute(keys, commands)
    errors = [a for a in answers if isinstance(a, RespError)]
    if errors:
        raise CommandError(errors[0].message)
    return [bool(answer) for answer in answers[: len(updates)]]


def _pairs(flat: Reply) -> dict[str, Reply]:
    """A flat [name, value, name, value...] reply as a dict (names as text)."""
    if not isinstance(flat, list):
        return {}
    return {_text(flat[i]): flat[i + 1] for i in range(0, len(flat) - 1, 2)}


def _entries(reply: Reply) -> list[tuple[str, dict[str, str]]]:
    """The entries of an XRANGE-shaped list: [[id, [field, value, ...]], ...] (a deleted
    entry's fields are nil: left out)."""
    out = []
    for entry in reply if isinstance(reply, list) else ():
        if isinstance(entry, list) and len(entry) == 2 and isinstance(entry[1], list):
            fields = {k: _text(v) for k, v in _pairs(entry[1]).items()}
            out.append((_text(entry[0]), fields))
    return out


def _stream_entries(reply: Reply) -> list[tuple[str, dict[str, str]]]:
    """The entries of an XREAD/XREADGROUP reply (one stream), or none (nil: timed out)."""
    out = []
    for stream in reply if isinstance(reply, list) else ():
        if isinstance(stream, list) and len(stream) == 2:
            out += _entries(stream[1])
    return out


async def stream_start(pipe: RedisPipe, prefix: str) -> str:
    """Where a worker's follower starts: the oldest entry the appliers may not have applied
    yet (so not in Redis's filter when it was read), or the stream's start."""
    stream = updates_key(prefix)
    try:
        groups = await pipe.command(stream, b"XINFO", b"GROUPS", stream)
    except CommandError as exc:
        if "no such key" in str(exc):
            return "0-0"
        raise
    for group in groups if isinstance(groups, list) else ():
        info = _pairs(group)
        if _text(info.get("name")) != APPLIERS:
            continue
        start = _text(info.get("last-delivered-id", b"0-0"))
        if info.get("pending"):
            summary = await pipe.command(stream, b"XPENDING", stream, APPLIERS)
            oldest = summary[1] if isinstance(summary, list) and len(summary) > 1 else None
            if isinstance(oldest, bytes) and _stream_id(_text(oldest)) <= _stream_id(start):
                # Delivered, maybe not applied yet: read from just before it.
                ms, seq = _stream_id(_text(oldest))
                start = f"{ms}-{seq - 1}" if seq else f"{ms - 1}-{2**64 - 1}" if ms else "0-0"
        return start
    return "0-0"


def _stream_id(value: str) -> tuple[int, int]:
    ms, _, seq = value.partition("-")
    return int(ms), int(seq or 0)


#: How long a stream read blocks in Redis (ms).
BLOCK_MS: Final = 1000


class AudienceFeed:
    """A worker's audience background work: the lookups' connections, the Bloom filter, the
    update stream. On our own pipelined client (as the lookups): its blocking stream reads
    each hold a connection of their own."""

    def __init__(self, lookup: AudienceLookup, url: str, prefix: str, timeout: float) -> None:
        self.lookup = lookup
        self.url = url
        self.prefix = prefix
        self.timeout = timeout
        self._task: asyncio.Task[None] | None = None
        self._pipe = RedisPipe(url, timeout=timeout)
        blocking = timeout + BLOCK_MS / 1000
        self._follow_pipe = RedisPipe(url, timeout=blocking)
        self._apply_pipe = RedisPipe(url, timeout=blocking)
        self._follow_from = "0-0"

    def poll(self) -> None:
        """Called about once a second by the worker: (re)start the background task."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self.run())

    async def run(self) -> None:
        """Connect the lookups, read the filter (retried until Redis answers), then follow
        (and apply) the update stream."""
        lookup = self.lookup
        if not lookup.client.started:
            await lookup.client.start()
        while not lookup.ready:
            try:
                start = await stream_start(self._pipe, self.prefix)
                bloom = await read_bloom(self._pipe, self.prefix, lookup.config)
            except CommandError as exc:  # Redis not there (yet): decide without audiences
                log.warning("audiences: cannot read the Bloom filter, retrying: %s", exc)
                await asyncio.sleep(1.0)
                continue
            lookup.bloom = bloom
            lookup.ready = True
            self._follow_from = start
            AUDIENCE_BLOOM_BYTES.value = bloom.nbytes
            log.info(
                "audiences: Bloom filter of %d bytes read (%.2f%% of bits set, k=%d)",
                bloom.nbytes, 100 * bloom.fill_ratio(), bloom.k,
            )  # fmt: skip
        readers = [self._follow()]
        if lookup.config.apply_updates:
            readers.append(self._apply())
        await asyncio.gather(*readers)

    async def _follow(self) -> None:
        """Add the user of every update to this worker's filter."""
        stream = updates_key(self.prefix)
        default_ttl = self.lookup.config.default_ttl
        while True:
            try:
                answer = await self._follow_pipe.command(
                    stream, b"XREAD", b"COUNT", 1000, b"BLOCK", BLOCK_MS, b"STREAMS", stream,
                    self._follow_from,
                )  # fmt: skip
            except CommandError as exc:  # Redis down: try again (the filter keeps what it has)
                log.debug("audiences: cannot read the update stream: %s", exc)
                await asyncio.sleep(1.0)
                continue
            for entry_id, fields in _stream_entries(answer):
                self._follow_from = entry_id
                update = parse_update(entry_id, fields, default_ttl)
                if isinstance(update, Update) and update.segments:
                    self.lookup.bloom.add(update.user.encode())
                    AUDIENCE_UPDATES.inc("seen")

    async def _apply(self) -> None:
        """Apply the entries this worker is given (and those a dead worker left) to Redis."""
        pipe, stream = self._apply_pipe, updates_key(self.prefix)
        consumer = f"{socket.gethostname()}:{os.getpid()}"
        config = self.lookup.config
        claimed_at = 0.0
        while True:
            try:
                try:
                    await pipe.command(stream, b"XGROUP", b"CREATE", stream, APPLIERS, b"0",
                                       b"MKSTREAM")  # fmt: skip
                except CommandError as exc:  # BUSYGROUP: it exists (the usual case)
                    if "BUSYGROUP" not in str(exc):
                        raise
                while True:
                    entries: list[tuple[str, dict[str, str]]] = []
                    now = asyncio.get_running_loop().time()
                    if now - claimed_at >= config.claim_after:
                        claimed_at = now
                        claimed = await pipe.command(
                            stream, b"XAUTOCLAIM", stream, APPLIERS, consumer,
                            int(config.claim_after * 1000), b"0-0", b"COUNT", 500,
                        )  # fmt: skip
                        if isinstance(claimed, list) and len(claimed) > 1:
                            entries = _entries(claimed[1])
                    if not entries:
                        answer = await pipe.command(
                            stream, b"XREADGROUP", b"GROUP", APPLIERS, consumer, b"COUNT", 500,
                            b"BLOCK", BLOCK_MS, b"STREAMS", stream, b">",
                        )  # fmt: skip
                        entries = _stream_entries(answer)
                    if entries:
                        await self._apply_entries(entries)
            except CommandError as exc:  # Redis down: try again
                log.debug("audiences: cannot apply the update stream: %s", exc)
                await asyncio.sleep(1.0)

    async def _apply_entries(self, entries: list[tuple[str, dict[str, str]]]) -> None:
        stream = updates_key(self.prefix)
        updates: list[Update] = []
        for entry_id, fields in entries:
            update = parse_update(entry_id, fields, self.lookup.config.default_ttl)
            if isinstance(update, str):
                AUDIENCE_UPDATES.inc("bad")
                log.warning("audiences: update refused: %s", update)
            else:
                updates.append(update)
        applied = await apply_updates(self._pipe, self.prefix, self.lookup.bloom, updates)
        for done in applied:
            AUDIENCE_UPDATES.inc("applied" if done else "duplicate")
        await self._pipe.command(stream, b"XACK", stream, APPLIERS,
                                 *(entry_id for entry_id, _ in entries))  # fmt: skip

    async def close(self) -> None:
        """Stop the task and close the connections."""
        if self._task is not None:
            self._task.cancel()
        for pipe in (self.lookup.client, self._pipe, self._follow_pipe, self._apply_pipe):
            pipe.close()


__all__ = [
    "APPLIERS",
    "APPLY_LUA",
    "AudienceFeed",
    "Update",
    "apply_updates",
    "parse_update",
    "stream_start",
    "AudienceWriter",
    "WriteError",
    "bloom_shape",
    "merge_bloom",
    "read_bloom",
    "segment_problem",
    "user_commands",
]
