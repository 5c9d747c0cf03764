"""What the transport hands the bidder, and what it gets back.

Plain slotted classes with bytes fields: the transport fills them straight from the wire
without decoding text, and the bidder reads only what it needs. Nothing here is HTTP/1.1 or
HTTP/2 specific; the transport maps ``Response`` onto whichever protocol the call came on.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any


class Request:
    """One call to the bidder: the parts of an HTTP request that matter to it."""

    __slots__ = (
        "method",
        "path",
        "content_type",
        "content_encoding",
        "accept_encoding",
        "openrtb_version",
        "body",
        "arrival",
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
        arrival: float = 0.0,
    ) -> None:
        self.method = method
        self.path = path
        self.body = body
        self.content_type = content_type
        self.content_encoding = content_encoding
        self.accept_encoding = accept_encoding
        self.openrtb_version = openrtb_version
        #: ``time.monotonic()`` when the first byte of the request was read.
        self.arrival = arrival

    def like(self, arrival: float) -> Request:
        """A new request with this one's method, path and headers, no body, arriving then."""
        return Request(
            self.method,
            self.path,
            content_type=self.content_type,
            content_encoding=self.content_encoding,
            accept_encoding=self.accept_encoding,
            openrtb_version=self.openrtb_version,
            arrival=arrival,
        )

    def __repr__(self) -> str:
        return f"Request({self.method!r}, {self.path!r}, {len(self.body)} bytes)"


class Response:
    """The bidder's answer: a status, a body and the few headers it sets."""

    __slots__ = ("status", "body", "content_type", "content_encoding", "headers", "context")

    def __init__(
        self,
        status: int,
        body: bytes | bytearray = b"",
        *,
        content_type: bytes | None = None,
        content_encoding: bytes | None = None,
        headers: tuple[tuple[bytes, bytes], ...] = (),
    ) -> None:
        self.status = status
        self.body = body
        self.content_type = content_type
        self.content_encoding = content_encoding
        #: Further headers, lower-case names (e.g. ``x-openrtb-version``, ``allow``).
        self.headers = headers
        #: The arena context whose buffer ``body`` may be; the transport hands the response
        #: back (``BidderApp.done``) once the body has been copied out.
        self.context: object | None = None

    def __repr__(self) -> str:
        return f"Response({self.status}, {len(self.body)} bytes)"


class Deferred:
    """An answer that is not ready yet: the bidder awaits something (an async stage).

    The transport runs ``answer`` as a task and, if it has not finished by ``deadline``
    (monotonic seconds), sends ``fallback`` (a no-bid) instead and calls ``on_timeout``; when
    the task's result comes in after that, it calls ``on_late``: a late result is dropped,
    never sent.
    """

    __slots__ = ("answer", "deadline", "fallback", "on_timeout", "on_late")

    def __init__(
        self,
        answer: Coroutine[Any, Any, Response],
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


#: The names of the request headers the transport copies into a :class:`Request`.
REQUEST_HEADERS: dict[bytes, str] = {
    b"content-type": "content_type",
    b"content-encoding": "content_encoding",
    b"accept-encoding": "accept_encoding",
    b"x-openrtb-version": "openrtb_version",
}

__all__ = ["REQUEST_HEADERS", "Deferred", "Request", "Response"]
