"""The OpenRTB Native Ads 1.2 request and response objects.

In OpenRTB JSON these travel as strings inside ``imp.native.request`` and ``bid.adm``; the
protobuf forms (``request_native``, ``adm_native``) carry them as messages. Both codecs turn
them into the JSON string, and :mod:`openrtb.native` parses the string into these Structs.
"""

from __future__ import annotations

from typing import ClassVar

from ._base import Ext, Int32, OpenRTBObject
from .request import Video


class NativeTitle(OpenRTBObject, kw_only=True):
    """A title asset request (Native 1.2, 4.3)."""

    len: Int32 | None = None
    ext: Ext | None = None


class NativeImage(OpenRTBObject, kw_only=True):
    """An image asset request (Native 1.2, 4.4)."""

    type: Int32 | None = None
    w: Int32 | None = None
    h: Int32 | None = None
    wmin: Int32 | None = None
    hmin: Int32 | None = None
    mimes: list[str] | None = None
    ext: Ext | None = None


class NativeData(OpenRTBObject, kw_only=True):
    """A data asset request, e.g. a sponsor name or rating (Native 1.2, 4.6)."""

    type: Int32 | None = None
    len: Int32 | None = None
    ext: Ext | None = None


class NativeAsset(OpenRTBObject, kw_only=True):
    """One requested asset; exactly one of title, img, video, data (Native 1.2, 4.2)."""

    id: Int32 | None = None
    required: Int32 = 0
    title: NativeTitle | None = None
    img: NativeImage | None = None
    video: Video | None = None
    data: NativeData | None = None
    ext: Ext | None = None


class NativeEventTrackers(OpenRTBObject, kw_only=True):
    """An event tracker the publisher supports (Native 1.2, 4.7)."""

    event: Int32 | None = None
    methods: list[Int32] | None = None
    ext: Ext | None = None


class NativeRequest(OpenRTBObject, kw_only=True):
    """The Native Ads request (Native 1.2, 4.1)."""

    ver: str = "1.2"
    #: ``layout`` and ``adunit`` are deprecated in Native 1.2 (use ``context``/``plcmttype``);
    #: still decoded for 1.0/1.1 senders.
    layout: Int32 | None = None
    adunit: Int32 | None = None
    context: Int32 | None = None
    contextsubtype: Int32 | None = None
    plcmttype: Int32 | None = None
    plcmtcnt: Int32 = 1
    seq: Int32 = 0
    assets: list[NativeAsset] | None = None
    aurlsupport: Int32 = 0
    durlsupport: Int32 = 0
    eventtrackers: list[NativeEventTrackers] | None = None
    privacy: Int32 = 0
    ext: Ext | None = None

    __deprecated__: ClassVar[frozenset[str]] = frozenset({"layout", "adunit"})


class NativeLink(OpenRTBObject, kw_only=True):
    """A click destination (Native 1.2, 5.7)."""

    url: str | None = None
    clicktrackers: list[str] | None = None
    fallback: str | None = None
    ext: Ext | None = None


class NativeTitleResponse(OpenRTBObject, kw_only=True):
    """A title asset (Native 1.2, 5.3)."""

    text: str | None = None
    len: Int32 | None = None
    ext: Ext | None = None


class NativeImageResponse(OpenRTBObject, kw_only=True):
    """An image asset (Native 1.2, 5.4)."""

    type: Int32 | None = None
    url: str | None = None
    w: Int32 | None = None
    h: Int32 | None = None
    ext: Ext | None = None


class NativeDataResponse(OpenRTBObject, kw_only=True):
    """A data asset (Native 1.2, 5.5)."""

    type: Int32 | None = None
    len: Int32 | None = None
    #: Deprecated in Native 1.2; still decoded.
    label: str | None = None
    value: str | None = None
    ext: Ext | None = None

    __deprecated__: ClassVar[frozenset[str]] = frozenset({"label"})


class NativeVideoResponse(OpenRTBObject, kw_only=True):
    """A video asset, as a VAST tag (Native 1.2, 5.6)."""

    vasttag: str | None = None
    ext: Ext | None = None


class NativeAssetResponse(OpenRTBObject, kw_only=True):
    """One returned asset (Native 1.2, 5.2)."""

    id: Int32 | None = None
    required: Int32 = 0
    title: NativeTitleResponse | None = None
    img: NativeImageResponse | None = None
    video: NativeVideoResponse | None = None
    data: NativeDataResponse | None = None
    link: NativeLink | None = None
    ext: Ext | None = None


class NativeEventTracker(OpenRTBObject, kw_only=True):
    """A returned event tracker (Native 1.2, 5.8)."""

    event: Int32 | None = None
    method: Int32 | None = None
    url: str | None = None
    #: Native 1.2 types this as an object of key:value pairs; kept a string, as in the IAB proto.
    customdata: str | None = None
    ext: Ext | None = None


class NativeResponse(OpenRTBObject, kw_only=True):
    """The Native Ads response (Native 1.2, 5.1)."""

    ver: str = "1.2"
    assets: list[NativeAssetResponse] | None = None
    assetsurl: str | None = None
    dcourl: str | None = None
    link: NativeLink | None = None
    imptrackers: list[str] | None = None
    jstracker: str | None = None
    eventtrackers: list[NativeEventTracker] | None = None
    privacy: str | None = None
    ext: Ext | None = None


__all__ = [
    "NativeAsset",
    "NativeAssetResponse",
    "NativeData",
    "NativeDataResponse",
    "NativeEventTracker",
    "NativeEventTrackers",
    "NativeImage",
    "NativeImageResponse",
    "NativeLink",
    "NativeRequest",
    "NativeResponse",
    "NativeTitle",
    "NativeTitleResponse",
    "NativeVideoResponse",
]
