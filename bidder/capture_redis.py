"""A capture in a Redis Stream: ``[capture] path = "redis://HOST:PORT/DB?stream=KEY&maxlen=N"``.

Each capture record is one stream entry (``XADD KEY MAXLEN ~ N * r <line>``: the same JSON line
a capture file holds, under the field ``r``), written by the capture's writer thread in one
pipeline per chunk; the stream keeps about the newest ``maxlen`` records (default 1,000,000).
``bidwire replay redis://...`` reads them back in order (``XRANGE``, a thousand at a time).
Imported only for a ``redis://`` (or ``rediss://``, ``unix://``) capture.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis

#: The stream key and length kept when the URL does not say.
DEFAULT_STREAM: Final = "bidwire:capture"
DEFAULT_MAXLEN: Final = 1_000_000
_READ_BATCH: Final = 1000


def is_redis(path: str) -> bool:
    """Whether a capture path names a Redis Stream."""
    return path.startswith(("redis://", "rediss://", "unix://"))


def split_url(url: str) -> tuple[str, str, int]:
    """(the Redis URL without our parameters, the stream key, the length kept); raises
    ``ValueError`` for a maxlen that is not a positive integer."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    stream = query.pop("stream", DEFAULT_STREAM)
    maxlen_text = query.pop("maxlen", str(DEFAULT_MAXLEN))
    if not maxlen_text.isdigit() or int(maxlen_text) < 1:
        raise ValueError(f"maxlen={maxlen_text!r} is not a positive integer")
    rest = urlunsplit(parts._replace(query=urlencode(query)))
    return rest, stream, int(maxlen_text)


class RedisStreamSink:
    """Adds chunks of capture lines to a stream (in the writer thread; blocking is fine)."""

    def __init__(self, url: str, timeout: float = 5.0) -> None:
        address, self.stream, self.maxlen = split_url(url)
        self.client = redis.Redis.from_url(
            address, socket_timeout=timeout, socket_connect_timeout=timeout
        )

    def write(self, chunk: bytes) -> None:
        """One pipeline of XADDs, one per line."""
        pipe = self.client.pipeline(transaction=False)
        for line in chunk.splitlines():
            pipe.xadd(self.stream, {"r": line}, maxlen=self.maxlen, approximate=True)
        pipe.execute()

    def close(self) -> None:
        """Close the connection."""
        self.client.close()


def stream_lines(url: str, timeout: float = 5.0) -> Iterator[bytes]:
    """The capture lines of the stream at ``url``, oldest first."""
    address, stream, _ = split_url(url)
    client = redis.Redis.from_url(address, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        start = "-"
        while True:
            entries: list[tuple[bytes, dict[bytes, bytes]]] = client.xrange(  # type: ignore[assignment]
                stream, start, "+", count=_READ_BATCH
            )
            for _, fields in entries:
                yield fields[b"r"]
            if len(entries) < _READ_BATCH:
                return
            start = "(" + entries[-1][0].decode()  # exclusive: after the last one read
    finally:
        client.close()


__all__ = ["RedisStreamSink", "is_redis", "split_url", "stream_lines"]
