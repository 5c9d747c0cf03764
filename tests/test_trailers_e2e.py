"""Trailers over a real socket, both HTTP/2 engines, with nghttp (nghttp2's client) as the peer.

The server is the transport alone (:class:`transport.connection.Connection` on an asyncio loop in
a thread) serving a small app that echoes the request's trailers back as response trailers, as
a gRPC front door will answer ``grpc-status`` in them; nghttp sends a body with a trailer
(``--trailer``) and prints every frame it receives (``-v``).
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import tool
from transport.app import Health
from transport.connection import Connection
from transport.events import Deferred, Request, Response
from transport.limits import Limits

GRPC = b"application/grpc"


class EchoTrailers:
    """An App: ``/echo`` answers the body with the request's trailers (and grpc-status) after
    it; ``/only`` answers trailers-only (grpc-status 12, no body)."""

    def __init__(self) -> None:
        self.seen: list[Request] = []

    def handle(self, request: Request) -> Response | Deferred:
        self.seen.append(request)
        if request.path == b"/only":
            status = ((b"grpc-status", b"12"), (b"grpc-message", b"unimplemented"))
            return Response(200, content_type=GRPC, trailers=status, trailers_only=True)
        echoed = tuple((b"x-echo-" + name, value) for name, value in request.trailers)
        return Response(
            200, request.body, content_type=GRPC, trailers=((b"grpc-status", b"0"), *echoed)
        )

    def release(self, response: Response) -> None:
        pass

    def refuse(self, request: Request, reason: str) -> Response:
        return Response(503)

    def observe_lag(self, lag: float) -> None:
        pass

    def start_drain(self) -> None:
        pass

    @property
    def draining(self) -> bool:
        return False

    def health(self) -> Health:
        return Health(True)


@pytest.fixture(params=["raw", "h2"])
def served(request: pytest.FixtureRequest) -> Iterator[tuple[int, EchoTrailers]]:
    """The port of a transport serving EchoTrailers on the engine of the test, and the app."""
    app = EchoTrailers()
    loop = asyncio.new_event_loop()
    registry: dict[Connection, None] = {}

    def connection() -> Connection:
        return Connection(app, Limits(), registry, request.param)

    server = loop.run_until_complete(loop.create_server(connection, "127.0.0.1", 0))
    port = server.sockets[0].getsockname()[1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield port, app
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        server.close()
        loop.run_until_complete(server.wait_closed())
        loop.close()


def nghttp(*args: str) -> str:
    result = subprocess.run(
        [tool("nghttp"), "-v", *args], capture_output=True, text=True, timeout=20, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def received_header_frames(out: str) -> list[tuple[dict[str, str], str]]:
    """Each HEADERS frame nghttp received on stream 13 (its first request): the fields it
    carried and its flags line."""
    frames: list[tuple[dict[str, str], str]] = []
    fields: dict[str, str] = {}
    lines = out.splitlines()
    for i, line in enumerate(lines):
        field = re.search(r"recv \(stream_id=13\) (:?[^:]+): (.*)$", line)
        if field:
            fields[field[1]] = field[2]
        elif re.search(r"recv HEADERS frame <.*stream_id=13>", line):
            frames.append((fields, lines[i + 1].strip()))
            fields = {}
    return frames


def test_request_and_response_trailers_cross_a_real_socket(
    served: tuple[int, EchoTrailers], tmp_path: Path
) -> None:
    port, app = served
    body = tmp_path / "body"
    body.write_bytes(b"\x00\x00\x00\x00\x03abc")
    out = nghttp(
        "-d", str(body), "--trailer", "x-checksum: 42",
        "-H", "content-type: application/grpc", f"http://127.0.0.1:{port}/echo",
    )  # fmt: skip
    # The request's trailers reached the app...
    (request,) = app.seen
    assert request.trailers == ((b"x-checksum", b"42"),)
    assert request.body == b"\x00\x00\x00\x00\x03abc"
    # ...and the answer came as HEADERS, DATA without END_STREAM, then trailers that end it.
    (head, head_flags), (trailers, trailer_flags) = received_header_frames(out)
    assert head[":status"] == "200"
    assert "END_STREAM" not in head_flags
    assert trailers == {"grpc-status": "0", "x-echo-x-checksum": "42"}
    assert "END_STREAM" in trailer_flags
    data = re.findall(r"recv DATA frame <length=(\d+), flags=(0x\w+), stream_id=13>", out)
    assert data == [("8", "0x00")]


def test_trailers_only_answer_crosses_a_real_socket(served: tuple[int, EchoTrailers]) -> None:
    port, _ = served
    out = nghttp(f"http://127.0.0.1:{port}/only")
    ((fields, flags),) = received_header_frames(out)
    assert fields[":status"] == "200"
    assert fields["grpc-status"] == "12"
    assert fields["grpc-message"] == "unimplemented"
    assert "END_STREAM" in flags
    assert "recv DATA frame" not in out
