"""gzip bodies under the size and ratio caps (bidder/inflate.py), and the work both front doors
report back to the transport for it (``Response.cost``)."""

from __future__ import annotations

import gzip
import json
import os

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bidder.app import AppConfig
from bidder.grpc_wire import Status, decode_message, frame
from bidder.inflate import BOMB_WORK, DEFAULT_MAX_RATIO, RATIO_FLOOR, STEP, InflateError, gunzip
from bidder.metrics import ERRORS
from bidder.service import Bidder, BidderConfig
from fuzz.attacks import gzip_body
from transport.events import INFLATE_BYTES_PER_UNIT, Request, Response

from .conftest import corpus_files, needs_corpus

LIMIT = 2 * 1024 * 1024
BID = json.dumps(
    {"id": "r", "imp": [{"id": "1", "banner": {"w": 300, "h": 250}}], "site": {"domain": "a.com"}}
).encode()


@given(st.binary(max_size=200_000), st.integers(1, 9))
def test_what_gzip_made_inflates_back(data: bytes, level: int) -> None:
    """A body under the size cap comes back whole, in steps or not; the only refusal is the
    ratio, for a body past RATIO_FLOOR whose output outgrew its input more than allowed."""
    packed = gzip.compress(data, level)
    try:
        assert gunzip(packed, LIMIT, DEFAULT_MAX_RATIO) == data
    except InflateError as exc:
        assert exc.kind == "ratio" and len(data) >= RATIO_FLOOR
        assert exc.inflated > DEFAULT_MAX_RATIO * 1  # it did outgrow what it had consumed


@needs_corpus
@pytest.mark.parametrize("level", [1, 6, 9])
def test_every_corpus_request_inflates(level: int) -> None:
    for path in corpus_files("requests"):
        body = path.read_bytes()
        assert gunzip(gzip.compress(body, level), LIMIT, DEFAULT_MAX_RATIO) == body


def test_a_large_honest_body_inflates_across_steps() -> None:
    data = os.urandom(STEP // 2) * 5  # compresses about 2x: five steps of output
    assert gunzip(gzip.compress(data), LIMIT, DEFAULT_MAX_RATIO) == data


def test_a_bomb_is_refused_on_its_ratio_after_one_step() -> None:
    """2 MiB of zeros in about 2 KB: refused once the first 4 KiB are out, not at 2 MiB; its
    work is charged as BOMB_WORK more than it inflated."""
    with pytest.raises(InflateError) as caught:
        gunzip(gzip_body(), LIMIT, DEFAULT_MAX_RATIO)
    assert caught.value.kind == "ratio"
    assert caught.value.inflated == RATIO_FLOOR  # the work done: the first step
    assert caught.value.work == RATIO_FLOOR + BOMB_WORK


def test_other_refusals_weigh_what_they_inflated() -> None:
    with pytest.raises(InflateError) as caught:
        gunzip(gzip_body(4 * LIMIT), LIMIT, float("inf"))
    assert caught.value.work == caught.value.inflated


def test_without_the_ratio_cap_the_bomb_stops_at_the_size_cap() -> None:
    with pytest.raises(InflateError) as caught:
        gunzip(gzip_body(4 * LIMIT), LIMIT, float("inf"))
    assert caught.value.kind == "too_large"
    assert LIMIT < caught.value.inflated <= LIMIT + 1


def test_a_small_body_may_compress_as_it_likes() -> None:
    """Under RATIO_FLOOR the ratio is not looked at: 4,000 zeros (about 140x) are fine."""
    data = bytes(4000)
    assert len(gzip.compress(data)) * DEFAULT_MAX_RATIO < len(data)
    assert gunzip(gzip.compress(data), LIMIT, DEFAULT_MAX_RATIO) == data


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"not gzip at all", "bad gzip body"),
        (gzip.compress(b"x" * 1000)[:-6], "truncated"),
    ],
)
def test_bad_gzip(body: bytes, words: str) -> None:
    with pytest.raises(InflateError) as caught:
        gunzip(body, LIMIT, DEFAULT_MAX_RATIO)
    assert caught.value.kind == "bad_gzip" and words in caught.value.message


def test_trailing_data_is_refused_only_when_asked() -> None:
    body = gzip.compress(b"abc") + b"tail"
    assert gunzip(body, LIMIT, DEFAULT_MAX_RATIO) == b"abc"
    with pytest.raises(InflateError):
        gunzip(body, LIMIT, DEFAULT_MAX_RATIO, trailing_ok=False)


# -- the front doors -------------------------------------------------------------------------------


def bidder(**app: object) -> Bidder:
    return Bidder(BidderConfig(app=msgspec.convert(app, AppConfig)))


def post(body: bytes, **headers: bytes) -> Request:
    return Request(b"POST", b"/openrtb2/bid", body, content_type=b"application/json", **headers)


def test_a_gzip_bomb_is_413_and_reports_its_work() -> None:
    app = bidder().app
    response = app.handle(post(gzip_body(), content_encoding=b"gzip"))
    assert isinstance(response, Response)
    assert response.status == 413
    assert b"inflates over 100 times" in response.body
    assert response.cost == (RATIO_FLOOR + BOMB_WORK) // INFLATE_BYTES_PER_UNIT
    assert ERRORS.get("gzip_ratio") == 1
    assert app.inflated == 0  # reported once, not carried to the next request


def test_an_honest_gzip_body_reports_what_it_inflated() -> None:
    app = bidder().app
    big = json.loads(BID)
    big["site"]["page"] = "https://a.com/" + "p" * 5000
    body = json.dumps(big).encode()
    response = app.handle(post(gzip.compress(body), content_encoding=b"gzip"))
    assert response.status in (200, 204)
    assert response.cost == len(body) // INFLATE_BYTES_PER_UNIT
    plain = app.handle(post(BID))
    assert plain.cost == 0


def test_the_ratio_is_configurable() -> None:
    body = bytes(200_000)  # about 1000x
    assert (
        bidder(max_gzip_ratio=2000.0)
        .app.handle(post(gzip.compress(body), content_encoding=b"gzip"))
        .status
        == 400
    )  # inflated whole (then not JSON)


def test_a_grpc_gzip_bomb_is_resource_exhausted_and_reports_its_work() -> None:
    app = bidder().app
    request = Request(
        b"POST", b"/bidwire.v1.Bidder/Bid", frame(gzip_body(), compressed=True),
        content_type=b"application/grpc", grpc_encoding=b"gzip",
    )  # fmt: skip
    response = app.handle(request)
    assert isinstance(response, Response)
    fields = dict(response.trailers)
    assert int(fields[b"grpc-status"]) == Status.RESOURCE_EXHAUSTED
    assert "inflates over" in decode_message(fields[b"grpc-message"])
    assert response.cost == (RATIO_FLOOR + BOMB_WORK) // INFLATE_BYTES_PER_UNIT
