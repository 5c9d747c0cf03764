"""Realistic BidRequests with knobs: every channel (site, app, dooh), ext objects, privacy
signals in their 2.6 fields or in their 2.5 ``ext`` locations.

Built on :func:`fuzz.strategies.sensible_bid_requests` (sizes, ids, currencies, tmax, media
types, pmp and deals from the pools the campaign strategies use), so a realistic request still
has a fair chance to meet a campaign:

    realistic_bid_requests()                                 # anything realistic
    realistic_bid_requests(channels=("dooh",), ext=False)    # DOOH, what protobuf carries whole
    realistic_bid_requests(privacy="2.5")                    # regs.ext.gdpr, user.ext.eids, ...
"""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

import msgspec
from hypothesis import strategies as st

from openrtb.model import BidRequest

from .strategies import (
    POOL_BUNDLES,
    POOL_DOMAINS,
    POOL_PUBLISHERS,
    ext_objects,
    sensible_bid_requests,
)

Channel = Literal["site", "app", "dooh"]
#: Where privacy signals go: 2.6 fields, 2.5 ``ext`` locations, either per request, or none.
Privacy = Literal["2.6", "2.5", "any", "none"]

_VENUES = (["transit"], ["airport", "retail"], ["gas_station"])
_CONSENT = "CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA"
_SCHAIN = {
    "complete": 1,
    "ver": "1.0",
    "nodes": [{"asi": "exchange.example", "sid": "pub-1", "hp": 1}],
}
_EIDS = [{"source": "id5-sync.com", "uids": [{"id": "ID5*abc", "atype": 1}]}]
#: Realistic ext content exchanges send, beside arbitrary JSON.
_REQUEST_EXT = st.sampled_from(({"prebid": {"channel": {"name": "web"}}}, {"tid": "t-1"}))
_IMP_EXT = st.sampled_from(({"gpid": "/1234/home/top"}, {"data": {"pbadslot": "/1234/home"}}))


def _channel_object(kind: Channel, publisher: Any, domain: str, bundle: str) -> dict[str, Any]:
    if kind == "site":
        return {"domain": domain, "page": f"https://{domain}/", "publisher": publisher}
    if kind == "app":
        return {"bundle": bundle, "domain": domain, "publisher": publisher}
    return {"id": "screen-1", "venuetype": _VENUES[len(domain) % 3], "publisher": publisher}


def _privacy_fields(style: Literal["2.6", "2.5"], gdpr: int) -> dict[str, dict[str, Any]]:
    """regs, user and source members carrying the privacy signals, in ``style``'s places."""
    regs: dict[str, Any] = {"gdpr": gdpr, "us_privacy": "1YNN"}
    user: dict[str, Any] = {"consent": _CONSENT, "eids": _EIDS}
    source: dict[str, Any] = {"schain": _SCHAIN}
    if style == "2.5":
        return {"regs": {"ext": regs}, "user": {"ext": user}, "source": {"ext": source}}
    return {"regs": regs, "user": user, "source": source}


def _merge(document: dict[str, Any], name: str, fields: dict[str, Any]) -> None:
    target = document.get(name) or {}
    ext = {**(target.get("ext") or {}), **fields.pop("ext", {})}
    document[name] = {**target, **fields, **({"ext": ext} if ext else {})}


@st.composite
def _realistic(
    draw: st.DrawFn, channels: tuple[Channel, ...], ext: bool, privacy: Privacy
) -> BidRequest:
    document: dict[str, Any] = msgspec.to_builtins(draw(sensible_bid_requests()))
    current = next((c for c in ("site", "app") if c in document), None)
    kind = draw(st.sampled_from(channels))
    if kind != current:
        old = document.pop("site", None) or document.pop("app", None) or {}
        publisher = old.get("publisher") or {"id": draw(st.sampled_from(POOL_PUBLISHERS))}
        domain, bundle = draw(st.sampled_from(POOL_DOMAINS)), draw(st.sampled_from(POOL_BUNDLES))
        document[kind] = _channel_object(kind, publisher, domain, bundle)
    style: Privacy = privacy if privacy != "any" else draw(st.sampled_from(("2.6", "2.5", "none")))
    if style == "2.6" or style == "2.5":
        for name, fields in _privacy_fields(style, draw(st.integers(0, 1))).items():
            _merge(document, name, fields)
    if ext:
        document["ext"] = draw(_REQUEST_EXT | ext_objects)
        for imp in document["imp"]:
            imp["ext"] = draw(_IMP_EXT | ext_objects)
        if draw(st.booleans()):
            _merge(document, kind, {"ext": draw(ext_objects)})
    return msgspec.convert(document, BidRequest)


@cache
def realistic_bid_requests(
    *,
    channels: tuple[Channel, ...] = ("site", "app", "dooh"),
    ext: bool = True,
    privacy: Privacy = "any",
) -> st.SearchStrategy[BidRequest]:
    """Valid, realistic BidRequests: :func:`~fuzz.strategies.sensible_bid_requests` on one of
    ``channels``; with ``ext`` objects on the request, its imps and sometimes its channel
    (realistic ones such as ``imp.ext.gpid``, or arbitrary JSON) unless ``ext=False``; with
    GDPR, consent, US privacy, supply chain and extended ids in their 2.6 fields
    (``privacy="2.6"``), their 2.5 ``ext`` locations (``"2.5"``), either (``"any"``, the
    default, which also leaves them out sometimes) or not at all (``"none"``).

    With ``ext=False`` everything drawn is carried by the protobuf leg."""
    return _realistic(channels, ext, privacy)


__all__ = ["Channel", "Privacy", "realistic_bid_requests"]
