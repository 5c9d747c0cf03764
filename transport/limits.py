"""Connection limits and attack mitigations, with safe defaults. One Struct, decoded from config."""

from __future__ import annotations

from typing import Annotated

import msgspec

#: The ranges of settings (checked when the config is decoded, and at start by
#: ``bidwire.config``): a count of at least one, a duration in seconds above zero...
Count = Annotated[int, msgspec.Meta(ge=1)]
Seconds = Annotated[float, msgspec.Meta(gt=0)]
Rate = Annotated[float, msgspec.Meta(gt=0)]
#: HTTP/2 receive windows: at least the protocol's initial 65,535, at most 2^31-1 (RFC 9113 6.9).
Window = Annotated[int, msgspec.Meta(ge=65_535, le=2**31 - 1)]


class Limits(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """What one connection may do before it is refused, reset or closed."""

    #: HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS: streams past this are refused (REFUSED_STREAM).
    max_concurrent_streams: Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)] = 256
    #: Largest decoded header list, in bytes (HPACK bombs); HTTP/1.1 header section likewise.
    max_header_list_size: Annotated[int, msgspec.Meta(ge=1024)] = 16 * 1024
    #: Largest request body on the wire, in bytes (413 past it).
    max_body_size: Count = 1024 * 1024
    #: HTTP/2 stream receive window: big enough that a bid request never waits on WINDOW_UPDATE.
    stream_window: Window = 4 * 1024 * 1024
    #: HTTP/2 connection receive window.
    connection_window: Window = 64 * 1024 * 1024
    #: Seconds a connection may sit with nothing in progress before it is closed.
    idle_timeout: Seconds = 75.0
    #: Seconds a request may take from its first byte to its complete headers (slowloris).
    header_timeout: Seconds = 10.0
    #: Seconds a request may take from its headers to its complete body.
    body_timeout: Seconds = 10.0
    #: Seconds a draining server waits for in-flight requests before closing.
    drain_timeout: Seconds = 10.0
    #: Seconds between the PING ack and the final GOAWAY when draining HTTP/2 (see h2_engine).
    drain_grace: Annotated[float, msgspec.Meta(ge=0)] = 0.2
    #: Client RST_STREAMs allowed in a burst, and refilled per second (Rapid Reset).
    rst_burst: Count = 200
    rst_per_second: Rate = 100.0
    #: CONTINUATION frames allowed in one header block (CONTINUATION flood).
    max_continuation_frames: Count = 16
    #: Client SETTINGS frames allowed in a burst and per second.
    settings_burst: Count = 20
    settings_per_second: Rate = 5.0
    #: Client PING frames allowed in a burst and per second.
    ping_burst: Count = 50
    ping_per_second: Rate = 10.0
    #: Streams a client may open that end in protocol errors before the connection is closed.
    max_stream_errors: Count = 100


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


__all__ = ["Count", "Limits", "Rate", "Seconds", "TokenBucket", "Window"]
