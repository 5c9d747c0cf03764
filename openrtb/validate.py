"""Validators for bid requests, and for bid responses against the request they answer.

Each returns a list of :class:`Problem` (empty when valid). A problem has a stable ``code``
that tests, metrics and logs can key on, the JSON path of the field at fault, and a message.
The pipeline validates every response it builds; the tests validate every bid they see.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Final, NamedTuple

from .model import Bid, BidRequest, BidResponse, Imp

#: Converts an amount between currencies: ``fx(amount, from_cur, to_cur) -> amount``.
FxConvert = Callable[[float, str, str], float]

BANNER, VIDEO, AUDIO, NATIVE = 1, 2, 3, 4  # OpenRTB 2.6 list 5.8 (mtype)
_MEDIA_NAME: Final = {BANNER: "banner", VIDEO: "video", AUDIO: "audio", NATIVE: "native"}


class Problem(NamedTuple):
    """One thing wrong with a request or response."""

    code: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.code}: {self.message}"


def validate_request(request: BidRequest) -> list[Problem]:
    """Check what the spec requires of a bid request beyond field types.

    Codes: ``missing_id``, ``no_imp``, ``missing_imp_id``, ``duplicate_imp_id``,
    ``imp_without_media``, ``multiple_distribution_channels``.
    """
    problems: list[Problem] = []
    if not request.id:
        problems.append(Problem("missing_id", "$.id", "request id is required"))
    if not request.imp:
        problems.append(Problem("no_imp", "$.imp", "at least one imp is required"))
    seen: set[str] = set()
    for i, imp in enumerate(request.imp):
        path = f"$.imp[{i}]"
        if not imp.id:
            problems.append(Problem("missing_imp_id", f"{path}.id", "imp id is required"))
        elif imp.id in seen:
            problems.append(Problem("duplicate_imp_id", f"{path}.id", f"imp id {imp.id!r} repeats"))
        seen.add(imp.id)
        if imp.banner is None and imp.video is None and imp.audio is None and imp.native is None:
            problems.append(
                Problem("imp_without_media", path, "imp offers none of banner/video/audio/native")
            )
    channels = [n for n in ("site", "app", "dooh") if getattr(request, n) is not None]
    if len(channels) > 1:
        problems.append(
            Problem(
                "multiple_distribution_channels", "$", f"only one of {'/'.join(channels)} allowed"
            )
        )
    return problems


def offered_mtypes(imp: Imp) -> set[int]:
    """The media types (``mtype`` values) an impression offers."""
    out = set()
    if imp.banner is not None:
        out.add(BANNER)
    if imp.video is not None:
        out.add(VIDEO)
    if imp.audio is not None:
        out.add(AUDIO)
    if imp.native is not None:
        out.add(NATIVE)
    return out


def _blocked_attrs(imp: Imp, mtype: int | None) -> set[int]:
    media = {BANNER: imp.banner, VIDEO: imp.video, AUDIO: imp.audio, NATIVE: imp.native}
    chosen: Iterable[object | None] = (media[mtype],) if mtype in media else media.values()
    out: set[int] = set()
    for obj in chosen:
        battr = getattr(obj, "battr", None) if obj is not None else None
        if battr:
            out.update(battr)
    return out


def domain_blocked(domain: str, blocked: Iterable[str]) -> bool:
    """Whether ``domain`` is a blocked domain or a subdomain of one (case-insensitive)."""
    d = domain.lower().rstrip(".")
    for b in blocked:
        b = b.lower().rstrip(".")
        if d == b or d.endswith("." + b):
            return True
    return False


def _size_offered(imp: Imp, w: int, h: int) -> bool:
    banner = imp.banner
    if banner is None:
        return False
    if banner.format:
        for fmt in banner.format:
            if fmt.w == w and fmt.h == h:
                return True
            if (
                fmt.wratio
                and fmt.hratio
                and fmt.wmin
                and w >= fmt.wmin
                and w * fmt.hratio == h * fmt.wratio
            ):
                return True
    if banner.w == w and banner.h == h:
        return True
    # Deprecated ranges (2.3-2.5) still describe offered sizes.
    return bool(
        banner.wmax
        and banner.hmax
        and (banner.wmin or 0) <= w <= banner.wmax
        and (banner.hmin or 0) <= h <= banner.hmax
    )


def validate_response(
    response: BidResponse, request: BidRequest, *, fx: FxConvert | None = None
) -> list[Problem]:
    """Check a response against the request it answers.

    Codes: ``id_mismatch``, ``currency_not_allowed``, ``missing_bid_id``, ``duplicate_bid_id``,
    ``unknown_impid``, ``non_positive_price``, ``below_floor``, ``below_deal_floor``,
    ``unknown_deal``, ``private_auction_without_deal``, ``blocked_adomain``,
    ``blocked_category``, ``blocked_attribute``, ``blocked_app``, ``mtype_not_offered``,
    ``blocked_seat``, ``seat_not_allowed``, ``size_not_offered``.

    Floors in another currency than the response's are compared through ``fx`` when given, and
    skipped otherwise.
    """
    problems: list[Problem] = []
    if response.id != request.id:
        problems.append(Problem("id_mismatch", "$.id", "response id must echo the request id"))
    cur = response.cur
    if request.cur and cur not in request.cur:
        problems.append(Problem("currency_not_allowed", "$.cur", f"{cur} not in request cur"))
    imps = {imp.id: imp for imp in request.imp}
    bid_ids: set[str] = set()
    for s, seatbid in enumerate(response.seatbid or ()):
        seat = seatbid.seat
        seat_path = f"$.seatbid[{s}]"
        if seat is not None:
            if request.bseat and seat in request.bseat:
                problems.append(
                    Problem("blocked_seat", f"{seat_path}.seat", f"seat {seat!r} is blocked")
                )
            if request.wseat and seat not in request.wseat:
                problems.append(
                    Problem("seat_not_allowed", f"{seat_path}.seat", f"seat {seat!r} not in wseat")
                )
        for b, bid in enumerate(seatbid.bid):
            path = f"{seat_path}.bid[{b}]"
            if not bid.id:
                problems.append(Problem("missing_bid_id", f"{path}.id", "bid id is required"))
            elif bid.id in bid_ids:
                problems.append(
                    Problem("duplicate_bid_id", f"{path}.id", f"bid id {bid.id!r} repeats")
                )
            else:
                bid_ids.add(bid.id)
            imp = imps.get(bid.impid)
            if imp is None:
                problems.append(Problem("unknown_impid", f"{path}.impid", f"no imp {bid.impid!r}"))
                continue
            problems.extend(_check_bid(bid, imp, request, cur, seat, path, fx))
    return problems


def _check_bid(
    bid: Bid,
    imp: Imp,
    request: BidRequest,
    cur: str,
    seat: str | None,
    path: str,
    fx: FxConvert | None,
) -> list[Problem]:
    problems: list[Problem] = []

    def floor_problem(code: str, floor: float, floor_cur: str) -> None:
        if floor <= 0:
            return
        if floor_cur != cur:
            if fx is None:
                return
            floor = fx(floor, floor_cur, cur)
        if bid.price < floor - 1e-9:
            problems.append(Problem(code, f"{path}.price", f"{bid.price} < floor {floor} {cur}"))

    if not bid.price > 0:
        problems.append(Problem("non_positive_price", f"{path}.price", "price must be > 0"))
    deals = {d.id: d for d in (imp.pmp.deals or ())} if imp.pmp is not None else {}
    if bid.dealid is not None:
        deal = deals.get(bid.dealid)
        if deal is None:
            problems.append(
                Problem("unknown_deal", f"{path}.dealid", f"deal {bid.dealid!r} not offered")
            )
        else:
            floor_problem("below_deal_floor", deal.bidfloor, deal.bidfloorcur)
            if deal.wseat and seat is not None and seat not in deal.wseat:
                problems.append(
                    Problem(
                        "seat_not_allowed", f"{path}.dealid", f"seat {seat!r} not in deal wseat"
                    )
                )
    else:
        if imp.pmp is not None and imp.pmp.private_auction:
            problems.append(
                Problem(
                    "private_auction_without_deal", f"{path}.dealid", "private auction needs a deal"
                )
            )
        floor_problem("below_floor", imp.bidfloor, imp.bidfloorcur)
    if bid.adomain and request.badv:
        for d in bid.adomain:
            if domain_blocked(d, request.badv):
                problems.append(Problem("blocked_adomain", f"{path}.adomain", f"{d!r} is in badv"))
    if bid.cat and request.bcat and bid.cattax == request.cattax:
        blocked_cats = set(request.bcat)
        for c in bid.cat:
            if c in blocked_cats:
                problems.append(Problem("blocked_category", f"{path}.cat", f"{c!r} is in bcat"))
    if bid.bundle and request.bapp and bid.bundle in request.bapp:
        problems.append(Problem("blocked_app", f"{path}.bundle", f"{bid.bundle!r} is in bapp"))
    offered = offered_mtypes(imp)
    mtype = bid.mtype
    if mtype is not None and mtype not in offered:
        name = _MEDIA_NAME.get(mtype, str(mtype))
        problems.append(Problem("mtype_not_offered", f"{path}.mtype", f"imp offers no {name}"))
    if bid.attr:
        blocked_attrs = _blocked_attrs(imp, mtype)
        for a in bid.attr:
            if a in blocked_attrs:
                problems.append(
                    Problem("blocked_attribute", f"{path}.attr", f"attr {a} is in battr")
                )
    is_banner = mtype == BANNER or (mtype is None and offered == {BANNER})
    if (
        is_banner
        and bid.w is not None
        and bid.h is not None
        and not _size_offered(imp, bid.w, bid.h)
    ):
        problems.append(Problem("size_not_offered", f"{path}.w", f"{bid.w}x{bid.h} not offered"))
    return problems


__all__ = [
    "AUDIO",
    "BANNER",
    "NATIVE",
    "VIDEO",
    "FxConvert",
    "Problem",
    "domain_blocked",
    "offered_mtypes",
    "validate_request",
    "validate_response",
]
