"""OpenRTB 2.6 context objects: where the ad shows (Site, App, Dooh), who sees it (Device, User)
and the content around it (spec sections 3.2.13 - 3.2.24, 3.2.27 - 3.2.30 and 3.2.32)."""

from __future__ import annotations

from typing import ClassVar

from ._base import Ext, Int32, OpenRTBObject


class Segment(OpenRTBObject, kw_only=True):
    """A data segment about the user or content (3.2.22)."""

    id: str | None = None
    name: str | None = None
    value: str | None = None
    ext: Ext | None = None


class Data(OpenRTBObject, kw_only=True):
    """A data provider and its segments (3.2.21)."""

    id: str | None = None
    name: str | None = None
    #: Extended content ids (2.6-202506). The protobuf leg carries them as ``ext.cids``,
    #: where the IAB proto has them.
    cids: list[str] | None = None
    segment: list[Segment] | None = None
    ext: Ext | None = None

    __proto_via_ext__: ClassVar[frozenset[str]] = frozenset({"cids"})


class Producer(OpenRTBObject, kw_only=True):
    """The producer of the content (3.2.17)."""

    id: str | None = None
    name: str | None = None
    cattax: Int32 = 1
    cat: list[str] | None = None
    domain: str | None = None
    ext: Ext | None = None


class Network(OpenRTBObject, kw_only=True):
    """The network the content is on, e.g. a TV network (3.2.23)."""

    id: str | None = None
    name: str | None = None
    domain: str | None = None
    ext: Ext | None = None


class Channel(OpenRTBObject, kw_only=True):
    """The channel the content is on, e.g. a local station (3.2.24)."""

    id: str | None = None
    name: str | None = None
    domain: str | None = None
    ext: Ext | None = None


class Content(OpenRTBObject, kw_only=True):
    """The content in which the impression appears (3.2.16)."""

    id: str | None = None
    episode: Int32 | None = None
    title: str | None = None
    series: str | None = None
    season: str | None = None
    artist: str | None = None
    genre: str | None = None
    gtax: Int32 = 9
    genres: list[str] | None = None
    album: str | None = None
    isrc: str | None = None
    producer: Producer | None = None
    url: str | None = None
    cattax: Int32 = 1
    cat: list[str] | None = None
    prodq: Int32 | None = None
    context: Int32 | None = None
    contentrating: str | None = None
    userrating: str | None = None
    qagmediarating: Int32 | None = None
    keywords: str | None = None
    kwarray: list[str] | None = None
    livestream: Int32 | None = None
    sourcerelationship: Int32 | None = None
    len: Int32 | None = None
    language: str | None = None
    langb: str | None = None
    embeddable: Int32 | None = None
    data: list[Data] | None = None
    network: Network | None = None
    channel: Channel | None = None
    #: ``realtime`` and ``firstbroadcast`` (2.6-202506/202606) have no protobuf field yet in
    #: the IAB proto; they travel in JSON only.
    realtime: Int32 | None = None
    firstbroadcast: Int32 | None = None
    #: Deprecated before 2.6 (use ``prodq``) and dropped from the 2.6 tables; still decoded for
    #: older senders.
    videoquality: Int32 | None = None
    ext: Ext | None = None

    __deprecated__: ClassVar[frozenset[str]] = frozenset({"videoquality"})
    __json_only__: ClassVar[frozenset[str]] = frozenset({"realtime", "firstbroadcast"})


class Publisher(OpenRTBObject, kw_only=True):
    """The publisher of the site, app or screen (3.2.15)."""

    id: str | None = None
    name: str | None = None
    cattax: Int32 = 1
    cat: list[str] | None = None
    domain: str | None = None
    ext: Ext | None = None


class Site(OpenRTBObject, kw_only=True):
    """A website (3.2.13)."""

    id: str | None = None
    name: str | None = None
    domain: str | None = None
    cattax: Int32 = 1
    cat: list[str] | None = None
    sectioncat: list[str] | None = None
    pagecat: list[str] | None = None
    page: str | None = None
    ref: str | None = None
    search: str | None = None
    mobile: Int32 | None = None
    privacypolicy: Int32 | None = None
    publisher: Publisher | None = None
    content: Content | None = None
    keywords: str | None = None
    kwarray: list[str] | None = None
    inventorypartnerdomain: str | None = None
    ext: Ext | None = None


class App(OpenRTBObject, kw_only=True):
    """A non-browser application (3.2.14)."""

    id: str | None = None
    name: str | None = None
    bundle: str | None = None
    domain: str | None = None
    storeurl: str | None = None
    cattax: Int32 = 1
    cat: list[str] | None = None
    sectioncat: list[str] | None = None
    pagecat: list[str] | None = None
    ver: str | None = None
    privacypolicy: Int32 | None = None
    paid: Int32 | None = None
    publisher: Publisher | None = None
    content: Content | None = None
    keywords: str | None = None
    kwarray: list[str] | None = None
    inventorypartnerdomain: str | None = None
    ext: Ext | None = None


class Dooh(OpenRTBObject, kw_only=True):
    """A digital out-of-home screen (3.2.32)."""

    id: str | None = None
    name: str | None = None
    venuetype: list[str] | None = None
    venuetypetax: Int32 = 1
    publisher: Publisher | None = None
    domain: str | None = None
    keywords: str | None = None
    content: Content | None = None
    ext: Ext | None = None


class Geo(OpenRTBObject, kw_only=True):
    """A location (3.2.19)."""

    lat: float | None = None
    lon: float | None = None
    type: Int32 | None = None
    accuracy: Int32 | None = None
    lastfix: Int32 | None = None
    ipservice: Int32 | None = None
    country: str | None = None
    region: str | None = None
    regionfips104: str | None = None
    metro: str | None = None
    city: str | None = None
    zip: str | None = None
    utcoffset: Int32 | None = None
    ext: Ext | None = None


class BrandVersion(OpenRTBObject, kw_only=True):
    """A browser or platform brand and its version components (3.2.30)."""

    brand: str | None = None
    version: list[str] | None = None
    ext: Ext | None = None


class UserAgent(OpenRTBObject, kw_only=True):
    """Structured user agent, from User-Agent Client Hints (3.2.29)."""

    browsers: list[BrandVersion] | None = None
    platform: BrandVersion | None = None
    mobile: Int32 | None = None
    architecture: str | None = None
    bitness: str | None = None
    model: str | None = None
    source: Int32 = 0
    ext: Ext | None = None


class Device(OpenRTBObject, kw_only=True):
    """The device the impression shows on (3.2.18)."""

    geo: Geo | None = None
    dnt: Int32 | None = None
    lmt: Int32 | None = None
    ua: str | None = None
    sua: UserAgent | None = None
    ip: str | None = None
    ipv6: str | None = None
    devicetype: Int32 | None = None
    make: str | None = None
    model: str | None = None
    os: str | None = None
    osv: str | None = None
    hwv: str | None = None
    h: Int32 | None = None
    w: Int32 | None = None
    ppi: Int32 | None = None
    pxratio: float | None = None
    js: Int32 | None = None
    geofetch: Int32 | None = None
    flashver: str | None = None
    language: str | None = None
    langb: str | None = None
    carrier: str | None = None
    mccmnc: str | None = None
    connectiontype: Int32 | None = None
    ifa: str | None = None
    #: The hashed device ids below are deprecated in 2.6; still decoded for older senders.
    didsha1: str | None = None
    didmd5: str | None = None
    dpidsha1: str | None = None
    dpidmd5: str | None = None
    macsha1: str | None = None
    macmd5: str | None = None
    ext: Ext | None = None

    __deprecated__: ClassVar[frozenset[str]] = frozenset(
        {"didsha1", "didmd5", "dpidsha1", "dpidmd5", "macsha1", "macmd5"}
    )


class UID(OpenRTBObject, kw_only=True):
    """One user id within an extended identifier (3.2.28)."""

    id: str | None = None
    atype: Int32 | None = None
    ext: Ext | None = None


class EID(OpenRTBObject, kw_only=True):
    """Extended identifiers from one source (3.2.27)."""

    inserter: str | None = None
    source: str | None = None
    matcher: str | None = None
    mm: Int32 | None = None
    uids: list[UID] | None = None
    ext: Ext | None = None


class User(OpenRTBObject, kw_only=True):
    """The human user of the device (3.2.20)."""

    id: str | None = None
    buyeruid: str | None = None
    #: ``yob`` and ``gender`` are deprecated in 2.6; still decoded for older senders.
    yob: Int32 | None = None
    gender: str | None = None
    keywords: str | None = None
    kwarray: list[str] | None = None
    customdata: str | None = None
    geo: Geo | None = None
    data: list[Data] | None = None
    consent: str | None = None
    eids: list[EID] | None = None
    ext: Ext | None = None

    __deprecated__: ClassVar[frozenset[str]] = frozenset({"yob", "gender"})


__all__ = [
    "App",
    "BrandVersion",
    "Channel",
    "Content",
    "Data",
    "Device",
    "Dooh",
    "EID",
    "Geo",
    "Network",
    "Producer",
    "Publisher",
    "Segment",
    "Site",
    "UID",
    "User",
    "UserAgent",
]
