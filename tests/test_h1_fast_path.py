"""The HTTP/1.1 engine's fast path (plain requests read with one regular expression instead of
httptools' callbacks) reads exactly what httptools reads: the same byte streams, cut into reads
at random, go through an engine with the fast path and one without, and every request, answer,
error and ending must be the same. Requests are drawn from a grammar of what exchanges send and
of what the fast path must leave to httptools (other methods and versions, framing fields,
duplicate or malformed content-lengths, obs-text, bare LF, folded lines, blank lines, heads and
bodies over the limits, upgrade offers, ``Expect: 100-continue``, ``Connection: close``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transport.events import REQUEST_HEADERS, Request, Response
from transport.h1_engine import H1Engine
from transport.limits import Limits
from transport.metrics import STREAMS_OPEN

T0 = 1000.0
LIMITS = Limits(max_header_list_size=1024, max_body_size=64)

#: Fields as exchanges send them, and fields the fast path must leave to httptools.
_PLAIN = [
    (b"Host", b"127.0.0.1:8080"),
    (b"User-Agent", b"h2load nghttp2/1.52.0"),
    (b"content-type", b"application/json"),
    (b"Content-Type", b" application/json "),
    (b"CONTENT-ENCODING", b"gzip"),
    (b"x-openrtb-version", b"2.6"),
    (b"Accept-Encoding", b"\tgzip"),
    (b"x-bidwire-debug", b""),
    (b"grpc-timeout", b"1S"),
    (b"X-Custom", b"  spaced  value  "),
    (b"X-Custom", b"a\tb"),
    (b"X-Big", b"x" * 400),
]
_ODD = [(b"Connection", b"close"), (b"Connection", b"keep-alive"), (b"Connection", b"Upgrade"),
        (b"Proxy-Connection", b"close"), (b"Transfer-Encoding", b"chunked"),
        (b"Expect", b"100-continue"), (b"Upgrade", b"h2c"), (b"TE", b"trailers"),
        (b"Keep-Alive", b"timeout=5"), (b"X-Obs", b"caf\xc3\xa9"), (b"Bad Name", b"x"),
        (b'Na"me', b"x")]  # fmt: skip
_fields = st.sampled_from(_PLAIN * 2 + _ODD)
_lengths = st.sampled_from(
    ["right"] * 8 + [None, b"", b"abc", b"+1", b"0099", b"1000", b" 3 ", "twice"]
)
_targets = st.sampled_from(
    [b"/openrtb2/bid"] * 4 + [b"/", b"/a?b=c&d", b"/#frag", b"/%7e~!$'()*", b"*", b"http://h/x"]
)
_methods = st.sampled_from([b"POST"] * 6 + [b"GET", b"HEAD", b"PUT", b"post"])
_versions = st.sampled_from([b"HTTP/1.1"] * 8 + [b"HTTP/1.0", b"HTTP/2.0"])
_spaces = st.sampled_from([b" ", b" ", b"", b"\t"])
_rarely = st.integers(0, 9).map(lambda n: n == 0)


@st.composite
def requests(draw: st.DrawFn) -> bytes:
    """One request's bytes: mostly what the fast path reads, with now and then a field, a
    line ending, a fold or a framing it must leave to httptools."""
    body = draw(st.binary(max_size=100))  # the cap is 64
    lines = [draw(_methods) + b" " + draw(_targets) + b" " + draw(_versions)]
    for name, value in draw(st.lists(_fields, max_size=4)):
        lines.append(name + b":" + draw(_spaces) + value)
    length = draw(_lengths)
    if length == "right":
        lines.append(b"Content-Length: %d" % len(body))
    elif length == "twice":
        lines += [b"Content-Length: %d" % len(body), b"Content-Length: %d" % (len(body) + 1)]
    elif length is not None:
        assert isinstance(length, bytes)
        lines.append(b"Content-Length: " + length)
    if draw(_rarely):
        lines.insert(draw(st.integers(1, len(lines))), b" folded")
    ends = [b"\r\n"] * (len(lines) + 1)
    if draw(_rarely):
        ends[draw(st.integers(0, len(lines)))] = b"\n"
    head = b"".join(line + e for line, e in zip(lines, ends, strict=False)) + ends[-1]
    return (b"\r\n" if draw(_rarely) else b"") + head + body


@contextmanager
def streams_kept() -> Iterator[None]:
    before = STREAMS_OPEN.value
    yield
    STREAMS_OPEN.value = before


def run(stream: bytes, cuts: list[int], fast: bool) -> tuple[object, ...]:
    """What an engine makes of ``stream`` read in pieces cut at ``cuts``: the requests, the
    bytes written, how it ended and the streams gauge."""
    engine = H1Engine(LIMITS, T0)
    engine.fast = fast
    before = STREAMS_OPEN.value
    seen: list[tuple[object, ...]] = []
    written = b""
    edges = [0, *sorted(c % (len(stream) + 1) for c in cuts), len(stream)]
    for start, stop in itertools.pairwise(edges):
        ready = engine.receive_data(stream[start:stop], T0)
        for seq, request in ready:
            seen.append(describe(request))
            answer = b"%s %s %d" % (request.method, request.path, len(request.body))
            engine.send_response(seq, Response(200, answer, content_type=b"text/plain"))
        written += engine.data_to_send()
        if engine.closed:
            break
    return seen, written, engine.closed, engine.close_reason, STREAMS_OPEN.value - before


def describe(request: Request) -> tuple[object, ...]:
    return (
        request.method,
        request.path,
        request.body,
        request.arrival,
        *(getattr(request, attr) for attr in REQUEST_HEADERS.values()),
    )


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(requests(), min_size=1, max_size=4), st.lists(st.integers(0, 2000), max_size=2))
def test_the_fast_path_reads_what_httptools_reads(batch: list[bytes], cuts: list[int]) -> None:
    stream = b"".join(batch)
    with streams_kept():
        assert run(stream, cuts, fast=True) == run(stream, cuts, fast=False)


def _one(*fields: bytes, body: bytes = b"{}", length: bytes | None = None) -> bytes:
    length = b"%d" % len(body) if length is None else length
    head = b"".join(f + b"\r\n" for f in fields)
    return b"POST /openrtb2/bid HTTP/1.1\r\n%sContent-Length: %s\r\n\r\n%s" % (head, length, body)


@pytest.mark.parametrize(
    "stream",
    [_one(name + b": " + value) for name, value in _ODD]
    + [_one(b"X-Big: " + b"x" * 1100), _one(body=b"x" * 65), _one(length=b"")]
    + [_one(length=v) for v in (b"abc", b"+1", b"0002", b" 2 ", b"2, 2", b"99")]
    + [_one(b"Content-Length: 2"), _one(b"Content-Length: 3")]
    + [_one(b"content-type: " + v) for v in (b"application/json ", b"\tapplication/json")]
    + [b"\r\n" + _one(), _one().replace(b"POST", b"PUT"), _one().replace(b"1.1", b"1.0")],
)
def test_each_case_the_fast_path_leaves_or_takes_reads_the_same(stream: bytes) -> None:
    """Every field, framing and limit the fast path must leave to httptools (or read as it
    does), one at a time, in one read and pipelined behind a plain request."""
    with streams_kept():
        assert run(stream, [], fast=True) == run(stream, [], fast=False)
        assert run(_one() + stream, [], fast=True) == run(_one() + stream, [], fast=False)


def test_plain_requests_take_the_fast_path() -> None:
    """The control: the requests the overload bench sends are read without httptools (its
    parser is never fed), pipelined or one per read, and httptools takes over mid-stream."""
    body = b'{"id":"1","tmax":50}'
    plain = (
        b"POST /openrtb2/bid HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: h2load\r\n"
        b"content-type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    engine = H1Engine(LIMITS, T0)
    fed: list[bytes] = []

    class Spy:
        def feed_data(self, data: bytes) -> None:
            fed.append(data)

    real = engine._parser
    engine._parser = Spy()  # type: ignore[assignment]
    with streams_kept():
        ready = engine.receive_data(plain * 3, T0)
        assert [r.body for _, r in ready] == [body] * 3
        assert [r.content_type for _, r in ready] == [b"application/json"] * 3
        assert fed == []
        engine._parser = real
        chunked = b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"
        ready = engine.receive_data(plain + chunked, T0)
        assert [r.body for _, r in ready] == [body, b"ok"]
