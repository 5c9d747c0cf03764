"""The fuzzer's clients, on asyncio: HTTP/2 (h2, many streams on one connection), HTTP/1.1
(keep-alive, ``expect: 100-continue`` for large bodies) and raw frame sequences over TCP.

Each request ends in a :class:`Result`: a status, or the reason there is none (the connection
closed or was reset, the stream was reset, the answer did not come in time).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import httptools
from h2.errors import ErrorCodes

from .answers import Expect, Outcome, Reader, code_name

Headers = list[tuple[bytes, bytes]]
#: HTTP/1.1 bodies larger than this wait for ``100 Continue`` (a server refusing them with 413
#: and closing would otherwise reset the connection under the body, losing the answer).
CONTINUE_OVER = 64 * 1024


@dataclass
class Result:
    """How one request ended."""

    status: int | None = None
    #: Why there is no status: "timeout", "closed", "reset", "goaway", "refused", ...
    error: str | None = None
    seconds: float = 0.0
    #: A gRPC answer's ``grpc-status`` (from its trailers, or a trailers-only header block).
    grpc_status: int | None = None
    #: The answer's body (HTTP/2, when the client keeps bodies: ``H2Client(keep_bodies=True)``).
    body: bytes = b""


def _grpc_status(value: bytes) -> int:
    """A ``grpc-status`` value; -1 when it is not a number (a failure of its own)."""
    return int(value) if value.isdigit() else -1


class H2Client:
    """One HTTP/2 connection (prior knowledge) carrying many concurrent requests."""

    def __init__(self, host: str, port: int, *, keep_bodies: bool = False) -> None:
        self.host, self.port = host, port
        #: Keep each answer's body in its :class:`Result` (the fuzzer reads only statuses).
        self.keep_bodies = keep_bodies
        self._bodies: dict[int, list[bytes]] = {}
        self.conn = h2.connection.H2Connection(
            config=h2.config.H2Configuration(client_side=True, header_encoding=None)
        )
        self.writer: asyncio.StreamWriter | None = None
        self._answers: dict[int, asyncio.Future[Result]] = {}
        self._statuses: dict[int, int] = {}
        self._grpc: dict[int, int] = {}
        self._window = asyncio.Event()
        self._reader_task: asyncio.Task[None] | None = None
        self.dead: str | None = None

    async def connect(self) -> None:
        """Open the connection and send the preface."""
        reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.conn.initiate_connection()
        self._flush()
        self._reader_task = asyncio.create_task(self._read(reader))

    def _flush(self) -> None:
        data = self.conn.data_to_send()
        if data and self.writer is not None and not self.writer.is_closing():
            self.writer.write(data)

    async def _read(self, reader: asyncio.StreamReader) -> None:
        reason = "closed"
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                for event in self.conn.receive_data(data):
                    self._event(event)
                self._flush()
        except (ConnectionError, OSError):
            reason = "reset"
        except h2.exceptions.ProtocolError as exc:
            reason = f"protocol error from the server: {type(exc).__name__}"
        self._die(reason)

    def _event(self, event: h2.events.Event) -> None:
        sid = getattr(event, "stream_id", None)
        if isinstance(event, h2.events.ResponseReceived) and sid is not None:
            for name, value in event.headers or ():
                if name == b":status":
                    self._statuses[sid] = int(value)
                elif name == b"grpc-status":
                    self._grpc[sid] = _grpc_status(value)
        elif isinstance(event, h2.events.TrailersReceived) and sid is not None:
            for name, value in event.headers or ():
                if name == b"grpc-status":
                    self._grpc[sid] = _grpc_status(value)
        elif isinstance(event, h2.events.DataReceived) and sid is not None:
            self.conn.acknowledge_received_data(event.flow_controlled_length, sid)
            if self.keep_bodies and event.data:
                self._bodies.setdefault(sid, []).append(event.data)
        elif isinstance(event, h2.events.StreamEnded) and sid is not None:
            result = Result(self._statuses.pop(sid, None))
            result.grpc_status = self._grpc.pop(sid, None)
            result.body = b"".join(self._bodies.pop(sid, ()))
            self._settle(sid, result)
        elif isinstance(event, h2.events.StreamReset) and sid is not None:
            refused = event.error_code == ErrorCodes.REFUSED_STREAM
            status = self._statuses.pop(sid, None)
            self._grpc.pop(sid, None)
            self._bodies.pop(sid, None)
            reason = f"stream reset ({code_name(event.error_code or 0)})"
            self._settle(sid, Result(status, "refused" if refused else reason))
        elif isinstance(event, (h2.events.WindowUpdated, h2.events.RemoteSettingsChanged)):
            self._window.set()
        elif (
            isinstance(event, h2.events.ConnectionTerminated)
            and event.error_code != ErrorCodes.NO_ERROR
        ):
            self._die(f"GOAWAY({code_name(event.error_code or 0)})")

    def _settle(self, sid: int, result: Result) -> None:
        future = self._answers.pop(sid, None)
        if future is not None and not future.done():
            future.set_result(result)

    def _die(self, reason: str) -> None:
        if self.dead is None:
            self.dead = reason
        for sid in list(self._answers):
            self._settle(sid, Result(error=self.dead))
        self._window.set()

    @property
    def max_streams(self) -> int:
        """How many streams the server lets us open at once."""
        return int(self.conn.remote_settings.max_concurrent_streams)

    async def request(self, headers: Headers, body: bytes, timeout: float) -> Result:
        """Send one request; its result."""
        started = time.monotonic()
        if self.dead is not None:
            return Result(error=self.dead)
        conn = self.conn
        try:
            sid = conn.get_next_available_stream_id()
            future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
            self._answers[sid] = future
            conn.send_headers(sid, headers, end_stream=not body)
            self._flush()
            sent = 0
            while sent < len(body):
                window = min(conn.local_flow_control_window(sid), conn.max_outbound_frame_size)
                if window <= 0:
                    self._window.clear()
                    await asyncio.wait_for(self._window.wait(), timeout)
                    if self.dead is not None or future.done():
                        break
                    continue
                chunk = body[sent : sent + window]
                sent += len(chunk)
                conn.send_data(sid, chunk, end_stream=sent >= len(body))
                self._flush()
            result = await asyncio.wait_for(future, timeout)
        except TimeoutError:
            self._answers.pop(sid, None)
            self._bodies.pop(sid, None)
            with contextlib.suppress(h2.exceptions.H2Error):
                conn.reset_stream(sid, ErrorCodes.CANCEL)
                self._flush()
            result = Result(error="timeout")
        except (h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError):
            # The server reset the stream (or ended the connection) while we sent the body.
            result = await future if future.done() else Result(error=self.dead or "closed")
        result.seconds = time.monotonic() - started
        return result

    async def close(self) -> None:
        """Close the connection."""
        if self._reader_task is not None:
            self._reader_task.cancel()
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()


class _ResponseHead:
    """httptools callbacks: the status, whether the message is complete, keep-alive."""

    def __init__(self) -> None:
        self.done = False
        self.headers_done = False

    def on_headers_complete(self) -> None:
        self.headers_done = True

    def on_message_complete(self) -> None:
        self.done = True


class H1Client:
    """One HTTP/1.1 keep-alive connection, one request at a time."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(
        self, method: bytes, path: bytes, headers: Headers, body: bytes, timeout: float
    ) -> Result:
        """Send one request (connecting first if needed); its result."""
        started = time.monotonic()
        try:
            result = await asyncio.wait_for(self._exchange(method, path, headers, body), timeout)
        except TimeoutError:
            await self.close()
            result = Result(error="timeout")
        except (ConnectionError, OSError, httptools.HttpParserError) as exc:
            await self.close()
            result = Result(error="reset" if isinstance(exc, ConnectionResetError) else "closed")
        result.seconds = time.monotonic() - started
        return result

    async def _exchange(self, method: bytes, path: bytes, headers: Headers, body: bytes) -> Result:
        if self._streams is None:
            self._streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._streams
        wait_continue = len(body) > CONTINUE_OVER
        lines = [b"%s %s HTTP/1.1" % (method, path), b"host: " + self.host.encode()]
        lines += [b"%s: %s" % (name, value) for name, value in headers]
        lines.append(b"content-length: %d" % len(body))
        if wait_continue:
            lines.append(b"expect: 100-continue")
        writer.write(b"\r\n".join(lines) + b"\r\n\r\n" + (b"" if wait_continue else body))
        head = _ResponseHead()
        parser = httptools.HttpResponseParser(head)
        while not head.done:
            try:
                # A server that ignores ``expect`` gets the body after a second (RFC 9110 10.1.1).
                data = await asyncio.wait_for(reader.read(65536), 1.0 if wait_continue else None)
            except TimeoutError:
                wait_continue = False
                writer.write(body)
                continue
            if not data:
                await self.close()
                return Result(error="closed")
            parser.feed_data(data)
            if wait_continue and head.headers_done and parser.get_status_code() == 100:
                # ``100 Continue``: send the body, then read the real answer.
                wait_continue = False
                writer.write(body)
                head = _ResponseHead()
                parser = httptools.HttpResponseParser(head)
        status = parser.get_status_code()
        if not parser.should_keep_alive():
            await self.close()
        return Result(status)

    async def close(self) -> None:
        """Close the connection (the next request opens a new one)."""
        if self._streams is not None:
            writer = self._streams[1]
            self._streams = None
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


async def exchange_frames(
    host: str, port: int, data: bytes, expect: Expect, timeout: float
) -> Outcome:
    """Send a frame sequence on a fresh connection; what the server answered."""
    reader_state = Reader()
    out = reader_state.outcome
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except (OSError, TimeoutError):
        out.closed = True
        return out
    deadline = time.monotonic() + timeout
    try:
        writer.write(data)
        while not out.settled(expect):
            left = deadline - time.monotonic()
            if left <= 0:
                out.timed_out = True
                break
            try:
                chunk = await asyncio.wait_for(reader.read(65536), left)
            except TimeoutError:
                out.timed_out = True
                break
            if not chunk:
                out.closed = True
                break
            reader_state.feed(chunk)
    except (ConnectionError, OSError):
        out.closed = True
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()
    return out


async def alive(host: str, port: int, timeout: float = 5.0) -> bool:
    """Whether the server still answers HTTP (any status) on ``GET /healthz``."""
    client = H1Client(host, port)
    result = await client.request(b"GET", b"/healthz", [], b"", timeout)
    await client.close()
    return result.status is not None


__all__ = ["H1Client", "H2Client", "Result", "alive", "exchange_frames"]
