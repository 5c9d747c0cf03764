"""transport/header_rules.py, rule by rule: each malformed request header list is refused by
the rule's own words, and both HTTP/2 engines (raw and h2, the reference) reset the stream
alike (RFC 9113 8.2, 8.3)."""

from __future__ import annotations

import hpack
import pytest

from fuzz.answers import Expect, FrameCase
from transport import h2_wire
from transport.connection import H2_ENGINES
from transport.header_rules import request_problem, trailer_problem

from .test_raw_h2_differential import check, drive

Headers = list[tuple[bytes, bytes]]
OWED = Expect("reset", frozenset({h2_wire.PROTOCOL_ERROR}), (1,))

GOOD: Headers = [
    (b":method", b"POST"), (b":scheme", b"http"), (b":path", b"/openrtb2/bid"),
    (b":authority", b"example.com"), (b"content-type", b"application/json"),
]  # fmt: skip


def _with(*extra: tuple[bytes, bytes], without: tuple[bytes, ...] = ()) -> Headers:
    return [h for h in GOOD if h[0] not in without] + list(extra)


#: (why, header list, the words of request_problem)
MALFORMED: list[tuple[str, Headers, str]] = [
    ("empty name", _with((b"", b"x")), "empty header name"),
    ("upper case", _with((b"X-Seat", b"1")), "bad header name"),
    ("space in name", _with((b"x seat", b"1")), "bad header name"),
    ("colon inside", _with((b"x:seat", b"1")), "bad header name"),
    ("NUL in value", _with((b"x-seat", b"a\x00b")), "bad character in the value"),
    ("LF in value", _with((b"x-seat", b"a\nb")), "bad character in the value"),
    ("leading space", _with((b"x-seat", b" a")), "whitespace around the value"),
    ("trailing tab", _with((b"x-seat", b"a\t")), "whitespace around the value"),
    ("connection", _with((b"connection", b"keep-alive")), "connection-specific header"),
    ("transfer-encoding", _with((b"transfer-encoding", b"chunked")), "connection-specific"),
    ("te gzip", _with((b"te", b"gzip")), "te other than trailers"),
    ("duplicate :path", [*GOOD[:3], (b":path", b"/x"), *GOOD[3:]], "duplicate b':path'"),
    ("pseudo after regular", [*GOOD, (b":status", b"200")], "after a regular header"),
    ("unknown pseudo", [(b":flavour", b"x"), *GOOD], "unknown pseudo-header"),
    ("empty :path", [(b":path", b"") if n == b":path" else (n, v) for n, v in GOOD], "empty :path"),
    ("two hosts", _with((b"host", b"example.com"), (b"host", b"example.com")), "several host"),
    ("no :method", _with(without=(b":method",)), "no :method"),
    ("no :path", _with(without=(b":path",)), "no :scheme or :path"),
    ("no :scheme", _with(without=(b":scheme",)), "no :scheme or :path"),
    ("CONNECT with a path", [(b":method", b"CONNECT"), *GOOD[1:]], "CONNECT with :scheme"),
    ("status in a request", [(b":status", b"200"), *GOOD], ":status in a request"),
    ("protocol without CONNECT", [(b":protocol", b"websocket"), *GOOD], ":protocol without"),
    ("no authority", _with(without=(b":authority",)), "no :authority or host"),
    ("authority and host differ", _with((b"host", b"other.example")), ":authority and host"),
]


def _request_frames(headers: Headers) -> bytes:
    """The preface, SETTINGS and one request (HEADERS, END_STREAM) with ``headers`` as given."""
    block = hpack.Encoder().encode(headers, huffman=False)
    flags = h2_wire.END_HEADERS | h2_wire.END_STREAM
    return h2_wire.PREFACE + h2_wire.settings({}) + h2_wire.frame(h2_wire.HEADERS, flags, 1, block)


def test_a_good_request_passes() -> None:
    assert request_problem(GOOD) is None
    assert request_problem(_with((b"host", b"example.com"), (b"te", b"Trailers"))) is None
    assert request_problem([(b":method", b"CONNECT"), (b":authority", b"example.com:443")]) is None
    for engine in ("h2", "raw"):
        seen = drive(H2_ENGINES[engine], _request_frames(GOOD), [], len(_request_frames(GOOD)))
        assert len(seen.requests) == 1 and not seen.resets


@pytest.mark.parametrize(("why", "headers", "words"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_each_rule_refuses_its_case_on_both_engines(why: str, headers: Headers, words: str) -> None:
    problem = request_problem(headers)
    assert problem is not None and words in problem, problem
    data = _request_frames(headers)
    check(FrameCase(why, data, OWED), [], len(data))  # raw and h2 answer alike
    raw = drive(H2_ENGINES["raw"], data, [], len(data))
    assert not raw.requests, "a malformed request reached the app"
    assert raw.resets.get(1) == h2_wire.PROTOCOL_ERROR or raw.goaway is not None


@pytest.mark.parametrize(
    ("headers", "words"),
    [
        ([(b"grpc-status", b"0")], None),
        ([(b":path", b"/x")], "pseudo-header"),
        ([(b"Grpc-Status", b"0")], "bad header name"),
        ([(b"connection", b"close")], "connection-specific"),
    ],
)
def test_trailers(headers: Headers, words: str | None) -> None:
    problem = trailer_problem(headers)
    assert (problem is None) if words is None else (problem is not None and words in problem)
