"""What one connection has cost us, against what it has brought: the cost ledger.

Every flood limit in :mod:`transport.frame_guard` bounds one kind of frame. The 2023-2025
HTTP/2 advisories showed that a client can also make a server work without breaking any one of
them: streams the *server* resets because the client sent something wrong ("MADE YOU RESET",
CVE-2025-8671), SETTINGS frames full of entries, header blocks that decode to far more than
they weigh, gzip bodies that inflate to megabytes, answers held under a zero window. nghttp2
answers with a "glitch" budget (``nghttp2_option_set_glitch_rate_limit``: a token bucket that
suspicious events drain, GOAWAY(ENHANCE_YOUR_CALM) when empty); Go's net/http2 bounds the work
a connection may queue against the handlers it has running. This ledger is the same idea, with
the work a connection brings counted in its favour:

- every kind of work costs units (about a microsecond of the raw engine's time each, so the
  weights below are comparable): a frame, a RST_STREAM either way, a SETTINGS entry, a KiB of
  decoded header list, a KiB inflated by the app, an error answer;
- every answer delivered whole (status below 400, our END_STREAM sent) earns ``answer_credit``;
- time refills ``cost_per_second`` (so a quiet connection is never closed for old costs);
- the balance is capped at ``cost_budget``: a connection cannot bank credit for a later burst;
- a new connection starts at ``cost_initial``, below the budget: the credit to reach the budget
  is earned by answers (or time). An attacker that reconnects whenever it is cut gets that much
  work out of each connection, not the whole budget (nghttp2 and Go start every connection
  equal; their attackers in the 2023-2025 advisories kept one connection open).

A connection whose balance falls below zero costs far more than it brings: GOAWAY
(ENHANCE_YOUR_CALM), counted as ``cost_exceeded``. An honest client's request costs 2-3 units
(HEADERS, DATA) and earns 64; a client that sends one real request per sixty junk frames is
tolerated (it costs about what it brings), one that sends only junk is closed after about
``cost_budget`` units.

Charging is a subtraction on the hot path (``ledger.tokens -= n``); the refill happens at the
engines' tick (once a second) and when the balance would go negative, so time is read only
then.
"""

from __future__ import annotations

from typing import Final

from .events import INFLATE_BYTES_PER_UNIT
from .limits import Limits, TokenBucket

#: A frame (DATA carrying less than :data:`DATA_FREE` bytes included).
FRAME: Final = 1
#: DATA frames carrying at least this many bytes cost nothing as frames: their bytes are
#: bounded by the flow-control windows and the body cap, so they cannot be a cheap flood.
DATA_FREE: Final = 1024
#: A RST_STREAM, either way: the client's (Rapid Reset) or ours (refused, stream errors,
#: timeouts: what "MADE YOU RESET" provokes). On top of the frame that carried or caused it.
RESET: Final = 16
#: A RST_STREAM the client provoked (a stream error: STREAM_CLOSED, FLOW_CONTROL_ERROR,
#: PROTOCOL_ERROR, not a refusal or our own CANCEL), on top of :data:`RESET`: together the
#: credit of one answer, so a client must be answered once for each reset it draws to stay
#: even. An honest client draws one only when DATA races our reset of its stream.
PROVOKED_RESET: Final = 48
#: One entry of a client's SETTINGS frame (applying some of them walks every stream).
SETTING: Final = 1
#: An answer with an error status (the app's or the transport's 4xx/5xx), or a stream error:
#: work that brought nothing.
ERROR: Final = 16
#: A request whose body comes content-encoded (gzip), charged when its headers are read, before
#: the body is: the app will inflate up to 4 KiB of it before it can refuse a bomb on its ratio
#: (and an engine may parse many such requests out of one read before the app has inflated any,
#: charged then through ``Response.cost``). Without it a client that sends bombs and closes at
#: once was never cut by the h2 engine: every bomb of a 64 KiB read was parsed and handed over
#: first. An honest gzip request still earns four times this.
ENCODED_BODY: Final = 16
#: Decoded header list bytes past :data:`HEADER_FREE` per unit (RFC 7541 sizes: name + value + 32
#: per field), on the raw engine (an HPACK bomb near the 16 KiB cap costs 15). The h2 engine
#: sets its own (``H2Engine._header_unit``): h2 checks every byte of every value in a Python
#: loop, about 50 ns a byte, so a bomb costs it 16 times what it costs the raw engine.
HEADER_BYTES_PER_UNIT: Final = 1024
#: Header list bytes free of charge: an honest request's list is 200-600 bytes.
HEADER_FREE: Final = 1024
#: Header block bytes (HPACK-encoded, as they come in HEADERS and CONTINUATION frames) per unit,
#: past :data:`HEADER_BLOCK_FREE` in the HEADERS frame (every CONTINUATION byte is charged),
#: charged by the flood guard before the block is decoded. Huffman-coded literals cost hpack's
#: pure-Python decoder about 180 ns a byte (a 2.9 KB literal: 0.53 ms, six honest requests),
#: and a client can send a new one on every connection; what they decode to is charged after
#: (:data:`HEADER_BYTES_PER_UNIT`), too late for the decoding itself. A third of that cost is
#: charged: a connection opening with :data:`OPENING_FLOOR` (while the worker cuts many) is cut
#: before it can have a block past 2 KiB decoded, and a new connection's first 4 KB block (long
#: cookies) costs 192 of its 640.
HEADER_BLOCK_BYTES_PER_UNIT: Final = 16
#: HEADERS frame bytes free of charge: an honest request's block is 30-300 bytes (HPACK).
HEADER_BLOCK_FREE: Final = 1024


#: The new connections' opening balance while the worker cuts connections often
#: (:class:`Cuts`) never falls below this: an h2load-like client's first read (preface,
#: SETTINGS, 8 requests: 19 units) fits, and each answer earns 64 more.
OPENING_FLOOR: Final = 64
#: Cut connections a worker takes in its stride: :class:`Cuts` level (about 1.4 times the cuts
#: of the last second) under which new connections open with the whole ``cost_initial``.
CUTS_TOLERATED: Final = 16.0
#: Seconds for the cut level to halve.
CUTS_HALF_LIFE: Final = 1.0


class Cuts:
    """How often this worker has cut connections for their conduct lately (a level each cut
    raises by one, halving every :data:`CUTS_HALF_LIFE` seconds), and what a new connection
    opens with in consequence: a connection cut for its cost is paid for by the next ones.

    An attacker that reconnects at once whenever it is cut (or never waits: opens, sends,
    closes) makes the server pay each connection's opening balance and setup, more than a
    thousand times a second from one process. None of that is per client address (every
    client may come through one proxy, and the bench's all come from 127.0.0.1): the level
    is the worker's, and a new connection opens with ``cost_initial`` times
    :data:`CUTS_TOLERATED` over the level once the level passes it, never below
    :data:`OPENING_FLOOR`. Connections already answered keep what they earned; an honest
    client that connects during an attack starts small and earns its budget by its answers."""

    __slots__ = ("level", "stamp")

    def __init__(self) -> None:
        self.level = 0.0
        self.stamp = 0.0

    def _decay(self, now: float) -> None:
        if now > self.stamp:
            self.level *= 0.5 ** ((now - self.stamp) / CUTS_HALF_LIFE)
            self.stamp = now

    def cut(self, now: float) -> None:
        """A connection was cut for its conduct."""
        self._decay(now)
        self.level += 1.0

    def storming(self, now: float) -> bool:
        """Whether the worker cuts connections faster than it takes in its stride (past
        :data:`CUTS_TOLERATED`): a flood, which :mod:`transport.acceptor` slows."""
        self._decay(now)
        return self.level > CUTS_TOLERATED

    def opening(self, initial: int, now: float) -> int:
        """The balance a connection accepted ``now`` opens with (``initial``: cost_initial)."""
        self._decay(now)
        if self.level <= CUTS_TOLERATED:
            return initial
        return max(min(OPENING_FLOOR, initial), int(initial * CUTS_TOLERATED / self.level))


class CostLedger(TokenBucket):
    """The balance of one connection (``tokens``): work charged against it, answers credited
    to it, time refilling it; the budget is the bucket's ``burst``."""

    __slots__ = ("credit",)

    def __init__(self, limits: Limits, now: float) -> None:
        super().__init__(limits.cost_budget, limits.cost_per_second, now)
        self.tokens = float(min(limits.cost_initial, limits.cost_budget))
        #: What one answer delivered earns.
        self.credit = limits.answer_credit

    def earn(self) -> None:
        """One answer delivered: its credit, up to the budget."""
        tokens = self.tokens + self.credit
        self.tokens = tokens if tokens < self.burst else self.burst

    def over(self, now: float) -> bool:
        """Whether the connection has cost more than its budget, refilled up to ``now``."""
        if self.tokens >= 0.0:
            return False
        self.refill(now)
        return self.tokens < 0.0


__all__ = [
    "DATA_FREE",
    "ENCODED_BODY",
    "ERROR",
    "FRAME",
    "HEADER_BLOCK_BYTES_PER_UNIT",
    "HEADER_BLOCK_FREE",
    "HEADER_BYTES_PER_UNIT",
    "HEADER_FREE",
    "INFLATE_BYTES_PER_UNIT",
    "PROVOKED_RESET",
    "RESET",
    "SETTING",
    "CUTS_HALF_LIFE",
    "CUTS_TOLERATED",
    "OPENING_FLOOR",
    "CostLedger",
    "Cuts",
]
