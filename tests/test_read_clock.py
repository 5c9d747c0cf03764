"""The read clock (transport.read_clock): a request that waited unread in the kernel while the
loop was busy is stamped with a moment before it was sent, not with its read; one read by a
loop that had gone idle is stamped when read. Sans-IO first (the rule, with the thread's sleeps
told by a fake ``getrusage``), then over real sockets through Connection and Dispatcher on
uvloop, single-threaded so that only the loop's own poll can put it to sleep.
"""

from __future__ import annotations

import asyncio
import socket
import time
from types import SimpleNamespace

import pytest
import uvloop

from tests.test_deadline_timer import http1_post
from tests.test_trailers_e2e import EchoTrailers
from transport import read_clock
from transport.admission import AdmissionConfig
from transport.connection import Connection
from transport.dispatch import Dispatcher
from transport.events import Deferred, Request, Response
from transport.limits import Limits
from transport.read_clock import ReadClock


def test_the_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    sleeps = [0]
    monkeypatch.setattr(read_clock, "_rusage", lambda who: SimpleNamespace(ru_nvcsw=sleeps[0]))

    async def scenario() -> None:
        clock = ReadClock()
        assert clock.unread_since(5.0) == 5.0  # nothing read yet
        assert clock.arrival(10.0) == 10.0  # the first phase: nothing to go by
        assert clock.arrival(10.5) == 10.0  # the same phase, the same bound
        assert clock.unread_since(10.6) == 10.0
        clock.settle()
        assert clock.unread_since(11.0) == 10.0  # came after that phase's poll
        assert clock.arrival(12.0) == 10.0  # busy since: may have waited since then
        await asyncio.sleep(0)  # the phase's call_soon ends it
        sleeps[0] += 1  # the loop slept in its poll
        assert clock.arrival(20.0) == 20.0  # woken by this read: nothing older is unread
        clock.settle()
        clock.nothing_since(25.0)  # a poll after 25.0 found nothing
        assert clock.unread_since(26.0) == 25.0
        assert clock.arrival(26.0) == 25.0
        assert clock.phases == 4

    asyncio.run(scenario())


class App(EchoTrailers):
    """Decides the first bid request it is given only once a second one has been sent (from
    inside that decision: the loop is busy while it waits in the kernel); records the arrival
    each request was stamped with."""

    def __init__(self, sender: socket.socket, second: bytes) -> None:
        self.arrivals: list[float] = []
        self.decisions = 0
        self.sent_at = 0.0
        self._sender = sender
        self._second = second

    def deadline(self, request: Request) -> float | None:
        self.arrivals.append(request.arrival)
        return request.arrival + 60.0

    def handle(self, request: Request) -> Response | Deferred:
        self.decisions += 1
        if self.decisions == 1:
            self.sent_at = time.monotonic()
            self._sender.sendall(self._second)  # reaches the server's socket now, unread
        return Response(204)

    def refuse(self, request: Request, reason: str) -> Response:
        return Response(204)


async def _answer(loop: asyncio.AbstractEventLoop, sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = await loop.sock_recv(sock, 4096)
        assert chunk, "closed without an answer"
        data += chunk
    return data


def test_a_request_that_waited_unread_is_stamped_before_it_was_sent() -> None:
    request = http1_post(b'{"id":"r","imp":[{"id":"1"}]}')

    async def scenario() -> App:
        loop = asyncio.get_running_loop()
        clients = [socket.socket() for _ in range(3)]
        app = App(clients[1], request)
        dispatcher = Dispatcher(app, AdmissionConfig())  # type: ignore[arg-type]
        server = await loop.create_server(
            lambda: Connection(app, Limits(), {}, dispatcher=dispatcher),  # type: ignore[arg-type]
            "127.0.0.1",
            0,
        )
        port = server.sockets[0].getsockname()[1]
        for client in clients:
            client.setblocking(False)
            await loop.sock_connect(client, ("127.0.0.1", port))
        first_sent = time.monotonic()
        await loop.sock_sendall(clients[0], request)
        # The first is decided; its decision sends the second, read by the next phase.
        assert (await _answer(loop, clients[0])).startswith(b"HTTP/1.1 204")
        assert (await _answer(loop, clients[1])).startswith(b"HTTP/1.1 204")
        await asyncio.sleep(0.05)  # the loop goes idle: it sleeps in its poll
        third_sent = time.monotonic()
        await loop.sock_sendall(clients[2], request)
        assert (await _answer(loop, clients[2])).startswith(b"HTTP/1.1 204")
        first, second, third = app.arrivals
        assert first >= first_sent  # read by a loop that had been waiting for it
        assert second <= app.sent_at  # waited unread while the loop decided the first
        assert third >= third_sent  # the loop was idle: no wait it did not see
        server.close()
        for client in clients:
            client.close()
        return app

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        app = runner.run(scenario())
    assert app.decisions == 3


@pytest.mark.parametrize(("read_wait_ms", "most_per_run"), [(1000.0, 3), (0.001, 1)])
def test_a_run_stops_deciding_once_what_is_unread_may_have_waited_read_wait(
    read_wait_ms: float, most_per_run: int
) -> None:
    """Three requests in one read: a run decides them all, unless what is still unread may
    have waited read_wait already; then it decides one (a queue always drains) and the loop
    reads before the next."""
    from tests.test_deadline_timer import FakeTransport

    app = App(socket.socket(), b"")
    config = AdmissionConfig(slice_ms=1000.0, read_wait_ms=read_wait_ms)
    dispatcher = Dispatcher(app, config)  # type: ignore[arg-type]
    per_run: list[int] = []
    run = dispatcher._run

    def counted(scheduled: bool = False) -> None:
        before = app.decisions
        run(scheduled)
        per_run.append(app.decisions - before)

    dispatcher._run = counted  # type: ignore[method-assign]
    app.decisions = 1  # the first decision sends nothing here

    async def scenario() -> None:
        connection = Connection(app, Limits(), {}, dispatcher=dispatcher)  # type: ignore[arg-type]
        connection.connection_made(FakeTransport())  # type: ignore[arg-type]
        connection.data_received(http1_post(b'{"id":"r","imp":[{"id":"1"}]}') * 3)
        while app.decisions < 4:
            await asyncio.sleep(0)

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(scenario())
    assert sum(per_run) == 3
    assert max(per_run) == most_per_run
