"""Which request header lists are malformed (RFC 9113 8.2, 8.3): the raw engine's validation.

The same rules, in the same terms, as h2's ``validate_inbound_headers`` (the reference engine),
so both engines refuse the same requests: names lower-case, without controls, spaces or a colon
past the first byte; values without NUL, CR, LF or surrounding whitespace; no
connection-specific fields; ``te`` only ``trailers``; pseudo-headers known, unique and first,
``:method``, ``:scheme`` and ``:path`` present (ordinary CONNECT: neither of the last two),
``:path`` not empty, ``:authority`` or ``host`` present and equal when both are; trailers
without pseudo-headers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Final

from transport.events import BLANK, REQUEST_HEADERS, Request

#: A name byte outside 0x21-0x7e, or upper case (0x41-0x5a).
_BAD_NAME: Final = re.compile(rb"[^\x21-\x40\x5b-\x7e]")
_BAD_VALUE: Final = re.compile(rb"[\x00\r\n]")
_CONNECTION: Final = frozenset(
    {b"connection", b"proxy-connection", b"keep-alive", b"transfer-encoding", b"upgrade"}
)
_PSEUDO: Final = frozenset(
    {b":method", b":scheme", b":authority", b":path", b":status", b":protocol"}
)
#: Names already checked, so the common ones cost one set lookup (bounded: cleared when full).
_good_names: set[bytes] = set()


def _check_field(name: bytes, value: bytes) -> str | None:
    if name not in _good_names:
        if not name:
            return "empty header name"
        if _BAD_NAME.search(name) is not None or name.find(b":", 1) != -1:
            return f"bad header name {name!r}"
        if len(_good_names) > 512:
            _good_names.clear()
        _good_names.add(name)
    if value:
        if _BAD_VALUE.search(value) is not None:
            return f"bad character in the value of {name!r}"
        if value[0] in (0x20, 0x09) or value[-1] in (0x20, 0x09):
            return f"whitespace around the value of {name!r}"
    if name in _CONNECTION:
        return f"connection-specific header {name!r}"
    if name == b"te" and value.lower() != b"trailers":
        return "te other than trailers"
    return None


def request_problem(headers: list[tuple[bytes, bytes]]) -> str | None:
    """Why a request header list is malformed, or None."""
    seen: set[bytes] = set()
    regular = False
    method: bytes | None = None
    authority: bytes | None = None
    host: bytes | None = None
    for name, value in headers:
        problem = _check_field(name, value)
        if problem is not None:
            return problem
        if name[0] == 58:  # b":"
            if name in seen:
                return f"duplicate {name!r}"
            seen.add(name)
            if regular:
                return f"{name!r} after a regular header"
            if name not in _PSEUDO:
                return f"unknown pseudo-header {name!r}"
            if name == b":method":
                method = value
            elif name == b":authority":
                authority = value
            elif name == b":path" and not value:
                return "empty :path"
        else:
            regular = True
            if name == b"host":
                if host is not None:
                    return "several host headers"
                host = value
    if b":method" not in seen:
        return "no :method"
    connect = method == b"CONNECT"
    if connect and b":protocol" not in seen:
        if b":scheme" in seen or b":path" in seen:
            return "CONNECT with :scheme or :path"
    elif b":scheme" not in seen or b":path" not in seen:
        return "no :scheme or :path"
    if b":status" in seen:
        return ":status in a request"
    if not connect and b":protocol" in seen:
        return ":protocol without CONNECT"
    if authority is None and host is None:
        return "no :authority or host"
    if authority is not None and host is not None and authority != host:
        return ":authority and host differ"
    return None


def trailer_problem(headers: list[tuple[bytes, bytes]]) -> str | None:
    """Why a trailer section is malformed, or None."""
    for name, value in headers:
        problem = _check_field(name, value)
        if problem is not None:
            return problem
        if name[0] == 58:
            return f"pseudo-header {name!r} in trailers"
    return None


def request_from_headers(
    headers: Iterable[tuple[bytes, bytes]],
    now: float,
    content_length: Callable[[bytes, int], int],
) -> tuple[Request, int]:
    """The :class:`Request` a validated HTTP/2 header list describes, and its content-length
    (-1: none), read by ``content_length(value, previous)`` (each engine's own rules). Both
    HTTP/2 engines build requests here."""
    request = BLANK.like(now)
    length = -1
    for name, value in headers:
        if name[0] == 58:  # b":"
            if name == b":method":
                request.method = value
            elif name == b":path":
                request.path = value
            continue
        attr = REQUEST_HEADERS.get(name)
        if attr is not None:
            setattr(request, attr, value)
        elif name == b"content-length":
            length = content_length(value, length)
    return request, length


__all__ = ["request_from_headers", "request_problem", "trailer_problem"]
