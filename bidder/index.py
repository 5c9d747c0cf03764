"""The campaign index: an immutable snapshot that finds eligible campaigns by set intersection.

Every campaign gets one position; campaigns are numbered by price, highest first, so the lowest
position of any candidate set is the best-paying candidate. Each targeting attribute keeps, per
value, the set of campaigns that accept it (include it, or do not restrict the attribute, and do
not exclude it), as RTBkit's filters do. The sets are two-level bitsets (:mod:`bidder.bitset`):
matching a request builds a query of a few dict lookups per attribute, and walking it evaluates
one chunk of campaigns at a time, best-paying first, stopping at the first that fits. So the cost
follows the request's attributes, not the number of campaigns.

A snapshot is never changed after it is built (but for a memo of price prefixes, filled by
single dict assignments): a reload builds a new one and swaps one
reference (see :class:`IndexHolder`), so readers never lock and never see a half-built index.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from openrtb.model import Audio, Video

from .bitset import CHUNK_BITS, EMPTY, AllOf, Bits, Node, Prefix, Without, any_of, positions
from .campaigns import Campaign, CampaignFile, Creative, IntFilter, StrFilter
from .flat import FlatIndex, durations_for
from .state import Budget, budget_for
from .templates import BidTemplate, templates_for

HOURS_PER_WEEK = 168


class _Filter:
    """Per value, the campaigns that accept it, for one targeting attribute."""

    __slots__ = ("include", "exclude", "unrestricted", "accept", "used", "_build")

    def __init__(self) -> None:
        self.include: dict[object, Bits] = {}
        self.exclude: dict[object, Bits] = {}
        self.unrestricted: Bits = EMPTY
        self.accept: dict[object, Bits] = {}
        #: Whether any campaign restricts this attribute; when none does, matching is skipped.
        self.used = False
        # While building: positions per value (see _Positions for why not ints).
        self._build = (_Positions(), _Positions(), _Positions())

    def add(self, position: int, include: Iterable[object], exclude: Iterable[object]) -> None:
        inc, exc, unrestricted = self._build
        any_include = False
        for value in include:
            inc.add(value, position)
            any_include = True
        if not any_include:
            unrestricted.add(None, position)
        for value in exclude:
            exc.add(value, position)

    def freeze(self, size: int, chunk_bits: int) -> None:
        inc, exc, unrestricted = self._build
        include = inc.to_ints(size)
        exclude = exc.to_ints(size)
        free = unrestricted.to_ints(size).get(None, 0)
        # For a single value the answer is precomputed: one dict lookup per request.
        accept = {
            value: (free | include.get(value, 0)) & ~exclude.get(value, 0)
            for value in include.keys() | exclude.keys()
        }
        self.accept = {k: Bits.from_int(v, chunk_bits) for k, v in accept.items()}
        self.include = {k: Bits.from_int(v, chunk_bits) for k, v in include.items()}
        self.exclude = {k: Bits.from_int(v, chunk_bits) for k, v in exclude.items()}
        self.unrestricted = Bits.from_int(free, chunk_bits)
        self.used = bool(include or exclude)
        self._build = (_Positions(), _Positions(), _Positions())

    def match(self, value: object) -> Bits:
        """Campaigns that accept a request with this single value (None: attribute absent)."""
        if value is None:
            return self.unrestricted
        return self.accept.get(value, self.unrestricted)

    def match_any(self, values: Iterable[object]) -> Node:
        """Campaigns that accept a request with these values (include: any of them)."""
        included: list[Node] = [self.unrestricted]
        excluded: list[Node] = []
        include, exclude = self.include, self.exclude
        for value in values:
            found = include.get(value)
            if found is not None:
                included.append(found)
            found = exclude.get(value)
            if found is not None:
                excluded.append(found)
        union = any_of(included)
        if not excluded:
            return union
        return Without(union, excluded)


class _Positions:
    """Campaign positions per key, turned into bitsets once at the end of a build.

    Setting bits one by one on Python ints (``bits |= 1 << i``) copies the whole int each
    time: quadratic in the number of campaigns (28 s for 100,000). Collecting positions and
    writing each bitset once through a bytearray is linear.
    """

    __slots__ = ("by_key",)

    def __init__(self) -> None:
        self.by_key: dict[Any, list[int]] = {}

    def add(self, key: Any, position: int) -> None:
        found = self.by_key.get(key)
        if found is None:
            self.by_key[key] = [position]
        else:
            found.append(position)

    def to_ints(self, size: int) -> dict[Any, int]:
        return {key: _flat(found, size) for key, found in self.by_key.items()}

    def to_bits(self, size: int, chunk_bits: int) -> dict[Any, Bits]:
        return {
            key: Bits.from_int(_flat(found, size), chunk_bits) for key, found in self.by_key.items()
        }


def _flat(found: Iterable[int], size: int) -> int:
    """The int with bit ``p`` set for each ``p`` in ``found`` (all < ``size``)."""
    buffer = bytearray((size + 7) // 8)
    for p in found:
        buffer[p >> 3] |= 1 << (p & 7)
    return int.from_bytes(buffer, "little")


def domain_and_parents(domain: str) -> list[str]:
    """``news.example.com`` -> ``["news.example.com", "example.com", "com"]`` (lower case)."""
    parts = domain.lower().rstrip(".").split(".")
    return [".".join(parts[i:]) for i in range(len(parts))]


def _lower(values: Iterable[str]) -> list[str]:
    return [v.lower() for v in values]


@dataclass(frozen=True, slots=True)
class Entry:
    """One campaign as indexed: the campaign, its bit position (0 = highest price), its price
    in the bidder's currency. (The position, not ``1 << position``: 100,000 such ints would
    take hundreds of megabytes.)"""

    campaign: Campaign
    position: int
    price: float
    banner_sizes: frozenset[tuple[int, int]]
    creatives_by_type: dict[str, tuple[Creative, ...]]
    creative_by_id: dict[str, Creative]
    budget: Budget
    #: Creative id -> what every bid of that creative repeats (see :mod:`bidder.templates`).
    templates: dict[str, BidTemplate]


class CampaignIndex:
    """An immutable snapshot of the campaigns, ready to match requests."""

    #: The string attributes and the int attributes of :class:`~bidder.campaigns.Targeting`.
    STR_ATTRS = ("country", "region", "metro", "os", "site_domain", "app_bundle", "publisher")
    INT_ATTRS = ("devicetype", "connectiontype")

    def __init__(
        self, campaigns: CampaignFile, *, chunk_bits: int = CHUNK_BITS, flat: bool = True
    ) -> None:
        #: Positions per chunk of the two-level bitsets (tests use tiny chunks).
        self.chunk_bits = chunk_bits
        self.currency = campaigns.currency
        self.fx = dict(campaigns.fx)
        active = [c for c in campaigns.campaigns if c.active]
        priced = sorted(((self.to_bidder_currency(c.price, c.currency), c) for c in active),
                        key=lambda pc: (-pc[0], pc[1].id))  # fmt: skip
        size = len(priced)
        self.size = size
        self.entries: list[Entry] = []
        self.all = Prefix(size, chunk_bits)
        self._prefixes: dict[int, Prefix] = {}
        #: Negated prices in position order (ascending), for the floor prefix masks.
        self.neg_prices = [-price for price, _ in priced]
        self.filters: dict[str, _Filter] = {
            name: _Filter()
            for name in (*self.STR_ATTRS, *self.INT_ATTRS, "content_cat", "segment", "audience")
        }
        sets = _Positions()
        deals, sizes, adomains, cats, seats, bundles, timed = (_Positions() for _ in range(7))
        self._building = (sets, deals, sizes, adomains, cats, seats, bundles, timed)
        for position, (price, campaign) in enumerate(priced):
            self._add(position, price, campaign)
        for f in self.filters.values():
            f.freeze(size, chunk_bits)
        #: The filters some campaign restricts: a request is matched on these only. Audiences
        #: aside: they come from a lookup, not from the request.
        self.used = tuple(name for name, f in self.filters.items() if f.used and name != "audience")
        audience = self.filters["audience"]
        #: The audience filter when a campaign targets audiences (then lookups are worth it).
        self.audience: _Filter | None = audience if audience.used else None
        named = sets.to_bits(size, chunk_bits)
        self.live: Bits = named.get("live", EMPTY)
        self.test: Bits = named.get("test", EMPTY)
        self.open_auction: Bits = named.get("open", EMPTY)
        self.hours: list[Bits] = [named.get(("hour", h), EMPTY) for h in range(HOURS_PER_WEEK)]
        self.media: dict[str, Bits] = {
            kind: named.get(("media", kind), EMPTY)
            for kind in ("banner", "video", "audio", "native")
        }
        self.deals: dict[str, Bits] = deals.to_bits(size, chunk_bits)
        self.banner_sizes: dict[tuple[int, int], Bits] = sizes.to_bits(size, chunk_bits)
        self.adomains: dict[str, Bits] = adomains.to_bits(size, chunk_bits)
        self.cats: dict[tuple[int, str], Bits] = cats.to_bits(size, chunk_bits)
        self.seats: dict[str, Bits] = seats.to_bits(size, chunk_bits)
        self.bundles: dict[str, Bits] = bundles.to_bits(size, chunk_bits)
        #: (kind, "mime"|"dur"|"proto", value) -> campaigns with a video/audio creative of it.
        self.timed: dict[tuple[str, str, object], Bits] = timed.to_bits(size, chunk_bits)
        #: The distinct creative durations per kind (a handful: 6, 15, 30 s...).
        self.durations: dict[str, tuple[int, ...]] = {
            kind: tuple(sorted({k[2] for k in self.timed if k[0] == kind and k[1] == "dur"}))  # type: ignore[misc]
            for kind in ("video", "audio")
        }
        del self._building
        #: Campaign id -> its entry (the notice endpoint finds the campaign of a bid by it).
        self.by_id: dict[str, Entry] = {e.campaign.id: e for e in self.entries}
        #: The same sets as flat ints when every campaign sits in the first chunk (what the
        #: pipeline then matches with); ``flat=False`` keeps the chunked sets only (tests).
        self.flat = FlatIndex(self) if flat and size <= chunk_bits else None

    def timed_candidates(self, kind: str, media: Video | Audio) -> Node:
        """Campaigns with a ``kind`` creative whose MIME type, duration and protocol the
        impression could accept (each checked on its own; the fit check pairs them up)."""
        terms: list[Node] = [self.media[kind]]
        timed = self.timed
        if media.mimes:
            terms.append(self.union(timed, ((kind, "mime", m) for m in media.mimes)))
        durations = durations_for(self.durations, kind, media)
        terms.append(self.union(timed, ((kind, "dur", d) for d in durations)))
        if media.protocols:
            terms.append(self.union(timed, ((kind, "proto", p) for p in media.protocols)))
        return AllOf(terms)

    def at_least(self, floor: float) -> Prefix:
        """Campaigns whose price (bidder currency) is >= ``floor``: a prefix of the positions."""
        if floor <= 0:
            return self.all
        count = bisect_right(self.neg_prices, -floor)
        found = self._prefixes.get(count)
        if found is None:
            # At most one per campaign price: bounded by the size of the index.
            found = self._prefixes[count] = Prefix(count, self.chunk_bits)
        return found

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

    def _add(self, position: int, price: float, c: Campaign) -> None:
        sets, deals, sizes_, adomains, cats, seats, bundles, timed = self._building
        t = c.targeting
        for name in self.STR_ATTRS:
            f: StrFilter = getattr(t, name)
            self.filters[name].add(position, _lower(f.include), _lower(f.exclude))
        for name in self.INT_ATTRS:
            g: IntFilter = getattr(t, name)
            self.filters[name].add(position, g.include, g.exclude)
        self.filters["content_cat"].add(position, t.content_cat.include, t.content_cat.exclude)
        self.filters["segment"].add(position, t.segment.include, t.segment.exclude)
        self.filters["audience"].add(position, t.audiences.include, t.audiences.exclude)
        if t.traffic in ("live", "both"):
            sets.add("live", position)
        if t.traffic in ("test", "both"):
            sets.add("test", position)
        for hour in t.hours_of_week or range(HOURS_PER_WEEK):
            sets.add(("hour", hour), position)
        if t.open_auction:
            sets.add("open", position)
        for deal in t.deals:
            deals.add(deal, position)
        sizes = set()
        by_type: dict[str, list[Creative]] = {}
        for creative in c.creatives:
            by_type.setdefault(creative.type, []).append(creative)
            sets.add(("media", creative.type), position)
            if creative.type in ("video", "audio"):
                # Video and audio are also indexed by MIME type, duration and protocol, so
                # that candidates whose creatives cannot play here are never walked.
                kind = creative.type
                for mime in creative.mimes:
                    timed.add((kind, "mime", mime), position)
                if creative.duration is not None:
                    timed.add((kind, "dur", creative.duration), position)
                for protocol in creative.protocols:
                    timed.add((kind, "proto", protocol), position)
            if creative.type == "banner" and creative.w and creative.h:
                sizes.add((creative.w, creative.h))
        for size in sizes:
            sizes_.add(size, position)
        for domain in c.adomain:
            # Indexed under every parent domain too, so that blocking "brand.example" in badv
            # finds "shop.brand.example" with one lookup per badv entry.
            for parent in set(domain_and_parents(domain)):
                adomains.add(parent, position)
        for cat in set(c.cat):
            cats.add((c.cattax, cat), position)
        seats.add(c.seat, position)
        if c.bundle:
            bundles.add(c.bundle.lower(), position)
        self.entries.append(
            Entry(
                c,
                position,
                price,
                frozenset(sizes),
                {k: tuple(v) for k, v in by_type.items()},
                {cr.id: cr for cr in c.creatives},
                budget_for(c),
                templates_for(c),
            )
        )

    def __len__(self) -> int:
        return len(self.entries)

    # -- lookups used by the pipeline ----------------------------------------------------------

    @staticmethod
    def union(table: dict[Any, Bits], keys: Iterable[Any]) -> Node:
        """The union of the sets of ``keys`` in ``table`` (missing keys count as empty)."""
        get = table.get
        return any_of([found for found in map(get, keys) if found is not None])

    def blocked_by_domains(self, badv: Iterable[str]) -> Node:
        """Campaigns whose advertiser domain is blocked (a blocked domain or a subdomain of one)."""
        return self.union(self.adomains, (blocked.lower().rstrip(".") for blocked in badv))

    def blocked_by_cats(self, cattax: int, bcat: Iterable[str]) -> Node:
        """Campaigns with a category in ``bcat`` (compared in the request's taxonomy)."""
        return self.union(self.cats, ((cattax, cat) for cat in bcat))

    def walk(self, candidates: Node) -> Iterator[Entry]:
        """The campaigns in ``candidates``, best price first, one chunk evaluated at a time."""
        return map(self.entries.__getitem__, positions(candidates, self.chunk_bits))


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
