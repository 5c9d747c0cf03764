"""The index of a campaign file that fits one chunk, as flat ints: the sets a request needs are
dict lookups, and their intersection is a chain of ``&`` on small ints.

The two-level bitsets of :mod:`bidder.bitset` pay for their laziness with a query object per
term and a method call per term and chunk: right for 100,000 campaigns, most of the matching
cost when every campaign sits in chunk 0 (1,024 campaigns and fewer with the default chunk
size: the usual campaign file). Then each set is its chunk-0 int, held here, and the pipeline
computes a request's candidates and an impression's in a few dozen bytecodes
(:meth:`bidder.pipeline.Pipeline.decide`). The sets are the same: the properties of
``tests/test_pipeline_properties.py`` check that both indexes make the same decisions.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from openrtb.model import Audio, Video

from .bitset import Bits

if TYPE_CHECKING:
    from .index import CampaignIndex, _Filter


def durations_for(
    durations: dict[str, tuple[int, ...]], kind: str, media: Video | Audio
) -> Iterable[int]:
    """The durations an impression accepts: its ``rqddurs``, else those of ``durations[kind]``
    (the creatives' distinct durations) within its minimum and maximum."""
    if media.rqddurs:
        return media.rqddurs
    high = media.maxduration
    return [d for d in durations[kind] if d >= media.minduration and (not high or d <= high)]


def _ints(table: dict[Any, Bits]) -> dict[Any, int]:
    return {key: bits.chunk(0) for key, bits in table.items()}


class FlatFilter:
    """One targeting attribute's sets (see :class:`bidder.index._Filter`) as ints."""

    __slots__ = ("accept", "include", "exclude", "free")

    def __init__(self, source: _Filter) -> None:
        self.accept = _ints(source.accept)
        self.include = _ints(source.include)
        self.exclude = _ints(source.exclude)
        #: The campaigns that do not restrict the attribute.
        self.free = source.unrestricted.chunk(0)

    def match(self, value: object) -> int:
        """Campaigns that accept a request with this single value (None: attribute absent)."""
        if value is None:
            return self.free
        return self.accept.get(value, self.free)

    def match_any(self, values: Iterable[object]) -> int:
        """Campaigns that accept a request with these values (include: any of them)."""
        bits, removed = self.free, 0
        include, exclude = self.include, self.exclude
        for value in values:
            bits |= include.get(value, 0)
            removed |= exclude.get(value, 0)
        return bits & ~removed


def flat_positions(bits: int) -> Iterator[int]:
    """The positions in ``bits``, lowest (best-paying) first."""
    while bits:
        low = bits & -bits
        yield low.bit_length() - 1
        bits ^= low


class FlatIndex:
    """Every set of a one-chunk :class:`~bidder.index.CampaignIndex`, as ints (bit ``p`` =
    the campaign at position ``p``), with the same names."""

    def __init__(self, index: CampaignIndex) -> None:
        #: The filters some campaign restricts (``index.used``), by name.
        self.used = [(name, FlatFilter(index.filters[name])) for name in index.used]
        #: The audience filter, when a campaign targets audiences.
        self.audience = FlatFilter(index.audience) if index.audience is not None else None
        self.live = index.live.chunk(0)
        self.test = index.test.chunk(0)
        self.open_auction = index.open_auction.chunk(0)
        self.hours = [bits.chunk(0) for bits in index.hours]
        self.media = _ints(index.media)
        self.deals = _ints(index.deals)
        self.banner_sizes = _ints(index.banner_sizes)
        self.adomains = _ints(index.adomains)
        self.cats = _ints(index.cats)
        self.seats = _ints(index.seats)
        self.bundles = _ints(index.bundles)
        self.timed = _ints(index.timed)
        self.durations = index.durations
        self.all = (1 << index.size) - 1
        self._neg_prices = index.neg_prices

    def at_least(self, floor: float) -> int:
        """Campaigns whose price (bidder currency) is >= ``floor``: the lowest positions."""
        if floor <= 0:
            return self.all
        return (1 << bisect_right(self._neg_prices, -floor)) - 1

    @staticmethod
    def union(table: dict[Any, int], keys: Iterable[Any]) -> int:
        """The union of the sets of ``keys`` in ``table`` (missing keys count as empty)."""
        bits = 0
        get = table.get
        for key in keys:
            bits |= get(key, 0)
        return bits

    def timed_candidates(self, kind: str, media: Video | Audio) -> int:
        """As :meth:`bidder.index.CampaignIndex.timed_candidates`."""
        timed, union = self.timed, self.union
        bits = self.media[kind]
        if media.mimes:
            bits &= union(timed, [(kind, "mime", m) for m in media.mimes])
        bits &= union(timed, [(kind, "dur", d) for d in durations_for(self.durations, kind, media)])
        if media.protocols:
            bits &= union(timed, [(kind, "proto", p) for p in media.protocols])
        return bits


__all__ = ["FlatFilter", "FlatIndex", "durations_for", "flat_positions"]
