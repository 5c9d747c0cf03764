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
    #: Seconds a connection may sit with no request in progress and none started before it is
    #: closed (GOAWAY(NO_ERROR) on HTTP/2). Only requests count: PINGs, SETTINGS, WINDOW_UPDATEs
    #: or HTTP/1.1 blank lines do not keep a connection open. Exchanges keep connections warm
    #: between bursts, so this is generous (nginx's keepalive_timeout default); never infinite.
    idle_timeout: Seconds = 75.0
    #: Seconds a request may take from its first byte to its complete headers (slowloris).
    header_timeout: Seconds = 10.0
    #: Seconds a request may take from its headers to its complete body (HTTP/2: also a
    #: stream we half-closed with a 413 while the client's body never comes).
    body_timeout: Seconds = 10.0
    #: Seconds an HTTP/2 answer may wait on the client's flow-control window, from its
    #: request's start, before its stream is reset (CANCEL): a client that opens streams with a
    #: zero window and never reads would otherwise hold every answer it asked for.
    send_timeout: Seconds = 10.0
    #: HTTP/2 answers one connection may have waiting on the client's flow-control window;
    #: past it, complete requests wait undecided until the client reads (backpressure, as a
    #: paused socket is for HTTP/1.1). A client that reads a byte at a time otherwise gets a
    #: decision per stream, held until send_timeout; an honest one cannot take its answers
    #: faster than its window lets it anyway.
    max_waiting_answers: Count = 16
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
    #: Stream errors the client causes (streams we reset with STREAM_CLOSED, FLOW_CONTROL_ERROR
    #: or PROTOCOL_ERROR: what "MADE YOU RESET", CVE-2025-8671, provokes in a loop) allowed in a
    #: burst, and refilled per second; past it, GOAWAY(ENHANCE_YOUR_CALM). A rate, not a count
    #: for life: a long-lived connection may draw a few (DATA racing our reset of its stream).
    max_stream_errors: Count = 100
    stream_errors_per_second: Rate = 10.0
    #: Entries allowed in one SETTINGS frame (nghttp2's default, after CVE-2020-11080); more is
    #: GOAWAY(ENHANCE_YOUR_CALM). With ``settings_per_second`` this bounds entries per second.
    #: A real client sends fewer than ten.
    max_settings_entries: Count = 32
    #: The cost ledger (transport/cost.py): units one connection may cost beyond what it
    #: brought before GOAWAY(ENHANCE_YOUR_CALM). About 4 ms of the raw engine's time: an honest
    #: client with every stream in flight (256 x 2 frames) stays far inside it.
    cost_budget: Count = 4096
    #: The balance a new connection starts with (at most ``cost_budget``): what a client may
    #: cost before its first answers have earned it more. An honest client's first reads open
    #: at most max_concurrent_streams streams (HEADERS and DATA: 2 units each) and are then
    #: answered, each answer earning ``answer_credit``; a client that opens connection after
    #: connection and is answered nothing (MADE YOU RESET, gzip or HPACK bombs, each cut
    #: connection replaced at once) gets this much work out of each, not the whole budget.
    cost_initial: Annotated[int, msgspec.Meta(ge=0)] = 640
    #: Units refilled per second (as nghttp2's glitch rate): a quiet connection is never closed
    #: for old costs, and junk at this rate is tolerated forever (about 0.1% of a core).
    cost_per_second: Rate = 1000.0
    #: Units one answer earns once delivered whole (status below 400): about what answering a
    #: bid request costs us, so a client may spend up to that much on junk per answer.
    answer_credit: Annotated[int, msgspec.Meta(ge=0)] = 64
    #: Connections one worker holds; past it the oldest idle one is closed for the new one
    #: (none idle: the new one is refused). Exchanges hold tens to hundreds per host.
    max_connections: Count = 4096
    #: Connections one worker accepts per second while it cuts many for their conduct (a
    #: connection flood: transport/acceptor.py); the rest wait in the kernel's backlog. Open
    #: connections are not touched, and without cuts accepting is not limited.
    accepts_per_second_while_cutting: Rate = 200.0


class TokenBucket:
    """A rate limit: ``burst`` events at once, refilled at ``rate`` per second."""

    __slots__ = ("burst", "rate", "tokens", "stamp")

    def __init__(self, burst: int, rate: float, now: float) -> None:
        self.burst = float(burst)
        self.rate = rate
        self.tokens = float(burst)
        self.stamp = now

    def refill(self, now: float) -> None:
        """Add what ``rate`` has refilled since the last refill, up to ``burst``."""
        tokens = self.tokens + (now - self.stamp) * self.rate
        self.stamp = now
        self.tokens = tokens if tokens < self.burst else self.burst

    def take(self, now: float) -> bool:
        """Spend one token; False when the bucket is empty (the limit is broken)."""
        self.refill(now)
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True


__all__ = ["Count", "Limits", "Rate", "Seconds", "TokenBucket", "Window"]
