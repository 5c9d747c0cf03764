"""What a bidder decided for one request, described the same way whoever made the decision.

The decision record (:mod:`bidwire.benchmarks.decisions`), the capture of live traffic
(:mod:`bidder.capture`), replay and shadow traffic all describe a decision with
:class:`Decision`: bid or no-bid (and why, when the answer says), and per impression the seat,
campaign, creative, deal, price and what the bid is (media type, size, duration). Two
decisions compare with :func:`changes`, which names how they differ.

The description is made from the pipeline's own result (:func:`describe`) or from an answer
read back off the wire (:func:`describe_response`): both say the same of the same bids.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import msgspec

from openrtb import JsonCodec, ProtoCodec
from openrtb.errors import CodecError
from openrtb.model import BidRequest, BidResponse

from .grpc_wire import GrpcError, read_unary
from .pipeline import NBR_INSUFFICIENT_TIME, NoBid

#: The kinds of change :func:`changes` names, in the order it names them.
CHANGE_KINDS: Final = ("bid", "nobid", "campaign", "creative", "deal", "price", "currency")
#: No-bid reasons that say the deadline passed, not what the campaigns decided (with OpenRTB
#: no-bid reason code 15, insufficient time, when only the code is known).
TIMING_REASONS: Final = frozenset(("insufficient_time", "late", "deadline"))
#: Largest answer read back (a gRPC message's cap).
MAX_ANSWER: Final = 16 * 1024 * 1024
_JSON: Final = JsonCodec()
_PROTO: Final = ProtoCodec()


class _LeanBid(msgspec.Struct, gc=False):
    """The fields of a bid a decision is described by (a JSON answer decodes into these
    alone: the markup and notice URLs are skipped, not decoded)."""

    impid: str
    price: float
    cid: str | None = None
    crid: str | None = None
    dealid: str | None = None
    mtype: int | None = None
    w: int | None = None
    h: int | None = None
    dur: int | None = None
    protocol: int | None = None


class _LeanSeatBid(msgspec.Struct, gc=False):
    bid: list[_LeanBid]
    seat: str | None = None


class _LeanResponse(msgspec.Struct, gc=False):
    seatbid: list[_LeanSeatBid] | None = None
    cur: str = "USD"
    nbr: int | None = None


_LEAN: Final = msgspec.json.Decoder(_LeanResponse)


class ImpDecision(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    """What was decided for one impression. With ``bid`` False, nothing else is set."""

    imp: str
    bid: bool = False
    seat: str | None = None
    #: The campaign (the bid's ``cid``) and creative (``crid``).
    campaign: str | None = None
    creative: str | None = None
    deal: str | None = None
    price: float | None = None
    cur: str | None = None
    mtype: int | None = None
    w: int | None = None
    h: int | None = None
    dur: int | None = None
    protocol: int | None = None

    def line(self, nobid_reason: str) -> str:
        """The decision record's words for this impression (``nobid_reason`` when no bid)."""
        if not self.bid:
            return f"imp={self.imp} nobid {nobid_reason}"
        return (
            f"imp={self.imp} bid seat={self.seat} cid={self.campaign} crid={self.creative} "
            f"price={self.price!r} cur={self.cur} deal={self.deal} mtype={self.mtype} "
            f"w={self.w} h={self.h} dur={self.dur} protocol={self.protocol}"
        )


class Decision(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    """The decision on one request: a bid (on one or more impressions) or a no-bid."""

    bid: bool
    #: Why not, for a no-bid: the pipeline's reason when known ("" when the answer did not
    #: say, as a 204 does not).
    reason: str = ""
    #: The OpenRTB no-bid reason code, when the answer carried one.
    nbr: int | None = None
    #: One per impression of the request, in its order.
    imps: tuple[ImpDecision, ...] = ()

    def lines(self) -> list[str]:
        """The decision record's words, one per impression."""
        if not self.bid:
            return [imp.line(self.reason) for imp in self.imps]
        return [imp.line("no_fit_for_imp") for imp in self.imps]


def describe_response(
    imp_ids: Sequence[str], response: BidResponse | _LeanResponse | None, reason: str = ""
) -> Decision:
    """The decision that ``response`` carries for a request with impressions ``imp_ids``
    (None, or a response without bids: a no-bid for ``reason``)."""
    bids = {}
    if response is not None:
        for seatbid in response.seatbid or ():
            for bid in seatbid.bid:
                bids[bid.impid] = (seatbid.seat, bid)
    if not bids:
        nbr = response.nbr if response is not None else None
        return Decision(bid=False, reason=reason, nbr=nbr,
                        imps=tuple(ImpDecision(imp=i) for i in imp_ids))  # fmt: skip
    assert response is not None
    imps = []
    for imp_id in imp_ids:
        found = bids.get(imp_id)
        if found is None:
            imps.append(ImpDecision(imp=imp_id))
            continue
        seat, bid = found
        imps.append(
            ImpDecision(
                imp=imp_id, bid=True, seat=seat, campaign=bid.cid, creative=bid.crid,
                deal=bid.dealid, price=bid.price, cur=response.cur, mtype=bid.mtype, w=bid.w,
                h=bid.h, dur=bid.dur, protocol=bid.protocol,
            )
        )  # fmt: skip
    return Decision(bid=True, imps=tuple(imps))


def describe(request: BidRequest, decision: BidResponse | NoBid | None) -> Decision:
    """The pipeline's result for ``request`` (None: no match), described."""
    imp_ids = [imp.id for imp in request.imp]
    if decision is None:
        return describe_response(imp_ids, None, "no_match")
    if isinstance(decision, NoBid):
        described = describe_response(imp_ids, None, decision.reason)
        return msgspec.structs.replace(described, nbr=decision.nbr)
    return describe_response(imp_ids, decision)


def describe_answer(
    imp_ids: Sequence[str], status: int | None, body: bytes, grpc_status: int | None, kind: str
) -> Decision | str:
    """What a bidder's answer over the wire says it decided on a request with impressions
    ``imp_ids`` sent as ``kind`` ("json", "proto" or "grpc"; the answer comes in the same
    form): a :class:`Decision`, or why the answer is not one (a string: "status 400", "answer
    does not decode: ...")."""
    try:
        if kind == "grpc":
            if status != 200 or grpc_status != 0:
                return f"status {status} grpc-status {grpc_status}"
            response = _PROTO.decode_response(read_unary(body, None, MAX_ANSWER))
        elif status == 204:
            return describe_response(imp_ids, None)
        elif status == 200 and kind == "proto":
            response = _PROTO.decode_response(body)
        elif status == 200:
            # What a decision is described by, and nothing else: 4x faster than the whole
            # response (the shadow reads every candidate answer this way).
            return describe_response(imp_ids, _LEAN.decode(body))
        else:
            return f"status {status}"
    except (CodecError, GrpcError, msgspec.DecodeError) as exc:
        return f"answer does not decode: {exc}"
    return describe_response(imp_ids, response)


def timed_out(decision: Decision) -> bool:
    """Whether ``decision`` is a no-bid for want of time (the deadline, not the campaigns):
    not a decision to compare. Known from the pipeline's reason, or from ``nbr`` 15 when the
    answer carried it (``[app] nobid = "nbr"``; a 204 cannot say)."""
    if decision.bid:
        return False
    return decision.reason in TIMING_REASONS or decision.nbr == NBR_INSUFFICIENT_TIME


def changes(before: Decision, after: Decision) -> tuple[str, ...]:
    """How ``after`` differs from ``before``, as kinds of :data:`CHANGE_KINDS`: "bid" (an
    impression gets a bid it did not), "nobid" (loses one), and for impressions bid on by both,
    "campaign", "creative", "deal", "price", "currency". Empty: the same decision (a no-bid's
    reason aside: an answer over the wire does not always say it)."""
    if before.imps == after.imps:  # the usual case, compared in C
        return ()
    found: set[str] = set()
    after_imps = {imp.imp: imp for imp in after.imps}
    for a in before.imps:
        b = after_imps.get(a.imp, ImpDecision(imp=a.imp))
        if a.bid != b.bid:
            found.add("bid" if b.bid else "nobid")
            continue
        if not a.bid:
            continue
        if a.campaign != b.campaign:
            found.add("campaign")
        if a.creative != b.creative:
            found.add("creative")
        if a.deal != b.deal:
            found.add("deal")
        if a.price != b.price:
            found.add("price")
        if a.cur != b.cur:
            found.add("currency")
    return tuple(kind for kind in CHANGE_KINDS if kind in found)


def price_deltas(before: Decision, after: Decision) -> list[float]:
    """``after``'s price less ``before``'s, for each impression both bid on (same currency)."""
    after_imps = {imp.imp: imp for imp in after.imps}
    out = []
    for a in before.imps:
        b = after_imps.get(a.imp)
        if b is None or not (a.bid and b.bid) or a.cur != b.cur:
            continue
        assert a.price is not None and b.price is not None
        if a.price != b.price:
            out.append(b.price - a.price)
    return out


__all__ = [
    "CHANGE_KINDS",
    "Decision",
    "ImpDecision",
    "changes",
    "describe",
    "describe_answer",
    "describe_response",
    "price_deltas",
    "timed_out",
]
