"""Read the fields the bidder reads, from a decoded bid request in any of its three forms.

A decode benchmark that stops at "parse" flatters lazy decoders: upb (protobuf's C runtime)
builds Python objects only when a field is read, so ``ParseFromString`` alone does a fraction
of the work. These walks read what ``bidder.pipeline`` reads for targeting, fit and pricing,
so that "decode + read" compares the codecs on the work a bid needs.

:func:`read_attrs` walks msgspec Structs and upb messages with the same code (both use
attribute access; an absent message is ``None`` on a Struct and an empty default message on
upb, and the walk reads through either). :func:`read_dict` is the same walk over the dicts and
lists a JSON parser returns, with item access. They are two copies of one walk rather than one
function with a getter argument, because a getter call per field would cost more than the
field reads being measured, and charge every form for it.

Both return the number of non-empty values read: the caller need not use it, but it keeps the
walks honest (a test checks the three forms of one request read the same count).
"""

from __future__ import annotations

from typing import Any


def read_attrs(req: Any) -> int:
    """Read the bidder's fields from a ``BidRequest`` Struct or upb message; the count of
    non-empty values read."""
    n = 0
    if req.id:
        n += 1
    for imp in req.imp:
        if imp.id:
            n += 1
        banner = imp.banner
        if banner is not None:
            if banner.w:
                n += 1
            if banner.h:
                n += 1
            for fmt in banner.format or ():
                if fmt.w:
                    n += 1
                if fmt.h:
                    n += 1
        video = imp.video
        if video is not None:
            if video.mimes:
                n += len(video.mimes)
            if video.minduration:
                n += 1
            if video.maxduration:
                n += 1
            if video.protocols:
                n += len(video.protocols)
        if imp.bidfloor:
            n += 1
        if imp.bidfloorcur:
            n += 1
        pmp = imp.pmp
        if pmp is not None:
            for deal in pmp.deals or ():
                if deal.id:
                    n += 1
                if deal.bidfloor:
                    n += 1
                if deal.bidfloorcur:
                    n += 1
                if deal.wseat:
                    n += len(deal.wseat)
    site = req.site
    if site is not None:
        if site.domain:
            n += 1
        if site.cat:
            n += len(site.cat)
        publisher = site.publisher
        if publisher is not None and publisher.id:
            n += 1
    app = req.app
    if app is not None:
        if app.bundle:
            n += 1
        if app.domain:
            n += 1
        if app.cat:
            n += len(app.cat)
        publisher = app.publisher
        if publisher is not None and publisher.id:
            n += 1
    device = req.device
    if device is not None:
        geo = device.geo
        if geo is not None:
            if geo.country:
                n += 1
            if geo.region:
                n += 1
            if geo.metro:
                n += 1
        if device.devicetype:
            n += 1
        if device.os:
            n += 1
        if device.connectiontype:
            n += 1
    user = req.user
    if user is not None:
        for data in user.data or ():
            for segment in data.segment or ():
                if segment.id:
                    n += 1
    for blocks in (req.bcat, req.badv, req.bapp, req.bseat, req.wseat, req.cur):
        if blocks:
            n += len(blocks)
    if req.tmax:
        n += 1
    if req.test:
        n += 1
    if req.at:
        n += 1
    return n


def read_dict(req: dict[str, Any]) -> int:
    """Read the bidder's fields from a ``BidRequest`` parsed to dicts and lists; the count of
    non-empty values read (the same walk as :func:`read_attrs`)."""
    n = 0
    get = req.get
    if get("id"):
        n += 1
    for imp in get("imp") or ():
        if imp.get("id"):
            n += 1
        banner = imp.get("banner")
        if banner is not None:
            if banner.get("w"):
                n += 1
            if banner.get("h"):
                n += 1
            for fmt in banner.get("format") or ():
                if fmt.get("w"):
                    n += 1
                if fmt.get("h"):
                    n += 1
        video = imp.get("video")
        if video is not None:
            mimes = video.get("mimes")
            if mimes:
                n += len(mimes)
            if video.get("minduration"):
                n += 1
            if video.get("maxduration"):
                n += 1
            protocols = video.get("protocols")
            if protocols:
                n += len(protocols)
        if imp.get("bidfloor"):
            n += 1
        if imp.get("bidfloorcur"):
            n += 1
        pmp = imp.get("pmp")
        if pmp is not None:
            for deal in pmp.get("deals") or ():
                if deal.get("id"):
                    n += 1
                if deal.get("bidfloor"):
                    n += 1
                if deal.get("bidfloorcur"):
                    n += 1
                wseat = deal.get("wseat")
                if wseat:
                    n += len(wseat)
    site = get("site")
    if site is not None:
        if site.get("domain"):
            n += 1
        cat = site.get("cat")
        if cat:
            n += len(cat)
        publisher = site.get("publisher")
        if publisher is not None and publisher.get("id"):
            n += 1
    app = get("app")
    if app is not None:
        if app.get("bundle"):
            n += 1
        if app.get("domain"):
            n += 1
        cat = app.get("cat")
        if cat:
            n += len(cat)
        publisher = app.get("publisher")
        if publisher is not None and publisher.get("id"):
            n += 1
    device = get("device")
    if device is not None:
        geo = device.get("geo")
        if geo is not None:
            if geo.get("country"):
                n += 1
            if geo.get("region"):
                n += 1
            if geo.get("metro"):
                n += 1
        if device.get("devicetype"):
            n += 1
        if device.get("os"):
            n += 1
        if device.get("connectiontype"):
            n += 1
    user = get("user")
    if user is not None:
        for data in user.get("data") or ():
            for segment in data.get("segment") or ():
                if segment.get("id"):
                    n += 1
    for name in ("bcat", "badv", "bapp", "bseat", "wseat", "cur"):
        blocks = get(name)
        if blocks:
            n += len(blocks)
    if get("tmax"):
        n += 1
    if get("test"):
        n += 1
    if get("at"):
        n += 1
    return n


__all__ = ["read_attrs", "read_dict"]
