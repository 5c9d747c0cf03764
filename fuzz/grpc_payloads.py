"""gRPC calls for ``bidwire fuzz``: a protobuf bid request framed as a gRPC message, and the
ways a caller gets gRPC's framing wrong.

Each call is the request message (valid, or broken by :func:`fuzz.hostile.mutate_proto`) put in
a Length-Prefixed-Message and sent to ``/bidwire.v1.Bidder/Bid`` (now and then to the health
check or an unknown method) with ``content-type: application/grpc``; then one framing mutation:
a length prefix longer or shorter than the message, a compressed flag without a
``grpc-encoding`` (or with ``identity``, or an encoding nobody speaks), a flag that is neither 0
nor 1, a prefix or message cut short, a length over any cap, two messages for a unary method,
bad gzip, a gzip bomb (64 MiB of zeros in about 64 KB), no message at all; and a
``grpc-timeout`` that is absent, valid or malformed. Framing is written here, not borrowed
from the server's code: the fuzzer must not share the server's mistakes.

The answer owed to every one of them is an HTTP 200 with a ``grpc-status`` (in the trailers,
or a trailers-only answer): OK, or the status of the caller's error. INTERNAL or UNKNOWN for
bad input is a failure (:func:`fuzz.runner.payload_failure`).
"""

from __future__ import annotations

import gzip
import zlib
from functools import cache
from typing import Final

from .hostile import PROTO_MUTATIONS, mutate_proto
from .source import Source

BID_PATH: Final = b"/bidwire.v1.Bidder/Bid"
OTHER_PATHS: Final = (b"/grpc.health.v1.Health/Check", b"/bidwire.v1.Bidder/Nope", b"/x/y")
CONTENT_TYPES: Final = (b"application/grpc", b"application/grpc+proto")

#: The framing mutations, by name. "valid" frames the message as it should be.
GRPC_MUTATIONS: Final = (
    "valid", "gzip", "length-long", "length-short", "length-huge", "flag-garbage",
    "compressed-without-encoding", "compressed-identity", "unknown-encoding", "truncated-prefix",
    "truncated-message", "two-messages", "bad-gzip", "gzip-bomb", "empty",
)  # fmt: skip
_TIMEOUTS: Final = (b"100m", b"5S", b"1H", b"20000u", b"1n", b"99999999m")
_BAD_TIMEOUTS: Final = (b"", b"100", b"1.5S", b"-1m", b"123456789m", b"10x", b"m")


def prefix(flag: int, length: int) -> bytes:
    """The 5-byte message prefix."""
    return bytes((flag,)) + length.to_bytes(4, "big")


@cache
def gzip_bomb() -> bytes:
    """64 MiB of zeros, gzipped: about 64 KB on the wire. Made once."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = bytes(1 << 20)
    return b"".join([*(packer.compress(chunk) for _ in range(64)), packer.flush()])


def grpc_call(src: Source, message: bytes) -> tuple[str, bytes, tuple[tuple[bytes, bytes], ...]]:
    """(name, body, headers) of one gRPC call carrying ``message`` (a protobuf BidRequest);
    the headers include ``:path``."""
    name = "valid"
    if src.integer(0, 2) == 0:
        name, message = mutate_proto(src, message, src.choice(PROTO_MUTATIONS))
        name = f"proto:{name}"
    framing = src.choice(GRPC_MUTATIONS)
    encoding: bytes | None = None
    size = len(message)
    if framing == "valid":
        body = prefix(0, size) + message
    elif framing == "gzip":
        packed = gzip.compress(message, compresslevel=1, mtime=0)
        body, encoding = prefix(1, len(packed)) + packed, b"gzip"
    elif framing == "length-long":
        body = prefix(0, size + src.integer(1, 1000)) + message
    elif framing == "length-short":
        body = prefix(0, max(0, size - src.integer(1, max(1, size)))) + message
    elif framing == "length-huge":
        body = prefix(src.integer(0, 1), src.choice((0xFFFFFFFF, 1 << 31, 64 << 20))) + message
    elif framing == "flag-garbage":
        body = prefix(src.integer(2, 255), size) + message
    elif framing == "compressed-without-encoding":
        body = prefix(1, size) + message
    elif framing == "compressed-identity":
        body, encoding = prefix(1, size) + message, b"identity"
    elif framing == "unknown-encoding":
        body, encoding = prefix(1, size) + message, src.choice((b"snappy", b"deflate", b"zstd"))
    elif framing == "truncated-prefix":
        body = prefix(0, size)[: src.integer(1, 4)]
    elif framing == "truncated-message":
        body = (prefix(0, size) + message)[: 5 + src.integer(0, max(0, size - 1))]
    elif framing == "two-messages":
        body = (prefix(0, size) + message) * 2
    elif framing == "bad-gzip":
        broken = bytearray(gzip.compress(message, mtime=0))
        if src.integer(0, 2) == 0:
            del broken[src.integer(0, len(broken) - 1) :]  # cut short
        else:
            at = src.integer(10, max(10, len(broken) - 9))
            broken[at : at + 4] = src.binary(4, 4)  # the stream or its CRC garbled
        body, encoding = prefix(1, len(broken)) + bytes(broken), b"gzip"
    elif framing == "gzip-bomb":
        bomb = gzip_bomb()
        body, encoding = prefix(1, len(bomb)) + bomb, b"gzip"
    else:  # "empty"
        body = b""
    path = BID_PATH if src.integer(0, 9) else src.choice(OTHER_PATHS)
    headers: list[tuple[bytes, bytes]] = [
        (b":path", path),
        (b"content-type", src.choice(CONTENT_TYPES)),
        (b"te", b"trailers"),
    ]
    if encoding is not None:
        headers.append((b"grpc-encoding", encoding))
    if src.integer(0, 3) == 0:
        headers.append((b"grpc-accept-encoding", b"gzip"))
    timeouts = src.integer(0, 5)
    if timeouts == 0:
        headers.append((b"grpc-timeout", src.choice(_BAD_TIMEOUTS)))
    elif timeouts == 1:
        headers.append((b"grpc-timeout", src.choice(_TIMEOUTS)))
    return f"{name}+{framing}", body, tuple(headers)


__all__ = ["BID_PATH", "GRPC_MUTATIONS", "grpc_call", "gzip_bomb", "prefix"]
