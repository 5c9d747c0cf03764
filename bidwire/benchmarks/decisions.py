"""The decision record: what the bidder answers to every corpus request, over JSON, protobuf
and gRPC.

Each request goes through the whole in-process bidder as an exchange reaches it (the front door
``BidderApp.handle``: content type, decode, validate, decide, check, encode) with the demo
campaigns, once as JSON, once as protobuf (the JSON request converted with our own codec) and
once as a gRPC call (``/bidwire.v1.Bidder/Bid`` with that protobuf message, through the same
``handle``: the gRPC door answers a no-bid as OK with ``nbr``, and an invalid request as
INVALID_ARGUMENT with the path in ``grpc-message``; both are recorded as the HTTP lanes'
204 and 400 are, so the lanes' lines compare).
Everything that could move a decision is pinned: a fixed monotonic clock, a fixed wall clock
(Tuesday 12:00 UTC), a fixed notice key, and fresh budgets and caps for every request. So two
runs of the same code give the same record byte for byte, and a change that alters any decision
(bid or no-bid and why, campaign, creative, price, deal, size, markup, notice URLs) shows up as
a diff of the record.

One line per impression::

    <lane> <request file> imp=<id> bid seat=... cid=... crid=... price=... deal=... mtype=...
        w=... h=... dur=... protocol=... bid=<digest of the whole bid>
    <lane> <request file> imp=<id> nobid <reason>

and one line per request that never reaches the decision (``status=400 <path>``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Final

import msgspec

from bidder.app import AppConfig, BidderApp
from bidder.campaigns import CampaignFile, load_demo
from bidder.decision import describe_response
from bidder.grpc import BID_METHOD
from bidder.grpc_wire import decode_message, frame
from bidder.index import CampaignIndex, IndexHolder
from bidder.notices import NoticeKey, Signer
from bidder.pipeline import NoBid, Pipeline
from openrtb import BidRequest, BidResponse, JsonCodec, ProtoCodec
from openrtb.errors import CodecError
from transport.events import Request, Response

#: The pinned clocks: a monotonic arrival, and Tuesday 2026-12-01 12:00 UTC as the wall clock.
ARRIVAL: Final = 1000.0
WALLCLOCK: Final = 1_796_126_400.0
SIGNER_KEY: Final = NoticeKey(id="decisions", secret="a fixed key, so that URLs are equal")
LANES: Final = ("json", "proto", "grpc")
_CONTENT_TYPE: Final = {
    "json": b"application/json",
    "proto": b"application/x-protobuf",
    "grpc": b"application/grpc",
}
_ENCODE: Final = msgspec.json.Encoder(order="deterministic")


def corpus_files(dirs: Iterable[Path]) -> list[Path]:
    """The ``*.json`` requests of ``dirs`` (folders that do not exist are skipped)."""
    out: list[Path] = []
    for directory in dirs:
        if directory.is_dir():
            out.extend(sorted(directory.glob("*.json")))
    return out


class Recorder:
    """Runs requests through a fresh bidder each and describes what it answered."""

    def __init__(self, campaigns: CampaignFile | None = None) -> None:
        # The index is an immutable snapshot: one for every request. Budgets, caps and the
        # stage-cost estimates live in the pipeline and its state: one of those per request.
        self.holder = IndexHolder(CampaignIndex(campaigns or load_demo()))
        self.signer = Signer([SIGNER_KEY])
        self.json = JsonCodec()
        self.proto = ProtoCodec()
        self.app = BidderApp(lambda request, arrival: None, config=AppConfig(arena=False))

    def bodies(self, data: bytes) -> dict[str, bytes] | None:
        """The request in each lane's wire form, or None when it does not decode as JSON."""
        try:
            request = self.json.decode_request(data)
            proto = self.proto.encode_request(request)
            return {"json": data, "proto": proto, "grpc": frame(proto)}
        except CodecError:
            return None

    def answer(self, lane: str, body: bytes) -> tuple[int, bytes, BidRequest | None, Any]:
        """(status, body, the decoded request, the pipeline's decision) for one request."""
        path = BID_METHOD if lane == "grpc" else b"/openrtb2/bid"
        request = Request(b"POST", path, body, content_type=_CONTENT_TYPE[lane],
                          arrival=ARRIVAL)  # fmt: skip
        response, bid_request, decision = self.handle(request)
        if lane == "grpc":
            status, payload = self._grpc_as_http(response)
            return status, payload, bid_request, decision
        return response.status, bytes(response.body), bid_request, decision

    def handle(
        self, request: Request, wallclock: float = WALLCLOCK
    ) -> tuple[Response, BidRequest | None, BidResponse | NoBid | None]:
        """The front door's answer to ``request`` (arriving at :data:`ARRIVAL`, decided at
        ``wallclock``), with the decoded request and the pipeline's decision (None, None when
        it never reached the pipeline)."""
        pipeline = Pipeline(self.holder, clock=lambda: ARRIVAL, wallclock=lambda: wallclock,
                            signer=self.signer)  # fmt: skip
        seen: list[tuple[BidRequest, BidResponse | NoBid]] = []

        def decide(request: BidRequest, arrival: float) -> BidResponse | NoBid:
            decision = pipeline.decide(request, arrival)
            seen.append((request, decision))
            return decision

        # One front door for every request (making one builds codecs: ~15 ms); the decision
        # is this request's own pipeline.
        self.app.decide = decide
        response = self.app.handle(request)
        assert isinstance(response, Response)  # the pipeline is synchronous
        if not seen:
            return response, None, None
        return response, seen[0][0], seen[0][1]

    def _grpc_as_http(self, response: Any) -> tuple[int, bytes]:
        """A gRPC answer in the HTTP lanes' terms: OK with bids -> 200 and the message; OK with
        ``nbr`` only -> 204; INVALID_ARGUMENT ("path: reason") -> 400 and the JSON error body;
        any other status -> 500."""
        fields = dict(response.trailers)
        status = int(fields[b"grpc-status"])
        if status == 0:
            message = bytes(response.body)[5:]
            return (200, message) if self.proto.decode_response(message).seatbid else (204, b"")
        text = decode_message(fields.get(b"grpc-message", b""))
        if status != 3:
            return 500, msgspec.json.encode({"error": text})
        path, _, reason = text.partition(": ")
        return 400, msgspec.json.encode({"error": reason, "path": path})

    def record(self, name: str, lane: str, body: bytes) -> list[str]:
        """The record lines of one request in one lane."""
        status, payload, request, decision = self.answer(lane, body)
        head = f"{lane} {name}"
        if request is None:
            error = msgspec.json.decode(payload) if payload else {}
            return [f"{head} status={status} {error.get('path', '')} {error.get('error', '')}"]
        imp_ids = [imp.id for imp in request.imp]
        if status == 204:
            reason = decision.reason if isinstance(decision, NoBid) else "invalid_bid"
            words = describe_response(imp_ids, None, reason).lines()
            return [f"{head} {line}" for line in words]
        codec = self.json if lane == "json" else self.proto
        response = codec.decode_response(payload)
        # The description says what was decided; the digest pins the rest of each bid (markup,
        # notice URLs), so that any change to what is sent shows in the record.
        digests = {
            bid.impid: hashlib.sha256(_ENCODE.encode(bid)).hexdigest()[:16]
            for seatbid in response.seatbid or ()
            for bid in seatbid.bid
        }
        described = describe_response(imp_ids, response)
        return [
            f"{head} {imp.line('no_fit_for_imp')}" + (f" bid={digests[imp.imp]}" if imp.bid else "")
            for imp in described.imps
        ]


def record(files: Sequence[Path], lanes: Sequence[str] = LANES) -> dict[str, list[str]]:
    """The record lines per lane for every request of ``files`` that decodes as JSON (named
    by file name; files that do not decode get one ``undecodable`` line per lane)."""
    recorder = Recorder()
    out: dict[str, list[str]] = {lane: [] for lane in lanes}
    for path in files:
        bodies = recorder.bodies(path.read_bytes())
        for lane in lanes:
            if bodies is None:
                out[lane].append(f"{lane} {path.name} undecodable")
            else:
                out[lane].extend(recorder.record(path.name, lane, bodies[lane]))
    return out


def disagreements(by_lane: dict[str, list[str]]) -> list[tuple[str, str]]:
    """Pairs of record lines (JSON, another lane) that differ once the lane name is set aside."""
    json_lines = [line.split(" ", 1)[1] for line in by_lane["json"]]
    out: list[tuple[str, str]] = []
    for lane, lines in by_lane.items():
        if lane == "json":
            continue
        other = [line.split(" ", 1)[1] for line in lines]
        pairs = zip(json_lines, other, strict=True)
        out.extend((f"json {j}", f"{lane} {o}") for j, o in pairs if j != o)
    return out


__all__ = ["ARRIVAL", "LANES", "WALLCLOCK", "Recorder", "corpus_files", "disagreements", "record"]
