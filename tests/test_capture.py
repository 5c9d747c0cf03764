"""The capture of live traffic (bidder.capture): sampling, bounds, the file format, versions."""

from __future__ import annotations

import asyncio
import gzip
import os
from pathlib import Path

import msgspec
import pytest

from bidder.app import BidderApp
from bidder.capture import (
    FORMAT_VERSION,
    Capture,
    CaptureConfig,
    CaptureError,
    FileSink,
    capture_problem,
    encode_record,
    read_capture,
    record_of,
)
from bidder.decision import Decision, ImpDecision
from bidder.metrics import CAPTURE_RECORDS
from bidder.pipeline import NoBid
from bidwire.config import SettingError, check_settings, with_overrides
from openrtb import BidRequest, BidResponse, JsonCodec
from openrtb.model import Bid, SeatBid
from transport.events import Request

REQUEST = JsonCodec().decode_request(
    b'{"id":"r1","imp":[{"id":"1","banner":{"w":300,"h":250}},{"id":"2","banner":{"w":1,"h":1}}]}'
)
BID = BidResponse(
    id="r1",
    seatbid=[SeatBid(seat="s", bid=[Bid(id="b", impid="1", price=1.5, cid="c1", crid="cr1")])],
)


def http_request(body: bytes = b"{}", arrival: float = 0.0) -> Request:
    return Request(
        b"POST", b"/openrtb2/bid", body, content_type=b"application/json", arrival=arrival
    )


class ListSink:
    """A sink that keeps what it is given."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.closed = False

    def write(self, chunk: bytes) -> None:
        self.chunks.append(chunk)

    def close(self) -> None:
        self.closed = True

    def records(self) -> list[dict[str, object]]:
        lines = b"".join(self.chunks).splitlines()
        return [msgspec.json.decode(line) for line in lines]


def make(
    config: CaptureConfig,
    draws: list[float] | None = None,
    now: list[float] | None = None,
    sink: ListSink | None = None,
) -> tuple[Capture, ListSink]:
    sink = sink or ListSink()
    values = iter(draws or [])
    clock = now if now is not None else [0.0]
    capture = Capture(
        config,
        sink,
        draw=lambda: next(values, 0.0),
        clock=lambda: clock[0],
        wallclock=lambda: 1_796_126_400.0,
    )
    return capture, sink


def test_only_the_sampled_share_is_captured() -> None:
    capture, sink = make(
        CaptureConfig(path="x", fraction=0.25), draws=[0.1, 0.3, 0.24, 0.25, 0.9, 0.0]
    )
    for i in range(6):
        capture.observe(http_request(f'{{"n":{i}}}'.encode()), REQUEST, NoBid("no_match"))
    capture.close_now()
    bodies = [r["body"] for r in sink.records()]
    # draws under 0.25 are sampled: the 1st, 3rd and 6th requests.
    import base64

    assert [base64.b64decode(b) for b in bodies] == [b'{"n":0}', b'{"n":2}', b'{"n":5}']  # type: ignore[arg-type]
    assert CAPTURE_RECORDS.get("written") == 3
    assert sink.closed


def test_the_rate_is_capped_and_the_excess_counted() -> None:
    now = [100.0]
    capture, sink = make(CaptureConfig(path="x", fraction=1.0, max_rate=3), now=now)
    for _ in range(5):
        capture.observe(http_request(), REQUEST, NoBid("no_match"))
    assert CAPTURE_RECORDS.get("dropped_rate") == 2
    now[0] += 1.0  # a second later, three more tokens
    for _ in range(4):
        capture.observe(http_request(), REQUEST, NoBid("no_match"))
    assert CAPTURE_RECORDS.get("dropped_rate") == 3
    capture.close_now()
    assert len(sink.records()) == 6


def test_a_full_queue_drops_and_counts_instead_of_waiting() -> None:
    capture, sink = make(CaptureConfig(path="x", fraction=1.0, queue=4))
    for _ in range(10):
        capture.observe(http_request(), REQUEST, NoBid("no_match"))
    assert CAPTURE_RECORDS.get("dropped_queue_full") == 6
    capture.close_now()
    assert len(sink.records()) == 4


def test_a_record_says_what_was_decided_and_how_long_it_took() -> None:
    capture, sink = make(CaptureConfig(path="x", fraction=1.0), now=[10.25])
    request = http_request(b'{"id":"r1"}', arrival=10.0)
    capture.observe(request, REQUEST, BID)
    capture.observe(request, REQUEST, NoBid("no_fit"))
    capture.close_now()
    first, second = sink.records()
    assert first["v"] == FORMAT_VERSION and first["id"] == "r1" and first["latency_ms"] == 250.0
    assert first["path"] == "/openrtb2/bid" and first["content_type"] == "application/json"
    assert first["decision"] == {
        "bid": True,
        "imps": [
            {
                "imp": "1",
                "bid": True,
                "seat": "s",
                "campaign": "c1",
                "creative": "cr1",
                "price": 1.5,
                "cur": "USD",
            },
            {"imp": "2"},
        ],
    }
    assert second["decision"] == {
        "bid": False,
        "reason": "no_fit",
        "nbr": 0,
        "imps": [{"imp": "1"}, {"imp": "2"}],
    }


def test_the_loop_encodes_a_few_records_at_a_time_and_poll_hands_them_over() -> None:
    async def main() -> tuple[int, int, int]:
        now = [0.0]
        capture, sink = make(CaptureConfig(path="x", fraction=1.0, flush_seconds=1.0), now=now)
        for _ in range(40):
            capture.observe(http_request(), REQUEST, NoBid("no_match"))
        queued_before = len(capture._queue)
        await asyncio.sleep(0.1)  # the drain turns run on the loop
        queued_after = len(capture._queue)
        capture.poll()  # not a second yet: still buffered
        kept = len(sink.chunks)
        now[0] = 2.0
        capture.poll()
        await capture.close()
        return queued_before, queued_after, kept + 100 * len(sink.records())

    before, after, result = asyncio.run(main())
    assert before == 40 and after == 0
    assert result == 40 * 100  # nothing handed over before flush_seconds, all 40 after


def test_workers_appending_gzip_members_to_one_file_make_one_readable_capture(
    tmp_path: Path,
) -> None:
    path = tmp_path / "cap.jsonl.gz"
    # Two writers on one file, as two workers: each chunk is one gzip member.
    for worker in range(2):
        capture = Capture(CaptureConfig(path=str(path), fraction=1.0), FileSink(path))
        for i in range(3):
            body = f'{{"worker":{worker},"i":{i}}}'.encode()
            capture.observe(http_request(body), REQUEST, NoBid("no_match"))
            capture.flush()  # a member per record
        capture.close_now()
    records = list(read_capture(path))
    assert [r.body for r in records] == [
        f'{{"worker":{w},"i":{i}}}'.encode() for w in range(2) for i in range(3)
    ]
    with gzip.open(path) as f:  # an ordinary gzip reader sees one stream
        assert len(f.read().splitlines()) == 6


def test_a_plain_file_when_the_name_does_not_end_in_gz(tmp_path: Path) -> None:
    path = tmp_path / "cap.jsonl"
    capture = Capture(CaptureConfig(path=str(path), fraction=1.0), FileSink(path))
    capture.observe(http_request(), REQUEST, NoBid("no_match"))
    capture.close_now()
    assert path.read_bytes().startswith(b'{"v":1,')
    assert len(list(read_capture(path))) == 1


def test_a_sink_that_fails_is_counted_and_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(ListSink):
        def write(self, chunk: bytes) -> None:
            raise OSError(28, "No space left on device")

    capture, _ = make(CaptureConfig(path="x", fraction=1.0), sink=Broken())
    for _ in range(3):
        capture.observe(http_request(), REQUEST, NoBid("no_match"))
        capture.flush()
    capture.close_now()
    assert CAPTURE_RECORDS.get("failed") == 3 and CAPTURE_RECORDS.get("written") == 0
    assert len([r for r in caplog.records if "capture write failed" in r.message]) == 1


def record(**changes: object) -> bytes:
    base = record_of(http_request(b"{}"), REQUEST, NoBid("no_match"), 1.0, 0.001)
    line = msgspec.json.decode(encode_record(base))
    line.update(changes)
    return msgspec.json.encode(line) + b"\n"


def test_a_newer_format_version_is_refused_with_the_line(tmp_path: Path) -> None:
    path = tmp_path / "cap.jsonl"
    path.write_bytes(record() + record(v=2, body="not even base64!"))
    with pytest.raises(CaptureError, match=r"line 2: capture format version 2 is newer than this"):
        list(read_capture(path))


def test_fields_added_within_a_version_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "cap.jsonl"
    path.write_bytes(record(later_field={"x": 1}))
    (only,) = read_capture(path)
    assert only.decision == Decision(
        bid=False, reason="no_match", nbr=0, imps=(ImpDecision(imp="1"), ImpDecision(imp="2"))
    )


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"not json\n", "line 1: not a capture record"),
        (b'{"id": "x"}\n', "line 1: not a capture record \\(no format version\\)"),
        (b'{"v": 1, "id": "x"}\n', "line 1: not a capture record"),
    ],
)
def test_what_is_not_a_capture_is_named(tmp_path: Path, data: bytes, why: str) -> None:
    path = tmp_path / "cap.jsonl"
    path.write_bytes(data)
    with pytest.raises(CaptureError, match=why):
        list(read_capture(path))


def test_the_front_doors_tell_the_tap_of_each_decision() -> None:
    seen: list[tuple[bytes, str, BidResponse | NoBid]] = []

    def decide(request: BidRequest, arrival: float) -> NoBid:
        return NoBid("no_match")

    app = BidderApp(decide)
    app.tap = lambda request, bid_request, decision: seen.append(
        (request.body, bid_request.id, decision)
    )
    body = b'{"id":"r9","imp":[{"id":"1","banner":{"w":300,"h":250}}]}'
    assert app.handle(http_request(body)).status == 204  # type: ignore[union-attr]
    assert app.handle(http_request(b"{bad")).status == 400  # type: ignore[union-attr]
    assert seen == [(body, "r9", NoBid("no_match"))]


def test_capture_settings_are_checked_like_every_setting(tmp_path: Path) -> None:
    with pytest.raises(SettingError, match=r"bad setting capture.fraction: 1.5 is out of range"):
        check_settings({"capture": {"fraction": 1.5}}, "in test.toml")
    with pytest.raises(SettingError, match=r"from --capture-fraction"):
        from bidwire.config import Config

        with_overrides(Config(), capture_fraction=-0.1)
    assert capture_problem(CaptureConfig(path=str(tmp_path / "nope" / "c.gz"))) == (
        f"bad setting capture.path: the folder {tmp_path / 'nope'} does not exist"
    )
    assert capture_problem(CaptureConfig(path=str(tmp_path))) == (
        f"bad setting capture.path: {tmp_path} is a directory"
    )
    assert capture_problem(CaptureConfig(path=str(tmp_path / "c.gz"))) is None
    assert os.listdir(tmp_path) == []  # checking creates nothing
