"""transport.acceptor over real sockets on 127.0.0.1: while the worker cuts many connections it
accepts at most its rate and leaves the rest in the backlog; otherwise it accepts everything."""

from __future__ import annotations

import asyncio
import socket
import time

from transport.acceptor import Acceptor
from transport.cost import CUTS_TOLERATED, Cuts
from transport.metrics import ACCEPT_PAUSES

RATE = 5.0
CLIENTS = 40


class Counted(asyncio.Protocol):
    made = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        Counted.made += 1


def listener() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


def connect_all(port: int) -> list[socket.socket]:
    clients = []
    for _ in range(CLIENTS):
        client = socket.socket()
        client.connect(("127.0.0.1", port))  # completes in the kernel's backlog
        clients.append(client)
    return clients


async def until_all_accepted(timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while Counted.made < CLIENTS and time.monotonic() < deadline:
        await asyncio.sleep(0.02)


def storm(cuts: Cuts) -> None:
    """A cut level far past CUTS_TOLERATED that does not decay while the test runs."""
    cuts.level, cuts.stamp = 1e9, time.monotonic() + 600


def test_a_flood_is_accepted_at_the_rate_then_all_once_it_ends() -> None:
    async def run() -> tuple[int, float, int]:
        Counted.made = 0
        cuts = Cuts()
        storm(cuts)
        sock = listener()
        acceptor = Acceptor(sock, Counted, None, cuts, RATE)
        clients = connect_all(sock.getsockname()[1])
        pauses = ACCEPT_PAUSES.get()
        started = time.monotonic()
        acceptor.start()
        await asyncio.sleep(0.6)
        during, elapsed = Counted.made, time.monotonic() - started
        cuts.level, cuts.stamp = 0.0, time.monotonic()
        await until_all_accepted()
        acceptor.close()
        await acceptor.wait_closed()
        for client in clients:
            client.close()
        assert ACCEPT_PAUSES.get() > pauses
        return during, elapsed, Counted.made

    during, elapsed, after = asyncio.run(run())
    # At most the bucket's burst (the rate, one second's worth) and what the rate refilled.
    assert 1 <= during <= RATE + RATE * elapsed + 1
    assert after == CLIENTS


def test_without_cuts_every_connection_is_accepted_at_once() -> None:
    async def run() -> int:
        Counted.made = 0
        cuts = Cuts()
        cuts.level = CUTS_TOLERATED  # at the tolerance, not past it
        sock = listener()
        acceptor = Acceptor(sock, Counted, None, cuts, RATE)
        clients = connect_all(sock.getsockname()[1])
        acceptor.start()
        await until_all_accepted()
        acceptor.close()
        for client in clients:
            client.close()
        return Counted.made

    assert asyncio.run(run()) == CLIENTS


def test_closing_stops_accepting() -> None:
    async def run() -> tuple[int, bool]:
        Counted.made = 0
        sock = listener()
        port = sock.getsockname()[1]
        acceptor = Acceptor(sock, Counted, None, Cuts(), RATE)
        acceptor.start()
        acceptor.close()
        refused = False
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1.0).close()
        except OSError:
            refused = True
        await asyncio.sleep(0.1)
        return Counted.made, refused

    made, refused = asyncio.run(run())
    assert made == 0 and refused
