"""A deliberately broken bidder, for the test that `bidwire fuzz` finds breaks.

It speaks HTTP/2 (h2, prior knowledge) and HTTP/1.1 (httptools) on one port and answers every
POST 204, except that it
- answers 500 to any body that mentions ``"dooh"`` (a realistic request the fuzzer soon sends);
- drops the connection on any body holding a 0xFF byte (never in valid JSON or in most
  protobuf, often in mutated bodies);
- says nothing at all to a frame sequence h2 finds invalid (it should send GOAWAY).
``GET /healthz`` is 200, so the fuzzer sees the server alive after each failure.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import httptools

from transport.h2_wire import PREFACE


def verdict(body: bytes) -> int | None:
    """The status for ``body``; None: drop the connection."""
    if b"\xff" in body:
        return None
    return 500 if b'"dooh"' in body else 204


class _H1:
    """httptools callbacks for one HTTP/1.1 connection."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self.body = bytearray()
        self.url = b""

    def on_url(self, url: bytes) -> None:
        self.url = url

    def on_body(self, body: bytes) -> None:
        self.body += body

    def on_message_complete(self) -> None:
        status = 200 if self.url == b"/healthz" else verdict(bytes(self.body))
        self.body.clear()
        if status is None:
            self.transport.abort()
            return
        self.transport.write(b"HTTP/1.1 %d X\r\ncontent-length: 0\r\n\r\n" % status)


class BrokenProtocol(asyncio.Protocol):
    """One connection of the broken server."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.h2: h2.connection.H2Connection | None = None
        self.h1: httptools.HttpRequestParser | None = None
        self.sniffed = b""
        self.silent = False
        self.bodies: dict[int, bytearray] = {}
        self.paths: dict[int, bytes] = {}

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        assert self.transport is not None
        if self.h2 is None and self.h1 is None:
            data = self.sniffed + data
            if len(data) < len(PREFACE) and PREFACE.startswith(data):
                self.sniffed = data
                return
            if data.startswith(PREFACE):
                config = h2.config.H2Configuration(client_side=False, header_encoding=None)
                self.h2 = h2.connection.H2Connection(config=config)
                self.h2.initiate_connection()
            else:
                self.h1 = httptools.HttpRequestParser(_H1(self.transport))
        if self.h1 is not None:
            try:
                self.h1.feed_data(data)
            except httptools.HttpParserError:
                self.transport.close()
            return
        self._h2(data)

    def _h2(self, data: bytes) -> None:
        conn, transport = self.h2, self.transport
        assert conn is not None and transport is not None
        if self.silent:
            return
        try:
            events = conn.receive_data(data)
        except h2.exceptions.ProtocolError:
            self.silent = True  # the break: no GOAWAY, no close
            return
        for event in events:
            if isinstance(event, h2.events.RequestReceived):
                self.bodies[event.stream_id] = bytearray()
                self.paths[event.stream_id] = dict(event.headers or ()).get(b":path", b"")
            elif isinstance(event, h2.events.DataReceived):
                self.bodies.setdefault(event.stream_id, bytearray()).extend(event.data or b"")
                conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.StreamEnded):
                sid = event.stream_id
                body = bytes(self.bodies.pop(sid, b""))
                status = 200 if self.paths.pop(sid, b"") == b"/healthz" else verdict(body)
                if status is None:
                    transport.abort()
                    return
                try:
                    conn.send_headers(sid, [(b":status", str(status).encode())], end_stream=True)
                except h2.exceptions.StreamClosedError:
                    pass  # the client reset it
        transport.write(conn.data_to_send())


@contextmanager
def broken_server() -> Iterator[int]:
    """Serve the broken bidder on a free port in a thread; yields the port."""
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(loop.create_server(BrokenProtocol, "127.0.0.1", 0))
    port: int = server.sockets[0].getsockname()[1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        server.close()
        loop.close()
