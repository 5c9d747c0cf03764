"""A Bloom filter of known user keys over a bytearray, with double hashing.

Most bid requests come from users the bidder holds no first-party data for; asking Redis about
each of them would spend a round trip to learn nothing. The filter answers "certainly unknown"
with no round trip, and "perhaps known" with a false-positive rate set by its size.

Sizing (the standard optimum): for ``n`` keys and a false-positive rate ``p``,
``m = -n ln p / (ln 2)^2`` bits and ``k = (m / n) ln 2`` hash functions; 9.6 bits (1.2 bytes) per
key at 1%. The ``k`` positions of a key come from one 128-bit BLAKE2b digest split into two
64-bit halves, ``h1 + i * h2 mod m`` (Kirsch and Mitzenmacher: two hashes are enough for the
asymptotic rate). BLAKE2b, not ``hash()``: the positions must be the same in every process
(the loader writes them into Redis; each worker reads them back).

The bit layout is Redis's (``SETBIT``/``GETBIT``: bit ``p`` is bit ``7 - p % 8`` of byte
``p // 8``), so a filter built by the loader and merged into Redis with ``BITOP OR`` is read
back by ``GET`` into a worker's bytearray as it is.
"""

from __future__ import annotations

import math
from hashlib import blake2b
from typing import Final

#: The masks of bit ``p % 8`` within its byte, most significant first (Redis's order).
_MASKS: Final = tuple(0x80 >> i for i in range(8))


def bloom_size(capacity: int, fp_rate: float) -> tuple[int, int]:
    """(bits, hash functions) of a filter holding ``capacity`` keys at ``fp_rate``; the bits
    are a whole number of bytes."""
    if capacity < 1 or not 0 < fp_rate < 1:
        raise ValueError("a Bloom filter needs capacity >= 1 and 0 < fp_rate < 1")
    bits = math.ceil(-capacity * math.log(fp_rate) / math.log(2) ** 2)
    bits = (bits + 7) // 8 * 8
    hashes = max(1, round(bits / capacity * math.log(2)))
    return bits, hashes


class BloomFilter:
    """``key in bloom`` is False for every key never added; True for every added key, and for
    about ``fp_rate`` of the others while it holds at most its capacity."""

    __slots__ = ("bits", "m", "k", "added")

    def __init__(self, m: int, k: int, bits: bytes | bytearray | None = None) -> None:
        if m < 8 or m % 8 or k < 1:
            raise ValueError("a Bloom filter needs m a positive multiple of 8 and k >= 1")
        self.m = m
        self.k = k
        self.bits = bytearray(m // 8)
        #: Keys added in this process (not counting what ``merge`` brought in).
        self.added = 0
        if bits is not None:
            self.merge(bits)

    @classmethod
    def for_capacity(cls, capacity: int, fp_rate: float) -> BloomFilter:
        """An empty filter sized for ``capacity`` keys at ``fp_rate``."""
        return cls(*bloom_size(capacity, fp_rate))

    def positions(self, key: bytes) -> list[int]:
        """The ``k`` bit positions of ``key``."""
        digest = blake2b(key, digest_size=16).digest()
        h1 = int.from_bytes(digest[:8], "little")
        h2 = int.from_bytes(digest[8:], "little") | 1
        m = self.m
        return [(h1 + i * h2) % m for i in range(self.k)]

    def add(self, key: bytes) -> None:
        """Remember ``key``."""
        bits = self.bits
        for p in self.positions(key):
            bits[p >> 3] |= _MASKS[p & 7]
        self.added += 1

    def __contains__(self, key: bytes) -> bool:
        digest = blake2b(key, digest_size=16).digest()
        h1 = int.from_bytes(digest[:8], "little")
        h2 = int.from_bytes(digest[8:], "little") | 1
        bits, m = self.bits, self.m
        for i in range(self.k):
            p = (h1 + i * h2) % m
            if not bits[p >> 3] & _MASKS[p & 7]:
                return False
        return True

    def merge(self, other: bytes | bytearray) -> None:
        """OR the bits of a filter of the same size into this one (a shorter one, as Redis
        returns a string whose tail was never set, counts as zeros beyond its end)."""
        if len(other) > len(self.bits):
            raise ValueError(f"a filter of {len(other)} bytes does not fit in {len(self.bits)}")
        if not other:
            return
        n = len(other)
        merged = int.from_bytes(self.bits[:n], "big") | int.from_bytes(other, "big")
        self.bits[:n] = merged.to_bytes(n, "big")

    def fill_ratio(self) -> float:
        """The share of bits set."""
        return int.from_bytes(self.bits, "big").bit_count() / self.m

    def expected_fp_rate(self) -> float:
        """The false-positive rate its fill implies: ``fill ** k``."""
        return self.fill_ratio() ** self.k

    @property
    def nbytes(self) -> int:
        """Its memory, in bytes."""
        return len(self.bits)


__all__ = ["BloomFilter", "bloom_size"]
