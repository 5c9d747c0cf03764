"""Pipelined batches of Redis commands: one write per node per batch, replies in order.

The audience lookups of the bid path use it (and the audience loader, for its writes).
:class:`RedisPipe` sends a batch of commands (already encoded by :mod:`bidder.resp`) and
resolves one future with their replies, in order. On one Redis that is one write on one
connection; on a Redis Cluster the batch is split by key slot among the masters, one write per
master, and the future resolves when every master has answered. Batches sent before the
previous ones are answered are simply pipelined behind them (replies come in order).

It never raises into the bid path: a command that could not be sent or answered (no
connection, connection lost, a master failing over) gets a :class:`~bidder.resp.RespError`
reply of kind ``DOWN``; the caller decides without that answer. Connections are re-made in the
background; on a cluster, a ``MOVED`` reply or a lost master makes it re-read the slot map.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections import deque
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, Final, NamedTuple, cast
from urllib.parse import unquote, urlsplit

from .resp import Reply, RespError, RespParser, RespProtocolError, encode_command

log = logging.getLogger("bidwire")

#: Slots of a Redis Cluster.
SLOTS: Final = 16384
#: How long to wait before re-making a lost connection, doubling up to the maximum (seconds).
RETRY_FIRST: Final = 0.1
RETRY_MAX: Final = 2.0


class StoreAddress(NamedTuple):
    """Where a Redis store is, from its URL."""

    nodes: tuple[tuple[str, int], ...]
    cluster: bool
    db: int = 0
    username: str | None = None
    password: str | None = None
    tls: bool = False
    unix: str | None = None


def parse_store(url: str) -> StoreAddress:
    """``redis://[user:pass@]host:port/db``, ``rediss://...`` (TLS), ``unix:///path?db=N``, or
    ``redis+cluster://host:port,host:port,...`` (seed nodes of a cluster; ``rediss+cluster``
    with TLS). Raises ValueError naming what is wrong."""
    parts = urlsplit(url)
    scheme = parts.scheme
    if scheme == "unix":
        db = 0
        for item in parts.query.split("&"):
            name, _, value = item.partition("=")
            if name == "db" and value:
                db = int(value)
        password = unquote(parts.password) if parts.password else None
        return StoreAddress((), False, db, unix=parts.path, password=password)
    if scheme not in ("redis", "rediss", "redis+cluster", "rediss+cluster"):
        raise ValueError(f"not a Redis URL: {url!r}")
    cluster = scheme.endswith("+cluster")
    # urlsplit reads one host: split the comma-separated list ourselves.
    netloc = parts.netloc
    auth, _, hosts = netloc.rpartition("@")
    username = password = None
    if auth:
        user, _, secret = auth.partition(":")
        username = unquote(user) or None
        password = unquote(secret) or None
    nodes = []
    for item in hosts.split(","):
        host, _, port = item.rpartition(":") if ":" in item else (item, "", "6379")
        if not host:
            raise ValueError(f"no host in {url!r}")
        nodes.append((host.strip("[]"), int(port or 6379)))
    if len(nodes) > 1 and not cluster:
        raise ValueError(f"several hosts need redis+cluster://, not {scheme}://")
    path = parts.path.strip("/")
    db = int(path) if path else 0
    if cluster and db:
        raise ValueError("a Redis Cluster has only database 0")
    return StoreAddress(tuple(nodes), cluster, db, username, password, scheme.startswith("rediss"))


#: The schemes of a Redis store URL.
REDIS_SCHEMES: Final = ("redis://", "rediss://", "unix://", "redis+cluster://", "rediss+cluster://")


def _cluster_nodes(address: StoreAddress) -> list[Any]:
    from redis.cluster import ClusterNode

    return [ClusterNode(host, port) for host, port in address.nodes]  # type: ignore[no-untyped-call,unused-ignore]


def sync_client(url: str, timeout: float, **options: Any) -> Any:
    """redis-py's blocking client for ``url`` (command-line tools)."""
    import redis

    address = parse_store(url)
    options = {"socket_timeout": timeout, "socket_connect_timeout": timeout, **options}
    if address.cluster:
        from redis.cluster import RedisCluster

        return RedisCluster(startup_nodes=_cluster_nodes(address), username=address.username,
                            password=address.password, ssl=address.tls, **options)  # fmt: skip
    return redis.Redis.from_url(url, **options)


class CommandError(Exception):
    """A command's error reply (or DOWN: no answer), raised by :meth:`RedisPipe.command`."""


class _Waiter:
    __slots__ = ("count", "replies", "future")

    def __init__(self, count: int, future: asyncio.Future[list[Reply]]) -> None:
        self.count = count
        self.replies: list[Reply] = []
        self.future = future


class RedisConnection(asyncio.Protocol):
    """One connection: batches written whole, their replies matched in order."""

    def __init__(self, name: str, on_lost: Callable[[RedisConnection], None]) -> None:
        self.name = name
        self.transport: asyncio.Transport | None = None
        self._parser = RespParser()
        self._waiters: deque[_Waiter] = deque()
        self._on_lost = on_lost
        self.closed = False
        #: Commands sent and not answered yet.
        self.in_flight = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses: no isinstance here.
        self.transport = cast(asyncio.Transport, transport)

    def send(self, payload: bytes, count: int) -> asyncio.Future[list[Reply]]:
        """Write ``count`` encoded commands; the future gets their ``count`` replies."""
        future: asyncio.Future[list[Reply]] = asyncio.get_running_loop().create_future()
        if self.closed or self.transport is None:
            future.set_exception(ConnectionError(f"{self.name}: not connected"))
            return future
        self._waiters.append(_Waiter(count, future))
        self.in_flight += count
        self.transport.write(payload)
        return future

    def data_received(self, data: bytes) -> None:
        try:
            replies = self._parser.feed(data)
        except RespProtocolError as exc:
            log.error("redis %s: %s; closing the connection", self.name, exc)
            if self.transport is not None:
                self.transport.abort()
            return
        waiters = self._waiters
        for reply in replies:
            if not waiters:
                break  # a reply nobody waits for: the connection is out of step
            waiter = waiters[0]
            waiter.replies.append(reply)
            if len(waiter.replies) == waiter.count:
                waiters.popleft()
                self.in_flight -= waiter.count
                if not waiter.future.done():
                    waiter.future.set_result(waiter.replies)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        waiters, self._waiters = self._waiters, deque()
        self.in_flight = 0
        for waiter in waiters:
            if not waiter.future.done():
                waiter.future.set_exception(ConnectionError(f"{self.name}: connection lost"))
        self._on_lost(self)

    def close(self) -> None:
        """Close now; unanswered batches fail."""
        if self.transport is not None:
            self.transport.abort()


def down(reason: str) -> RespError:
    """The reply of a command that could not be sent or answered."""
    return RespError(f"DOWN {reason}")


class RedisPipe:
    """Pipelined batches to one Redis or to the masters of a Redis Cluster."""

    def __init__(self, url: str, *, timeout: float = 0.5) -> None:
        self.address = parse_store(url)
        self.timeout = timeout
        self._nodes: dict[tuple[str, int], RedisConnection] = {}
        self._connecting: dict[tuple[str, int], asyncio.Task[None]] = {}
        self._retry: dict[tuple[str, int], float] = {}
        #: Cluster: the master of each slot (an index into ``_masters``); empty until read.
        self._slots: list[int] = []
        self._masters: list[tuple[str, int]] = []
        self._refresh: asyncio.Task[None] | None = None
        self._closed = False
        #: Whether :meth:`start` ran (after it, lost connections are made again by themselves).
        self.started = False

    # -- connections ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect (and read the slot map of a cluster); failures are retried in the
        background, so this returns either way."""
        self.started = True
        if self.address.cluster:
            await self._read_slots()
        else:
            node = self.address.nodes[0] if self.address.nodes else ("", 0)
            await self._connect(node)

    async def ensure(self) -> None:
        """Connect now what is not connected (a caller about to send a round that would
        otherwise fail until the background retry comes)."""
        if not self.started or not self.connected:
            await self.start()

    def _node_for(self, key: bytes) -> tuple[str, int] | None:
        if not self.address.cluster:
            return self.address.nodes[0] if self.address.nodes else ("", 0)
        if not self._slots:
            return None
        from redis.crc import key_slot

        return self._masters[self._slots[key_slot(key)]]

    async def _connect(self, node: tuple[str, int]) -> None:
        loop = asyncio.get_running_loop()
        name = self.address.unix or f"{node[0]}:{node[1]}"

        def lost(conn: RedisConnection) -> None:
            if self._nodes.get(node) is conn:
                del self._nodes[node]
                if not self._closed:
                    self._reconnect_later(node)

        address = self.address
        try:
            if address.unix:
                _, conn = await asyncio.wait_for(
                    loop.create_unix_connection(lambda: RedisConnection(name, lost), address.unix),
                    self.timeout,
                )
            else:
                context = ssl.create_default_context() if address.tls else None
                _, conn = await asyncio.wait_for(
                    loop.create_connection(
                        lambda: RedisConnection(name, lost), node[0], node[1], ssl=context
                    ),
                    self.timeout,
                )
            hello = []
            if address.password:
                user = [address.username] if address.username else []
                hello.append(encode_command("AUTH", *user, address.password))
            if address.db:
                hello.append(encode_command("SELECT", address.db))
            if hello:
                replies = await asyncio.wait_for(conn.send(b"".join(hello), len(hello)),
                                                 self.timeout)  # fmt: skip
                bad = [r for r in replies if isinstance(r, RespError)]
                if bad:
                    conn.close()
                    raise ConnectionError(bad[0].message)
        except (OSError, TimeoutError, ConnectionError) as exc:
            # Said once per outage; the retries after it are quiet.
            level = logging.DEBUG if node in self._retry else logging.WARNING
            log.log(level, "cannot connect to redis %s: %s", name, exc)
            self._reconnect_later(node)
            return
        self._retry.pop(node, None)
        if node in self._nodes:  # made meanwhile by another try: keep that one
            conn.close()
            return
        self._nodes[node] = conn

    def _reconnect_later(self, node: tuple[str, int]) -> None:
        if self._closed or node in self._connecting:
            return
        delay = self._retry.get(node, RETRY_FIRST)
        self._retry[node] = min(delay * 2, RETRY_MAX)

        async def again() -> None:
            await asyncio.sleep(delay)
            # No longer "connecting": a failure below schedules the next try.
            self._connecting.pop(node, None)
            if self.address.cluster:
                await self._read_slots()
            else:
                await self._connect(node)

        self._connecting[node] = asyncio.get_running_loop().create_task(again())

    # -- the cluster's slot map ----------------------------------------------------------------

    async def _read_slots(self) -> None:
        """Ask any reachable node for ``CLUSTER SLOTS`` and connect to the masters."""
        seeds = [*self._masters, *(n for n in self.address.nodes if n not in self._masters)]
        for node in seeds:
            conn = self._nodes.get(node)
            if conn is None:
                await self._connect(node)
                conn = self._nodes.get(node)
            if conn is None:
                continue
            try:
                reply = await asyncio.wait_for(conn.send(encode_command("CLUSTER", "SLOTS"), 1),
                                               self.timeout)  # fmt: skip
            except (ConnectionError, TimeoutError):
                continue
            table = reply[0]
            if not isinstance(table, list) or not table:
                continue  # an error, or a cluster that has no slots yet
            slots = [0] * SLOTS
            masters: list[tuple[str, int]] = []
            for entry in table:
                assert isinstance(entry, list)
                start, end, owner = entry[0], entry[1], entry[2]
                assert isinstance(start, int) and isinstance(end, int)
                assert isinstance(owner, list) and isinstance(owner[1], int)
                host = owner[0] if isinstance(owner[0], bytes) else b""
                where = (host.decode() or node[0], owner[1])
                if where not in masters:
                    masters.append(where)
                slots[start : end + 1] = [masters.index(where)] * (end - start + 1)
            self._slots, self._masters = slots, masters
            for where in masters:
                if where not in self._nodes:
                    await self._connect(where)
            return
        log.warning("no Redis Cluster node answered CLUSTER SLOTS")
        self._reconnect_later(self.address.nodes[0])

    def _slots_moved(self) -> None:
        if self._refresh is None or self._refresh.done():
            self._refresh = asyncio.get_running_loop().create_task(self._read_slots())

    # -- batches -------------------------------------------------------------------------------

    def execute(self, keys: Sequence[bytes], commands: Sequence[bytes]
                ) -> asyncio.Future[list[Reply]]:  # fmt: skip
        """Send ``commands`` (``commands[i]`` reads ``keys[i]``); the future gets one reply per
        command, in order, and never an exception."""
        loop = asyncio.get_running_loop()
        result: asyncio.Future[list[Reply]] = loop.create_future()
        if not self.address.cluster:
            node = self._node_for(b"")
            conn = self._nodes.get(node) if node is not None else None
            if conn is None:
                result.set_result([down("not connected")] * len(commands))
                return result
            sent = conn.send(b"".join(commands), len(commands))
            self._watch(conn, sent)
            sent.add_done_callback(partial(_resolve, result, len(commands)))
            return result
        replies: list[Reply] = [None] * len(commands)
        groups: dict[tuple[str, int] | None, list[int]] = {}
        for i, key in enumerate(keys):
            groups.setdefault(self._node_for(key), []).append(i)
        pending = len(groups)

        def arrived(indexes: list[int], future: asyncio.Future[list[Reply]]) -> None:
            nonlocal pending
            for i, reply in zip(indexes, _replies(future, len(indexes)), strict=True):
                replies[i] = reply
                if isinstance(reply, RespError) and reply.kind in ("MOVED", "ASK", "CLUSTERDOWN"):
                    self._slots_moved()
            pending -= 1
            if pending == 0 and not result.done():  # (done: its caller was cancelled)
                result.set_result(replies)

        for node, indexes in groups.items():
            conn = self._nodes.get(node) if node is not None else None
            part: asyncio.Future[list[Reply]]
            if conn is None:
                part = loop.create_future()
                part.set_exception(ConnectionError("not connected"))
                if node is None or node not in self._connecting:
                    self._slots_moved()
            else:
                part = conn.send(b"".join(commands[i] for i in indexes), len(indexes))
                self._watch(conn, part)
            part.add_done_callback(partial(arrived, indexes))
        return result

    async def command(self, key: bytes | str, *args: bytes | str | int) -> Reply:
        """One command (``key``: what routes it on a cluster); its reply, or raises
        :class:`CommandError` for an error reply or no answer."""
        if not self.started:
            await self.start()
        if isinstance(key, str):
            key = key.encode()
        (reply,) = await self.execute([key], [encode_command(*args)])
        if isinstance(reply, RespError):
            raise CommandError(reply.message)
        return reply

    def _watch(self, conn: RedisConnection, sent: asyncio.Future[list[Reply]]) -> None:
        """A batch not answered within ``timeout``: the node hangs; its connection is reset
        (every batch waiting on it gets DOWN replies) and made again."""

        def overdue() -> None:
            if not sent.done():
                log.warning("redis %s: no answer in %.2f s; reconnecting", conn.name, self.timeout)
                conn.close()

        timer = asyncio.get_running_loop().call_later(self.timeout, overdue)
        sent.add_done_callback(lambda _: timer.cancel())

    @property
    def connected(self) -> bool:
        """Whether every node it needs has a connection."""
        if self.address.cluster:
            return bool(self._masters) and all(m in self._nodes for m in self._masters)
        return bool(self._nodes)

    def close(self) -> None:
        """Close every connection and stop re-making them."""
        self._closed = True
        for task in self._connecting.values():
            task.cancel()
        if self._refresh is not None:
            self._refresh.cancel()
        for conn in list(self._nodes.values()):
            conn.close()
        self._nodes.clear()


def _resolve(result: asyncio.Future[list[Reply]], count: int,
             sent: asyncio.Future[list[Reply]]) -> None:  # fmt: skip
    replies = _replies(sent, count)  # (read even when unused: a failure is then not logged)
    if not result.done():  # (done: its caller was cancelled)
        result.set_result(replies)


def _replies(future: asyncio.Future[list[Reply]], count: int) -> list[Reply]:
    if future.exception() is not None:
        return [down(str(future.exception()))] * count
    return future.result()


__all__ = [
    "REDIS_SCHEMES",
    "CommandError",
    "RedisConnection",
    "RedisPipe",
    "StoreAddress",
    "down",
    "parse_store",
    "sync_client",
]
