"""``bidwire fuzz``: drive a running bidder with hostile payloads and HTTP/2 frame sequences.

Payload mode POSTs the :class:`~fuzz.payloads.PayloadStream` over HTTP/2 (many streams on a
few connections) and/or HTTP/1.1 (keep-alive connections); protocol mode sends
:func:`~fuzz.frames.frame_case` sequences on fresh TCP connections and judges the answer
(:func:`~fuzz.answers.judge`). A failure is a 5xx, a request left without an answer (the
connection closed or reset, the stream reset, GOAWAY with an error), a timeout, a wrong
answer to a frame sequence, or the server gone (it no longer answers ``GET /healthz``: a
crash, which ends the run). Every failure is written as a reproducer (:mod:`fuzz.report`).
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from .answers import judge
from .clients import H1Client, H2Client, Result, alive, exchange_frames
from .frames import frame_case
from .payloads import Format, Payload, PayloadStream
from .report import Reproducer, Stats, write_reproducer
from .source import RandomSource

Mode = Literal["payload", "protocol", "both"]
Http = Literal["1.1", "2", "both"]
#: Frame sequence ``i`` is seeded apart from payload ``i``.
FRAMES_SALT = 0x5EED_F4A3
#: Payloads of lost connections re-sent alone to find the culprit, at most, per run.
MAX_ISOLATIONS = 200


@dataclass(frozen=True)
class Target:
    """Where the bidder listens."""

    host: str
    port: int
    path: bytes

    @classmethod
    def parse(cls, url: str) -> Target:
        """``http://HOST:PORT/PATH``; raises ValueError for anything else."""
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"the target must be http://HOST[:PORT]/PATH, not {url!r}")
        return cls(parts.hostname, parts.port or 80, (parts.path or "/").encode())

    @property
    def authority(self) -> bytes:
        """The ``:authority`` and ``host`` value."""
        return f"{self.host}:{self.port}".encode()


@dataclass(frozen=True)
class FuzzConfig:
    """One ``bidwire fuzz`` run."""

    target: Target
    url: str
    seconds: float | None = 60.0
    count: int | None = None
    seed: int = 0
    mode: Mode = "both"
    formats: tuple[Format, ...] = ("json", "proto", "grpc")
    http: Http = "both"
    out: str = "fuzz-failures"
    timeout: float = 5.0
    concurrency: int = 32
    pool: int = 128
    max_reproducers: int = 50
    progress: bool = True


def h2_headers(
    target: Target, payload_headers: tuple[tuple[bytes, bytes], ...], body: bytes
) -> list[tuple[bytes, bytes]]:
    """The HTTP/2 request headers for a POST of ``body`` to ``target`` (or to the ``:path``
    among ``payload_headers``: a gRPC call names its method)."""
    path = next((v for n, v in payload_headers if n == b":path"), target.path)
    rest = [(n, v) for n, v in payload_headers if n != b":path"]
    return [
        (b":method", b"POST"), (b":scheme", b"http"), (b":authority", target.authority),
        (b":path", path), *rest, (b"content-length", b"%d" % len(body)),
    ]  # fmt: skip


def is_grpc(headers: tuple[tuple[bytes, bytes], ...]) -> bool:
    """Whether a payload's headers make it a gRPC call."""
    return any(n == b"content-type" and v.startswith(b"application/grpc") for n, v in headers)


def payload_failure(result: Result, grpc: bool = False) -> str | None:
    """Why a request's result is a failure, or None. A gRPC call (``grpc``) is owed a 200 with
    a ``grpc-status`` (an HTTP/1.1 413 for a body over the cap aside: gRPC needs HTTP/2),
    never INTERNAL or UNKNOWN: bad input is the caller's error."""
    if result.status is not None and result.status >= 500:
        return f"status {result.status}"
    if result.status is None and result.error != "refused":
        return result.error or "no answer"
    if grpc and result.status is not None and result.status != 413:
        if result.status != 200:
            return f"gRPC call answered HTTP {result.status}"
        if result.grpc_status is None:
            return "gRPC call answered without a grpc-status"
        if result.grpc_status in (2, 13) or not 0 <= result.grpc_status <= 16:
            return f"grpc-status {result.grpc_status} for a call"
    return None


def connection_lost(result: Result) -> bool:
    """Whether the request failed with its whole connection (not on its own stream)."""
    error = result.error or ""
    return result.status is None and (
        error in ("reset", "closed") or error.startswith(("GOAWAY", "protocol error"))
    )


async def send_alone(
    target: Target, headers: tuple[tuple[bytes, bytes], ...], body: bytes, http: str, timeout: float
) -> Result:
    """POST one body on a fresh connection of its own."""
    if http == "1.1":
        h1 = H1Client(target.host, target.port)
        result = await h1.request(b"POST", target.path, list(headers), body, timeout)
        await h1.close()
        return result
    h2 = H2Client(target.host, target.port)
    try:
        await h2.connect()
    except OSError:
        return Result(error="reset")
    result = await h2.request(h2_headers(target, headers, body), body, timeout)
    await h2.close()
    return result


class Fuzzer:
    """One run: the workers, the counters and the stop conditions."""

    def __init__(self, config: FuzzConfig) -> None:
        self.config = config
        self.stats = Stats()
        self.next_payload = 0
        self.next_frames = 0
        self.stopping = False
        self.crashed = False
        self.stream: PayloadStream | None = None
        self._written: Counter[str] = Counter()  # reproducers written, by kind
        self._isolations = 0
        self._check_lock = asyncio.Lock()

    # -- workers -------------------------------------------------------------------------------

    def _take(self, kind: Literal["payload", "frames"]) -> int | None:
        count = self.config.count
        if self.stopping:
            return None
        if kind == "payload":
            index, self.next_payload = self.next_payload, self.next_payload + 1
        else:
            index, self.next_frames = self.next_frames, self.next_frames + 1
        return None if count is not None and index >= count else index

    async def _h2_connection(self, streams: int) -> None:
        target = self.config.target
        while not self.stopping:
            client = H2Client(target.host, target.port)
            try:
                await client.connect()
            except OSError as exc:
                await self._failure(None, "2", f"cannot connect: {exc}", Result(error="connect"))
                return
            await asyncio.sleep(0)  # let the server's SETTINGS arrive
            width = max(1, min(streams, client.max_streams))
            await asyncio.gather(*(self._h2_stream(client) for _ in range(width)))
            await client.close()
            if client.dead is None:
                return  # nothing left to send
            self._connection_lost(client.dead)

    async def _h2_stream(self, client: H2Client) -> None:
        assert self.stream is not None
        while client.dead is None:
            index = self._take("payload")
            if index is None:
                return
            payload = self.stream.payload(index)
            headers = h2_headers(self.config.target, payload.headers, payload.body)
            result = await client.request(headers, payload.body, self.config.timeout)
            await self._record(payload, "2", result)

    async def _h1_connection(self) -> None:
        assert self.stream is not None
        target = self.config.target
        client = H1Client(target.host, target.port)
        try:
            while (index := self._take("payload")) is not None:
                payload = self.stream.payload(index)
                if payload.format == "grpc":
                    continue  # gRPC is HTTP/2 only: the HTTP/2 connections send these
                result = await client.request(
                    b"POST", target.path, list(payload.headers), payload.body, self.config.timeout
                )
                if connection_lost(result):
                    self._connection_lost(str(result.error))
                await self._record(payload, "1.1", result)
        finally:
            await client.close()

    async def _frames_worker(self) -> None:
        config, target = self.config, self.config.target
        while (index := self._take("frames")) is not None:
            rng = random.Random((config.seed << 40 | index) ^ FRAMES_SALT)
            case = frame_case(RandomSource(rng), path=target.path, authority=target.authority)
            outcome = await exchange_frames(
                target.host, target.port, case.data, case.expect, config.timeout
            )
            self.stats.frame(outcome)
            failure = judge(case.expect, outcome)
            if failure is not None:
                self.stats.failures += 1
                meta = {"case": case.name, "index": index, "owed": case.expect.describe()}
                self._write(Reproducer("frames", case.data, failure, meta=meta, expect=case.expect))
                await self._check_alive()

    # -- results -------------------------------------------------------------------------------

    async def _record(self, payload: Payload, http: str, result: Result) -> None:
        self.stats.payload(result)
        grpc = payload.format == "grpc"
        failure = payload_failure(result, grpc)
        if failure is None:
            return
        if connection_lost(result):
            # Every request in flight on a lost connection fails with it; the one that broke it
            # fails again when sent alone on a fresh connection. Those are its reproducers.
            if self._isolations >= MAX_ISOLATIONS:
                return
            self._isolations += 1
            alone = await send_alone(
                self.config.target, payload.headers, payload.body, http, self.config.timeout
            )
            failure = payload_failure(alone, grpc)
            if failure is None:
                return
            failure += " (sent alone too)"
        await self._failure(payload, http, failure, result)

    def _connection_lost(self, reason: str) -> None:
        if not self.stopping:
            self.stats.lost[reason] += 1

    async def _failure(
        self, payload: Payload | None, http: str, failure: str, result: Result
    ) -> None:
        self.stats.failures += 1
        if payload is not None:
            meta = {"format": payload.format, "mutation": payload.name, "index": payload.index}
            self._write(
                Reproducer("payload", payload.body, failure, http=http,
                           headers=payload.headers, meta=meta)
            )  # fmt: skip
        else:
            self.stopping = True
        await self._check_alive()

    def _write(self, reproducer: Reproducer) -> None:
        written = self._written[reproducer.kind]
        if written >= self.config.max_reproducers:
            return
        self._written[reproducer.kind] = written + 1
        number = sum(self._written.values())
        path = write_reproducer(self.config.out, number, reproducer, self.config)
        self.stats.reproducers.append((path, reproducer.failure))

    async def _check_alive(self) -> None:
        async with self._check_lock:  # one health check at a time, not one per failure
            if self.crashed:
                return
            target = self.config.target
            if not await alive(target.host, target.port, self.config.timeout):
                self.crashed = True
                self.stats.crashes += 1
                self.stopping = True

    # -- the run -------------------------------------------------------------------------------

    async def run(self) -> Stats:
        """Fuzz until the time or the count is up, or the server is gone."""
        config = self.config
        workers: list[asyncio.Task[None]] = []
        if config.mode in ("payload", "both"):
            self.stream = await asyncio.to_thread(
                PayloadStream, config.seed, config.formats, config.pool
            )
        started = time.monotonic()
        self.stats.started = started
        if self.stream is not None:
            if config.http in ("2", "both"):
                per_connection = max(1, config.concurrency // 2)
                workers += [
                    asyncio.create_task(self._h2_connection(per_connection)) for _ in range(2)
                ]
            if config.http in ("1.1", "both"):
                count = max(1, config.concurrency // 4)
                workers += [asyncio.create_task(self._h1_connection()) for _ in range(count)]
        if config.mode in ("protocol", "both"):
            count = max(1, config.concurrency // 4)
            workers += [asyncio.create_task(self._frames_worker()) for _ in range(count)]
        progress = asyncio.create_task(self._progress()) if config.progress else None
        end = started + config.seconds if config.seconds is not None else None
        pending = set(workers)
        while pending and not self.stopping:
            left = None if end is None else max(0.0, end - time.monotonic())
            if left == 0.0:
                break
            _, pending = await asyncio.wait(pending, timeout=left)
        self.stopping = True
        self.stats.seconds = time.monotonic() - started  # rates are over the fuzzing time
        if pending:  # the requests in flight finish (or time out), then the workers stop
            _, late = await asyncio.wait(pending, timeout=config.timeout + 1.0)
            for task in late:
                task.cancel()
        if progress is not None:
            progress.cancel()
        return self.stats

    async def _progress(self) -> None:
        tty = sys.stderr.isatty()
        every = 1.0 if tty else 10.0
        while True:
            await asyncio.sleep(every)
            line = self.stats.progress_line()
            sys.stderr.write(f"\r{line}  " if tty else line + "\n")
            sys.stderr.flush()


def run(config: FuzzConfig) -> int:
    """Run the fuzzer and print the summary; 1 on any failure, else 0."""
    stats = asyncio.run(Fuzzer(config).run())
    if config.progress and sys.stderr.isatty():
        sys.stderr.write("\n")
    print(stats.summary(config.url, config.seed))
    return 1 if stats.failures or stats.crashes or stats.lost else 0


__all__ = [
    "FuzzConfig",
    "Fuzzer",
    "Target",
    "connection_lost",
    "h2_headers",
    "is_grpc",
    "payload_failure",
    "run",
    "send_alone",
]
