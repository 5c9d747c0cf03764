"""What every bid of a creative repeats, made once when the index is built.

A bid is mostly its campaign and creative: ids, advertiser domains, categories, attributes,
media type, often the size and the markup, and three of the ten signed fields of its notice
URLs (seat, campaign, creative), quoted for the query and length-prefixed for the signature.
:class:`BidTemplate` holds all of that; a bid then costs a copy of the template with its own
id, imp, price and URLs (see :func:`bidder.response.build_response`), where it used to cost
a Struct of twenty fields, eleven regex checks and eleven formatted strings.

The URLs a template produces are byte for byte those of :func:`bidder.notices.notice_urls`
(tests/test_notices.py checks it).
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import quote

from openrtb.model import Bid

from .campaigns import Campaign, Creative

#: Unreserved characters and ":", which a query may carry as it is (RFC 3986 3.4) and every
#: bid id holds ("{n}:{campaign}"): quoting it sent each bid through urllib (profiled).
_URL_SAFE: Final = re.compile(r"[A-Za-z0-9_.~:-]*")
#: The OpenRTB media type of each creative type.
MTYPE: Final = {"banner": 1, "video": 2, "audio": 3, "native": 4}
#: Bid parts made ahead per template: a response rarely holds more bids than this.
_BID_PARTS: Final = 8


def quoted(value: str) -> str:
    """``value`` percent-encoded for a URL query (``:`` kept).

    Most ids need no escaping: a regex check costs a tenth of urllib's quote (profiled:
    quote was the largest single cost of a bid at 11 calls per bid)."""
    return value if _URL_SAFE.fullmatch(value) else quote(value, safe=":")


#: Quoted forms of the values that repeat from bid to bid (currencies, key ids, imp ids "1",
#: "2"...): a dict lookup instead of a regex match. Cleared when full, so unique values (auction
#: ids) cannot crowd it for long.
_QUOTED: dict[str, str] = {}
_QUOTED_MAX: Final = 1024


def quoted_often(value: str) -> str:
    """:func:`quoted` for values that repeat across requests, remembered."""
    found = _QUOTED.get(value)
    if found is None:
        if len(_QUOTED) >= _QUOTED_MAX:
            _QUOTED.clear()
        found = _QUOTED[value] = quoted(value)
    return found


def signed_part(value: str) -> str:
    """One field of the signed message: length-prefixed, so that no two different field
    tuples sign the same bytes (see :meth:`bidder.notices.Signer.sign`)."""
    return f"{len(value)}:{value};"


class BidTemplate:
    """The parts of a bid that its campaign and creative fix."""

    __slots__ = ("bid", "bid_parts", "campaign_q", "creative", "message", "query", "seat",
                 "static_adm")  # fmt: skip

    def __init__(self, campaign: Campaign, creative: Creative) -> None:
        self.creative = creative
        mtype = MTYPE[creative.type]
        banner = creative.type == "banner"
        #: Whether the markup travels in the bid as the creative has it (banner, video,
        #: audio: yes; native: filled per request; serve-on-win: never).
        self.static_adm = not creative.serve_on_win and creative.type != "native"
        #: The fields every bid of this creative shares; the lists are shared by every bid
        #: made from it and are never mutated (bids are encoded and dropped).
        self.bid = Bid(
            id="",
            impid="",
            price=0.0,
            adid=creative.id,
            crid=creative.id,
            cid=campaign.id,
            adomain=list(campaign.adomain),
            cat=list(campaign.cat) or None,
            cattax=campaign.cattax,
            bundle=campaign.bundle,
            attr=list(creative.attr) or None,
            w=creative.w if banner else None,
            h=creative.h if banner else None,
            mtype=mtype,
            adm=creative.markup if self.static_adm else None,
        )
        self.seat = campaign.seat
        #: The campaign id quoted, for the bid id ("{n}:{campaign}") in the query: quoting
        #: works character by character, so quoting the parts is quoting the whole.
        self.campaign_q = quoted(campaign.id)
        #: "s=...&c=...&cr=..." of the notice query, and their part of the signed message.
        self.query = f"s={quoted(campaign.seat)}&c={self.campaign_q}&cr={quoted(creative.id)}"
        self.message = (
            signed_part(campaign.seat) + signed_part(campaign.id) + signed_part(creative.id)
        )
        #: The bid id of the response's ``n``-th bid (``"{n}:{campaign}"``), its part of the
        #: signed message and its ``b=`` query parameter, made for the first few ``n``.
        self.bid_parts = tuple(self._bid_part(n) for n in range(_BID_PARTS))

    def bid_part(self, n: int) -> tuple[str, str, str]:
        """(bid id, its signed part, its query parameter) of the response's ``n``-th bid."""
        return self.bid_parts[n] if n < _BID_PARTS else self._bid_part(n)

    def _bid_part(self, n: int) -> tuple[str, str, str]:
        bid_id = f"{n}:{self.bid.cid}"
        # Quoting works character by character and digits and ":" need none: quoting the
        # campaign id is quoting the bid id.
        return bid_id, signed_part(bid_id), f"b={n}:{self.campaign_q}"


def templates_for(campaign: Campaign) -> dict[str, BidTemplate]:
    """Creative id -> its template, for every creative of ``campaign``."""
    return {creative.id: BidTemplate(campaign, creative) for creative in campaign.creatives}


__all__ = ["MTYPE", "BidTemplate", "quoted", "quoted_often", "signed_part", "templates_for"]
