"""Listening, worker processes, timers, signals and graceful drain.

Each worker process runs its own event loop (uvloop when installed) and its own listening socket
on the shared port (SO_REUSEPORT), so the kernel spreads connections across workers and no
state is shared. SIGTERM or SIGINT starts a drain: the listener closes, /readyz turns 503, every
connection finishes what it has in flight (HTTP/2: GOAWAY(2^31-1), PING, final GOAWAY;
HTTP/1.1: ``connection: close``), and the worker exits when all are closed or the drain timeout
passes.
"""

from __future__ import annotations

import asyncio
import errno
import gc
import logging
import os
import signal
import socket
import ssl
import time
from collections.abc import Callable
from typing import Protocol

from .acceptor import Acceptor
from .access import AccessLog
from .admission import AdmissionConfig
from .app import App
from .config import ServerSection
from .connection import CUTS, Connection
from .dispatch import Dispatcher
from .limits import Limits
from .metrics import CONNECTIONS, HTTP_RESPONSES, PROTOCOL_ERRORS, CloseReason
from .metrics import ProtocolErrorKind as K

#: Connections the kernel holds for the worker to accept (the listen(2) backlog).
BACKLOG = 2048


class Service(Protocol):
    """What a worker serves: an app, and what the worker's loop asks of it besides requests."""

    @property
    def app(self) -> App:
        """The app the connections call."""
        ...

    def reload(self) -> bool:
        """Reload what the app serves (SIGHUP); False when that failed and nothing changed."""
        ...

    def poll(self) -> None:
        """Periodic work, about once a second."""
        ...

    async def close(self) -> None:
        """Hand back what it holds, after the drain and before the worker exits."""
        ...


#: How often the event loop's lag is sampled for load shedding.
LAG_SAMPLE_SECONDS = 0.02

log = logging.getLogger("bidwire.server")


def make_ssl_context(cert: str, key: str) -> ssl.SSLContext:
    """A server TLS context offering ``h2`` and ``http/1.1`` by ALPN."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    context.set_alpn_protocols(["h2", "http/1.1"])
    # RFC 9113 9.2: no TLS compression; no renegotiation (TLS 1.3 has neither).
    context.options |= ssl.OP_NO_COMPRESSION | getattr(ssl, "OP_NO_RENEGOTIATION", 0)
    return context


def tls_problem(section: ServerSection) -> str | None:
    """Why ``section``'s certificate and key cannot serve TLS, as one line (None: they can, or
    there is no TLS). Checked at start, before any worker forks."""
    cert, key = section.tls_cert, section.tls_key
    if not (cert and key):
        return None
    for setting, path in (("tls_cert", cert), ("tls_key", key)):
        try:
            with open(path, "rb") as f:
                head = f.read(1 << 16)
        except OSError as exc:
            return f"bad setting server.{setting}: cannot read {path}: {exc.strerror}"
        if setting == "tls_cert" and b"PRIVATE KEY-----" in head and b"CERTIFICATE" not in head:
            return (f"bad setting server.tls_cert: {path} holds a private key, not a certificate "
                    f"(are --tls-cert and --tls-key swapped?)")  # fmt: skip
        if setting == "tls_key" and b"PRIVATE KEY-----" not in head:
            hint = " (are --tls-cert and --tls-key swapped?)" if b"CERTIFICATE" in head else ""
            return f"bad setting server.tls_key: {path} holds no private key{hint}"
    try:
        make_ssl_context(cert, key)
    except (ssl.SSLError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or str(exc)
        return f"bad setting server.tls_cert/tls_key: {cert} and {key} do not load: {reason}"
    return None


def listen_problem(section: ServerSection, exc: OSError) -> str:
    """What went wrong binding ``section``'s address, as one line."""
    where = f"{section.host}:{section.port}"
    if exc.errno == errno.EADDRINUSE:
        return f"cannot listen on {where}: the port is in use (another server runs there?)"
    if exc.errno == errno.EACCES:
        return f"cannot listen on {where}: permission denied (ports below 1024 need privileges)"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"cannot listen on {where}: no such address on this machine"
    if isinstance(exc, socket.gaierror):
        return f"cannot listen on {where}: unknown host {section.host!r}"
    return f"cannot listen on {where}: {exc.strerror or exc}"


def bind_listener(section: ServerSection, *, reuse_port: bool) -> socket.socket:
    """A socket bound to ``section``'s host and port (not yet listening). Raises ``OSError``
    (say what with :func:`listen_problem`). Port 0 binds a free port: read it off the socket."""
    infos = socket.getaddrinfo(
        section.host, section.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


class Server:
    """One worker's listener and its connections."""

    def __init__(
        self,
        section: ServerSection,
        limits: Limits,
        app: App,
        service: Service | None = None,
        access: AccessLog | None = None,
        admission: AdmissionConfig | None = None,
    ) -> None:
        self.section = section
        self.access = access
        self.limits = limits
        self.app = app
        self.service = service
        admission = admission or AdmissionConfig()
        #: The worker's admission queue (None: admission control off, requests inline).
        self.dispatcher = Dispatcher(app, admission) if admission.enabled else None
        #: The open connections, oldest first (a dict: ordered, and O(1) to remove from).
        self.connections: dict[Connection, None] = {}
        self._acceptor: Acceptor | None = None
        self._ticker: asyncio.TimerHandle | None = None
        self._lag_timer: asyncio.TimerHandle | None = None
        self._closed_collected = 0  # connections closed when the collector last ran
        self.port = 0

    async def start(self, *, reuse_port: bool, sock: socket.socket | None = None) -> None:
        """Listen on ``sock`` (bound by :func:`bind_listener`), or bind and listen."""
        section = self.section
        context = None
        if section.tls_cert and section.tls_key:
            context = make_ssl_context(section.tls_cert, section.tls_key)
        if sock is None:
            sock = bind_listener(section, reuse_port=reuse_port)
        # Accepted here rather than by loop.create_server: accepting slows during a connection
        # flood (transport/acceptor.py).
        sock.listen(BACKLOG)
        self._acceptor = Acceptor(
            sock, self._protocol, context, CUTS, self.limits.accepts_per_second_while_cutting
        )
        self._acceptor.start()
        self.port = sock.getsockname()[1]
        self._tick()
        if self.dispatcher is None:
            # Without admission control the app sheds on the loop's lag; with it, the
            # dispatcher knows each request's age and deadline, and a second, blunter policy
            # would shed requests it has chosen to decide.
            self._sample_lag(time.monotonic())

    def _protocol(self) -> Connection:
        return Connection(
            self.app,
            self.limits,
            self.connections,
            self.section.engine,
            self.access,
            self.dispatcher,
        )

    def _tick(self) -> None:
        now = time.monotonic()
        dispatcher = self.dispatcher
        streams = 0
        if dispatcher is not None and dispatcher.config.follow_streams:
            streams = dispatcher.admission.limit
        for connection in list(self.connections):
            connection.tick(now)
            if streams:
                connection.advertise_streams(streams)
        # A closed connection is cyclic garbage (h2's connection keeps bound methods of itself
        # in a dispatch table; httptools' parser holds its protocol's callbacks), and the hot
        # path allocates so few tracked objects that the collector's thresholds are rarely
        # reached: without this, RSS grew ~130 B per request (bench memory, 5M requests).
        # After gc.freeze() a full collection scans only what was made since start-up.
        # (Young collections alone were tried: connections that lived long enough to be
        # promoted escaped them and RSS grew again.)
        accepted = CONNECTIONS.total()
        closed = accepted - len(self.connections)
        if closed > self._closed_collected:
            self._closed_collected = closed
            gc.collect()
        if self.service is not None:
            self.service.poll()
        self._ticker = asyncio.get_running_loop().call_later(1.0, self._tick)

    def _sample_lag(self, expected: float) -> None:
        # How late this timer fires is how long the loop is busy before it reads new requests.
        now = time.monotonic()
        self.app.observe_lag(now - expected)
        self._lag_timer = asyncio.get_running_loop().call_later(
            LAG_SAMPLE_SECONDS, self._sample_lag, now + LAG_SAMPLE_SECONDS
        )

    async def drain(self) -> None:
        """Stop accepting, let in-flight requests finish, close everything."""
        self.app.start_drain()
        if self._acceptor is not None:
            self._acceptor.close()
        for connection in list(self.connections):
            connection.start_drain()
        deadline = time.monotonic() + self.limits.drain_timeout
        while self.connections and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            now = time.monotonic()
            for connection in list(self.connections):
                connection.tick(now)
        for connection in list(self.connections):
            PROTOCOL_ERRORS.inc(K.DRAIN_TIMEOUT_CLOSE)
            connection.close(CloseReason.DRAIN_TIMEOUT)
        if self._ticker is not None:
            self._ticker.cancel()
        if self._lag_timer is not None:
            self._lag_timer.cancel()
        if self._acceptor is not None:
            await self._acceptor.wait_closed()
        refused = PROTOCOL_ERRORS.get(K.H2_REFUSED_AFTER_GOAWAY)
        forced = PROTOCOL_ERRORS.get(K.DRAIN_TIMEOUT_CLOSE)
        answered = HTTP_RESPONSES.total()
        log.info(
            "bidwire drained (pid=%d): %d requests answered, %d streams refused after the final "
            "GOAWAY, %d connections closed at the drain timeout",
            os.getpid(), answered, refused, forced,
        )  # fmt: skip


def _new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency where it builds
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def run_worker(
    section: ServerSection,
    limits: Limits,
    make_service: Callable[[], Service],
    *,
    reuse_port: bool,
    announce: Callable[[Server], None] | None = None,
    sock: socket.socket | None = None,
    access_sample: float = 0.0,
    admission: AdmissionConfig | None = None,
) -> None:
    """Run one worker until SIGTERM/SIGINT, then drain and return. SIGHUP reloads campaigns."""
    loop = _new_loop()
    asyncio.set_event_loop(loop)
    service = make_service()
    gc.set_threshold(*section.gc_thresholds)
    if section.gc_freeze:
        # Everything built so far (campaigns, index, codecs) lives as long as the worker.
        gc.collect()
        gc.freeze()
    access = AccessLog(access_sample) if access_sample > 0 else None
    server = Server(section, limits, service.app, service, access, admission)
    stop = asyncio.Event()

    async def main() -> None:
        await server.start(reuse_port=reuse_port, sock=sock)
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        loop.add_signal_handler(signal.SIGHUP, service.reload)
        if announce is not None:
            announce(server)
        await stop.wait()
        await server.drain()
        await service.close()

    try:
        loop.run_until_complete(main())
    finally:
        loop.close()


def serve(
    section: ServerSection,
    limits: Limits,
    make_service: Callable[[], Service],
    *,
    sock: socket.socket | None = None,
    details: str = "",
    access_sample: float = 0.0,
    admission: AdmissionConfig | None = None,
) -> int:
    """Run ``section.workers`` workers on one port; returns the exit status. ``sock``: the
    socket :func:`bind_listener` bound at start (one worker listens on it; several bind their
    own with SO_REUSEPORT); ``details``: what the start-up line says besides the address;
    ``access_sample``: the share of answers each worker writes to the access log."""
    scheme = "https" if section.tls_cert else "http"
    workers = section.workers
    host = f"[{section.host}]" if ":" in section.host else section.host

    def announce(server: Server) -> None:
        log.info(
            "bidwire listening on %s://%s:%d (workers=%d, pid=%d%s)",
            scheme, host, server.port, workers, os.getpid(), f", {details}" if details else "",
        )  # fmt: skip

    if workers == 1:
        run_worker(
            section, limits, make_service, reuse_port=False, announce=announce, sock=sock,
            access_sample=access_sample, admission=admission,
        )  # fmt: skip
        return 0
    if sock is not None:
        sock.close()  # each worker binds its own (SO_REUSEPORT spreads the connections)
    children: list[int] = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            code = 0
            try:
                run_worker(
                    section, limits, make_service, reuse_port=True, announce=announce,
                    access_sample=access_sample, admission=admission,
                )  # fmt: skip
            except BaseException as exc:
                log.error("worker %d stopped: %s: %s", os.getpid(), type(exc).__name__, exc)
                code = 1
            os._exit(code)
        children.append(pid)

    def forward(signum: int, _frame: object) -> None:
        for child in children:
            try:
                os.kill(child, signum)
            except ProcessLookupError:
                pass

    # SIGHUP too: a service manager's reload (systemd's ExecReload) signals this process, and
    # its default action would end it, leaving the workers without a parent.
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, forward)
    status = 0
    for child in children:
        _, code = os.waitpid(child, 0)
        status = status or os.waitstatus_to_exitcode(code)
    return status


__all__ = [
    "Server",
    "bind_listener",
    "listen_problem",
    "make_ssl_context",
    "run_worker",
    "serve",
    "tls_problem",
]
