"""The OpenRTB 2.6 bid request: BidRequest, Imp and the media and marketplace objects under it
(spec sections 3.2.1 - 3.2.12, 3.2.25, 3.2.26, 3.2.31 and 3.2.33 - 3.2.35)."""

from __future__ import annotations

from typing import ClassVar

from ._base import Ext, Int32, OpenRTBObject
from .context import App, Device, Dooh, Site, User


class SupplyChainNode(OpenRTBObject, kw_only=True):
    """One participant in the supply chain (3.2.26)."""

    asi: str | None = None
    sid: str | None = None
    rid: str | None = None
    name: str | None = None
    domain: str | None = None
    hp: Int32 | None = None
    ext: Ext | None = None


class SupplyChain(OpenRTBObject, kw_only=True):
    """The chain of sellers a request passed through (3.2.25)."""

    complete: Int32 | None = None
    nodes: list[SupplyChainNode] | None = None
    ver: str | None = None
    ext: Ext | None = None


class Source(OpenRTBObject, kw_only=True):
    """The entity responsible for the final impression sale decision (3.2.2)."""

    fd: Int32 | None = None
    tid: str | None = None
    pchain: str | None = None
    schain: SupplyChain | None = None
    ext: Ext | None = None


class Regs(OpenRTBObject, kw_only=True):
    """Regulations in force for this request (3.2.3)."""

    coppa: Int32 | None = None
    gdpr: Int32 | None = None
    us_privacy: str | None = None
    gpp: str | None = None
    gpp_sid: list[Int32] | None = None
    ext: Ext | None = None


class Metric(OpenRTBObject, kw_only=True):
    """A metric about the impression, e.g. viewability (3.2.5)."""

    type: str | None = None
    value: float | None = None
    vendor: str | None = None
    ext: Ext | None = None


class Format(OpenRTBObject, kw_only=True):
    """An allowed banner size, absolute or flexible (3.2.10)."""

    w: Int32 | None = None
    h: Int32 | None = None
    wratio: Int32 | None = None
    hratio: Int32 | None = None
    wmin: Int32 | None = None
    ext: Ext | None = None


class Banner(OpenRTBObject, kw_only=True):
    """A display impression (3.2.6)."""

    format: list[Format] | None = None
    w: Int32 | None = None
    h: Int32 | None = None
    btype: list[Int32] | None = None
    battr: list[Int32] | None = None
    pos: Int32 | None = None
    mimes: list[str] | None = None
    topframe: Int32 | None = None
    expdir: list[Int32] | None = None
    api: list[Int32] | None = None
    id: str | None = None
    vcm: Int32 | None = None
    #: ``wmax``..``hmin`` were deprecated in 2.4 (use ``format``) and dropped from the 2.6 tables;
    #: still decoded for older senders.
    wmax: Int32 | None = None
    hmax: Int32 | None = None
    wmin: Int32 | None = None
    hmin: Int32 | None = None
    ext: Ext | None = None

    __deprecated__: ClassVar[frozenset[str]] = frozenset({"wmax", "hmax", "wmin", "hmin"})


class DurFloors(OpenRTBObject, kw_only=True):
    """A floor price for creatives of a duration range (3.2.35)."""

    mindur: Int32 | None = None
    maxdur: Int32 | None = None
    bidfloor: float = 0.0
    ext: Ext | None = None


class Video(OpenRTBObject, kw_only=True):
    """A video impression (3.2.7)."""

    mimes: list[str] | None = None
    minduration: Int32 = 0
    maxduration: Int32 | None = None
    startdelay: Int32 | None = None
    maxseq: Int32 | None = None
    poddur: Int32 | None = None
    protocols: list[Int32] | None = None
    w: Int32 | None = None
    h: Int32 | None = None
    podid: str | None = None
    podseq: Int32 = 0
    rqddurs: list[Int32] | None = None
    #: Deprecated in 2.6 (use ``plcmt``); still decoded.
    placement: Int32 | None = None
    plcmt: Int32 | None = None
    linearity: Int32 | None = None
    skip: Int32 | None = None
    skipmin: Int32 = 0
    skipafter: Int32 = 0
    #: Deprecated in 2.6 (use ``slotinpod``/``podseq``); still decoded.
    sequence: Int32 = 0
    slotinpod: Int32 = 0
    mincpmpersec: float | None = None
    battr: list[Int32] | None = None
    maxextended: Int32 | None = None
    minbitrate: Int32 | None = None
    maxbitrate: Int32 | None = None
    boxingallowed: Int32 = 1
    playbackmethod: list[Int32] | None = None
    playbackend: Int32 | None = None
    delivery: list[Int32] | None = None
    pos: Int32 | None = None
    companionad: list[Banner] | None = None
    api: list[Int32] | None = None
    companiontype: list[Int32] | None = None
    poddedupe: list[Int32] | None = None
    durfloors: list[DurFloors] | None = None
    #: Deprecated since 2.3 (use ``protocols``) and dropped from the 2.6 tables; still decoded.
    protocol: Int32 | None = None
    ext: Ext | None = None

    __deprecated__: ClassVar[frozenset[str]] = frozenset({"placement", "sequence", "protocol"})


class Audio(OpenRTBObject, kw_only=True):
    """An audio impression (3.2.8)."""

    mimes: list[str] | None = None
    minduration: Int32 = 0
    maxduration: Int32 | None = None
    poddur: Int32 | None = None
    protocols: list[Int32] | None = None
    startdelay: Int32 | None = None
    rqddurs: list[Int32] | None = None
    podid: str | None = None
    podseq: Int32 = 0
    #: Deprecated in 2.6; still decoded.
    sequence: Int32 = 0
    slotinpod: Int32 = 0
    mincpmpersec: float | None = None
    battr: list[Int32] | None = None
    maxextended: Int32 | None = None
    minbitrate: Int32 | None = None
    maxbitrate: Int32 | None = None
    delivery: list[Int32] | None = None
    companionad: list[Banner] | None = None
    api: list[Int32] | None = None
    companiontype: list[Int32] | None = None
    maxseq: Int32 | None = None
    feed: Int32 | None = None
    stitched: Int32 | None = None
    nvol: Int32 | None = None
    durfloors: list[DurFloors] | None = None
    ext: Ext | None = None

    __deprecated__: ClassVar[frozenset[str]] = frozenset({"sequence"})


class Native(OpenRTBObject, kw_only=True):
    """A native impression (3.2.9).

    ``request`` is the Native Ads request as a JSON string, as the spec has it. A protobuf
    sender may send it as a message (``request_native``); the protobuf codec turns that into
    the same JSON string, so the pipeline reads one form. :func:`openrtb.native.native_request`
    parses either into a :class:`~openrtb.model.native.NativeRequest`.
    """

    request: str | None = None
    ver: str | None = None
    api: list[Int32] | None = None
    battr: list[Int32] | None = None
    ext: Ext | None = None


class Deal(OpenRTBObject, kw_only=True):
    """A private-marketplace deal offered for this impression (3.2.12)."""

    id: str
    bidfloor: float = 0.0
    bidfloorcur: str = "USD"
    at: Int32 | None = None
    wseat: list[str] | None = None
    wadomain: list[str] | None = None
    guar: Int32 = 0
    mincpmpersec: float | None = None
    durfloors: list[DurFloors] | None = None
    ext: Ext | None = None


class Pmp(OpenRTBObject, kw_only=True):
    """The private marketplace in effect for an impression (3.2.11)."""

    private_auction: Int32 = 0
    deals: list[Deal] | None = None
    ext: Ext | None = None


class Qty(OpenRTBObject, kw_only=True):
    """How many people or impressions one ad play counts for, e.g. on a DOOH screen (3.2.31)."""

    multiplier: float | None = None
    sourcetype: Int32 | None = None
    vendor: str | None = None
    ext: Ext | None = None


class RefSettings(OpenRTBObject, kw_only=True):
    """How an ad slot refreshes (3.2.34)."""

    reftype: Int32 = 0
    minint: Int32 | None = None
    ext: Ext | None = None


class Refresh(OpenRTBObject, kw_only=True):
    """The refresh history and settings of an ad slot (3.2.33)."""

    refsettings: list[RefSettings] | None = None
    count: Int32 | None = None
    ext: Ext | None = None


class Imp(OpenRTBObject, kw_only=True):
    """One ad placement offered for auction (3.2.4)."""

    id: str
    metric: list[Metric] | None = None
    banner: Banner | None = None
    video: Video | None = None
    audio: Audio | None = None
    native: Native | None = None
    pmp: Pmp | None = None
    displaymanager: str | None = None
    displaymanagerver: str | None = None
    instl: Int32 = 0
    tagid: str | None = None
    bidfloor: float = 0.0
    bidfloorcur: str = "USD"
    clickbrowser: Int32 | None = None
    secure: Int32 | None = None
    iframebuster: list[str] | None = None
    rwdd: Int32 = 0
    ssai: Int32 = 0
    exp: Int32 | None = None
    qty: Qty | None = None
    dt: float | None = None
    refresh: Refresh | None = None
    ext: Ext | None = None


class BidRequest(OpenRTBObject, kw_only=True):
    """The top-level bid request (3.2.1). ``id`` and ``imp`` are required by the spec."""

    id: str
    imp: list[Imp]
    site: Site | None = None
    app: App | None = None
    dooh: Dooh | None = None
    device: Device | None = None
    user: User | None = None
    test: Int32 = 0
    at: Int32 = 2
    tmax: Int32 | None = None
    wseat: list[str] | None = None
    bseat: list[str] | None = None
    allimps: Int32 = 0
    cur: list[str] | None = None
    wlang: list[str] | None = None
    wlangb: list[str] | None = None
    acat: list[str] | None = None
    bcat: list[str] | None = None
    cattax: Int32 = 1
    badv: list[str] | None = None
    bapp: list[str] | None = None
    source: Source | None = None
    regs: Regs | None = None
    ext: Ext | None = None


__all__ = [
    "Audio",
    "Banner",
    "BidRequest",
    "Deal",
    "DurFloors",
    "Format",
    "Imp",
    "Metric",
    "Native",
    "Pmp",
    "Qty",
    "RefSettings",
    "Refresh",
    "Regs",
    "Source",
    "SupplyChain",
    "SupplyChainNode",
    "Video",
]
