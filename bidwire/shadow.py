"""Shadow traffic: a share of live bid requests also sent to a candidate bidder, whose
decisions are compared with the live ones and counted; the live answer never waits for it.

``bidwire serve --shadow URL --shadow-fraction F`` (``[shadow]``). :meth:`Shadow.observe` is a
tap of the front doors (:data:`bidder.app.Tap`): for a request not sampled it returns after
one random draw; for a sampled one it schedules the send with ``call_soon``, so the bytes go
out after the live answer has been written. At most ``max_in_flight`` shadow requests wait for
an answer (more are dropped and counted, never queued), over one HTTP/2 connection
(:mod:`transport.h2_client`), made again when it closes (at most once a second).

The candidate's answer is described (:func:`bidwire.replay.decision_of`) and compared with the
live decision (:func:`bidder.decision.changes`): ``bidwire_shadow_requests_total{outcome}``
counts agree, disagree, timing (a no-bid for want of time on either side: the live one's
reason says it, the candidate's ``nbr`` 15 when it runs with ``[app] nobid = "nbr"``; not
compared), error, timeout and the drops; ``bidwire_shadow_seconds`` the
candidate's latency. A disagreement goes to the capture sink, when there is one
(``[capture] path``), as a record with ``source = "shadow"`` and the candidate's decision.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from typing import Annotated, Final
from urllib.parse import urlsplit

import msgspec

from bidder.capture import Capture, record_from
from bidder.decision import Decision, changes, describe, describe_answer, timed_out
from bidder.metrics import SHADOW_REQUESTS, SHADOW_SECONDS
from bidder.pipeline import NoBid
from openrtb import BidRequest, BidResponse
from transport.events import Request
from transport.h2_client import Answer, ClientProtocol, request_block

#: Seconds between attempts to connect to the candidate.
RECONNECT_SECONDS: Final = 1.0
#: How often streams past the timeout are given up (seconds).
SWEEP_SECONDS: Final = 0.1

log = logging.getLogger("bidwire.shadow")


class ShadowConfig(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """``[shadow]``: where a share of live traffic is also sent, and how much at most."""

    #: The candidate bidder, ``http://HOST:PORT`` (HTTP/2 with prior knowledge); "" none.
    url: Annotated[
        str,
        msgspec.Meta(pattern=r"^(http://[^/?#]+(/[^?#]*)?)?$",
                     description="an http://HOST:PORT URL (HTTP/2, no TLS)"),
    ] = ""  # fmt: skip
    #: The share of bid requests also sent to it (0-1).
    fraction: Annotated[float, msgspec.Meta(ge=0, le=1)] = 0.1
    #: Shadow requests awaiting an answer at most; more are dropped and counted.
    max_in_flight: Annotated[int, msgspec.Meta(ge=1, le=100_000)] = 64
    #: Give up on an answer after this long (milliseconds).
    timeout_ms: Annotated[float, msgspec.Meta(gt=0)] = 1000.0


def _kind(request: Request) -> str:
    content_type = (request.content_type or b"").split(b";", 1)[0].strip().lower()
    if content_type.startswith(b"application/grpc"):
        return "grpc"
    return "json" if content_type in (b"", b"application/json") else "proto"


class _Pending:
    """A shadow request awaiting the candidate's answer: what the comparison needs of it."""

    __slots__ = ("shadow", "protocol", "request", "request_id", "live", "kind", "decided",
                 "started")  # fmt: skip

    def __init__(self, shadow: Shadow, protocol: ClientProtocol, request: Request,
                 request_id: str, live: Decision, kind: str, decided: float) -> None:  # fmt: skip
        self.shadow = shadow
        self.protocol = protocol
        self.request = request
        self.request_id = request_id
        self.live = live
        self.kind = kind
        self.decided = decided
        self.started = time.monotonic()

    def answered(self, answer: Answer) -> None:
        """The candidate's answer (or why there is none)."""
        self.shadow._answered(self, answer)


class Shadow:
    """Sends sampled live requests to a candidate and compares. One per worker."""

    def __init__(
        self,
        config: ShadowConfig,
        capture: Capture | None = None,
        *,
        draw: Callable[[], float] = random.random,
    ) -> None:
        self.config = config
        self.fraction = config.fraction
        self.capture = capture
        self._draw = draw
        parts = urlsplit(config.url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self._authority = f"{self.host}:{self.port}".encode()
        #: The bid path on the candidate (gRPC calls keep theirs).
        self.bid_path = parts.path.encode() if parts.path not in ("", "/") else None
        self._max = config.max_in_flight
        self._timeout = config.timeout_ms / 1000.0
        self.in_flight = 0
        self._protocol: ClientProtocol | None = None
        self._connecting = False
        self._last_attempt = -RECONNECT_SECONDS
        #: Per request shape (path, content type, encodings): its header block and kind.
        self._blocks: dict[tuple[bytes, ...], tuple[bytes, str]] = {}
        #: Streams awaiting an answer: their connection and when they were sent.
        self._started: dict[tuple[ClientProtocol, int], float] = {}
        self._sweeper: asyncio.TimerHandle | None = None
        for outcome in ("agree", "disagree", "timing", "error", "timeout", "dropped_full",
                        "dropped_unconnected", "dropped_window"):  # fmt: skip
            SHADOW_REQUESTS.inc(outcome, 0)

    # -- the hot path --------------------------------------------------------------------------

    def observe(
        self, request: Request, bid_request: BidRequest, decision: BidResponse | NoBid | None
    ) -> None:
        """A live request was decided: shadow it if it is sampled and there is room."""
        if self._draw() >= self.fraction:
            return
        if self.in_flight >= self._max:
            SHADOW_REQUESTS.inc("dropped_full")
            return
        self.in_flight += 1
        decided = time.monotonic()
        # After the live answer: the connection writes it when this front-door call returns.
        asyncio.get_running_loop().call_soon(self._send, request, bid_request, decision, decided)

    # -- after the live answer -----------------------------------------------------------------

    def _send(
        self,
        request: Request,
        bid_request: BidRequest,
        decision: BidResponse | NoBid | None,
        decided: float,
    ) -> None:
        protocol = self._protocol
        if protocol is None or not protocol.usable:
            self.in_flight -= 1
            SHADOW_REQUESTS.inc("dropped_unconnected")
            self._connect()
            return
        key = (request.path, request.content_type or b"", request.content_encoding or b"",
               request.grpc_encoding or b"")  # fmt: skip
        found = self._blocks.get(key)
        if found is None:
            found = self._blocks[key] = (self._block(request), _kind(request))
        block, kind = found
        # Described now, so that the decoded request and the response are freed with the live
        # answer's, not kept until the candidate answers.
        pending = _Pending(self, protocol, request, bid_request.id,
                           describe(bid_request, decision), kind, decided)  # fmt: skip
        sid = protocol.send(block, request.body, pending.answered)
        if sid is None:
            self.in_flight -= 1
            SHADOW_REQUESTS.inc("dropped_window")
            return
        self._started[(protocol, sid)] = pending.started
        if self._sweeper is None:
            self._sweeper = asyncio.get_running_loop().call_later(SWEEP_SECONDS, self._sweep)

    def _block(self, request: Request) -> bytes:
        path = request.path
        if self.bid_path is not None and _kind(request) != "grpc":
            path = self.bid_path
        fields = [(b"content-type", request.content_type or b"application/json")]
        if request.content_encoding:
            fields.append((b"content-encoding", request.content_encoding))
        if _kind(request) == "grpc":
            fields.append((b"te", b"trailers"))
            if request.grpc_encoding:
                fields.append((b"grpc-encoding", request.grpc_encoding))
        return request_block(path, self._authority, tuple(fields))

    def _answered(self, pending: _Pending, answer: Answer) -> None:
        self.in_flight -= 1
        self._started.pop((pending.protocol, answer.stream_id), None)
        seconds = time.monotonic() - pending.started
        if answer.error is not None:
            SHADOW_REQUESTS.inc("timeout" if answer.error == "timeout" else "error")
            return
        SHADOW_SECONDS.observe(seconds)
        live = pending.live
        imp_ids = [imp.imp for imp in live.imps]
        candidate = describe_answer(imp_ids, answer.status, answer.body, answer.grpc_status,
                                    pending.kind)  # fmt: skip
        if isinstance(candidate, str):
            SHADOW_REQUESTS.inc("error")
            return
        if timed_out(live) or timed_out(candidate):
            SHADOW_REQUESTS.inc("timing")  # the deadline decided: nothing to compare
            return
        if not changes(live, candidate):
            SHADOW_REQUESTS.inc("agree")
            return
        SHADOW_REQUESTS.inc("disagree")
        if self.capture is not None:
            request = pending.request
            latency = pending.decided - request.arrival if request.arrival else 0.0
            record = record_from(request, pending.request_id, live, time.time(), latency)
            record.source = "shadow"
            record.candidate = candidate
            record.candidate_latency_ms = round(seconds * 1000.0, 3)
            self.capture.offer(record)

    def _sweep(self) -> None:
        self._sweeper = None
        limit = time.monotonic() - self._timeout
        for (protocol, sid), started in list(self._started.items()):
            if started < limit:
                protocol.cancel(sid)  # its callback counts the timeout
        if self._started:
            self._sweeper = asyncio.get_running_loop().call_later(SWEEP_SECONDS, self._sweep)

    # -- the connection ------------------------------------------------------------------------

    def _connect(self) -> None:
        now = time.monotonic()
        if self._connecting or now - self._last_attempt < RECONNECT_SECONDS:
            return
        self._connecting = True
        self._last_attempt = now
        asyncio.get_running_loop().create_task(self._open())

    async def _open(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            _, protocol = await loop.create_connection(ClientProtocol, self.host, self.port)
        except OSError as exc:
            log.warning("shadow: cannot connect to %s: %s", self.config.url, exc)
        else:
            old, self._protocol = self._protocol, protocol
            if old is not None:
                old.close()  # its pending answers fail ("closed"), so none is left counted
        finally:
            self._connecting = False

    def connect(self) -> None:
        """Connect now rather than at the first sampled request (on a running loop)."""
        self._connect()

    async def close(self) -> None:
        """Close the connection; answers still pending are dropped."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        if self._protocol is not None:
            self._protocol.close()
            self._protocol = None


__all__ = ["Shadow", "ShadowConfig"]
