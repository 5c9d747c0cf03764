"""Connection limits and attack mitigations, with safe defaults. One Struct, decoded from config."""

from __future__ import annotations

import msgspec


class Limits(msgspec.Struct, kw_only=True, frozen=True):
    """What one connection may do before it is refused, reset or closed."""

    #: HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS: streams past this are refused (REFUSED_STREAM).
    max_concurrent_streams: int = 256
    #: Largest decoded header list, in bytes (HPACK bombs); HTTP/1.1 header section likewise.
    max_header_list_size: int = 16 * 1024
    #: Largest request body on the wire, in bytes (413 past it).
    max_body_size: int = 1024 * 1024
    #: HTTP/2 stream receive window: big enough that a bid request never waits on WINDOW_UPDATE.
    stream_window: int = 4 * 1024 * 1024
    #: HTTP/2 connection receive window.
    connection_window: int = 64 * 1024 * 1024
    #: Seconds a connection may sit with nothing in progress before it is closed.
    idle_timeout: float = 75.0
    #: Seconds a request may take from its first byte to its complete headers (slowloris).
    header_timeout: float = 10.0
    #: Seconds a request may take from its headers to its complete body.
    body_timeout: float = 10.0
    #: Seconds a draining server waits for in-flight requests before closing.
    drain_timeout: float = 10.0
    #: Seconds between the PING ack and the final GOAWAY when draining HTTP/2 (see h2_engine).
    drain_grace: float = 0.2
    #: Client RST_STREAMs allowed in a burst, and refilled per second (Rapid Reset).
    rst_burst: int = 200
    rst_per_second: float = 100.0
    #: CONTINUATION frames allowed in one header block (CONTINUATION flood).
    max_continuation_frames: int = 16
    #: Client SETTINGS frames allowed in a burst and per second.
    settings_burst: int = 20
    settings_per_second: float = 5.0
    #: Client PING frames allowed in a burst and per second.
    ping_burst: int = 50
    ping_per_second: float = 10.0
    #: Streams a client may open that end in protocol errors before the connection is closed.
    max_stream_errors: int = 100


class TokenBucket:
    """A rate limit: ``burst`` events at once, refilled at ``rate`` per second."""

    __slots__ = ("burst", "rate", "tokens", "stamp")

    def __init__(self, burst: int, rate: float, now: float) -> None:
        self.burst = float(burst)
        self.rate = rate
        self.tokens = float(burst)
        self.stamp = now

    def take(self, now: float) -> bool:
        """Spend one token; False when the bucket is empty (the limit is broken)."""
        tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if tokens < 1.0:
            self.tokens = tokens
            return False
        self.tokens = tokens - 1.0
        return True


__all__ = ["Limits", "TokenBucket"]
