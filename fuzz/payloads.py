"""The fuzzer's stream of bid request bodies: payload ``i`` of seed ``S`` is always the same.

Drawing each payload from hypothesis costs about a millisecond; a million of them need less.
So hypothesis draws a pool of valid requests once (seeded with ``S``: realistic, sensible and
arbitrary ones, in JSON and protobuf), and payload ``i`` is one of them, sent as it is or broken
by the mutators of :mod:`fuzz.hostile`, with choices from ``random.Random`` seeded by
``(S, i)``: a few microseconds, and any payload can be rebuilt alone from its seed and index.
"""

from __future__ import annotations

import gzip
import random
from dataclasses import dataclass
from typing import Literal

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from openrtb import BidRequest, CodecError, JsonCodec, ProtoCodec

from .grpc_payloads import grpc_call
from .hostile import JSON_MUTATIONS, PROTO_MUTATIONS, mutate_json, mutate_proto
from .realistic import realistic_bid_requests
from .source import RandomSource
from .strategies import bid_requests, sensible_bid_requests

#: "grpc": a protobuf request as a gRPC call to /bidwire.v1.Bidder/Bid (fuzz/grpc_payloads.py).
Format = Literal["json", "proto", "grpc"]
CONTENT_TYPES: dict[str, bytes] = {
    "json": b"application/json",
    "proto": b"application/x-protobuf",
    "grpc": b"application/grpc",
}
#: The mutations that build bodies of 100 KB and more are picked a fifth as often as others.
_HEAVY = frozenset({"huge-string", "huge-array", "deep-nesting", "huge-field", "groups"})
#: One payload in this many is sent as it is (valid), so the decision runs too.
VALID_ONE_IN = 3


def _weighted(names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(n for name in names for n in [name] * (1 if name in _HEAVY else 5))


_JSON_PICKS = _weighted(JSON_MUTATIONS)
_PROTO_PICKS = _weighted(PROTO_MUTATIONS)


@dataclass(frozen=True)
class Payload:
    """One body to POST, and how it was made."""

    index: int
    format: Format
    #: "valid", or the mutation applied; "+gzip" when the body is gzipped.
    name: str
    body: bytes
    headers: tuple[tuple[bytes, bytes], ...]


def draw_pool(size: int, pool_seed: int) -> list[BidRequest]:
    """``size`` valid requests drawn by hypothesis, the same for the same seed."""
    pool: list[BidRequest] = []
    strategy = st.one_of(
        realistic_bid_requests(),
        realistic_bid_requests(ext=False),
        sensible_bid_requests(),
        bid_requests(),
        bid_requests(with_ext=False),
    )

    @settings(
        max_examples=size,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @seed(pool_seed)
    @given(strategy)
    def collect(request: BidRequest) -> None:
        pool.append(request)

    collect()
    return pool


class PayloadStream:
    """Payload ``i`` for a seed, in the formats asked for."""

    def __init__(self, stream_seed: int, formats: tuple[Format, ...], pool_size: int = 200) -> None:
        self.seed = stream_seed
        self.formats = formats
        json, proto = JsonCodec(), ProtoCodec()
        self.bases: dict[Format, list[bytes]] = {"json": [], "proto": []}
        self.bases["grpc"] = self.bases["proto"]  # the same messages, framed as gRPC calls
        for request in draw_pool(pool_size, stream_seed):
            self.bases["json"].append(json.encode(request))
            try:
                self.bases["proto"].append(proto.encode_request(request))
            except CodecError:  # pragma: no cover - the pool's values all fit protobuf
                pass

    def payload(self, index: int) -> Payload:
        """Payload number ``index``."""
        src = RandomSource(random.Random(self.seed << 40 | index))
        fmt = src.choice(self.formats)
        body = src.choice(self.bases[fmt])
        if fmt == "grpc":
            name, body, grpc_headers = grpc_call(src, body)
            return Payload(index, fmt, name, body, grpc_headers)
        name = "valid"
        if src.integer(1, VALID_ONE_IN) != 1:
            if fmt == "json":
                name, body = mutate_json(src, body, src.choice(_JSON_PICKS))
            else:
                name, body = mutate_proto(src, body, src.choice(_PROTO_PICKS))
        headers: list[tuple[bytes, bytes]] = [(b"content-type", CONTENT_TYPES[fmt])]
        if src.integer(0, 19) == 0:
            # Gzipped bodies take the inflate path; one in four is cut short (bad gzip).
            body = gzip.compress(body, compresslevel=1, mtime=0)
            if src.integer(0, 3) == 0:
                body = body[: src.integer(0, len(body) - 1)]
            headers.append((b"content-encoding", b"gzip"))
            name += "+gzip"
        return Payload(index, fmt, name, body, tuple(headers))


__all__ = ["CONTENT_TYPES", "Format", "Payload", "PayloadStream", "draw_pool"]
