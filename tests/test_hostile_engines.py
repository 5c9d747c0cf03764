"""The attacks of issue #17 against the engines, sans-IO: each one ends the way it should, counted.

The client side of every attack is :mod:`fuzz.attacks` (the bench sends the same bytes over
sockets). The HTTP/2 tests run on both engines, with the default limits unless a test is about
one of them, and an explicit clock. Each attack has a control beside it: an honest client doing
as much (as many requests, streams or frames) is not touched.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import hpack.hpack
import pytest
from h2.errors import ErrorCodes as E
from hpack import huffman_table

from fuzz import attacks as A
from fuzz.answers import Outcome, Reader
from fuzz.socketless import Socketless
from transport import h2_wire as W
from transport import hpack_codec
from transport.connection import CUTS, Connection
from transport.cost import (
    HEADER_BLOCK_BYTES_PER_UNIT,
    HEADER_BLOCK_FREE,
    OPENING_FLOOR,
    PROVOKED_RESET,
    RESET,
    Cuts,
)
from transport.events import Request, Response
from transport.h1_engine import MAX_BLANK_BYTES, H1Engine
from transport.h2_engine import H2Engine
from transport.limits import Limits
from transport.metrics import PROTOCOL_ERRORS
from transport.raw_h2 import RawH2Engine

EngineType = type[H2Engine] | type[RawH2Engine]
#: What a new connection may cost before answers earn it more (``cost_initial``).
INITIAL = Limits().cost_initial
#: A connection that has earned its whole budget (for the tests of the limits behind the
#: ledger's first verdict on a new connection).
EARNED = Limits(cost_initial=Limits().cost_budget)
Answer = Callable[[Request], Response]


@pytest.fixture(params=["h2", "raw"])
def engine_type(request: pytest.FixtureRequest) -> EngineType:
    return H2Engine if request.param == "h2" else RawH2Engine


def ok(request: Request) -> Response:
    return Response(200, b'{"ok":1}', content_type=b"application/json")


def not_allowed(request: Request) -> Response:
    return Response(405, b'{"error":"use POST"}', content_type=b"application/json")


class Client:
    """An engine, what it handed over, and what it sent back (parsed)."""

    def __init__(self, engine_type: EngineType, limits: Limits | None = None) -> None:
        self.engine = engine_type(limits or Limits(), 0.0)
        self.reader = Reader()
        self.handed: list[int] = []

    def send(self, data: bytes, now: float = 0.0, answer: Answer = ok) -> None:
        for sid, request in self.engine.receive_data(data, now):
            self.handed.append(sid)
            self.engine.send_response(sid, answer(request))
        self.reader.feed(self.engine.data_to_send())

    def send_in(self, data: bytes, pieces: int, now: float = 0.0, answer: Answer = ok) -> None:
        """``data`` in ``pieces`` reads (cut anywhere: frames span reads)."""
        size = -(-len(data) // pieces)
        for start in range(0, len(data), size):
            self.send(data[start : start + size], now, answer)

    def tick(self, now: float) -> None:
        self.engine.tick(now)
        self.reader.feed(self.engine.data_to_send())

    @property
    def out(self) -> Outcome:
        return self.reader.outcome


def calmed(client: Client, reason: str) -> None:
    assert client.out.goaway == E.ENHANCE_YOUR_CALM
    assert client.engine.closed
    assert client.engine.close_reason == reason
    assert PROTOCOL_ERRORS.get(reason) == 1


# -- MADE YOU RESET (CVE-2025-8671) ---------------------------------------------------------------


@pytest.mark.parametrize("kind", ["data", "window"])
def test_made_you_reset_ends_the_connection(engine_type: EngineType, kind: str) -> None:
    """Frames that make the server reset stream after stream (the client never resets one):
    GOAWAY(ENHANCE_YOUR_CALM) past max_stream_errors (here 40) of them, and no reset request
    is ever handed to the app. (On a connection that has earned its budget, which buys 62
    provoked resets: a new one is cut sooner, by the ledger, below.)"""
    client = Client(engine_type, Limits(cost_initial=4096, max_stream_errors=40))
    client.send(A.preface())
    for batch in range(50):  # 20 streams a read
        client.send(A.made_you_reset(20, kind=kind, first=1 + 40 * batch))
    calmed(client, "stream_errors")
    code = E.STREAM_CLOSED if kind == "data" else E.FLOW_CONTROL_ERROR
    assert set(client.out.resets.values()) == {code}
    # Bounded: 41, and (the h2 engine) the rest of the read in which it ran out.
    assert 41 <= len(client.out.resets) <= 41 + 20
    assert client.handed == []


def test_without_the_stream_error_limit_the_budget_ends_it(engine_type: EngineType) -> None:
    """The ledger is the backstop: each provoked reset costs RESET + PROVOKED_RESET (an
    answer's credit), so the budget (4096) buys about 4096 / (64 + 2 frames) = 62 of them."""
    client = Client(engine_type, Limits(max_stream_errors=10_000, cost_initial=4096))
    client.send(A.preface())
    for batch in range(50):
        client.send(A.made_you_reset(20, first=1 + 40 * batch))
    calmed(client, "cost_exceeded")
    each = RESET + PROVOKED_RESET + 2
    assert 4096 // each - 20 <= len(client.out.resets) <= 4096 // each + 20


@pytest.mark.parametrize("kind", ["data", "window"])
def test_a_new_connection_that_draws_resets_is_cut_at_once(
    engine_type: EngineType, kind: str
) -> None:
    """A new connection has only ``cost_initial`` (640) to spend before answers earn it
    more: MADE YOU RESET from the first frame is cut after about 640 / 66 = 9 resets, not
    after max_stream_errors (100), so an attacker that reconnects each time gets little out of
    each connection."""
    client = Client(engine_type)
    client.send(A.preface())
    for batch in range(50):  # 5 streams a read
        client.send(A.made_you_reset(5, kind=kind, first=1 + 10 * batch))
        if client.engine.closed:
            break
    calmed(client, "cost_exceeded")
    each = RESET + PROVOKED_RESET + 2
    assert INITIAL // each - 5 <= len(client.out.resets) <= INITIAL // each + 5


def test_answers_earn_a_connection_its_budget(engine_type: EngineType) -> None:
    """The control: the same resets after 64 answers (64 x 64 credit: the whole budget) go
    on until the budget is spent, as on a connection that started with it (62 of them)."""
    client = Client(engine_type)
    client.send(A.preface())
    client.send_in(A.requests(64), 8)
    assert len(client.out.ended) == 64
    for batch in range(50):
        client.send(A.made_you_reset(20, first=201 + 40 * batch))
        if client.engine.closed:
            break
    calmed(client, "cost_exceeded")
    each = RESET + PROVOKED_RESET + 2
    assert 4096 // each - 20 <= len(client.out.resets) <= 4096 // each + 20


def test_every_stream_opened_in_the_first_read_fits_the_initial_balance(
    engine_type: EngineType,
) -> None:
    """An honest client may open max_concurrent_streams (256) streams in its first read,
    before any answer: 2 frames each, inside ``cost_initial``."""
    served_whole(engine_type, A.requests(256), 1, 256)


def test_stream_errors_at_a_slow_rate_are_tolerated(engine_type: EngineType) -> None:
    """Stream errors are a rate, not a count for life: 5 a second for a minute (300) on a
    connection that is otherwise answered is no attack."""
    client = Client(engine_type)
    client.send(A.preface())
    sid = 1
    for second in range(60):
        client.send(A.made_you_reset(5, first=sid) + A.requests(5, first=sid + 10), second)
        sid += 20
    assert not client.engine.closed
    assert len(client.out.resets) == 300 and len(client.out.ended) == 300


def served_whole(engine_type: EngineType, data: bytes, pieces: int, streams: int) -> None:
    """A control: ``data`` after the preface, every stream answered, nothing else."""
    client = Client(engine_type)
    client.send(A.preface())
    client.send_in(data, pieces)
    assert not client.engine.closed
    assert len(client.out.ended) == streams
    assert client.out.goaway is None and client.out.resets == {}


def test_as_many_honest_requests_are_served(engine_type: EngineType) -> None:
    """The control: the same number of streams, answered, costs nothing."""
    served_whole(engine_type, A.requests(1000), 50, 1000)


def test_refused_streams_are_resets_too(engine_type: EngineType) -> None:
    """Streams past max_concurrent_streams are refused with RST_STREAM: a client that keeps
    opening them is a MADE YOU RESET loop too."""
    client = Client(engine_type, Limits(max_concurrent_streams=4))
    client.send(A.preface() + A.parked_streams(4))
    assert client.engine.open_streams == 4
    client.send_in(A.parked_streams(1000, first=9), 50)
    calmed(client, "cost_exceeded")
    assert set(client.out.resets.values()) == {E.REFUSED_STREAM}
    assert len(client.out.resets) < 4096 // RESET + 20  # and the read it ran out in


# -- Rapid Reset (CVE-2023-44487) -----------------------------------------------------------------


def test_a_request_reset_in_the_same_read_is_never_decided(engine_type: EngineType) -> None:
    """HEADERS with END_STREAM and RST_STREAM in one packet: the request is complete, but its
    stream is gone by the end of the read, so the app is not asked (it would decide a bid for
    nobody); the budget of RST_STREAMs ends the connection."""
    client = Client(engine_type, EARNED)
    client.send(A.preface())
    for batch in range(50):
        client.send(A.rapid_reset(20, first=1 + 40 * batch))
    assert client.handed == []
    calmed(client, "rst_stream_flood")  # 200 at once: the older, tighter limit comes first


def test_rapid_reset_under_the_rst_rate_still_spends_the_budget(engine_type: EngineType) -> None:
    """Resets paced under rst_per_second are still work without an answer: the ledger ends
    the connection once their cost passes what the refill brings."""
    limits = Limits(rst_burst=10_000, rst_per_second=10_000.0)
    client = Client(engine_type, limits)
    client.send(A.preface())
    for batch in range(50):
        client.send(A.rapid_reset(20, first=1 + 40 * batch))
    calmed(client, "cost_exceeded")
    assert client.handed == []


# -- SETTINGS storm -------------------------------------------------------------------------------


def test_a_settings_frame_with_too_many_entries_is_enhance_your_calm(
    engine_type: EngineType,
) -> None:
    client = Client(engine_type)
    client.send(A.preface())
    client.send(A.settings_storm(1, 32))
    assert not client.engine.closed
    client.send(A.settings_storm(1, 33))
    calmed(client, "settings_too_many")


def test_settings_storm_with_parked_streams_is_bounded(engine_type: EngineType) -> None:
    """SETTINGS frames full of window changes over 200 parked streams: the frames per second
    (settings_burst) and entries per frame bound the work; the storm ends the connection."""
    client = Client(engine_type, EARNED)
    client.send(A.preface() + A.parked_streams(200))
    client.send(A.settings_storm(100, 32))
    calmed(client, "settings_flood")
    assert client.engine.open_streams == 200


def test_the_raw_engine_walks_the_streams_once_per_settings_frame() -> None:
    """ "Window changes without per-stream work per entry": 32 window changes over 200 streams
    walk the streams once (h2 keeps only the last value of a key in a frame, likewise)."""
    walks = 0

    class Counting(dict[int, object]):
        def values(self):  # type: ignore[no-untyped-def,override]
            nonlocal walks
            walks += 1
            return super().values()

    client = Client(RawH2Engine)
    client.send(A.preface() + A.parked_streams(200))
    client.engine._streams = Counting(client.engine._streams)  # type: ignore[assignment]
    client.send(A.settings_storm(1, 32))
    assert walks == 1
    assert not client.engine.closed


def test_window_changes_in_one_frame_apply_once(engine_type: EngineType) -> None:
    """Several INITIAL_WINDOW_SIZE entries in one frame: the windows move once, by the last
    value's difference (as h2 applies a frame), and a waiting answer goes out."""
    client = Client(engine_type)
    client.send(A.preface({W.SETTINGS_INITIAL_WINDOW_SIZE: 0}) + A.requests(1))
    assert client.out.ended == set()  # the answer waits on the window
    changes = [(W.SETTINGS_INITIAL_WINDOW_SIZE, v) for v in (5, 2**31 - 1, 0, 3, 100)]
    frame = W.frame(W.SETTINGS, 0, 0, b"".join(W.SETTING.pack(k, v) for k, v in changes))
    client.send(frame)
    assert client.out.goaway is None and not client.engine.closed
    assert client.out.ended == {1}  # 8 bytes of body, under the window of 100


# -- HPACK bomb -----------------------------------------------------------------------------------


def test_hpack_bombs_answered_with_errors_end_the_connection(engine_type: EngineType) -> None:
    """Requests of a few bytes that decode to 16 KB of headers, each answered with an error:
    the decoded bytes and the errors are charged, and bring nothing."""
    client = Client(engine_type)
    client.send(A.preface())
    client.send_in(A.hpack_bomb(1000), 100, answer=not_allowed)
    calmed(client, "cost_exceeded")
    # About 640 (cost_initial) / (header units + ERROR 16 + a frame) answered first: 20 on
    # the raw engine, 2 on the h2 engine (whose header checks cost 16 times as much per byte),
    # and the rest of the read the verdict came in (10 bombs; the h2 engine's 4 KB pieces).
    # The first block (the 4 KB field's literal) is charged by its size too.
    per_bomb = (16 * 1024 - 1024) // client.engine._header_unit + 16 + 1
    first = (len(A.hpack_bomb(1)) - 9 - HEADER_BLOCK_FREE) // HEADER_BLOCK_BYTES_PER_UNIT
    left = INITIAL - first
    assert left // per_bomb - 2 <= len(client.out.statuses) <= left // per_bomb + 10


def test_as_many_big_honest_header_lists_answered_ok_are_served(engine_type: EngineType) -> None:
    """The control: big header lists (4 KB: long cookies), answered 200, earn more than they
    cost, on both engines."""
    served_whole(engine_type, A.hpack_bomb(1000, limit=4096), 100, 1000)


def test_a_bomb_opening_with_little_credit_is_cut_before_its_block_is_decoded(
    engine_type: EngineType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening with OPENING_FLOOR (as while the worker cuts many connections), an HPACK bomb's
    first block, a 2.9 KB Huffman-coded literal (about 0.5 ms for hpack's decoder), is charged
    by its size in the flood guard's scan and the connection cut before it is decoded."""
    decoded: list[int] = []

    def counting(data: bytes) -> bytes:
        decoded.append(len(data))
        return huffman_table.decode_huffman(data)

    monkeypatch.setattr(hpack.hpack, "decode_huffman", counting)
    monkeypatch.setattr(hpack_codec, "decode_huffman", counting)
    client = Client(engine_type, Limits(cost_initial=OPENING_FLOOR))
    client.send(A.preface() + A.hpack_bomb(32), answer=not_allowed)
    calmed(client, "cost_exceeded")
    assert client.handed == []
    assert [size for size in decoded if size > 1024] == []


def test_a_big_header_block_on_a_new_connection_is_decoded(engine_type: EngineType) -> None:
    """The control: with the whole cost_initial, the same first block (and a 4 KB header list,
    as long cookies make) is decoded and answered, and answers pay for the rest."""
    client = Client(engine_type)
    client.send(A.preface())
    client.send_in(A.hpack_bomb(32, limit=4096), 32)  # about 8 requests a read after the first
    assert not client.engine.closed
    assert len(client.out.ended) == 32


# -- gzip bomb (the cost the app reports) ---------------------------------------------------------


def test_gzip_requests_are_charged_as_they_are_read(engine_type: EngineType) -> None:
    """A read of 64 gzip bombs (HEADERS + 2 KB DATA each) on a new connection: each request
    with an encoded body costs ENCODED_BODY as its headers are read, so the connection is cut
    within the read and none is handed over to be inflated (before, all 64 were: the app's
    inflate cost came only after)."""
    client = Client(engine_type)
    client.send(A.preface() + A.gzip_bomb(64))
    calmed(client, "cost_exceeded")
    assert client.handed == []


def test_honest_gzip_requests_are_served(engine_type: EngineType) -> None:
    """The control: gzip requests that are answered earn more than they cost."""
    served_whole(engine_type, A.gzip_bomb(600), 300, 600)


def test_the_apps_reported_cost_ends_the_connection(engine_type: EngineType) -> None:
    """What the app charges (``Response.cost``: bytes inflated) counts at once: the caller
    (transport.connection) stops handing the read's requests over when the engine closes."""
    client = Client(engine_type)
    client.send(A.preface() + A.requests(1))
    client.engine.charge(INITIAL // 2)
    assert not client.engine.closed
    client.engine.charge(INITIAL)
    client.reader.feed(client.engine.data_to_send())
    calmed(client, "cost_exceeded")
    client.send(A.requests(1, first=3))
    assert client.handed == [1]


# -- zero-window stall ----------------------------------------------------------------------------


def test_requests_on_a_zero_window_are_not_decided_until_it_opens(
    engine_type: EngineType,
) -> None:
    """With INITIAL_WINDOW_SIZE 0 not a byte of an answer could be sent: the complete requests
    wait, undecided, until the client opens a window (here: a WINDOW_UPDATE on stream 3, then
    SETTINGS for all), and are handed over then, in the read that opened it."""
    client = Client(engine_type)
    client.send(A.zero_window(3), 0.0)
    assert client.handed == []
    assert client.engine.open_streams == 3
    client.send(W.window_update(3, 100), 1.0)
    assert client.handed == [3]
    assert 3 in client.out.ended
    client.send(W.settings({W.SETTINGS_INITIAL_WINDOW_SIZE: 65535}), 2.0)
    assert sorted(client.handed) == [1, 3, 5]
    assert client.out.ended == {1, 3, 5}


def test_answers_held_by_a_zero_window_are_reset_at_the_send_timeout(
    engine_type: EngineType,
) -> None:
    client = Client(engine_type)
    client.send(A.zero_window(10), 0.0)
    assert client.handed == []  # held, undecided: no answer could have gone out
    assert client.engine.open_streams == 10
    client.tick(9.0)
    assert client.out.resets == {}
    client.tick(10.5)
    assert client.out.resets == dict.fromkeys(range(1, 20, 2), E.CANCEL)
    assert client.engine.open_streams == 0
    assert PROTOCOL_ERRORS.get("h2_send_timeout") == 10
    assert not client.engine.closed  # ten resets are within the budget


def test_answers_stalled_on_a_one_byte_window_are_reset_at_the_send_timeout(
    engine_type: EngineType,
) -> None:
    """A window of one byte is served (a client may read a byte at a time); if it never grows,
    the answers are reset at the send timeout."""
    client = Client(engine_type)
    client.send(A.preface({W.SETTINGS_INITIAL_WINDOW_SIZE: 1}) + A.requests(4), 0.0)
    assert client.handed == [1, 3, 5, 7]
    assert client.engine.open_streams == 4  # one byte of each answer out, the rest waits
    client.tick(10.5)
    assert client.out.resets == dict.fromkeys((1, 3, 5, 7), E.CANCEL)
    assert PROTOCOL_ERRORS.get("h2_send_timeout") == 4


def test_a_client_reading_a_byte_at_a_time_gets_few_decisions(engine_type: EngineType) -> None:
    """max_waiting_answers (16) answers may wait on the windows; further complete requests
    wait undecided, and are decided once the client lets the answers out."""
    client = Client(engine_type)
    client.send(A.one_byte_window(40), 0.0)
    assert len(client.handed) == 16
    assert client.engine.open_streams == 40
    client.send(W.settings({W.SETTINGS_INITIAL_WINDOW_SIZE: 65535}), 1.0)
    assert len(client.handed) == 40
    assert len(client.out.ended) == 40
    assert client.engine.open_streams == 0


def test_a_zero_window_client_with_every_stream_open_is_closed(engine_type: EngineType) -> None:
    """256 streams held, then reset at the send timeout: each held a stream for nothing (an
    answer's credit, charged) and drew a reset: far more cost than it brought."""
    client = Client(engine_type)
    client.send(A.zero_window(256), 0.0)
    assert client.engine.open_streams == 256
    client.tick(11.0)
    calmed(client, "cost_exceeded")


# -- held forever ---------------------------------------------------------------------------------


def test_bodies_that_never_come_are_reset_then_the_connection_idles_out(
    engine_type: EngineType,
) -> None:
    """Header blocks finished, bodies never sent, PINGs to look alive: the streams are reset
    at the body timeout, and the connection closes idle_timeout later (PINGs are not
    requests)."""
    limits = Limits(idle_timeout=30.0)
    client = Client(engine_type, limits)
    client.send(A.stalled_bodies(3), 0.0)
    for t in range(1, 12):
        client.send(A.ping(), float(t))
        client.tick(float(t) + 0.5)
    assert client.out.resets == dict.fromkeys((1, 3, 5), E.CANCEL)
    # Busy until the resets at 10.5: idle since the tick before (9.5), closed past 39.5.
    for t in range(12, 39):
        client.send(A.ping(), float(t))
        client.tick(float(t) + 0.5)
    assert not client.engine.closed
    client.send(A.ping(), 40.0)
    client.tick(40.5)
    assert client.engine.closed and client.engine.close_reason == "idle"
    assert client.out.goaway == E.NO_ERROR


def test_an_open_header_block_ends_at_the_header_timeout(engine_type: EngineType) -> None:
    client = Client(engine_type, Limits(header_timeout=5.0))
    client.send(A.open_header_block(), 0.0)
    client.tick(5.5)
    calmed(client, "header_timeout")


def test_half_closed_local_streams_count_and_expire(engine_type: EngineType) -> None:
    """Requests answered 413 at their headers whose body never comes stay half-closed (local):
    they count against max_concurrent_streams (a stream counts until both sides are done),
    and are reset at the body timeout."""
    client = Client(engine_type, Limits(max_concurrent_streams=8))
    client.send(A.preface() + A.half_closed_streams(8), 0.0)
    assert client.out.statuses == dict.fromkeys(range(1, 17, 2), 413)
    assert client.engine.stream_state(1) == "half_closed_local"
    client.send(A.half_closed_streams(1, first=17), 0.0)
    assert client.out.resets == {17: E.REFUSED_STREAM}
    client.tick(10.5)
    assert set(client.out.resets) == {17, *range(1, 17, 2)}
    assert client.engine.stream_state(1) == "closed"
    client.send(A.requests(1, first=19), 11.0)
    assert 19 in client.out.ended


# -- HTTP/1.1 -------------------------------------------------------------------------------------


def h1_post(body: bytes = A.BODY) -> bytes:
    return b"POST /openrtb2/bid HTTP/1.1\r\nHost: x\r\ncontent-length: %d\r\n\r\n%s" % (
        len(body),
        body,
    )


def test_h1_blank_lines_are_refused() -> None:
    engine = H1Engine(Limits(), 1000.0)
    engine.receive_data(A.blank_lines(MAX_BLANK_BYTES // 4), 1000.0)  # CRLF: 2 bytes each
    assert not engine.closed
    engine.receive_data(A.blank_lines(MAX_BLANK_BYTES // 4), 1001.0)
    assert not engine.closed  # exactly the allowance
    engine.receive_data(b"\r\n", 1002.0)
    assert engine.closed and engine.close_reason == "blank_lines"
    assert engine.data_to_send().startswith(b"HTTP/1.1 400 ")
    assert PROTOCOL_ERRORS.get("h1_blank_lines") == 1


def test_h1_blank_lines_do_not_keep_a_connection_open() -> None:
    """Empty lines between requests (under the allowance) are not activity: the connection
    closes idle_timeout after its last request."""
    engine = H1Engine(Limits(idle_timeout=30.0), 1000.0)
    ready = engine.receive_data(h1_post(), 1000.0)
    engine.send_response(ready[0][0], Response(204))
    for t in range(1, 30):
        engine.receive_data(b"\r\n", 1000.0 + t)
        engine.tick(1000.0 + t + 0.5)
    assert not engine.closed
    engine.tick(1031.0)
    assert engine.closed and engine.close_reason == "idle"


def test_h1_gzip_bombs_end_the_connection() -> None:
    """What the app reports inflating (as it does for a gzip bomb: 64 KiB refused with 413)
    and the error answers spend the budget: the connection is closed."""
    engine = H1Engine(Limits(), 1000.0)
    served = 0
    for i in range(200):
        ready = engine.receive_data(A.gzip_bomb_h1(1), 1000.0 + i * 0.001)
        if engine.closed:
            break
        for seq, _ in ready:
            engine.charge(64)
            engine.send_response(seq, Response(413, b"{}"))
            served += 1
    assert engine.closed and engine.close_reason == "cost_exceeded"
    assert INITIAL // 81 - 2 <= served <= INITIAL // 81 + 2  # 640 / (64 + 16 + 1)
    assert PROTOCOL_ERRORS.get("cost_exceeded") == 1


def test_h1_honest_keep_alive_is_never_charged_out() -> None:
    engine = H1Engine(Limits(), 1000.0)
    for _ in range(2000):
        for seq, _request in engine.receive_data(h1_post(), 1000.0):
            engine.send_response(seq, Response(200, b"{}"))
    assert not engine.closed
    assert engine.data_to_send().count(b"HTTP/1.1 200 OK") == 2000


# -- a connection cut for its conduct -------------------------------------------------------------


def lingering(*reads: bytes, storm: bool = False) -> tuple[Socketless, Outcome]:
    """A :class:`Connection` (raw engine, every request answered 200) fed ``reads``; its
    transport once the engine has closed, and what it sent. ``storm``: opened as after a storm
    of cut connections (the worker's cut level far past CUTS_TOLERATED)."""

    class App:
        def handle(self, request: Request) -> Response:
            return ok(request)

    async def run() -> Socketless:
        transport = Socketless()
        conn = Connection(App(), Limits(), {}, "raw")  # type: ignore[arg-type]
        conn.connection_made(transport)  # type: ignore[arg-type]
        for data in reads:
            conn.data_received(data)
        conn.resume_writing()  # the socket's buffer drained: a calmed one stays unread
        conn.connection_lost(None)
        return transport

    saved = CUTS.level, CUTS.stamp
    if storm:
        CUTS.level, CUTS.stamp = 1e9, time.monotonic() + 60
    try:
        transport = asyncio.run(run())
    finally:
        CUTS.level, CUTS.stamp = saved
    reader = Reader()
    reader.feed(transport.out)
    return transport, reader.outcome


def test_a_connection_cut_for_its_cost_is_not_read_again_nor_sent_a_fin() -> None:
    """Cut for its conduct: GOAWAY(ENHANCE_YOUR_CALM) out, then reading paused and no FIN for
    the linger, so a client that waits for our close holds its cut connection, and what it
    still sends is not copied in to be dropped."""
    transport, out = lingering(A.preface() + A.made_you_reset(400))
    assert out.goaway == E.ENHANCE_YOUR_CALM
    assert not transport.reading and not transport.eof


def test_a_connection_that_ends_otherwise_gets_a_fin_and_is_read_to_the_end() -> None:
    """The control: a client's own GOAWAY ends it as before: FIN, and read until the client's
    FIN (so our last frames are read, not destroyed by an RST)."""
    transport, out = lingering(A.preface() + A.requests(3), W.frame(W.GOAWAY, 0, 0, bytes(8)))
    assert len(out.ended) == 3
    assert transport.reading and transport.eof


# -- cut connections paid for by the next ones ----------------------------------------------------


def test_new_connections_open_with_less_while_many_are_cut() -> None:
    """A worker that cuts connections often (an attacker that reconnects each time) opens new
    ones with less than cost_initial, never under OPENING_FLOOR; a quiet second later the level
    has halved, and once under CUTS_TOLERATED new connections open with it whole again."""
    cuts = Cuts()
    assert cuts.opening(INITIAL, 0.0) == INITIAL
    for i in range(16):
        cuts.cut(i * 0.001)
    assert cuts.opening(INITIAL, 0.016) == INITIAL  # a few cuts are taken in stride
    for i in range(1000):
        cuts.cut(0.02 + i * 0.001)
    assert cuts.opening(INITIAL, 1.02) == OPENING_FLOOR
    level = cuts.level
    assert cuts.opening(INITIAL, 2.02) < INITIAL
    assert cuts.level == pytest.approx(level / 2)
    assert cuts.opening(INITIAL, 12.0) == INITIAL


def test_while_many_are_cut_a_new_honest_client_is_served() -> None:
    """The control: opening at OPENING_FLOOR, an h2load-like client (8 requests a read) is
    answered, and its answers earn it more than it spends."""
    reads = [A.requests(8, first=1 + 16 * batch) for batch in range(100)]
    _, out = lingering(A.preface(), *reads, storm=True)
    assert len(out.ended) == 800 and out.goaway is None


def test_an_attacker_opening_at_the_floor_is_cut_within_its_first_frames() -> None:
    """Opening at OPENING_FLOOR, MADE YOU RESET is cut within the 100 frames of its first read,
    in the flood guard's scan, before the engine resets a stream (with the whole
    cost_initial, 640, the read is parsed and about 8 streams reset first)."""
    _, out = lingering(A.preface() + A.made_you_reset(50), storm=True)
    assert out.goaway == E.ENHANCE_YOUR_CALM
    assert out.resets == {}  # cut in the guard's scan, before any stream was reset
