"""Campaigns as data: the Structs a campaign file decodes into, and the loader that checks them.

A campaign file is TOML (or JSON with the same shape)::

    currency = "USD"                       # the bidder's currency; bids are made in it
    [fx]                                   # static FX: units of `currency` per 1 unit of X
    EUR = 1.08

    [[campaigns]]
    id = "c-sports"
    seat = "seat-1"
    adomain = ["sportsbrand.example"]
    cat = ["IAB17"]                        # in taxonomy `cattax` (default 1: IAB Content 1.0)
    price = 2.50                           # CPM, in `currency` (or the campaign's `currency`)
    [campaigns.targeting.country]
    include = ["USA", "CAN"]
    [[campaigns.creatives]]
    id = "cr-300x250"
    type = "banner"
    w = 300
    h = 250
    markup = '<a href="https://x.example/c"><img src="https://x.example/i.png"></a>'

Targeting is a set of filters; each has ``include`` (match only these; empty: anything) and
``exclude`` (never these) lists. :func:`check` reports every problem of a file with its location
(``campaigns[2].creatives[0].w: ...``); :func:`load` raises :class:`CampaignError` holding them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import msgspec

from openrtb.type_check import all_mismatches

from .iso_codes import ALPHA_2, COUNTRIES, CURRENCIES

MediaType = Literal["banner", "video", "audio", "native"]
Traffic = Literal["live", "test", "both"]
Pacing = Literal["even", "asap"]


class StrFilter(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Include and exclude lists of strings (matched case-insensitively where the spec's values
    are case-insensitive: domains, bundles, countries, regions)."""

    include: list[str] = []
    exclude: list[str] = []


class IntFilter(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Include and exclude lists of integers (OpenRTB enumerations)."""

    include: list[int] = []
    exclude: list[int] = []


class Targeting(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Who and where a campaign bids on. Every filter left empty matches everything."""

    #: ``device.geo.country`` (ISO-3166-1 alpha-3), ``region``, ``metro`` (or ``user.geo``).
    country: StrFilter = StrFilter()
    region: StrFilter = StrFilter()
    metro: StrFilter = StrFilter()
    #: ``device.devicetype`` (list 5.21), ``device.os``, ``device.connectiontype`` (list 5.22).
    devicetype: IntFilter = IntFilter()
    os: StrFilter = StrFilter()
    connectiontype: IntFilter = IntFilter()
    #: ``site.domain``, ``app.bundle``, ``(site|app|dooh).publisher.id``.
    site_domain: StrFilter = StrFilter()
    app_bundle: StrFilter = StrFilter()
    publisher: StrFilter = StrFilter()
    #: Content categories of the site/app/dooh and of its content (cat, sectioncat, pagecat).
    content_cat: StrFilter = StrFilter()
    #: ``user.data[].segment[].id``: include means "has at least one of".
    segment: StrFilter = StrFilter()
    #: First-party audiences of the user (looked up in Redis by user id, see
    #: :mod:`bidder.audiences`): include means "in at least one of". Without audience data
    #: (an unknown user, a lookup that timed out) the user is in none.
    audiences: StrFilter = StrFilter()
    #: Deal ids this campaign bids on (``imp.pmp.deals[].id``), and whether it also bids in the
    #: open auction (never on an imp whose ``pmp.private_auction`` is 1).
    deals: list[str] = []
    open_auction: bool = True
    #: Hours of the week it bids in, 0 = Monday 00:00-01:00 UTC ... 167; empty: always.
    hours_of_week: list[int] = []
    #: Live traffic only (``test`` = 0), test traffic only, or both.
    traffic: Traffic = "live"


class NativeCreative(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """The assets a native creative can fill."""

    title: str
    image_url: str | None = None
    image_w: int | None = None
    image_h: int | None = None
    icon_url: str | None = None
    description: str | None = None
    sponsored: str | None = None
    cta: str | None = None
    click_url: str


class Creative(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """One ad. ``markup`` may hold OpenRTB macros (``${AUCTION_PRICE}``...) for the exchange."""

    id: str
    type: MediaType
    #: Banner size, or the video's frame size.
    w: int | None = None
    h: int | None = None
    #: Video/audio: MIME types it comes in, duration in seconds, protocols (list 5.15) it serves.
    mimes: list[str] = []
    duration: int | None = None
    protocols: list[int] = []
    #: Creative attributes (list 5.3), checked against ``battr``.
    attr: list[int] = []
    #: API frameworks (list 5.6) it needs, e.g. 7 = OMID-1.
    api: list[int] = []
    markup: str = ""
    native: NativeCreative | None = None
    #: Serve the markup on the win notice (nurl) instead of in ``adm``.
    serve_on_win: bool = False


class FrequencyCap(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """At most ``count`` impressions (won bids) per user per ``window`` seconds."""

    count: int
    window: int = 3600


class Campaign(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """A line item: who pays, what it shows, where, and at what price."""

    id: str
    seat: str
    adomain: list[str]
    #: Advertiser categories, in taxonomy ``cattax`` (list 7.5; 1 = IAB Content Category 1.0).
    cat: list[str] = []
    cattax: int = 1
    #: The advertised app's bundle, if any (checked against ``bapp``).
    bundle: str | None = None
    #: Bid price, CPM, in ``currency`` (default: the file's currency).
    price: float
    currency: str | None = None
    creatives: list[Creative]
    targeting: Targeting = Targeting()
    #: Budgets in the file's currency, spent by billing notices (see :mod:`bidder.state`).
    daily_budget: float | None = None
    total_budget: float | None = None
    #: "even": spend follows the elapsed fraction of the (UTC) day; "asap": as fast as it can.
    pacing: Pacing = "even"
    frequency_cap: FrequencyCap | None = None
    active: bool = True


class CampaignFile(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """A whole campaign file."""

    currency: str = "USD"
    #: Static FX: units of ``currency`` per one unit of the key currency.
    fx: dict[str, float] = {}
    campaigns: list[Campaign] = []


class CampaignError(ValueError):
    """A campaign file with problems; ``problems`` lists each with its location."""

    def __init__(self, source: str, problems: list[str]) -> None:
        super().__init__(f"{source}: " + "; ".join(problems[:5]))
        self.source = source
        self.problems = problems


def _where(path: tuple[str | int, ...]) -> str:
    """A location in the file: ``campaigns[2].creatives[0].w`` ("(top)" for the whole)."""
    text = "".join(f"[{t}]" if isinstance(t, int) else f".{t}" for t in path).lstrip(".")
    return text or "(top)"


def _decode(data: bytes, source: str) -> CampaignFile:
    try:
        if source.endswith(".json") or data.lstrip()[:1] == b"{":
            raw = msgspec.json.decode(data)
        else:
            raw = msgspec.toml.decode(data)
    except msgspec.DecodeError as exc:
        raise CampaignError(source, [f"(file): not valid TOML/JSON: {exc}"]) from None
    if raw == {}:
        raise CampaignError(source, ["(file): empty: no campaigns, no settings"])
    try:
        return msgspec.convert(raw, CampaignFile)
    except msgspec.ValidationError:
        pass
    raise CampaignError(source, _every_problem(raw))


def _every_problem(raw: object) -> list[str]:
    """Every problem of a file that does not decode as a whole, in file order: each type
    problem (a walk of the whole document, :func:`openrtb.type_check.all_mismatches`), and
    the semantic problems of the parts that do decode (the file's own fields, each campaign
    without a type problem)."""
    by_campaign: dict[int, list[str]] = {}
    head: list[str] = []
    for m in all_mismatches(CampaignFile, raw, strict=True):
        problem = f"{_where(m.path)}: {m.reason}"
        if len(m.path) >= 2 and m.path[0] == "campaigns" and isinstance(m.path[1], int):
            by_campaign.setdefault(m.path[1], []).append(problem)
        else:
            head.append(problem)
    if not isinstance(raw, dict):
        return head
    problems = [p for p in head if not p.startswith("campaigns:")]
    currencies: set[str] | None = None
    try:
        own = msgspec.convert({k: v for k, v in raw.items() if k != "campaigns"}, CampaignFile)
    except msgspec.ValidationError:
        pass  # its type problems are in `head`
    else:
        problems += _file_problems(own)
        currencies = {own.currency, *own.fx}
    problems += [p for p in head if p.startswith("campaigns:")]
    items = raw.get("campaigns", [])
    seen: set[str] = set()
    for i, item in enumerate(items if isinstance(items, list) else ()):
        if i in by_campaign:
            problems += by_campaign[i]
            continue
        try:
            campaign = msgspec.convert(item, Campaign)
        except msgspec.ValidationError as exc:  # what the walk did not see: msgspec's words
            problems.append(f"campaigns[{i}]: {exc}")
            continue
        problems += _campaign_problems(i, campaign, seen, currencies)
    return problems


def _currency_problem(where: str, code: str) -> str | None:
    """What is wrong with a currency code (OpenRTB's ``cur`` is ISO 4217, upper case)."""
    if code in CURRENCIES:
        return None
    if code.upper() in CURRENCIES:
        return f"{where}: {code!r} is not an ISO 4217 code; write {code.upper()!r}"
    return f"{where}: {code!r} is not an ISO 4217 currency code"


def _country_problems(where: str, f: StrFilter) -> list[str]:
    """Country codes that OpenRTB never sends: it carries ISO-3166-1 alpha-3 ("USA")."""
    problems = []
    for name, values in (("include", f.include), ("exclude", f.exclude)):
        for j, value in enumerate(values):
            code = value.upper()
            if code in COUNTRIES:
                continue
            at = f"{where}.{name}[{j}]"
            if code in ALPHA_2:
                problems.append(f"{at}: {value!r} is ISO-3166-1 alpha-2; OpenRTB sends alpha-3: "
                                f"{ALPHA_2[code]!r}")  # fmt: skip
            else:
                problems.append(f"{at}: {value!r} is not an ISO-3166-1 alpha-3 country code")
    return problems


def semantic_problems(campaigns: CampaignFile) -> list[str]:
    """Everything wrong with a decoded file that its types cannot say, each with its location."""
    problems = _file_problems(campaigns)
    currencies = {campaigns.currency, *campaigns.fx}
    seen: set[str] = set()
    for i, c in enumerate(campaigns.campaigns):
        problems += _campaign_problems(i, c, seen, currencies)
    return problems


def _file_problems(campaigns: CampaignFile) -> list[str]:
    """The problems of the file's own fields (not its campaigns)."""
    problems = [_currency_problem("currency", campaigns.currency)]
    for name, rate in campaigns.fx.items():
        problems.append(_currency_problem(f"fx.{name}", name))
        if not rate > 0:
            problems.append(f"fx.{name}: rate must be > 0")
    return [p for p in problems if p is not None]


def _campaign_problems(
    i: int, c: Campaign, seen: set[str], currencies: set[str] | None
) -> list[str]:
    """The semantic problems of ``campaigns[i]``; ``seen`` collects campaign ids across calls,
    ``currencies`` is None when the file's currencies are unknown (not checked then)."""
    problems: list[str] = []
    at = f"campaigns[{i}]"
    if c.id in seen:
        problems.append(f"{at}.id: duplicate campaign id {c.id!r}")
    seen.add(c.id)
    if not c.price > 0:
        problems.append(f"{at}.price: must be > 0")
    if c.currency is not None:
        bad = _currency_problem(f"{at}.currency", c.currency)
        if bad is not None:
            problems.append(bad)
        elif currencies is not None and c.currency not in currencies:
            problems.append(f"{at}.currency: {c.currency!r} has no fx rate")
    if not c.adomain:
        problems.append(f"{at}.adomain: at least one advertiser domain is required")
    if not c.creatives:
        problems.append(f"{at}.creatives: at least one creative is required")
    for budget in ("daily_budget", "total_budget"):
        value = getattr(c, budget)
        if value is not None and value < 0:
            problems.append(f"{at}.{budget}: must be >= 0")
    cap = c.frequency_cap
    if cap is not None:
        if cap.count < 1:
            problems.append(f"{at}.frequency_cap.count: must be >= 1")
        if cap.window < 1:
            problems.append(f"{at}.frequency_cap.window: must be >= 1 second")
    t = c.targeting
    problems += _country_problems(f"{at}.targeting.country", t.country)
    for h, hour in enumerate(t.hours_of_week):
        if not 0 <= hour < 168:
            problems.append(f"{at}.targeting.hours_of_week[{h}]: {hour} is not in 0..167")
    if not t.open_auction and not t.deals:
        problems.append(f"{at}.targeting: open_auction = false needs deals")
    for name in Targeting.__struct_fields__:
        f = getattr(t, name)
        if isinstance(f, StrFilter | IntFilter):
            overlap = sorted(str(v) for v in set(f.include) & set(f.exclude))
            if overlap:
                problems.append(f"{at}.targeting.{name}: {overlap} both included and excluded")
    crids: set[str] = set()
    for j, cr in enumerate(c.creatives):
        cat = f"{at}.creatives[{j}]"
        if cr.id in crids:
            problems.append(f"{cat}.id: duplicate creative id {cr.id!r}")
        crids.add(cr.id)
        if cr.type == "banner" and not (cr.w and cr.h and cr.w > 0 and cr.h > 0):
            problems.append(f"{cat}: a banner needs w and h > 0")
        if cr.type in ("video", "audio"):
            if not cr.mimes:
                problems.append(f"{cat}.mimes: a {cr.type} creative needs its MIME types")
            if not cr.duration or cr.duration <= 0:
                problems.append(f"{cat}.duration: a {cr.type} creative needs a duration > 0")
        if cr.type == "native" and cr.native is None:
            problems.append(f"{cat}.native: a native creative needs its assets")
        if cr.type != "native" and not cr.markup:
            problems.append(f"{cat}.markup: empty")
    return problems


def check(data: bytes, source: str = "<campaigns>") -> list[str]:
    """Every problem of a campaign file, each as ``location: what``; empty when it is good."""
    try:
        campaigns = _decode(data, source)
    except CampaignError as exc:
        return exc.problems
    return semantic_problems(campaigns)


def parse(data: bytes, source: str = "<campaigns>") -> CampaignFile:
    """Decode and check a campaign file; raises :class:`CampaignError` listing every problem."""
    campaigns = _decode(data, source)
    problems = semantic_problems(campaigns)
    if problems:
        raise CampaignError(source, problems)
    return campaigns


def load(path: str | Path) -> CampaignFile:
    """Read, decode and check a campaign file."""
    return parse(Path(path).read_bytes(), str(path))


DEMO_PATH = Path(__file__).with_name("demo_campaigns.toml")


def load_demo() -> CampaignFile:
    """The demo campaigns shipped inside the package (what ``bidwire serve`` bids with when
    no campaign file is given)."""
    return load(DEMO_PATH)


__all__ = [
    "DEMO_PATH",
    "Campaign",
    "CampaignError",
    "CampaignFile",
    "Creative",
    "IntFilter",
    "MediaType",
    "NativeCreative",
    "StrFilter",
    "Targeting",
    "check",
    "load",
    "load_demo",
    "parse",
    "semantic_problems",
]
