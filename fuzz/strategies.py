"""Hypothesis strategies for OpenRTB 2.6 objects, derived from the model.

Every field of every object can appear; required fields always do. Values are realistic in
shape (short strings, small and full-range int32, finite doubles, 0/1 for the spec's flags) so
that generated objects round-trip through both wire formats. ``ext`` objects hold arbitrary
JSON unless ``with_ext=False``, which also leaves out the JSON-only fields: what remains is
exactly what the protobuf leg carries.

    from fuzz.strategies import bid_requests
    @given(bid_requests())
    def test_my_bidder(request): ...

Beside this module: :mod:`fuzz.realistic` (realistic requests with knobs: site, app or DOOH,
ext objects, 2.5-style ext privacy fields), :mod:`fuzz.hostile` (broken and hostile JSON and
protobuf bodies) and :mod:`fuzz.frames` (HTTP/2 frame sequences, valid and invalid).
"""

from __future__ import annotations

from functools import cache, partial
from typing import Any, Literal, get_args, get_origin

import msgspec
from hypothesis import strategies as st

from bidder.campaigns import (
    Campaign,
    CampaignFile,
    Creative,
    IntFilter,
    MediaType,
    NativeCreative,
    StrFilter,
    Targeting,
)
from openrtb.model import BidRequest, BidResponse, OpenRTBObject
from openrtb.model.native import NativeAsset, NativeData, NativeImage, NativeRequest, NativeTitle
from openrtb.native import native_request_json
from openrtb.proto_codec import flag_fields
from openrtb.type_check import unwrap

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(INT32_MIN, INT32_MAX),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=10),
)
#: Arbitrary JSON values, a few levels deep.
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
ext_objects = st.dictionaries(st.text(max_size=8), json_values, min_size=1, max_size=3)

_strings = st.text(max_size=12)
_int32 = st.one_of(st.integers(0, 1000), st.integers(INT32_MIN, INT32_MAX))
_floats = st.floats(allow_nan=False, allow_infinity=False)
_flags = st.integers(0, 1)


@cache
def _flags_of() -> dict[type[msgspec.Struct], frozenset[str]]:
    return flag_fields()


def _value_strategy(tp: Any, *, is_flag: bool, with_ext: bool) -> st.SearchStrategy[Any]:
    tp = unwrap(tp)
    if get_origin(tp) is list:
        return st.lists(
            _value_strategy(get_args(tp)[0], is_flag=False, with_ext=with_ext),
            min_size=1,
            max_size=3,
        )
    if get_origin(tp) is dict:
        return ext_objects
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        return objects(tp, with_ext=with_ext)
    if tp is str:
        return _strings
    if tp is int:
        return _flags if is_flag else _int32
    if tp is float:
        return _floats
    raise TypeError(f"no strategy for {tp!r}")  # pragma: no cover - the model uses only these


def _deferred_value(tp: Any, *, is_flag: bool, with_ext: bool) -> st.SearchStrategy[Any]:
    # Deferred: nested Struct strategies are built on first draw, not all at import.
    def build() -> st.SearchStrategy[Any]:
        return _value_strategy(tp, is_flag=is_flag, with_ext=with_ext)

    return st.deferred(build)


@cache
def objects(cls: type[OpenRTBObject], *, with_ext: bool = True) -> st.SearchStrategy[Any]:
    """Any valid-typed instance of an OpenRTB Struct type."""
    flags = _flags_of().get(cls, frozenset())
    required: dict[str, st.SearchStrategy[Any]] = {}
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for field in msgspec.structs.fields(cls):
        if not with_ext and (field.name == "ext" or field.name in cls.__json_only__):
            continue
        strategy = _deferred_value(field.type, is_flag=field.name in flags, with_ext=with_ext)
        if field.required:
            required[field.name] = strategy
        else:
            optional[field.name] = strategy
    return st.fixed_dictionaries(required, optional=optional).map(lambda kw: cls(**kw))


def _one_channel(pair: tuple[BidRequest, str]) -> BidRequest:
    request, keep = pair
    drop = {name: None for name in ("site", "app", "dooh") if name != keep}
    return msgspec.structs.replace(request, **drop)


def bid_requests(*, with_ext: bool = True) -> st.SearchStrategy[BidRequest]:
    """Any BidRequest whose fields have the spec's types, with at most one of site/app/dooh
    (the spec allows one, and protobuf's oneof cannot carry more)."""
    return st.tuples(
        objects(BidRequest, with_ext=with_ext), st.sampled_from(("site", "app", "dooh", ""))
    ).map(_one_channel)


def bid_responses(*, with_ext: bool = True) -> st.SearchStrategy[BidResponse]:
    """Any BidResponse whose fields have the spec's types."""
    return objects(BidResponse, with_ext=with_ext)


# -- campaigns and requests that meet ----------------------------------------------------------
#
# ``bid_requests()`` covers every field but almost never matches a campaign. The strategies below
# draw campaigns and requests from the same small pools of countries, domains, sizes, deal ids,
# seats... so that a fair share of the pairs end in a bid and the pipeline's pricing, deal and
# fit code runs, not just its no-match exits. Requests carry no ``ext`` and no JSON-only field:
# the protobuf leg carries them whole, and every list they hold is non-empty (protobuf cannot
# tell an empty list from an absent one). Every strategy is built once, at import, so a draw
# costs only the drawing.

#: The pools both sides draw from.
POOL_COUNTRIES = ("USA", "CAN", "GBR", "DEU")
POOL_REGIONS = ("CA", "NY", "ON")
POOL_METROS = ("807", "501")
POOL_DEVICETYPES = (1, 2, 4, 5, 7)
POOL_OS = ("iOS", "Android", "Windows")
POOL_CONNECTIONTYPES = (2, 3, 6)
POOL_DOMAINS = ("example.com", "news.example.com", "sports.example.org", "shop.example.net")
POOL_BUNDLES = ("com.game.puzzle", "com.news.reader", "tv.stream.app")
POOL_PUBLISHERS = ("p1", "p2", "p3")
POOL_CATS = ("IAB1", "IAB2", "IAB7", "IAB17", "IAB1-1", "IAB25")
POOL_SEGMENTS = ("s1", "s2", "s3", "s4")
POOL_DEALS = ("deal-1", "deal-2", "deal-3")
POOL_SEATS = ("seat-a", "seat-b", "seat-c")
POOL_ADOMAINS = ("brand.example", "shop.brand.example", "cars.example", "food.example")
#: Campaign and imp ids; some have hyphens, as real ones do.
POOL_CAMPAIGN_IDS = ("c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c-1", "1", "x")
POOL_IMP_IDS = ("1", "2", "3", "1-c", "imp-1", "a")
POOL_SIZES = ((300, 250), (728, 90), (320, 50), (300, 600))
POOL_VIDEO_MIMES = ("video/mp4", "video/webm", "application/javascript")
POOL_AUDIO_MIMES = ("audio/mp4", "audio/mpeg")
POOL_DURATIONS = (5, 6, 15, 30, 60)
POOL_PROTOCOLS = (2, 3, 5, 6, 7, 8)
POOL_APIS = (1, 2, 3, 5, 7)
POOL_ATTRS = (1, 2, 3, 6, 8, 9)
#: Hours-of-week lists a campaign may have; 10 (Monday 10:00 UTC) is in some, not in others.
POOL_HOURS: tuple[list[int], ...] = (
    [d * 24 + h for d in range(5) for h in range(8, 20)],  # weekday office hours
    [10],
    [11, 12, 13],
    list(range(120, 168)),  # the weekend
)
_CREATIVE_TYPES: tuple[MediaType, ...] = ("banner", "banner", "banner", "video", "audio", "native")
#: Live traffic 6 in 10, both 3 in 10, test only 1 in 10.
_TRAFFIC: tuple[Literal["live", "test", "both"], ...] = ("live",) * 6 + ("both",) * 3 + ("test",)

_BUDGETS = st.none() | st.floats(0, 1000)
_prices = st.one_of(
    st.integers(1, 2000).map(lambda cents: cents / 100),
    st.floats(0.01, 20.0, allow_nan=False, allow_infinity=False),
)
#: Floors: mostly none or round, sometimes with the many decimals a converted floor has.
_floors = st.one_of(
    st.just(0.0),
    st.integers(1, 1000).map(lambda cents: cents / 100),
    st.floats(0.0, 10.0, allow_nan=False, allow_infinity=False),
)


@cache
def _subset(pool: tuple[Any, ...], max_size: int = 3) -> st.SearchStrategy[list[Any]]:
    """1 to ``max_size`` distinct values of ``pool``."""
    return st.lists(st.sampled_from(pool), min_size=1, max_size=max_size, unique=True)


@cache
def _chance(k: int, n: int) -> st.SearchStrategy[bool]:
    """True ``k`` times in ``n``. (``sampled_from`` draws evenly; ``integers(0, n)`` leans to
    0, and repeating a ``one_of`` branch does not make it likelier.)"""
    return st.sampled_from((True,) * k + (False,) * (n - k))


@st.composite
def _sometimes(draw: st.DrawFn, strategy: st.SearchStrategy[Any], odds: int, empty: Any) -> Any:
    """A value of ``strategy`` once in ``odds + 1`` draws; else ``None`` (``empty=None``) or an
    empty list (``empty=()``)."""
    if draw(_chance(1, odds + 1)):
        return draw(strategy)
    return None if empty is None else []


@cache
def _maybe_subset(
    pool: tuple[Any, ...], max_size: int = 3, nones: int = 1
) -> st.SearchStrategy[Any]:
    """None (``nones`` times as likely as not), or 1 to ``max_size`` distinct values of ``pool``."""
    return _sometimes(_subset(pool, max_size), nones, None)


@cache
def _empty_or_subset(
    pool: tuple[Any, ...], max_size: int = 3, empties: int = 1
) -> st.SearchStrategy[list[Any]]:
    """An empty list (``empties`` times as likely as not), or :func:`_subset`."""
    return _sometimes(_subset(pool, max_size), empties, ())


@cache
def _maybe_one(pool: tuple[Any, ...]) -> st.SearchStrategy[Any]:
    return st.none() | st.sampled_from(pool)


@st.composite
def _filter_lists(draw: st.DrawFn, pool: tuple[Any, ...]) -> tuple[list[Any], list[Any]]:
    """Disjoint include and exclude lists, not both empty."""
    values = draw(_subset(pool, 3))
    at = draw(st.integers(0, len(values)))
    return values[:at], values[at:]


#: Each targeting filter and the pool its values come from.
_FILTER_POOLS: dict[str, tuple[Any, ...]] = {
    "country": POOL_COUNTRIES,
    "region": POOL_REGIONS,
    "metro": POOL_METROS,
    "devicetype": POOL_DEVICETYPES,
    "os": POOL_OS,
    "connectiontype": POOL_CONNECTIONTYPES,
    "site_domain": POOL_DOMAINS,
    "app_bundle": POOL_BUNDLES,
    "publisher": POOL_PUBLISHERS,
    "content_cat": POOL_CATS,
    "segment": POOL_SEGMENTS,
}
_INT_FILTERS = frozenset({"devicetype", "connectiontype"})


def _as_filter(name: str, lists: tuple[list[Any], list[Any]]) -> StrFilter | IntFilter:
    cls = IntFilter if name in _INT_FILTERS else StrFilter
    return cls(include=lists[0], exclude=lists[1])


_FILTERS: dict[str, st.SearchStrategy[Any]] = {
    name: _filter_lists(pool).map(partial(_as_filter, name)) for name, pool in _FILTER_POOLS.items()
}
#: Which filters a campaign uses: most use none to two.
_USED_FILTERS = _empty_or_subset(tuple(_FILTER_POOLS), 2)
_HOURS = _sometimes(st.sampled_from(POOL_HOURS), 7, ())


@st.composite
def _targetings(draw: st.DrawFn) -> Targeting:
    filters: dict[str, Any] = {name: draw(_FILTERS[name]) for name in draw(_USED_FILTERS)}
    deals: list[str] = draw(_empty_or_subset(POOL_DEALS, 2, empties=2))
    return Targeting(
        **filters,
        deals=deals,
        open_auction=not deals or draw(st.booleans()),
        hours_of_week=draw(_HOURS),
        traffic=draw(st.sampled_from(_TRAFFIC)),
    )


_TARGETINGS = _targetings()

_NATIVE_CREATIVES = st.builds(
    NativeCreative,
    title=st.sampled_from(("Buy now", "A rather long title for a native ad", "Hi")),
    image_url=st.none() | st.just("https://cdn.example/main.png"),
    image_w=_maybe_one((300, 627, 1200)),
    image_h=_maybe_one((250, 627)),
    icon_url=st.none() | st.just("https://cdn.example/icon.png"),
    description=st.none() | st.just("The best thing you will buy this year."),
    sponsored=st.none() | st.just("Brand"),
    cta=st.none() | st.just("Shop"),
    click_url=st.just("https://click.example/n"),
)


@st.composite
def _creatives(draw: st.DrawFn) -> Creative:
    """A creative with the placeholder id ``CRID`` (also in its markup)."""
    kind = draw(st.sampled_from(_CREATIVE_TYPES))
    common: dict[str, Any] = {
        "id": "CRID",
        "attr": draw(_empty_or_subset(POOL_ATTRS, 2)),
        "api": draw(_empty_or_subset(POOL_APIS, 2)),
        "serve_on_win": draw(st.booleans()),
    }
    if kind == "banner":
        w, h = draw(st.sampled_from((POOL_SIZES[0], *POOL_SIZES)))
        img = f'<img src="https://cdn.example/{w}x{h}.png" width="{w}" height="{h}">'
        markup = f'<a href="https://click.example/CRID">{img}</a>'
        return Creative(type=kind, w=w, h=h, markup=markup, **common)
    if kind in ("video", "audio"):
        mimes = POOL_VIDEO_MIMES if kind == "video" else POOL_AUDIO_MIMES
        size = (1920, 1080) if kind == "video" and draw(st.booleans()) else (None, None)
        return Creative(
            type=kind,
            w=size[0],
            h=size[1],
            mimes=draw(_subset(mimes, 2)),
            duration=draw(st.sampled_from(POOL_DURATIONS)),
            protocols=draw(_empty_or_subset(POOL_PROTOCOLS)),
            markup='<VAST version="4.0"><Ad id="CRID"/></VAST>',
            **common,
        )
    return Creative(type=kind, native=draw(_NATIVE_CREATIVES), **common)


_CREATIVES = _creatives()


def _with_id(creative: Creative, crid: str) -> Creative:
    return msgspec.structs.replace(creative, id=crid, markup=creative.markup.replace("CRID", crid))


@st.composite
def _campaigns(draw: st.DrawFn) -> Campaign:
    """A campaign with the placeholder id ``CID``."""
    creatives = draw(st.lists(_CREATIVES, min_size=1, max_size=3))
    return Campaign(
        id="CID",
        seat=draw(st.sampled_from(POOL_SEATS)),
        adomain=draw(_subset(POOL_ADOMAINS, 2)),
        cat=draw(_empty_or_subset(POOL_CATS, 2)),
        cattax=draw(st.sampled_from((1, 1, 1, 2))),
        bundle=draw(_maybe_one(POOL_BUNDLES)),
        price=draw(_prices),
        currency=draw(_maybe_one(("USD", "EUR", "GBP"))),
        creatives=[_with_id(c, f"cr{j}") for j, c in enumerate(creatives)],
        targeting=draw(_TARGETINGS),
        daily_budget=draw(_BUDGETS),
        active=draw(st.sampled_from((True, True, True, True, False))),
    )


_CAMPAIGNS = _campaigns()
_FX_EUR = st.sampled_from((1.08, 1.1, 0.95)) | st.floats(0.5, 2.0)
_FX_GBP = st.sampled_from((1.27, 1.3)) | st.floats(0.5, 2.0)


@st.composite
def _campaign_files(draw: st.DrawFn, min_campaigns: int, max_campaigns: int) -> CampaignFile:
    ids = draw(
        st.lists(
            st.sampled_from(POOL_CAMPAIGN_IDS),
            min_size=min_campaigns,
            max_size=max_campaigns,
            unique=True,
        )
    )
    campaigns = [msgspec.structs.replace(draw(_CAMPAIGNS), id=cid) for cid in ids]
    return CampaignFile(
        currency="USD", fx={"EUR": draw(_FX_EUR), "GBP": draw(_FX_GBP)}, campaigns=campaigns
    )


@cache
def campaign_files(
    *, min_campaigns: int = 1, max_campaigns: int = 8
) -> st.SearchStrategy[CampaignFile]:
    """Valid campaign files (nothing for :func:`bidder.campaigns.semantic_problems` to report):
    currency USD, fx rates for EUR and GBP, 1-8 campaigns (unique ids) with random targeting,
    banner/video/audio/native creatives and prices, priced in USD, EUR or GBP; every value
    drawn from the pools :func:`sensible_bid_requests` uses."""
    return _campaign_files(min_campaigns, max_campaigns)


@st.composite
def _native_requests(draw: st.DrawFn) -> NativeRequest:
    kinds = draw(
        st.lists(st.sampled_from(("title", "img", "icon", "data")), min_size=1, max_size=4)
    )
    assets = []
    for i, kind in enumerate(kinds, start=1):
        required = draw(st.integers(0, 1))
        if kind == "title":
            title = NativeTitle(len=draw(st.sampled_from((10, 25, 90))))
            assets.append(NativeAsset(id=i, required=required, title=title))
        elif kind in ("img", "icon"):
            wmin = draw(_maybe_one((100, 600)))
            img = NativeImage(type=1 if kind == "icon" else 3, wmin=wmin)
            assets.append(NativeAsset(id=i, required=required, img=img))
        else:
            data = NativeData(type=draw(st.sampled_from((1, 2, 12))), len=draw(_maybe_one((20,))))
            assets.append(NativeAsset(id=i, required=required, data=data))
    return NativeRequest(ver="1.2", assets=assets)


_NATIVE_REQUESTS = _native_requests()


def native_requests() -> st.SearchStrategy[NativeRequest]:
    """Native 1.2 requests: a title, main images, icons, data assets (some required)."""
    return _NATIVE_REQUESTS


@st.composite
def _timed(draw: st.DrawFn, mimes: tuple[str, ...]) -> dict[str, Any]:
    """The fields a video or audio object shares."""
    fields: dict[str, Any] = {"mimes": draw(_subset(mimes, 2))}
    if draw(_chance(1, 4)):
        fields["rqddurs"] = draw(_subset(POOL_DURATIONS))
    else:
        fields["minduration"] = draw(st.sampled_from((0, 5)))
        fields["maxduration"] = draw(_maybe_one((15, 30, 60)))
    fields["protocols"] = draw(_maybe_subset(POOL_PROTOCOLS))
    fields["battr"] = draw(_maybe_subset(POOL_ATTRS, 2))
    return fields


_VIDEOS = _timed(POOL_VIDEO_MIMES).map(lambda fields: {**fields, "w": 640, "h": 360})
_AUDIOS = _timed(POOL_AUDIO_MIMES)
#: The media an imp offers: mostly a banner alone.
_MEDIA = _sometimes(_subset(("banner", "video", "audio", "native"), 2), 2, None).map(
    lambda media: media or ["banner"]
)


@st.composite
def _deals(draw: st.DrawFn, deal_id: str) -> dict[str, Any]:
    return {
        "id": deal_id,
        "bidfloor": draw(_floors),
        "bidfloorcur": draw(st.sampled_from(("USD", "USD", "EUR"))),
        "at": draw(_maybe_one((1, 2, 3))),
        "wseat": draw(_maybe_subset(POOL_SEATS, 2, nones=2)),
    }


_DEALS = {deal_id: _deals(deal_id) for deal_id in (*POOL_DEALS, "deal-unknown")}


@st.composite
def _imps(draw: st.DrawFn) -> dict[str, Any]:
    """An imp (as builtins) with the placeholder id ``IMPID``."""
    media = draw(_MEDIA)
    imp: dict[str, Any] = {"id": "IMPID"}
    if "banner" in media:
        sizes = draw(_subset(POOL_SIZES))
        banner: dict[str, Any] = {"format": [{"w": w, "h": h} for w, h in sizes]}
        if draw(st.booleans()):
            banner["w"], banner["h"] = sizes[0]
        banner["battr"] = draw(_maybe_subset(POOL_ATTRS, 2, nones=2))
        banner["api"] = draw(_maybe_subset(POOL_APIS, 2))
        imp["banner"] = banner
    if "video" in media:
        imp["video"] = draw(_VIDEOS)
    if "audio" in media:
        imp["audio"] = draw(_AUDIOS)
    if "native" in media:
        imp["native"] = {
            "request": native_request_json(draw(_NATIVE_REQUESTS)),
            "ver": "1.2",
            "battr": draw(_maybe_subset(POOL_ATTRS, 2)),
        }
    imp["bidfloor"] = draw(_floors)
    imp["bidfloorcur"] = draw(st.sampled_from(("USD", "USD", "EUR")))
    if draw(_chance(1, 3)):
        deal_ids = draw(_subset((*POOL_DEALS, "deal-unknown")))
        imp["pmp"] = {
            "private_auction": draw(st.integers(0, 1)),
            "deals": [draw(_DEALS[deal_id]) for deal_id in deal_ids],
        }
    return imp


_IMPS = _imps()


def _without_nones(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nones(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nones(v) for v in value]
    return value


#: ``cur``: mostly absent (USD implied); JPY has no fx rate in the campaign files.
_CURRENCIES = _sometimes(
    st.sampled_from((("USD",), ("EUR",), ("USD", "EUR"), ("GBP",), ("JPY",))).map(list), 3, None
)
#: The request's block and allow lists, each with its pool and longest length.
_BLOCK_POOLS: dict[str, tuple[tuple[str, ...], int]] = {
    "bcat": (POOL_CATS, 2),
    "badv": (POOL_ADOMAINS, 2),
    "bapp": (POOL_BUNDLES, 1),
    "bseat": (POOL_SEATS, 1),
    "wseat": (POOL_SEATS, 2),
}
#: Which of them a request has: most have none.
_USED_BLOCKS = _empty_or_subset(tuple(_BLOCK_POOLS), 2, empties=3)


@st.composite
def _sensible_bid_requests(draw: st.DrawFn) -> BidRequest:
    imp_ids = draw(_subset(POOL_IMP_IDS))
    geo = {
        "country": draw(st.sampled_from(POOL_COUNTRIES)),
        "region": draw(_maybe_one(POOL_REGIONS)),
        "metro": draw(_maybe_one(POOL_METROS)),
    }
    device = {
        "devicetype": draw(_maybe_one(POOL_DEVICETYPES)),
        "os": draw(_maybe_one(POOL_OS)),
        "connectiontype": draw(_maybe_one(POOL_CONNECTIONTYPES)),
        "ua": "Mozilla/5.0",
    }
    where = draw(st.sampled_from(("device", "device", "device", "user", "none")))
    if where == "device":
        device["geo"] = geo
    channel: dict[str, Any] = {
        "cat": draw(_maybe_subset(POOL_CATS)),
        "pagecat": draw(_maybe_subset(POOL_CATS, 1)),
        "publisher": {"id": draw(st.sampled_from(POOL_PUBLISHERS))},
    }
    if draw(st.booleans()):
        channel["content"] = {"cat": draw(_subset(POOL_CATS, 2))}
    if draw(_chance(2, 3)):
        domain = draw(st.sampled_from(POOL_DOMAINS))
        prefix = draw(st.sampled_from(("", "www.")))
        channel |= {"domain": prefix + domain, "page": f"https://{prefix}{domain}/a"}
        site, app = channel, None
    else:
        channel |= {
            "bundle": draw(st.sampled_from(POOL_BUNDLES)),
            "domain": draw(_maybe_one(POOL_DOMAINS)),
        }
        site, app = None, channel
    user: dict[str, Any] | None = None
    if where == "user" or draw(st.booleans()):
        segments = draw(_maybe_subset(POOL_SEGMENTS, 3))
        user = {
            "id": "u1",
            "geo": geo if where == "user" else None,
            "data": [{"id": "dmp", "segment": [{"id": s} for s in segments]}] if segments else None,
        }
    request = {
        "id": draw(st.sampled_from(("r1", "req-2", "3f2a"))),
        "imp": [{**draw(_IMPS), "id": imp_id} for imp_id in imp_ids],
        "site": site,
        "app": app,
        "device": device if draw(_chance(5, 6)) else None,
        "user": user,
        "test": draw(st.sampled_from((0, 0, 0, 0, 0, 0, 0, 1))),
        "at": draw(st.sampled_from((1, 2))),
        "tmax": draw(_maybe_one((100, 120, 300, 1000))),
        "cur": draw(_CURRENCIES),
        **{name: draw(_subset(*_BLOCK_POOLS[name])) for name in draw(_USED_BLOCKS)},
        "cattax": draw(st.sampled_from((1, 1, 1, 2))),
    }
    return msgspec.convert(_without_nones(request), BidRequest)


_SENSIBLE_BID_REQUESTS = _sensible_bid_requests()


def sensible_bid_requests() -> st.SearchStrategy[BidRequest]:
    """Valid BidRequests (no ``ext``, nothing JSON-only) with a realistic chance to match
    :func:`campaign_files`: 1-3 imps of banner (sizes from a small pool), video, audio or native
    (a Native 1.2 request string), floors in USD or EUR, maybe deals with the campaigns' deal
    ids; a site or an app; device and geo; maybe user segments, bcat/badv/bapp/bseat/wseat and
    cur; at 1 or 2; test 0 or 1."""
    return _SENSIBLE_BID_REQUESTS


__all__ = [
    "bid_requests",
    "bid_responses",
    "campaign_files",
    "ext_objects",
    "json_values",
    "native_requests",
    "objects",
    "sensible_bid_requests",
]
