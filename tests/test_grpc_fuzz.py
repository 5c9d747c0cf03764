"""The gRPC calls of ``bidwire fuzz`` (fuzz/grpc_payloads.py): reproducible from their seed,
every framing mutation drawn, and each answered by the in-process front door with a status
of the caller's error or OK, never INTERNAL or UNKNOWN, and never an exception."""

from __future__ import annotations

import random
from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from bidder.service import Bidder, BidderConfig
from fuzz.clients import Result
from fuzz.grpc_payloads import GRPC_MUTATIONS, grpc_call
from fuzz.payloads import PayloadStream
from fuzz.runner import payload_failure
from fuzz.source import DrawSource, RandomSource
from openrtb import JsonCodec, ProtoCodec
from transport.events import Request, Response

MESSAGE = ProtoCodec().encode_request(
    JsonCodec().decode_request(b'{"id": "f", "imp": [{"id": "1", "banner": {"w": 300, "h": 250}}]}')
)
BIDDER = Bidder(BidderConfig())


def answer(body: bytes, headers: tuple[tuple[bytes, bytes], ...]) -> tuple[int, int]:
    """(HTTP status, grpc-status) of the in-process front door for one call."""
    fields = dict(headers)
    request = Request(
        b"POST",
        fields[b":path"],
        body,
        content_type=fields[b"content-type"],
        grpc_encoding=fields.get(b"grpc-encoding"),
        grpc_timeout=fields.get(b"grpc-timeout"),
        grpc_accept_encoding=fields.get(b"grpc-accept-encoding"),
    )
    response = BIDDER.app.handle(request)
    assert isinstance(response, Response)
    status = dict(response.trailers)[b"grpc-status"]
    return response.status, int(status)


def test_the_same_seed_gives_the_same_grpc_calls() -> None:
    first, second = PayloadStream(3, ("grpc",), 10), PayloadStream(3, ("grpc",), 10)
    assert [first.payload(i) for i in range(100)] == [second.payload(i) for i in range(100)]
    assert all(first.payload(i).format == "grpc" for i in range(100))


def test_every_framing_mutation_is_drawn_and_answered_with_a_callers_status() -> None:
    seen: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    for i in range(600):
        name, body, headers = grpc_call(RandomSource(random.Random(i)), MESSAGE)
        seen[name.rsplit("+", 1)[1]] += 1
        http, status = answer(body, headers)
        assert http == 200
        assert status not in (2, 13), (name, status)
        statuses[status] += 1
    assert set(seen) == set(GRPC_MUTATIONS)
    # OK, INVALID_ARGUMENT, RESOURCE_EXHAUSTED (the bomb, huge lengths), UNIMPLEMENTED.
    assert {0, 3, 8, 12} <= set(statuses)


@given(st.data())
def test_drawn_calls_never_get_internal(data: st.DataObject) -> None:
    _, body, headers = grpc_call(DrawSource(data.draw), MESSAGE)
    http, status = answer(body, headers)
    assert http == 200 and status not in (2, 13)


def test_payload_failure_judges_grpc_answers() -> None:
    assert payload_failure(Result(200, grpc_status=0), grpc=True) is None
    assert payload_failure(Result(200, grpc_status=3), grpc=True) is None
    assert payload_failure(Result(413), grpc=True) is None  # the transport's body cap
    assert payload_failure(Result(200), grpc=True) == "gRPC call answered without a grpc-status"
    assert payload_failure(Result(200, grpc_status=13), grpc=True) == "grpc-status 13 for a call"
    assert payload_failure(Result(404), grpc=True) == "gRPC call answered HTTP 404"
    assert payload_failure(Result(200)) is None  # not a gRPC call
