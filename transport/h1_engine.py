"""The HTTP/1.1 engine on httptools: sans-IO, keep-alive and pipelining, bytes in and out.

Same interface as :class:`~transport.h2_engine.H2Engine`: ``receive_data`` returns complete
requests tagged with a sequence number, ``send_response`` queues the answer, ``data_to_send``
returns what to write. Answers go out in request order (the caller answers each request before
reading the next, so pipelined requests are answered in order).

What a connection holds has a deadline: the head of a request (``header_timeout``), its body
(``body_timeout``), and the connection itself once idle (``idle_timeout``, counted from the last
request, not the last byte: empty lines between requests, which RFC 9112 2.2 lets a server
ignore, keep nothing open, and more than :data:`MAX_BLANK_BYTES` of them are a 400). Its cost is
kept in a :class:`~transport.cost.CostLedger`, as on HTTP/2: error answers and the app's own
work (a gzip body inflated) are charged, answers credited; a connection over budget is closed.

An upgrade offer (``Connection: Upgrade`` with ``Upgrade: h2c``, as ``curl --http2 http://``
sends, or ``websocket``) is ignored, as RFC 9110 7.8 allows: the request, body included, is
answered over HTTP/1.1 on a connection that stays HTTP/1.1. (HTTP/2 is there for clients that
speak it with prior knowledge, or by ALPN on TLS.) httptools ends the message at the headers of
an upgrade and hands back the bytes after them; the body is read from those with a parser of
its own (:meth:`H1Engine._resume_after_upgrade`).
"""

from __future__ import annotations

from typing import Final

import httptools

from .cost import ERROR, FRAME, CostLedger
from .events import (
    BLANK,
    NO_CONTENT_LENGTH,
    REQUEST_HEADERS,
    Request,
    Response,
    error_response,
    response_fields,
    too_large_response,
)
from .limits import Limits
from .metrics import ERRORS, HTTP_RESPONSES, PROTOCOL_ERRORS, STREAMS_OPEN, CloseReason
from .metrics import ProtocolErrorKind as K

REASONS: Final = {
    100: b"Continue", 200: b"OK", 204: b"No Content", 400: b"Bad Request", 403: b"Forbidden",
    404: b"Not Found", 405: b"Method Not Allowed", 408: b"Request Timeout",
    413: b"Content Too Large", 415: b"Unsupported Media Type",
    431: b"Request Header Fields Too Large", 500: b"Internal Server Error",
    503: b"Service Unavailable",
}  # fmt: skip
_CONTINUE: Final = b"HTTP/1.1 100 Continue\r\n\r\n"
#: Bytes of empty lines allowed where a request line is expected (RFC 9112 2.2: a server SHOULD
#: ignore at least one); past it, 400 and closed: a client that sends only CRLFs holds a
#: connection without ever starting a request.
MAX_BLANK_BYTES: Final = 256


def _status_line(status: int) -> bytes:
    return b"HTTP/1.1 %d %s\r\n" % (status, REASONS.get(status, b"Unknown"))


def _looks_like_http1(data: bytes) -> bool:
    line = data.split(b"\r\n", 1)[0].split(b"\n", 1)[0]
    return line.rstrip().endswith((b"HTTP/1.1", b"HTTP/1.0"))


class _Abort(Exception):
    """Stop parsing: answer ``status`` and close the connection."""

    def __init__(self, status: int, kind: K) -> None:
        super().__init__(kind)
        self.status = status
        self.kind = kind


class H1Engine:
    """One HTTP/1.1 server connection, without I/O."""

    def __init__(self, limits: Limits, now: float) -> None:
        self.limits = limits
        self._max_header_bytes = limits.max_header_list_size
        self._parser = httptools.HttpRequestParser(self)
        self._out = bytearray()
        self._ready: list[tuple[int, Request]] = []
        self._request: Request | None = None
        self._url = bytearray()
        self._header_bytes = 0
        self._chunks: list[bytes] = []
        self._body_size = 0
        self._expect_continue = False
        #: The request being read offered an upgrade: its body is still to come.
        self._upgrade_offered = False
        #: Its body's framing, from its headers: "chunked", or the content-length (b"" if none).
        self._framing = b""
        #: The parser is reading the made-up head that frames an upgrade offer's body.
        self._resuming = False
        self._now = now
        #: A request is being read (from its first byte to its end): one open stream.
        self._reading = False
        self._started = 0.0  # when the request being read began
        self._headers_done_at = 0.0
        self._last_activity = now
        self._seq = 0
        self._blank = 0  # bytes of empty lines read since the last request
        self._cost = CostLedger(limits, now)
        self._in_flight: dict[int, tuple[bool, bool]] = {}  # seq -> (keep_alive, is_head)
        self._held: dict[int, Response] = {}  # answers waiting for an earlier one
        #: The last answer's shape and head, without content-length: (status, headers,
        #: content type, encoding, the status line and fields).
        self._last: tuple[int, object, object, object, bytes] = (0, None, None, None, b"")
        self.draining = False
        #: True once the connection is over: flush :meth:`data_to_send`, then close the socket.
        self.closed = False
        self.close_reason: CloseReason | None = None

    # -- httptools callbacks -------------------------------------------------------------------

    def on_message_begin(self) -> None:
        if self._resuming:
            return  # the head that frames an upgrade offer's body: the request goes on
        self._request = BLANK.like(self._now)
        # Counted open from its first byte, so that every way it ends (answered, refused with
        # a 413, cut by a closed connection) lowers the gauge exactly once.
        self._reading = True
        STREAMS_OPEN.value += 1
        self._url.clear()
        self._header_bytes = 0
        self._chunks = []
        self._body_size = 0
        self._expect_continue = False
        self._framing = b""
        self._started = self._now
        self._last_activity = self._now
        self._headers_done_at = 0.0
        self._cost.tokens -= FRAME

    def on_url(self, url: bytes) -> None:
        if self._resuming:
            return
        self._url += url
        self._header_bytes += len(url)
        if self._header_bytes > self.limits.max_header_list_size:
            raise _Abort(431, K.H1_HEADERS_TOO_LARGE)

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._resuming:
            return
        size = self._header_bytes + len(name) + len(value) + 32
        self._header_bytes = size
        if size > self._max_header_bytes:
            raise _Abort(431, K.H1_HEADERS_TOO_LARGE)
        name = name.lower()
        attr = REQUEST_HEADERS.get(name)
        if attr is not None:
            setattr(self._request, attr, value)
        elif name == b"expect" and value.lower() == b"100-continue":
            self._expect_continue = True
        elif name == b"content-length":
            value = value.strip()
            if value.isdigit() and int(value) > self.limits.max_body_size:
                raise _Abort(413, K.H1_BODY_TOO_LARGE)
            self._framing = value
        elif name == b"transfer-encoding" and value.lower().rstrip().endswith(b"chunked"):
            self._framing = b"chunked"

    def on_headers_complete(self) -> None:
        if self._resuming:
            self._resuming = False
            return
        request = self._request
        assert request is not None
        parser = self._parser
        request.method = parser.get_method()
        request.path = bytes(self._url)
        self._headers_done_at = self._now
        if self._expect_continue:
            self._out += _CONTINUE

    def on_body(self, body: bytes) -> None:
        self._body_size += len(body)
        if self._body_size > self.limits.max_body_size:
            raise _Abort(413, K.H1_BODY_TOO_LARGE)
        self._chunks.append(body)

    def on_message_complete(self) -> None:
        request = self._request
        assert request is not None
        if not self._upgrade_offered and self._parser.should_upgrade():
            # The parser ends an upgrade offer at its headers; its body comes next (see
            # _resume_after_upgrade), then the request is complete.
            self._upgrade_offered = True
            return
        self._upgrade_offered = False
        chunks = self._chunks
        request.body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        self._chunks = []
        self._seq += 1
        keep_alive = self._parser.should_keep_alive() and not self.draining
        self._in_flight[self._seq] = (keep_alive, request.method == b"HEAD")
        self._ready.append((self._seq, request))
        self._request = None
        self._reading = False
        self._started = 0.0

    # -- engine interface ----------------------------------------------------------------------

    def receive_data(self, data: bytes, now: float) -> list[tuple[int, Request]]:
        """Parse bytes from the client; the requests that are now complete."""
        if self.closed:
            return []
        if self._cost.tokens < 0.0 and self._cost.over(now):
            self._close_costly()
            return []
        self._now = now
        idle = not self._reading
        seq = self._seq
        size = len(data)
        while data:
            data = self._feed(data)
        if idle and not self._reading and self._seq == seq:
            # Nothing but empty lines (the parser skips them before a request line).
            self._blank += size
            if self._blank > MAX_BLANK_BYTES and not self.closed:
                self._abort(400, K.H1_BLANK_LINES)
        else:
            self._blank = 0
        ready, self._ready = self._ready, []
        return ready

    def _feed(self, data: bytes) -> bytes:
        """Parse ``data``; what is left to parse after an upgrade offer (else b"")."""
        try:
            self._parser.feed_data(data)
        except _Abort as exc:
            self._abort(exc.status, exc.kind)
        except httptools.HttpParserUpgrade as exc:
            rest = data[exc.args[0] :] if exc.args else b""
            self._resume_after_upgrade()
            return rest
        except httptools.HttpParserError as exc:
            # A callback's exception arrives wrapped (HttpParserCallbackError) with it as context.
            cause = exc.__context__
            if isinstance(cause, _Abort):
                self._abort(cause.status, cause.kind)
            elif self._seq == 0 and not _looks_like_http1(data):
                # The first bytes are not an HTTP/1.x request line: the peer may not speak
                # HTTP/1.1 at all (e.g. an HTTP/2 client with a broken preface), and an HTTP/1.1
                # answer would be garbage to it. Close, as RFC 9113 3.4 asks of HTTP/2.
                PROTOCOL_ERRORS.inc(K.BAD_PREFACE)
                self.closed = True
                self.close_reason = CloseReason.BAD_PREFACE
            else:
                self._abort(400, K.H1_BAD_HTTP)
        return b""

    def _resume_after_upgrade(self) -> None:
        """Decline an upgrade offer and read on: a new parser is given a head of our making
        with the offer's framing (content-length or chunked, and ``connection: close`` if the
        client said so), then the bytes after the offer's headers, so that it reads the body
        as it would have, completes the request and goes on to the next one."""
        keep_alive = self._parser.should_keep_alive()
        self._parser = httptools.HttpRequestParser(self)
        framing = self._framing
        head = b"POST / HTTP/1.1\r\n"
        if framing == b"chunked":
            head += b"transfer-encoding: chunked\r\n"
        else:
            head += b"content-length: " + (framing or b"0") + b"\r\n"
        if not keep_alive:
            head += b"connection: close\r\n"
        self._resuming = True
        self._feed(head + b"\r\n")

    def charge(self, units: int) -> None:
        """Work done for this connection outside the engine (the app's inflating, say), with
        the verdict at once (the caller stops when ``closed``)."""
        self._cost.tokens -= units
        self._verdict()

    def _verdict(self) -> None:
        if self._cost.tokens < 0.0 and not self.closed and self._cost.over(self._now):
            self._close_costly()

    @property
    def last_active(self) -> float:
        """When a request last started or was in progress."""
        return self._last_activity

    def close_now(self, reason: CloseReason) -> None:
        """End the connection now (it is idle: nothing is owed), ``reason`` given."""
        self.closed = True
        self.close_reason = reason

    def _close_costly(self) -> None:
        # The connection cost far more than it brought: closed without an answer (what was in
        # flight is dropped), as HTTP/2 sends GOAWAY(ENHANCE_YOUR_CALM).
        PROTOCOL_ERRORS.inc(K.COST_EXCEEDED)
        self.closed = True
        self.close_reason = CloseReason.COST_EXCEEDED

    def _abort(self, status: int, kind: K) -> None:
        PROTOCOL_ERRORS.inc(kind)
        reason = kind.removeprefix("h1_")
        self.close_reason = CloseReason(reason)
        if self._ready:
            # Complete requests came before the bad one in this read: the client would take an
            # error written now for the answer to the first of them. Answer them instead (with
            # `connection: close`), and close without an answer to the bad one.
            self.draining = True
            return
        if status == 413 and self._request is not None:
            # The same answer as HTTP/2's (a gRPC call's included): transport.events.
            ERRORS.inc("body_too_large")
            answer = too_large_response(self._request)
        else:
            answer = error_response(status, reason.replace("_", " "))
        HTTP_RESPONSES.inc(answer.status)
        self._write(answer, keep_alive=False, head=False)
        self._cost.tokens -= ERROR
        self.closed = True

    def send_response(self, seq: int, response: Response) -> None:
        """Queue the answer to request ``seq``. Answers go out in request order: one that is
        ready before an earlier one (a deferred answer still pending) waits for it."""
        in_flight = self._in_flight
        if seq not in in_flight:
            return
        if not self._held and next(iter(in_flight)) == seq:
            # The oldest request's answer, nothing held: it goes now (the usual case).
            self._send_now(seq, response)
            return
        self._held[seq] = response
        while in_flight:
            first = next(iter(in_flight))
            ready = self._held.pop(first, None)
            if ready is None:
                return
            self._send_now(first, ready)
            if self.closed:
                return

    def advertise_streams(self, limit: int) -> None:
        """HTTP/1.1 has no streams to advertise."""

    def refuse_stream(self, seq: int) -> bool:
        """HTTP/1.1 has no way to refuse a request without answering it: False."""
        return False

    def _send_now(self, seq: int, response: Response) -> None:
        keep_alive, head = self._in_flight.pop(seq, (False, False))
        STREAMS_OPEN.value -= 1
        if response.status >= 400:
            self._cost.tokens -= ERROR
            self._verdict()  # pipelined requests after this one are not decided then
        else:
            self._cost.earn()
        # Draining: the last answer in flight closes, not the first (the client would drop the
        # answers written after one that says `connection: close`).
        keep_alive = keep_alive and not self.closed and not (self.draining and not self._in_flight)
        self._write(response, keep_alive=keep_alive, head=head)
        if not keep_alive and not self._in_flight:
            self.closed = True
            self.close_reason = self.close_reason or CloseReason.CLIENT_CLOSE

    def _write(self, response: Response, *, keep_alive: bool, head: bool) -> None:
        out = self._out
        status = response.status
        last = self._last
        headers = response.headers
        content_type = response.content_type
        content_encoding = response.content_encoding
        if (
            headers is last[1]
            and status == last[0]
            and content_type is last[2]
            and content_encoding is last[3]
            and not response.trailers_only
        ):
            # The last shape's head again (its fields are immutable and held here: the same
            # objects are the same head): answers come in runs of one shape.
            out += last[4]
        else:
            start = len(out)
            out += _status_line(status)
            for name, value in response_fields(response, length=False):
                out += name + b": " + value + b"\r\n"
            if not response.trailers_only:
                self._last = (status, headers, content_type, content_encoding, bytes(out[start:]))
        if status not in NO_CONTENT_LENGTH:
            out += b"content-length: %d\r\n" % len(response.body)
        if not keep_alive:
            out += b"connection: close\r\n"
        out += b"\r\n"
        if not head:
            out += response.body

    def data_to_send(self) -> bytes:
        """Every byte queued for the client, in order."""
        if not self._out:
            return b""
        data = bytes(self._out)
        self._out.clear()
        return data

    @property
    def open_streams(self) -> int:
        """Requests received and not yet answered (plus one being read)."""
        return len(self._in_flight) + self._reading

    def tick(self, now: float) -> None:
        """Enforce timeouts; call about once a second."""
        if self.closed:
            return
        cost = self._cost
        cost.refill(now)
        if cost.over(now):
            self._close_costly()
            return
        limits = self.limits
        if self._in_flight:
            self._last_activity = now
        if self._reading:
            if not self._headers_done_at and now - self._started > limits.header_timeout:
                self._abort(408, K.H1_HEADER_TIMEOUT)
            elif self._headers_done_at and now - self._headers_done_at > limits.body_timeout:
                self._abort(408, K.H1_BODY_TIMEOUT)
        elif not self._in_flight and now - self._last_activity > limits.idle_timeout:
            PROTOCOL_ERRORS.inc(K.IDLE_TIMEOUT)
            self.closed = True
            self.close_reason = CloseReason.IDLE

    def start_drain(self) -> None:
        """Finish what is in flight with ``connection: close``; close now if idle."""
        self.draining = True
        if not self._in_flight and not self._reading:
            self.closed = True
            self.close_reason = CloseReason.DRAINED


__all__ = ["H1Engine"]
