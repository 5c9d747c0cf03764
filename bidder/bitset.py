"""Two-level bitsets over campaign positions, evaluated lazily one chunk at a time.

A flat Python int per attribute value makes every AND cost O(campaigns / 30) digits: at
100,000 campaigns a request's 30-60 set operations alone cost ~100 µs. Campaigns are numbered
by price (position 0 pays most) and a decision only needs the best campaign that fits, so the
sets are cut into chunks of ``chunk_bits`` positions and a *query* (an expression of ANDs, ORs
and AND-NOTs over those sets) is evaluated chunk by chunk, best-paying chunk first, stopping at
the first campaign that fits. Each set also keeps a *summary*: an int with bit ``c`` set when
chunk ``c`` is not empty, so whole chunks that some required set lacks are skipped without
looking at them (as roaring bitmaps skip absent containers). The summary of an expression
over-approximates (two sets may each have campaigns in chunk ``c`` but none in common); the
chunk evaluation is exact.

So a request costs its number of attributes times the chunks it visits, and a typical request
visits one: the cost follows the request, not the number of campaigns.

Every node is immutable except :class:`Memo`, which is per request.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

#: Positions per chunk. An AND of two 1,024-bit ints costs about what one of two small ints
#: does (35 digits), and 100,000 campaigns make a 98-bit summary.
CHUNK_BITS = 1024


class Node(Protocol):
    """Anything a query is made of: a summary of its possibly non-empty chunks, and the exact
    bits of one chunk (bit ``i`` = position ``chunk * chunk_bits + i``)."""

    @property
    def summary(self) -> int: ...

    def chunk(self, number: int) -> int: ...


class Bits:
    """An immutable set of positions stored by chunk (only the non-empty chunks)."""

    __slots__ = ("summary", "chunks")

    def __init__(self, chunks: dict[int, int]) -> None:
        self.chunks = {number: bits for number, bits in chunks.items() if bits}
        summary = 0
        for number in self.chunks:
            summary |= 1 << number
        self.summary = summary

    @classmethod
    def from_int(cls, value: int, chunk_bits: int = CHUNK_BITS) -> Bits:
        """The set of the bits of ``value`` (a non-negative int: bit ``p`` = position ``p``)."""
        if value < 0:
            raise ValueError("a set of positions is a non-negative int")
        step = chunk_bits // 8
        if chunk_bits % 8 or step == 0:
            raise ValueError("chunk_bits must be a positive multiple of 8")
        # One conversion to bytes and one int per chunk: linear, where shifting the whole int
        # once per chunk would be quadratic.
        raw = value.to_bytes((value.bit_length() + 7) // 8, "little")
        chunks = {}
        for number, start in enumerate(range(0, len(raw), step)):
            part = int.from_bytes(raw[start : start + step], "little")
            if part:
                chunks[number] = part
        return cls(chunks)

    def chunk(self, number: int) -> int:
        return self.chunks.get(number, 0)

    def to_int(self, chunk_bits: int = CHUNK_BITS) -> int:
        """The flat int form (tests and tools; never on the hot path)."""
        out = 0
        for number, bits in self.chunks.items():
            out |= bits << (number * chunk_bits)
        return out

    def __len__(self) -> int:
        return sum(bits.bit_count() for bits in self.chunks.values())

    def __repr__(self) -> str:
        return f"Bits({len(self)} positions in {len(self.chunks)} chunks)"


EMPTY = Bits({})


class Prefix:
    """Positions ``0 .. count - 1`` (campaigns at or above a price, say)."""

    __slots__ = ("summary", "_full", "_last", "_last_bits", "_all")

    def __init__(self, count: int, chunk_bits: int = CHUNK_BITS) -> None:
        full, rest = divmod(max(count, 0), chunk_bits)
        self._full = full
        self._last = full if rest else -1
        self._last_bits = (1 << rest) - 1
        self._all = (1 << chunk_bits) - 1
        self.summary = (1 << (full + (1 if rest else 0))) - 1

    def chunk(self, number: int) -> int:
        if number < self._full:
            return self._all
        if number == self._last:
            return self._last_bits
        return 0


class AllOf:
    """The intersection of ``nodes`` (at least one)."""

    __slots__ = ("summary", "_dicts", "_nodes")

    def __init__(self, nodes: Sequence[Node]) -> None:
        if not nodes:
            raise ValueError("an intersection of nothing")
        # Reading a Bits' dict directly saves a method call per set per chunk, which is most
        # of the work of an evaluation.
        dicts, others = [], []
        summary = -1
        for node in nodes:
            summary &= node.summary
            if type(node) is Bits:
                dicts.append(node.chunks)
            else:
                others.append(node)
        self.summary = summary
        self._dicts = tuple(dicts)
        self._nodes = tuple(others)

    def chunk(self, number: int) -> int:
        bits = -1  # all ones: the identity of AND (there is at least one operand)
        for chunks in self._dicts:
            bits &= chunks.get(number, 0)
            if not bits:
                return 0
        for node in self._nodes:
            bits &= node.chunk(number)
            if not bits:
                return 0
        return bits


class AnyOf:
    """The union of ``nodes``."""

    __slots__ = ("summary", "_nodes")

    def __init__(self, nodes: Sequence[Node]) -> None:
        # Unlike AllOf, no dict shortcut: a union is built per request but usually evaluated
        # for one chunk only, so building it cheaply matters more.
        self._nodes = tuple(nodes)
        summary = 0
        for node in self._nodes:
            summary |= node.summary
        self.summary = summary

    def chunk(self, number: int) -> int:
        bits = 0
        for node in self._nodes:
            bits |= node.chunk(number)
        return bits


class Without:
    """``base`` minus the union of ``removed``."""

    __slots__ = ("summary", "_base", "_removed")

    def __init__(self, base: Node, removed: Sequence[Node]) -> None:
        self._base = base
        self._removed = tuple(removed)
        # Removing can empty a chunk, which the summary cannot know without evaluating it.
        self.summary = base.summary

    def chunk(self, number: int) -> int:
        bits = self._base.chunk(number)
        if bits:
            for node in self._removed:
                bits &= ~node.chunk(number)
        return bits


class Memo:
    """A per-request cache of another node's chunks: the request-level candidates are shared
    by every impression of the request, and evaluated once per chunk."""

    __slots__ = ("summary", "_node", "_done")

    def __init__(self, node: Node) -> None:
        self._node = node
        self.summary = node.summary
        self._done: dict[int, int] = {}

    def chunk(self, number: int) -> int:
        found = self._done.get(number)
        if found is None:
            found = self._done[number] = self._node.chunk(number)
        return found

    def empty(self) -> bool:
        """Whether no position is in the set (exact: evaluates chunks until one is not empty)."""
        summary = self.summary
        while summary:
            low = summary & -summary
            if self.chunk(low.bit_length() - 1):
                return False
            summary ^= low
        return True


def any_of(nodes: Sequence[Node]) -> Node:
    """The union of ``nodes``, without a wrapper for zero or one node."""
    if not nodes:
        return EMPTY
    if len(nodes) == 1:
        return nodes[0]
    return AnyOf(nodes)


def all_of(nodes: Sequence[Node]) -> Node:
    """The intersection of ``nodes`` (at least one), without a wrapper for one node."""
    if len(nodes) == 1:
        return nodes[0]
    return AllOf(nodes)


def positions(node: Node, chunk_bits: int = CHUNK_BITS) -> Iterator[int]:
    """The positions in ``node``, lowest (best-paying) first, evaluating one chunk at a time."""
    summary = node.summary
    while summary:
        low = summary & -summary
        summary ^= low
        number = low.bit_length() - 1
        bits = node.chunk(number)
        base = number * chunk_bits - 1
        while bits:
            bit = bits & -bits
            yield base + bit.bit_length()
            bits ^= bit


def is_empty(node: Memo | int) -> bool:
    """Whether a request's candidates (a :class:`Memo`, or the flat int of a one-chunk
    index: see :mod:`bidder.flat`) hold no position."""
    return not node if type(node) is int else node.empty()  # type: ignore[union-attr]


def to_int(node: Node | int, chunk_bits: int = CHUNK_BITS) -> int:
    """The flat int of every position in ``node`` (tests and tools; evaluates every chunk)."""
    if isinstance(node, int):
        return node
    out = 0
    summary = node.summary
    while summary:
        low = summary & -summary
        summary ^= low
        number = low.bit_length() - 1
        out |= node.chunk(number) << (number * chunk_bits)
    return out


__all__ = [
    "CHUNK_BITS",
    "EMPTY",
    "AllOf",
    "AnyOf",
    "Bits",
    "Memo",
    "Node",
    "Prefix",
    "Without",
    "all_of",
    "any_of",
    "is_empty",
    "positions",
    "to_int",
]
