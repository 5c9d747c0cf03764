"""What the engines speak: the request they hand an app, and the answer they get back.

Plain slotted classes with bytes fields: the transport fills them straight from the wire
without decoding text, and the app reads only what it needs. Nothing here is HTTP/1.1 or
HTTP/2 specific; each engine maps a ``Response`` onto its protocol with
:func:`response_fields`, the one place that says which header fields an answer carries.
The transport owns these types (as hypercorn's ``protocol/events.py``); apps import them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, Final

import msgspec

_new: Final = object.__new__

#: A header (or trailer) field list: lower-case names, raw values.
Fields = tuple[tuple[bytes, bytes], ...]


class Request:
    """One call to the bidder: the parts of an HTTP request that matter to it."""

    __slots__ = (
        "method",
        "path",
        "content_type",
        "content_encoding",
        "accept_encoding",
        "openrtb_version",
        "grpc_timeout",
        "grpc_encoding",
        "grpc_accept_encoding",
        "debug",
        "body",
        "arrival",
        "trailers",
    )

    def __init__(
        self,
        method: bytes,
        path: bytes,
        body: bytes = b"",
        *,
        content_type: bytes | None = None,
        content_encoding: bytes | None = None,
        accept_encoding: bytes | None = None,
        openrtb_version: bytes | None = None,
        grpc_timeout: bytes | None = None,
        grpc_encoding: bytes | None = None,
        grpc_accept_encoding: bytes | None = None,
        debug: bytes | None = None,
        arrival: float = 0.0,
    ) -> None:
        self.method = method
        self.path = path
        self.body = body
        self.content_type = content_type
        self.content_encoding = content_encoding
        self.accept_encoding = accept_encoding
        self.openrtb_version = openrtb_version
        #: gRPC's call headers (raw values), for a gRPC front door: the caller's deadline
        #: (``grpc-timeout``), the message encoding it used and those it accepts.
        self.grpc_timeout = grpc_timeout
        self.grpc_encoding = grpc_encoding
        self.grpc_accept_encoding = grpc_accept_encoding
        #: ``x-bidwire-debug``: an operator asks why (the app decides whether to answer).
        self.debug = debug
        #: ``time.monotonic()`` when the first byte of the request was read: the transport
        #: stamps it, so deadlines (and admission) count the time spent queued before us.
        self.arrival = arrival
        #: The trailer section after the body (HTTP/2: a last HEADERS frame, with END_STREAM),
        #: as received: lower-case names, raw values, validated like header fields, no
        #: pseudo-headers. Empty when the request had none (and always over HTTP/1.1).
        self.trailers: Fields = ()

    def like(self, arrival: float) -> Request:
        """A new request with this one's method, path and headers, no body, arriving then."""
        # Slot by slot, not through __init__: the raw HTTP/2 engine makes every request of a
        # repeated header block this way, and eleven keyword arguments cost four times these
        # stores (about 1 µs a request, shed ones included).
        new = _new(Request)
        new.method = self.method
        new.path = self.path
        new.body = b""
        new.content_type = self.content_type
        new.content_encoding = self.content_encoding
        new.accept_encoding = self.accept_encoding
        new.openrtb_version = self.openrtb_version
        new.grpc_timeout = self.grpc_timeout
        new.grpc_encoding = self.grpc_encoding
        new.grpc_accept_encoding = self.grpc_accept_encoding
        new.debug = self.debug
        new.arrival = arrival
        new.trailers = ()
        return new

    def __repr__(self) -> str:
        return f"Request({self.method!r}, {self.path!r}, {len(self.body)} bytes)"


#: A request with nothing set: ``BLANK.like(now)`` is ``Request(b"", b"", arrival=now)`` at a
#: quarter of the cost (the engines start every request they read from it).
BLANK: Final = Request(b"", b"")


class Response:
    """The bidder's answer: a status, a body and the few headers it sets, and trailers.

    Three shapes on HTTP/2 (gRPC uses the last two):

    - no ``trailers`` (the usual answer): HEADERS, then the body's DATA; the last frame ends
      the stream;
    - ``trailers``: HEADERS, the body's DATA (if any), then a HEADERS frame with END_STREAM
      carrying the trailers;
    - ``trailers_only=True``: one HEADERS frame with END_STREAM carrying the status, the header
      fields and the trailers, and no body (gRPC's "Trailers-Only", for an immediate error
      status); ``body`` must be empty.

    Trailer fields follow the header rules (lower-case names, no pseudo-headers); the engines
    write them as given. HTTP/1.1 answers carry no trailers: a trailers-only answer's trailers
    go out as header fields there, other trailers are not sent.
    """

    __slots__ = (
        "status",
        "body",
        "content_type",
        "content_encoding",
        "headers",
        "context",
        "trailers",
        "trailers_only",
        "cost",
    )

    def __init__(
        self,
        status: int,
        body: bytes | bytearray = b"",
        *,
        content_type: bytes | None = None,
        content_encoding: bytes | None = None,
        headers: Fields = (),
        trailers: Fields = (),
        trailers_only: bool = False,
    ) -> None:
        self.status = status
        self.body = body
        self.content_type = content_type
        self.content_encoding = content_encoding
        #: Further headers, lower-case names (e.g. ``x-openrtb-version``, ``allow``).
        self.headers = headers
        #: The app's context whose buffer ``body`` may be (an arena slot); when it is set, the
        #: transport hands the response back (:meth:`transport.app.App.release`) once the body
        #: has been copied out.
        self.context: object | None = None
        #: Trailer fields after the body (a gRPC front door's ``grpc-status``).
        self.trailers = trailers
        #: Send ``trailers`` in the header block, which ends the stream (no body): see above.
        self.trailers_only = trailers_only
        #: Work the app did for this request beyond the ordinary, in cost units
        #: (:mod:`transport.cost`: a gzip body inflated, say): the transport charges it to the
        #: connection the request came on, whose budget then ends a client that sends bombs.
        self.cost = 0

    def __repr__(self) -> str:
        return f"Response({self.status}, {len(self.body)} bytes)"


class Deferred:
    """An answer that is not ready yet: the bidder awaits something (an async stage).

    The transport runs ``answer`` as a task (or, when it is a future already, waits for it:
    no task per request) and, if it has not finished by ``deadline``
    (monotonic seconds), sends ``fallback`` (a no-bid) instead and calls ``on_timeout``; when
    the task's result comes in after that, it calls ``on_late``: a late result is dropped,
    never sent.
    """

    __slots__ = ("answer", "deadline", "fallback", "on_timeout", "on_late", "cost")

    def __init__(
        self,
        answer: Coroutine[Any, Any, Response] | asyncio.Future[Response],
        deadline: float,
        fallback: Response,
        on_timeout: Callable[[], None],
        on_late: Callable[[], None],
    ) -> None:
        self.answer = answer
        self.deadline = deadline
        self.fallback = fallback
        self.on_timeout = on_timeout
        self.on_late = on_late
        #: As :attr:`Response.cost`: work already done for the request, charged at once.
        self.cost = 0


#: What the app reports in ``Response.cost`` for inflating: one unit per this many bytes
#: inflated (a unit is about a microsecond of the transport's time: transport/cost.py).
INFLATE_BYTES_PER_UNIT: Final = 1024

#: The names of the request headers the transport copies into a :class:`Request`.
REQUEST_HEADERS: dict[bytes, str] = {
    b"content-type": "content_type",
    b"content-encoding": "content_encoding",
    b"accept-encoding": "accept_encoding",
    b"x-openrtb-version": "openrtb_version",
    b"grpc-timeout": "grpc_timeout",
    b"grpc-encoding": "grpc_encoding",
    b"grpc-accept-encoding": "grpc_accept_encoding",
    b"x-bidwire-debug": "debug",
}

CT_JSON: Final = b"application/json"


#: The statuses whose answers carry no ``content-length`` (RFC 9110 8.6: never a 204; a 304's
#: would describe the representation it stands for, not its empty body). A set, so that the
#: engines test ``status not in NO_CONTENT_LENGTH`` inline, without a call per answer.
NO_CONTENT_LENGTH: Final = frozenset((204, 304))


def response_fields(response: Response, *, length: bool = True) -> list[tuple[bytes, bytes]]:
    """The header fields of an answer, pseudo-headers and the status line aside:
    ``content-type``, ``content-encoding``, the response's own headers, the trailers of a
    trailers-only answer, then ``content-length`` (with ``length``, when its status carries
    one). Every engine (and the ASGI adapter) writes its head from this list; the raw HTTP/2
    engine caches the encoded block without the length (``length=False``) and appends that per
    answer."""
    fields: list[tuple[bytes, bytes]] = []
    if response.content_type is not None:
        fields.append((b"content-type", response.content_type))
    if response.content_encoding is not None:
        fields.append((b"content-encoding", response.content_encoding))
    fields.extend(response.headers)
    if response.trailers_only:
        fields.extend(response.trailers)
    if length and response.status not in NO_CONTENT_LENGTH:
        fields.append((b"content-length", b"%d" % len(response.body)))
    return fields


def error_body(message: str, path: str | None = None) -> bytes:
    """The one JSON error body of every error answer: ``{"error": message, "path": path}``
    (``path``, the JSON path or parameter at fault, only when there is one)."""
    error = {"error": message}
    if path is not None:
        error["path"] = path
    return msgspec.json.encode(error)


def error_response(status: int, message: str, *, headers: Fields = ()) -> Response:
    """An error answer with the JSON error body (the transport's own 400s and 413s)."""
    return Response(status, error_body(message), content_type=CT_JSON, headers=headers)


_GRPC: Final = b"application/grpc"
#: gRPC's answer to a message over the receiver's limit: RESOURCE_EXHAUSTED (8), trailers-only.
_GRPC_TOO_LARGE: Final = Response(
    200,
    content_type=_GRPC,
    trailers=((b"grpc-status", b"8"), (b"grpc-message", b"request body too large")),
    trailers_only=True,
)


#: Made once: answering a body over the cap costs no allocation (a client may send many).
_HTTP_TOO_LARGE: Final = error_response(413, "request body too large")


def too_large_response(request: Request) -> Response:
    """The transport's answer to a request whose body passed the cap: 413, or for a gRPC call
    (``application/grpc``, ``+proto``...) gRPC's RESOURCE_EXHAUSTED, since a gRPC client reads
    an HTTP 413 as UNKNOWN. The transport answers before any app sees the call, so it speaks
    this one gRPC status itself."""
    content_type = request.content_type
    if (
        content_type is not None
        and content_type[:16] == _GRPC
        and content_type[16:17]
        in (
            b"",
            b"+",
            b";",
        )
    ):
        return _GRPC_TOO_LARGE
    return _HTTP_TOO_LARGE


__all__ = [
    "BLANK",
    "CT_JSON",
    "INFLATE_BYTES_PER_UNIT",
    "NO_CONTENT_LENGTH",
    "REQUEST_HEADERS",
    "Deferred",
    "Fields",
    "Request",
    "Response",
    "error_body",
    "error_response",
    "response_fields",
    "too_large_response",
]
