"""Accepting connections, slowed while the worker cuts many: what bounds a connection flood.

A client that opens a connection, sends junk and closes it at once, over and over, costs the
worker the connection's set-up and its cut whatever the cost ledger does: about 46 µs of the
kernel's and uvloop's time for a connection that sends 64 KiB and is closed (a bare uvloop
server, measured), and another 40-80 µs of ours to read it and cut it. One such client process
opened 5,000 connections a second here: half of a core. The ledger already makes those
connections open with little credit (:class:`transport.cost.Cuts`); what it cannot do is make
fewer of them.

So the worker accepts connections itself (``add_reader`` on the listening socket, then
``loop.connect_accepted_socket``) and, while its cut level is past what it takes in its stride
(:meth:`transport.cost.Cuts.storming`), accepts at most ``accepts_per_second_while_cutting``
a second. Past that it stops reading the listening socket for a moment: new connections wait
in the kernel's backlog, and once it is full the kernel drops their SYNs, so the flood slows to
what the worker accepts. Connections already open (an exchange keeps its connections warm) are
not touched. When the cuts stop, the level halves every second and accepting is unlimited again.

The trade-off, by design: while a flood lasts, a *new* honest connection waits behind the
flood's in the backlog (up to the backlog over the rate: 2048 / 200 is about ten seconds).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import time
from collections.abc import Callable
from typing import Final

from .cost import Cuts
from .limits import TokenBucket
from .metrics import ACCEPT_PAUSES

log = logging.getLogger("bidwire.server")

#: Connections accepted per wake-up of the listening socket before the loop turns to other
#: work (uvloop accepts this many too).
ACCEPT_BATCH: Final = 64
#: Seconds the listening socket is left unread after an accept error other than "try again"
#: (EMFILE: out of file descriptors), so that the error does not spin the loop.
ERROR_PAUSE: Final = 0.1


class Acceptor:
    """The listening socket of one worker, read by the event loop."""

    def __init__(
        self,
        sock: socket.socket,
        protocol: Callable[[], asyncio.BaseProtocol],
        ssl_context: ssl.SSLContext | None,
        cuts: Cuts,
        rate_while_cutting: float,
    ) -> None:
        self.sock = sock
        self._protocol = protocol
        self._ssl = ssl_context
        self._cuts = cuts
        self._bucket = TokenBucket(max(1, int(rate_while_cutting)), rate_while_cutting, 0.0)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._resume: asyncio.TimerHandle | None = None
        self._reading = False
        self._closed = False
        self._pending: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        """Start accepting (on the running loop)."""
        self._loop = asyncio.get_running_loop()
        self.sock.setblocking(False)
        self._read()

    def close(self) -> None:
        """Stop accepting and close the listening socket."""
        self._closed = True
        if self._resume is not None:
            self._resume.cancel()
        self._unread()
        self.sock.close()

    async def wait_closed(self) -> None:
        """Wait for the connections being set up when it closed."""
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)

    # -- the listening socket ---------------------------------------------------------------------

    def _read(self) -> None:
        self._resume = None
        if not self._closed and not self._reading and self._loop is not None:
            self._loop.add_reader(self.sock.fileno(), self._accept)
            self._reading = True

    def _unread(self) -> None:
        if self._reading and self._loop is not None:
            self._loop.remove_reader(self.sock.fileno())
            self._reading = False

    def _pause(self, seconds: float) -> None:
        self._unread()
        if self._loop is not None and not self._closed:
            self._resume = self._loop.call_later(seconds, self._read)

    def _accept(self) -> None:
        loop = self._loop
        assert loop is not None
        now = time.monotonic()
        storming = self._cuts.storming(now)
        bucket = self._bucket
        for _ in range(ACCEPT_BATCH):
            if storming and not bucket.take(now):
                # A flood: leave the rest in the backlog until a token is due.
                ACCEPT_PAUSES.inc()
                self._pause(1.0 / bucket.rate)
                return
            try:
                conn, _ = self.sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # EMFILE, ENFILE, ENOBUFS: retry a moment later
                log.warning("accept failed: %s", exc.strerror or exc)
                self._pause(ERROR_PAUSE)
                return
            if conn.family != socket.AF_UNIX:
                # As asyncio and uvloop's own servers do: answers go out as they are written.
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.setblocking(False)
            task = loop.create_task(self._connect(conn))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    async def _connect(self, conn: socket.socket) -> None:
        loop = self._loop
        assert loop is not None
        try:
            await loop.connect_accepted_socket(self._protocol, conn, ssl=self._ssl)
        except (TimeoutError, OSError, ssl.SSLError):
            conn.close()  # the client went away (or failed its TLS handshake) while it was set up


__all__ = ["ACCEPT_BATCH", "Acceptor"]
