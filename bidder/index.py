"""The campaign index: an immutable snapshot that finds eligible campaigns by set intersection.

Every campaign gets one bit; campaigns are numbered by price, highest first, so the lowest set
bit of any candidate set is the best-paying candidate. Each targeting attribute keeps, per value,
the int bitset of campaigns that include it, those that exclude it, and those that do not
restrict it (as RTBkit's filters do). Matching a request is a handful of dict lookups and big-int
ANDs/ORs per attribute, so its cost follows the request's attributes, not the number of
campaigns; walking the candidates stops at the first that fits.

A snapshot is never changed after it is built: a reload builds a new one and swaps one
reference (see :class:`IndexHolder`), so readers never lock and never see a half-built index.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .campaigns import Campaign, CampaignFile, Creative, IntFilter, StrFilter

HOURS_PER_WEEK = 168


class _Filter:
    """Include/exclude bitsets of one attribute."""

    __slots__ = ("include", "exclude", "unrestricted")

    def __init__(self) -> None:
        self.include: dict[object, int] = {}
        self.exclude: dict[object, int] = {}
        self.unrestricted = 0

    def add(self, bit: int, include: Iterable[object], exclude: Iterable[object]) -> None:
        any_include = False
        for value in include:
            self.include[value] = self.include.get(value, 0) | bit
            any_include = True
        if not any_include:
            self.unrestricted |= bit
        for value in exclude:
            self.exclude[value] = self.exclude.get(value, 0) | bit

    def match(self, value: object) -> int:
        """Campaigns that accept a request with this single value (None: attribute absent)."""
        if value is None:
            return self.unrestricted
        return (self.unrestricted | self.include.get(value, 0)) & ~self.exclude.get(value, 0)

    def match_any(self, values: Iterable[object]) -> int:
        """Campaigns that accept a request with these values (include: any of them)."""
        included = self.unrestricted
        excluded = 0
        include, exclude = self.include, self.exclude
        for value in values:
            included |= include.get(value, 0)
            excluded |= exclude.get(value, 0)
        return included & ~excluded


def domain_and_parents(domain: str) -> list[str]:
    """``news.example.com`` -> ``["news.example.com", "example.com", "com"]`` (lower case)."""
    parts = domain.lower().rstrip(".").split(".")
    return [".".join(parts[i:]) for i in range(len(parts))]


def _lower(values: Iterable[str]) -> list[str]:
    return [v.lower() for v in values]


@dataclass(frozen=True, slots=True)
class Entry:
    """One campaign as indexed: the campaign, its bit, its price in the bidder's currency."""

    campaign: Campaign
    bit: int
    price: float
    banner_sizes: frozenset[tuple[int, int]]
    creatives_by_type: dict[str, tuple[Creative, ...]]


class CampaignIndex:
    """An immutable snapshot of the campaigns, ready to match requests."""

    #: The string attributes and the int attributes of :class:`~bidder.campaigns.Targeting`.
    STR_ATTRS = ("country", "region", "metro", "os", "site_domain", "app_bundle", "publisher")
    INT_ATTRS = ("devicetype", "connectiontype")

    def __init__(self, campaigns: CampaignFile) -> None:
        self.currency = campaigns.currency
        self.fx = dict(campaigns.fx)
        active = [c for c in campaigns.campaigns if c.active]
        priced = sorted(((self.to_bidder_currency(c.price, c.currency), c) for c in active),
                        key=lambda pc: (-pc[0], pc[1].id))  # fmt: skip
        self.entries: list[Entry] = []
        self.all = (1 << len(priced)) - 1
        self.filters: dict[str, _Filter] = {
            name: _Filter() for name in (*self.STR_ATTRS, *self.INT_ATTRS, "content_cat", "segment")
        }
        self.live = 0
        self.test = 0
        self.hours = [0] * HOURS_PER_WEEK
        self.open_auction = 0
        self.deals: dict[str, int] = {}
        self.banner_sizes: dict[tuple[int, int], int] = {}
        self.media: dict[str, int] = {"banner": 0, "video": 0, "audio": 0, "native": 0}
        self.adomains: dict[str, int] = {}
        self.cats: dict[tuple[int, str], int] = {}
        self.seats: dict[str, int] = {}
        self.bundles: dict[str, int] = {}
        for position, (price, campaign) in enumerate(priced):
            self._add(1 << position, price, campaign)

    def to_bidder_currency(self, amount: float, currency: str | None) -> float:
        """``amount`` in ``currency`` converted to the bidder's currency (static FX table)."""
        if currency is None or currency == self.currency:
            return amount
        rate = self.fx.get(currency)
        if rate is None:
            raise KeyError(f"no fx rate for {currency}")
        return amount * rate

    def from_bidder_currency(self, amount: float, currency: str) -> float:
        """``amount`` in the bidder's currency converted to ``currency``."""
        if currency == self.currency:
            return amount
        return amount / self.fx[currency]

    def _add(self, bit: int, price: float, c: Campaign) -> None:
        t = c.targeting
        for name in self.STR_ATTRS:
            f: StrFilter = getattr(t, name)
            self.filters[name].add(bit, _lower(f.include), _lower(f.exclude))
        for name in self.INT_ATTRS:
            g: IntFilter = getattr(t, name)
            self.filters[name].add(bit, g.include, g.exclude)
        self.filters["content_cat"].add(bit, t.content_cat.include, t.content_cat.exclude)
        self.filters["segment"].add(bit, t.segment.include, t.segment.exclude)
        if t.traffic in ("live", "both"):
            self.live |= bit
        if t.traffic in ("test", "both"):
            self.test |= bit
        for hour in t.hours_of_week or range(HOURS_PER_WEEK):
            self.hours[hour] |= bit
        if t.open_auction:
            self.open_auction |= bit
        for deal in t.deals:
            self.deals[deal] = self.deals.get(deal, 0) | bit
        sizes = set()
        by_type: dict[str, list[Creative]] = {}
        for creative in c.creatives:
            by_type.setdefault(creative.type, []).append(creative)
            self.media[creative.type] |= bit
            if creative.type == "banner" and creative.w and creative.h:
                sizes.add((creative.w, creative.h))
                self.banner_sizes[(creative.w, creative.h)] = (
                    self.banner_sizes.get((creative.w, creative.h), 0) | bit
                )
        for domain in c.adomain:
            # Indexed under every parent domain too, so that blocking "brand.example" in badv
            # finds "shop.brand.example" with one lookup per badv entry.
            for parent in domain_and_parents(domain):
                self.adomains[parent] = self.adomains.get(parent, 0) | bit
        for cat in c.cat:
            key = (c.cattax, cat)
            self.cats[key] = self.cats.get(key, 0) | bit
        self.seats[c.seat] = self.seats.get(c.seat, 0) | bit
        if c.bundle:
            b = c.bundle.lower()
            self.bundles[b] = self.bundles.get(b, 0) | bit
        self.entries.append(
            Entry(c, bit, price, frozenset(sizes), {k: tuple(v) for k, v in by_type.items()})
        )

    def __len__(self) -> int:
        return len(self.entries)

    # -- lookups used by the pipeline ----------------------------------------------------------

    @staticmethod
    def union(table: dict[str, int], keys: Iterable[str]) -> int:
        """The OR of the bitsets of ``keys`` in ``table`` (missing keys count as empty)."""
        out = 0
        get = table.get
        for key in keys:
            out |= get(key, 0)
        return out

    def blocked_by_domains(self, badv: Iterable[str]) -> int:
        """Campaigns whose advertiser domain is blocked (a blocked domain or a subdomain of one)."""
        get = self.adomains.get
        out = 0
        for blocked in badv:
            out |= get(blocked.lower().rstrip("."), 0)
        return out

    def blocked_by_cats(self, cattax: int, bcat: Iterable[str]) -> int:
        """Campaigns with a category in ``bcat`` (compared in the request's taxonomy)."""
        get = self.cats.get
        out = 0
        for cat in bcat:
            out |= get((cattax, cat), 0)
        return out

    def walk(self, candidates: int) -> Iterator[Entry]:
        """The campaigns in ``candidates``, best price first."""
        entries = self.entries
        while candidates:
            low = candidates & -candidates
            yield entries[low.bit_length() - 1]
            candidates ^= low


class IndexHolder:
    """The current snapshot. Readers take ``holder.index``; a reload assigns a new one."""

    __slots__ = ("index", "generation")

    def __init__(self, index: CampaignIndex) -> None:
        self.index = index
        self.generation = 1

    def swap(self, index: CampaignIndex) -> None:
        """Publish a fully built snapshot (one reference assignment: atomic for readers)."""
        self.index = index
        self.generation += 1


__all__ = ["HOURS_PER_WEEK", "CampaignIndex", "Entry", "IndexHolder", "domain_and_parents"]
