"""Does a creative fit an impression? The checks the index cannot make with bitsets.

The index already matched media type and banner size; here are the per-creative checks:
blocked attributes (``battr``), MIME types, durations, protocols, API frameworks, and for
native, that every required asset can be filled. A fit returns what the bid needs (mtype,
size, duration, protocol, markup).
"""

from __future__ import annotations

from typing import NamedTuple

from openrtb.errors import DecodeError
from openrtb.model import Audio, Banner, Imp, NativeRequest, NativeResponse, Video
from openrtb.model.native import (
    NativeAsset,
    NativeAssetResponse,
    NativeDataResponse,
    NativeImageResponse,
    NativeLink,
    NativeTitleResponse,
)
from openrtb.native import native_request, native_response_json
from openrtb.validate import AUDIO, BANNER, NATIVE, VIDEO

from .campaigns import Creative, NativeCreative

# Native 1.2 asset types: image 1 = icon, 3 = main; data 1 = sponsored, 2 = desc, 12 = ctatext.
IMG_ICON, IMG_MAIN = 1, 3
DATA_SPONSORED, DATA_DESC, DATA_CTA = 1, 2, 12


class Fit(NamedTuple):
    """A creative that fits, and what the bid says about it."""

    creative: Creative
    mtype: int
    w: int | None = None
    h: int | None = None
    dur: int | None = None
    protocol: int | None = None
    adm: str | None = None


def banner_sizes(banner: Banner) -> list[tuple[int, int]]:
    """The sizes a banner offers: ``w``x``h`` and every ``format``."""
    sizes = []
    if banner.w and banner.h:
        sizes.append((banner.w, banner.h))
    for fmt in banner.format or ():
        if fmt.w and fmt.h:
            sizes.append((fmt.w, fmt.h))
    return sizes


def _attrs_ok(creative: Creative, battr: list[int] | None) -> bool:
    return not battr or not creative.attr or set(creative.attr).isdisjoint(battr)


def fit_banner(
    creative: Creative, banner: Banner, sizes: list[tuple[int, int]] | None = None
) -> Fit | None:
    """The creative's size is offered (``sizes``: the banner's, if already known) and none of
    its attributes is blocked."""
    if not _attrs_ok(creative, banner.battr):
        return None
    if (creative.w, creative.h) not in (banner_sizes(banner) if sizes is None else sizes):
        return None
    if banner.api and creative.api and set(creative.api).isdisjoint(banner.api):
        return None
    return Fit(creative, BANNER, creative.w, creative.h, adm=creative.markup)


def fit_timed(creative: Creative, media: Video | Audio) -> Fit | None:
    """Video or audio: MIME type, duration, protocol and attributes all acceptable."""
    if not _attrs_ok(creative, media.battr):
        return None
    if media.mimes and not set(creative.mimes) & set(media.mimes):
        return None
    duration = creative.duration or 0
    if media.rqddurs:
        if duration not in media.rqddurs:
            return None
    elif duration < media.minduration or (media.maxduration and duration > media.maxduration):
        return None
    protocol = None
    if media.protocols:
        common = [p for p in creative.protocols if p in media.protocols]
        if not common:
            return None
        protocol = common[0]
    if isinstance(media, Video):
        return Fit(creative, VIDEO, media.w, media.h, duration, protocol, creative.markup)
    return Fit(creative, AUDIO, None, None, duration, protocol, creative.markup)


def fit_native(creative: Creative, request: NativeRequest) -> Fit | None:
    """Every required asset of the Native request can be filled from the creative."""
    assets = creative.native
    if assets is None:
        return None
    out: list[NativeAssetResponse] = []
    for asset in request.assets or ():
        filled = _fill_asset(assets, asset)
        if filled is None:
            if asset.required:
                return None
            continue
        out.append(filled)
    if not out:
        return None
    response = NativeResponse(ver="1.2", assets=out, link=NativeLink(url=assets.click_url))
    return Fit(creative, NATIVE, adm=native_response_json(response))


def _fill_asset(assets: NativeCreative, asset: NativeAsset) -> NativeAssetResponse | None:
    if asset.title is not None:
        text = assets.title
        if asset.title.len and len(text) > asset.title.len:
            text = text[: asset.title.len]
        return NativeAssetResponse(id=asset.id, title=NativeTitleResponse(text=text))
    if asset.img is not None:
        img = asset.img
        if img.type == IMG_ICON:
            if assets.icon_url is None:
                return None
            return NativeAssetResponse(id=asset.id, img=NativeImageResponse(url=assets.icon_url))
        if assets.image_url is None:
            return None
        w, h = assets.image_w, assets.image_h
        if (img.wmin and (w or 0) < img.wmin) or (img.hmin and (h or 0) < img.hmin):
            return None
        return NativeAssetResponse(
            id=asset.id, img=NativeImageResponse(type=img.type, url=assets.image_url, w=w, h=h)
        )
    if asset.data is not None:
        value = {
            DATA_SPONSORED: assets.sponsored,
            DATA_DESC: assets.description,
            DATA_CTA: assets.cta,
        }.get(asset.data.type or 0)
        if value is None:
            return None
        if asset.data.len and len(value) > asset.data.len:
            value = value[: asset.data.len]
        return NativeAssetResponse(id=asset.id, data=NativeDataResponse(value=value))
    return None


def fit(
    creative: Creative,
    imp: Imp,
    mtype: int,
    native: NativeRequest | None,
    sizes: list[tuple[int, int]] | None = None,
) -> Fit | None:
    """Whether ``creative`` fits ``imp`` as media type ``mtype`` (``sizes``: the banner's sizes,
    if already known)."""
    if mtype == BANNER and imp.banner is not None:
        return fit_banner(creative, imp.banner, sizes)
    if mtype == VIDEO and imp.video is not None:
        return fit_timed(creative, imp.video)
    if mtype == AUDIO and imp.audio is not None:
        return fit_timed(creative, imp.audio)
    if mtype == NATIVE and native is not None:
        if imp.native is not None and not _attrs_ok(creative, imp.native.battr):
            return None
        return fit_native(creative, native)
    return None


def parse_native(imp: Imp) -> NativeRequest | None:
    """The imp's Native request, or None when it has none or it does not parse."""
    if imp.native is None:
        return None
    try:
        return native_request(imp.native)
    except DecodeError:
        return None


__all__ = ["Fit", "banner_sizes", "fit", "fit_banner", "fit_native", "fit_timed", "parse_native"]
