"""The asyncio Protocol: owns one socket, picks the engine, and makes one write per read.

The engine is chosen by ALPN on TLS, else by the first bytes: the HTTP/2 connection preface
means HTTP/2 with prior knowledge (h2c), anything else is HTTP/1.1.

With a :class:`~transport.dispatch.Dispatcher` (admission control, the default of ``bidwire
serve``), a request the app gives a deadline (:meth:`App.deadline`: bid requests) goes to the
worker's queue as soon as it is read, and its answer comes back through :meth:`answer`,
:meth:`defer` or :meth:`refuse`; every other request (health, metrics, notices) is answered
inline, so they keep answering under any overload. Without one, every request is answered
inline in ``data_received`` (the bidder is synchronous CPU work: a task per request would only
add scheduling cost).

It also holds what is per connection but not protocol: the app's extra work on a request
(``Response.cost``, a gzip body inflated) charged to the engine's cost ledger; every ending
counted by reason (``bidwire_connections_closed_total``); and the worker's connection cap
(``max_connections``): a new connection past it closes the oldest idle ones, or is refused.
"""

from __future__ import annotations

import asyncio
import heapq
import time
from functools import partial
from typing import Final, Protocol

from .access import AccessLog
from .admission import Ticket
from .app import App
from .cost import Cuts
from .dispatch import Dispatcher, refusal
from .events import Deferred, Request, Response, error_body
from .frame_guard import PREFACE
from .h1_engine import H1Engine
from .h2_engine import H2Engine
from .limits import Limits
from .metrics import (
    CONNECTIONS,
    CONNECTIONS_CLOSED,
    CONNECTIONS_OPEN,
    ERRORS,
    HTTP_RESPONSES,
    PROTOCOL_ERRORS,
    STREAMS_OPEN,
    CloseReason,
)
from .metrics import ProtocolErrorKind as K
from .raw_h2 import RawH2Engine

#: How long a connection the engine has closed keeps reading (and dropping) what the client
#: still sends, after our last bytes and a FIN. Closing a socket with unread input makes the
#: kernel send RST, which can destroy our GOAWAY or last answer in flight before the client
#: reads it (RFC 9113 6.8 and 5.4.1: a GOAWAY should be sent before closing, and the peer
#: must get the chance to read it). The client's own FIN ends it sooner.
LINGER_SECONDS: Final = 1.0

#: Endings the client's own conduct brought (GOAWAY(ENHANCE_YOUR_CALM): the cost ledger and the
#: flood limits). Such a connection is not read again while it lingers, and gets no FIN: see
#: :meth:`Connection._close_lingering`.
CALMED: Final = frozenset(
    {
        CloseReason.COST_EXCEEDED,
        CloseReason.STREAM_ERRORS,
        CloseReason.RST_STREAM_FLOOD,
        CloseReason.SETTINGS_FLOOD,
        CloseReason.SETTINGS_TOO_MANY,
        CloseReason.PING_FLOOD,
        CloseReason.CONTINUATION_FLOOD,
    }
)

#: This worker's recent cuts (:class:`transport.cost.Cuts`): what new connections open with.
CUTS = Cuts()

#: The HTTP/2 engines by their config name (``[server] engine``).
H2_ENGINES: dict[str, type[H2Engine] | type[RawH2Engine]] = {"h2": H2Engine, "raw": RawH2Engine}


class Engine(Protocol):
    """What the two engines have in common."""

    closed: bool
    close_reason: CloseReason | None

    def receive_data(self, data: bytes, now: float) -> list[tuple[int, Request]]: ...
    def send_response(self, key: int, response: Response) -> None: ...
    def data_to_send(self) -> bytes: ...
    def tick(self, now: float) -> None: ...
    def start_drain(self) -> None: ...
    def charge(self, units: int) -> None: ...
    def close_now(self, reason: CloseReason) -> None: ...
    def refuse_stream(self, key: int) -> bool: ...
    def advertise_streams(self, limit: int) -> None: ...
    @property
    def open_streams(self) -> int: ...
    @property
    def last_active(self) -> float: ...


#: Past the cap, idle connections are closed this share of the cap at a time (at least what is
#: needed: 16 of the default 4,096), so a flood of new connections does not scan every
#: connection once each.
EVICT_SHARE = 256


#: Bytes read from the socket per callback. Each read's requests are offered to admission
#: control before the next read, and a run that is due can start between two reads: a
#: 256 KiB read (uvloop's default) of 1 KB bid requests would be parsed whole, for milliseconds,
#: before the first of them could be shed or decided. The loop still reads everything ready
#: (libuv reads again while a read fills the buffer).
READ_SIZE: Final = 32 * 1024


class Connection(asyncio.BufferedProtocol):
    """One client connection."""

    def __init__(
        self,
        app: App,
        limits: Limits,
        registry: dict[Connection, None],
        h2_engine: str = "raw",
        access: AccessLog | None = None,
        dispatcher: Dispatcher | None = None,
    ) -> None:
        self.app = app
        #: Logs a share of the answers (None: the access log is off).
        self.access = access
        self.protocol = ""
        self.dispatcher = dispatcher
        self._h2_engine = H2_ENGINES[h2_engine]
        self.limits = limits
        self.registry = registry
        self.transport: asyncio.Transport | None = None
        self.engine: Engine | None = None
        self._sniffed = b""
        self._opened = 0.0
        self._draining = False
        self._counted = False  # the ending has been counted (bidwire_connections_closed_total)
        self._deferred: dict[int, asyncio.Future[Response]] = {}
        #: A write of the deferred answers is scheduled for the end of this loop turn.
        self._flush_soon = False
        #: Set once the engine has closed: the socket is half-closed and input is dropped.
        self._linger: asyncio.TimerHandle | None = None
        #: Set when the engine cut the connection for the client's conduct (:data:`CALMED`):
        #: it is not read again.
        self._deaf = False
        #: Admitted requests whose answer is deferred (an async stage), by key.
        self._tickets: dict[int, Ticket[Connection]] = {}
        #: Answers queued by the dispatcher and not yet flushed (it flushes once per run).
        self.dirty = False
        #: How a request is turned away here ("nobid", "refused_stream", "503").
        self._refusal = "nobid"
        self._retry_after = b"1"
        #: When this connection was last read (admission control: see data_received).
        self._read_at = 0.0
        self._read_buffer = bytearray(READ_SIZE)
        self._read_view = memoryview(self._read_buffer)

    # -- asyncio callbacks ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but have its interface.
        self.transport = transport  # type: ignore[assignment]
        self._opened = time.monotonic()
        self.registry[self] = None
        CONNECTIONS_OPEN.value += 1
        if len(self.registry) > self.limits.max_connections and not self._make_room():
            self.close(CloseReason.CONNECTION_CAP_REFUSED)
            return
        ssl_object = transport.get_extra_info("ssl_object")
        if ssl_object is not None:
            protocol = ssl_object.selected_alpn_protocol()
            self._start_engine("h2" if protocol == "h2" else "h1")

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._read_view

    def buffer_updated(self, nbytes: int) -> None:
        self.data_received(bytes(self._read_view[:nbytes]))

    def data_received(self, data: bytes) -> None:
        if self._linger is not None:
            return  # the engine has closed: what the client still sends is read and dropped
        now = time.monotonic()
        engine = self.engine
        if engine is None:
            data = self._sniffed + data if self._sniffed else data
            if len(data) < len(PREFACE) and PREFACE.startswith(data):
                self._sniffed = data  # could still be the HTTP/2 preface: wait for more
                return
            self._sniffed = b""
            engine = self._start_engine("h2" if data.startswith(PREFACE) else "h1")
        app = self.app
        dispatcher = self.dispatcher
        arrival = now
        if dispatcher is not None:
            # The earliest moment what this read holds may have reached the socket: the wait
            # in the kernel counts against its deadline too (transport.read_clock). Not before
            # this connection's last read, which emptied its socket (within the microseconds
            # between that recv and its stamp): the bound of a long round of reads is a round
            # early for a connection read late in it.
            arrival = dispatcher.clock.arrival(now)
            if self._read_at > arrival:
                arrival = self._read_at
            self._read_at = now
        for key, request in engine.receive_data(data, now):
            if engine.closed:
                break  # the cost ledger's verdict came within the batch: the rest is dropped
            if dispatcher is not None:
                request.arrival = arrival
                deadline = app.deadline(request)
                if deadline is not None:
                    dispatcher.submit(self, key, request, deadline)
                    continue
            answer = app.handle(request)
            if answer.cost:
                engine.charge(answer.cost)  # the app's own work (a gzip body inflated)
                if engine.closed:
                    if isinstance(answer, Response) and answer.context is not None:
                        app.release(answer)
                    break
            if isinstance(answer, Deferred):
                self._defer(key, answer)
                continue
            engine.send_response(key, answer)
            if self.access is not None:
                self.access.answered(self.protocol, request, answer)
            if answer.context is not None:
                app.release(answer)  # the engine has copied the body out of the arena buffer
        self._flush()

    # -- answers from the dispatcher -----------------------------------------------------------

    def answer(self, key: int, request: Request, response: Response) -> None:
        """Queue the answer to an admitted request (the dispatcher flushes it)."""
        engine = self.engine
        if engine is None:
            return
        engine.send_response(key, response)
        if self.access is not None:
            self.access.answered(self.protocol, request, response)
        if response.context is not None:
            self.app.release(response)

    def refuse(self, key: int, request: Request, reason: str) -> None:
        """Turn a request away at once, as configured for this protocol: the app's cheap
        answer (a no-bid), RST_STREAM(REFUSED_STREAM), or 503 with Retry-After. Not flushed."""
        engine = self.engine
        if engine is None:
            return
        how = self._refusal
        if how == "refused_stream" and engine.refuse_stream(key):
            return
        if how == "503":
            HTTP_RESPONSES.inc(503)
            response = Response(
                503,
                error_body("overloaded"),
                content_type=b"application/json",
                headers=((b"retry-after", self._retry_after),),
            )
        else:  # "nobid", or a stream the engine could not refuse
            response = self.app.refuse(request, reason)
        self.answer(key, request, response)

    def charge(self, units: int) -> None:
        """Charge the app's extra work on a request (``Response.cost``) to this connection."""
        if self.engine is not None:
            self.engine.charge(units)

    @property
    def gone(self) -> bool:
        """Whether no answer can reach the client any more (closed, or closing)."""
        engine = self.engine
        return engine is None or engine.closed or self._linger is not None

    def flush_answers(self) -> None:
        """Write what the dispatcher queued."""
        self.dirty = False
        self._flush()

    def defer(self, key: int, deferred: Deferred, ticket: Ticket[Connection]) -> None:
        """An admitted request answered later (an async stage): its fallback leaves before its
        deadline, and the dispatcher hears when the answer was written."""
        self._tickets[key] = ticket
        assert self.dispatcher is not None
        latest = ticket.deadline - self.dispatcher.deferred_slack
        self._defer(key, deferred, min(deferred.deadline, latest))

    # -- deferred answers (a pipeline with async stages) ---------------------------------------

    def _defer(self, key: int, deferred: Deferred, deadline: float | None = None) -> None:
        loop = asyncio.get_running_loop()
        answer = deferred.answer
        task = answer if isinstance(answer, asyncio.Future) else loop.create_task(answer)
        at = deferred.deadline if deadline is None else deadline
        delay = max(0.0, at - time.monotonic())
        timer = loop.call_later(delay, self._deadline_passed, key, deferred)
        self._deferred[key] = task
        task.add_done_callback(partial(self._deferred_done, key, deferred, timer))

    def _deadline_passed(self, key: int, deferred: Deferred) -> None:
        # The answer is not ready at the deadline: the no-bid goes now; the result is dropped.
        if self._deferred.pop(key, None) is None:
            return
        deferred.on_timeout()
        self._send(key, deferred.fallback)

    def _deferred_done(
        self,
        key: int,
        deferred: Deferred,
        timer: asyncio.TimerHandle,
        task: asyncio.Future[Response],
    ) -> None:
        timer.cancel()
        if self._deferred.pop(key, None) is None:
            if not task.cancelled():
                deferred.on_late()
                task.exception()  # retrieved, so a failure of a dropped result is not logged
            return
        if task.cancelled() or task.exception() is not None:
            ERRORS.inc("deferred_failed")
            self._send(key, deferred.fallback)
            return
        self._send(key, task.result())

    def _send(self, key: int, response: Response) -> None:
        engine = self.engine
        ticket = self._tickets.pop(key, None)
        if engine is None or self.transport is None or self.transport.is_closing():
            if ticket is not None and self.dispatcher is not None:
                self.dispatcher.dropped(ticket)
            return
        engine.send_response(key, response)
        if response.context is not None:
            self.app.release(response)
        if ticket is not None and self.dispatcher is not None:
            self.dispatcher.answered(ticket, time.monotonic())
        # Deferred answers finish in bunches (the requests of one lookup round trip wake in
        # the same loop turn): one write for them all, not a send system call each (the
        # largest cost of a deferred answer in a cProfile of bench/audiences_ab.py).
        if not self._flush_soon:
            self._flush_soon = True
            asyncio.get_running_loop().call_soon(self._flush_deferred)

    def _flush_deferred(self) -> None:
        self._flush_soon = False
        self._flush()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._linger is not None:
            self._linger.cancel()
        self.registry.pop(self, None)
        if not self._counted:
            self._counted = True
            CONNECTIONS_CLOSED.inc(CloseReason.PEER)
        deferred, self._deferred = self._deferred, {}
        for task in deferred.values():
            task.cancel()
        tickets, self._tickets = self._tickets, {}
        if self.dispatcher is not None:
            for ticket in tickets.values():
                self.dispatcher.dropped(ticket)
        CONNECTIONS_OPEN.value -= 1
        engine = self.engine
        if engine is not None and engine.open_streams:
            STREAMS_OPEN.value -= engine.open_streams
        self.engine = None

    def pause_writing(self) -> None:
        # The client reads slower than we answer: stop reading its requests until it catches up.
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.transport is not None and not self.transport.is_closing() and not self._deaf:
            self.transport.resume_reading()

    # -- driven by the server ------------------------------------------------------------------

    def tick(self, now: float) -> None:
        """Enforce timeouts (called about once a second)."""
        if self.engine is None:
            if now - self._opened > self.limits.header_timeout and self.transport is not None:
                PROTOCOL_ERRORS.inc(K.PREFACE_TIMEOUT)
                self.close(CloseReason.PREFACE_TIMEOUT)
            return
        self.engine.tick(now)
        self._flush()

    def advertise_streams(self, limit: int) -> None:
        """HTTP/2: advertise ``limit`` concurrent streams (admission control's limit)."""
        if self.engine is not None and not self.gone:
            self.engine.advertise_streams(limit)
            self._flush()

    def start_drain(self) -> None:
        """Finish in-flight requests, refuse new ones, then close."""
        self._draining = True
        if self.engine is None:
            self.close(CloseReason.DRAINED)
            return
        self.engine.start_drain()
        self._flush()

    @property
    def open_streams(self) -> int:
        """Requests in progress on this connection."""
        return self.engine.open_streams if self.engine is not None else 0

    @property
    def last_active(self) -> float:
        """When a request last started or was in progress here (else when it was accepted)."""
        return self.engine.last_active if self.engine is not None else self._opened

    def _make_room(self) -> bool:
        """Over the cap: close the oldest idle connections (no request in progress, least
        recently active first), a batch at a time; False when none is idle."""
        registry = self.registry
        need = len(registry) - self.limits.max_connections
        idle = [c for c in registry if c is not self and not c.open_streams]
        if not idle:
            return False
        batch = max(need, self.limits.max_connections // EVICT_SHARE)
        for victim in heapq.nsmallest(batch, idle, key=_last_active):
            victim.evict()
        return len(registry) <= self.limits.max_connections

    def evict(self) -> None:
        """Close this idle connection for a newer one (HTTP/2: GOAWAY(NO_ERROR) first)."""
        self.registry.pop(self, None)
        engine = self.engine
        if engine is None:
            self.close(CloseReason.CONNECTION_CAP)
            return
        engine.close_now(CloseReason.CONNECTION_CAP)
        self._flush()

    def close(self, reason: CloseReason) -> None:
        """Close the socket now (nothing of ours is in flight), counted as ``reason``."""
        self._count(reason)
        if self.transport is not None:
            self.transport.close()

    def _count(self, reason: CloseReason) -> None:
        if not self._counted:
            self._counted = True
            CONNECTIONS_CLOSED.inc(reason)

    # -- internals -----------------------------------------------------------------------------

    def _start_engine(self, protocol: str) -> Engine:
        now = time.monotonic()
        engine: Engine
        if protocol == "h2":
            engine = self._h2_engine(self.limits, now)
        else:
            engine = H1Engine(self.limits, now)
        CONNECTIONS.inc(protocol)
        self.protocol = protocol
        self.engine = engine
        # Connections cut lately for their conduct are paid for by the new ones (Cuts): this
        # one opens with less than cost_initial while the worker cuts many.
        initial = min(self.limits.cost_initial, self.limits.cost_budget)
        opening = CUTS.opening(initial, now)
        if opening < initial:
            engine.charge(initial - opening)
        if self.dispatcher is not None:
            config = self.dispatcher.config
            self._refusal = refusal(config, protocol)
            self._retry_after = b"%d" % config.retry_after_s
        if self._draining:
            engine.start_drain()
        self._flush()
        return engine

    def _flush(self) -> None:
        engine = self.engine
        transport = self.transport
        if engine is None or transport is None:
            return
        out = engine.data_to_send()
        if out:
            transport.write(out)
        if engine.closed and self._linger is None:
            reason = engine.close_reason or CloseReason.PEER
            self._count(reason)
            calmed = reason in CALMED
            if calmed:
                CUTS.cut(time.monotonic())
            self._close_lingering(transport, calmed)

    def _close_lingering(self, transport: asyncio.Transport, calmed: bool = False) -> None:
        """Send what is buffered and a FIN, keep reading until the client's FIN or
        :data:`LINGER_SECONDS`, then close: the client reads our last frames instead of an RST.

        A connection ``calmed`` (cut for its own conduct: :data:`CALMED`) is neither read nor
        sent a FIN while it lingers. Reading it would copy and drop whatever the attack still
        sends (a reconnecting gzip-bomb attacker sent 455 MB in 8 s, most of it read here
        after the cut), and a FIN would tell it to reconnect at once: without one, a client
        that waits for our close holds its cut connection the whole linger, so each cut costs
        it a second, not us. Our GOAWAY is out before the close; what the client sent unread
        turns the close into an RST, which leaves the GOAWAY readable (Linux keeps received
        data past an RST)."""
        loop = asyncio.get_running_loop()
        self._linger = loop.call_later(LINGER_SECONDS, transport.close)
        if transport.get_extra_info("ssl_object") is not None or not transport.can_write_eof():
            transport.close()  # TLS: close_notify already tells the client we are done
            return
        if calmed:
            self._deaf = True
            transport.pause_reading()
            return
        transport.write_eof()
        transport.resume_reading()  # a paused reader would leave the client's bytes unread


def _last_active(connection: Connection) -> float:
    return connection.last_active


__all__ = ["CALMED", "CUTS", "H2_ENGINES", "Connection", "Engine"]
