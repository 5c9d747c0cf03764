"""The gRPC wire protocol over HTTP/2, sans-IO: message framing, status codes, ``grpc-timeout``,
``grpc-message`` and the two small messages of the standard health service.

Nothing here reads a socket or knows the bidder: bytes and header values in, bytes and values
out, errors as :class:`GrpcError` values carrying their :class:`Status`. The front door
(:mod:`bidder.grpc`) puts it together. The reference for the edge cases is the gRPC spec's
PROTOCOL-HTTP2.md and grpclib (``grpclib/protocol.py``, ``grpclib/const.py``,
``grpclib/metadata.py``).

A message on the wire (Length-Prefixed-Message)::

    compressed flag (1 byte: 0 or 1) | length (4 bytes, big-endian) | message (length bytes)
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final

from openrtb.peek import read_varint

from .inflate import DEFAULT_MAX_RATIO, InflateError, gunzip


class Status(IntEnum):
    """gRPC status codes (``grpc-status``), as in every gRPC implementation."""

    OK = 0
    CANCELLED = 1
    UNKNOWN = 2
    INVALID_ARGUMENT = 3
    DEADLINE_EXCEEDED = 4
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    PERMISSION_DENIED = 7
    RESOURCE_EXHAUSTED = 8
    FAILED_PRECONDITION = 9
    ABORTED = 10
    OUT_OF_RANGE = 11
    UNIMPLEMENTED = 12
    INTERNAL = 13
    UNAVAILABLE = 14
    DATA_LOSS = 15
    UNAUTHENTICATED = 16


#: ``grpc-status`` header values, by status: made once.
STATUS_VALUES: Final = {status: b"%d" % status for status in Status}


class GrpcError(Exception):
    """A call that ends with a status other than OK: the status and its ``grpc-message``.
    ``kind`` is the metric label of the error (``bidwire_errors_total``)."""

    def __init__(self, status: Status, message: str, kind: str, inflated: int = 0) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.kind = kind
        #: Bytes inflated before the call was refused (work done, charged to the connection).
        self.inflated = inflated


#: The message encodings we read and write, for ``grpc-accept-encoding``.
ACCEPT_ENCODING: Final = b"identity,gzip"
_PREFIX: Final = 5


def frame(message: bytes, *, compressed: bool = False) -> bytes:
    """One Length-Prefixed-Message."""
    return (b"\x01" if compressed else b"\x00") + len(message).to_bytes(4, "big") + message


def read_unary(
    body: bytes, encoding: bytes | None, limit: int, max_ratio: float = DEFAULT_MAX_RATIO
) -> bytes:
    """The one request message of a unary call, from the whole request body, inflated when its
    compressed flag is set. ``encoding`` is the call's ``grpc-encoding``; ``limit`` caps the
    message's size, before and after inflation, and ``max_ratio`` how far it may outgrow its
    compressed size (:func:`bidder.inflate.gunzip`: a gzip bomb stops early).

    Raises :class:`GrpcError`: RESOURCE_EXHAUSTED for a message over the limit, UNIMPLEMENTED
    for a compressed message in an encoding we do not read, INVALID_ARGUMENT for everything
    else malformed (no message, a truncated one, more than one, a flag other than 0 or 1, the
    flag set without an encoding, bad gzip). grpc-go answers INTERNAL to some of these; we do
    not: they are the caller's bad input, not our failure."""
    size = len(body)
    if size < _PREFIX:
        if not size:
            raise GrpcError(Status.INVALID_ARGUMENT, "no request message", "grpc_no_message")
        raise GrpcError(
            Status.INVALID_ARGUMENT,
            f"truncated message prefix ({size} of 5 bytes)",
            "grpc_truncated",
        )
    flag = body[0]
    length = int.from_bytes(body[1:_PREFIX], "big")
    if flag > 1:
        raise GrpcError(
            Status.INVALID_ARGUMENT, f"bad compressed flag {flag} (0 or 1)", "grpc_bad_flag"
        )
    if length > limit:
        raise GrpcError(
            Status.RESOURCE_EXHAUSTED,
            f"message larger than max ({length} vs. {limit} bytes)",
            "grpc_too_large",
        )
    end = _PREFIX + length
    if size < end:
        raise GrpcError(
            Status.INVALID_ARGUMENT,
            f"truncated message ({size - _PREFIX} of {length} bytes)",
            "grpc_truncated",
        )
    if size > end:
        raise GrpcError(
            Status.INVALID_ARGUMENT,
            "more than one request message for a unary method",
            "grpc_extra_message",
        )
    message = body[_PREFIX:]
    if not flag:
        return message
    if encoding is None or encoding == b"identity":
        raise GrpcError(
            Status.INVALID_ARGUMENT,
            "compressed flag set without a grpc-encoding",
            "grpc_compressed_without_encoding",
        )
    if encoding != b"gzip":
        raise GrpcError(
            Status.UNIMPLEMENTED,
            f"grpc-encoding {encoding.decode('latin-1')!r} not supported (identity, gzip)",
            "grpc_unsupported_encoding",
        )
    return inflate(message, limit, max_ratio)


def inflate(message: bytes, limit: int, max_ratio: float = DEFAULT_MAX_RATIO) -> bytes:
    """A gzip message inflated under the size and ratio caps (bomb-safe); refusals as
    :class:`GrpcError` carrying the bytes inflated before them."""
    try:
        return gunzip(message, limit, max_ratio, trailing_ok=False)
    except InflateError as exc:
        if exc.kind == "too_large":
            raise GrpcError(
                Status.RESOURCE_EXHAUSTED,
                f"inflated message larger than max ({limit} bytes)",
                "grpc_too_large",
                exc.inflated,
            ) from None
        if exc.kind == "ratio":
            raise GrpcError(
                Status.RESOURCE_EXHAUSTED, exc.message, "grpc_gzip_ratio", exc.work
            ) from None
        raise GrpcError(
            Status.INVALID_ARGUMENT,
            exc.message.replace("body", "message"),
            "grpc_bad_gzip",
            exc.inflated,
        ) from None


def accepts_gzip(value: bytes | None) -> bool:
    """Whether a ``grpc-accept-encoding`` list names gzip."""
    if not value:
        return False
    return any(part.strip().lower() == b"gzip" for part in value.split(b","))


#: ``grpc-timeout`` units, in seconds (PROTOCOL-HTTP2.md: at most 8 digits, then the unit).
_UNITS: Final = {72: 3600.0, 77: 60.0, 83: 1.0, 109: 1e-3, 117: 1e-6, 110: 1e-9}  # H M S m u n


def parse_timeout(value: bytes) -> float:
    """A ``grpc-timeout`` value in seconds (``"100m"`` -> 0.1). Raises :class:`GrpcError`
    (INVALID_ARGUMENT) for anything else than 1 to 8 ASCII digits and one of ``HMSmun``."""
    unit = _UNITS.get(value[-1]) if value else None
    digits = value[:-1]
    if unit is None or not 1 <= len(digits) <= 8 or not digits.isdigit():
        raise GrpcError(
            Status.INVALID_ARGUMENT,
            f"malformed grpc-timeout {value.decode('latin-1')!r}",
            "grpc_bad_timeout",
        )
    return int(digits) * unit


def encode_message(text: str) -> bytes:
    """``grpc-message``: UTF-8, every byte outside printable ASCII and ``%`` percent-encoded."""
    raw = text.encode("utf-8", "replace")
    if all(0x20 <= b <= 0x7E and b != 0x25 for b in raw):
        return raw
    return b"".join(bytes((b,)) if 0x20 <= b <= 0x7E and b != 0x25 else b"%%%02X" % b for b in raw)


def decode_message(value: bytes) -> str:
    """The text of a percent-encoded ``grpc-message`` (bad escapes kept as they are)."""
    out = bytearray()
    i, n = 0, len(value)
    while i < n:
        b = value[i]
        if b == 0x25 and _is_hex(value[i + 1 : i + 3]):
            out.append(int(value[i + 1 : i + 3], 16))
            i += 3
        else:
            out.append(b)
            i += 1
    return out.decode("utf-8", "replace")


def _is_hex(pair: bytes) -> bool:
    return len(pair) == 2 and all(c in b"0123456789abcdefABCDEF" for c in pair)


# -- grpc.health.v1: HealthCheckRequest { string service = 1; } ---------------------------------
# HealthCheckResponse { ServingStatus status = 1; }: two fields, read and written by hand.


class ServingStatus(IntEnum):
    """``grpc.health.v1.HealthCheckResponse.ServingStatus``."""

    UNKNOWN = 0
    SERVING = 1
    NOT_SERVING = 2
    SERVICE_UNKNOWN = 3


def health_response(status: ServingStatus) -> bytes:
    """A serialized HealthCheckResponse."""
    return b"\x08" + bytes((status,)) if status else b""


def health_service(message: bytes) -> str:
    """The ``service`` of a serialized HealthCheckRequest ("" when absent). Unknown fields are
    skipped, as protobuf requires. Raises :class:`GrpcError` (INVALID_ARGUMENT) when it does
    not parse."""
    service = ""
    i, n = 0, len(message)
    try:
        while i < n:
            key, i = read_varint(message, i)
            number, wire = key >> 3, key & 7
            if wire == 0:
                _, i = read_varint(message, i)
            elif wire == 1:
                i += 8
            elif wire == 5:
                i += 4
            elif wire == 2:
                length, i = read_varint(message, i)
                if number == 1:
                    service = message[i : i + length].decode("utf-8")
                i += length
            else:
                raise ValueError(f"wire type {wire}")
            if i > n or number == 0:
                raise ValueError("truncated")
    except (ValueError, IndexError, UnicodeDecodeError) as exc:
        raise GrpcError(
            Status.INVALID_ARGUMENT, f"malformed HealthCheckRequest: {exc}", "grpc_bad_request"
        ) from None
    return service


__all__ = [
    "ACCEPT_ENCODING",
    "STATUS_VALUES",
    "GrpcError",
    "ServingStatus",
    "Status",
    "accepts_gzip",
    "decode_message",
    "encode_message",
    "frame",
    "health_response",
    "health_service",
    "inflate",
    "parse_timeout",
    "read_unary",
]
