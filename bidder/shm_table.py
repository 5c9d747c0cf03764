"""Fixed-size hash tables in one shared memory region, for state that forked workers share.

A :class:`Region` is one anonymous ``MAP_SHARED`` mapping: made by the parent before it forks,
inherited by every worker, so all of them read and write the same pages. Its pages are only
backed by memory when first touched, so a table sized for a million keys costs nothing until
it holds them.

A :class:`Table` stores fixed-size records under 128-bit keys (a keyed digest of the real key;
a collision needs ~2^64 keys). It is open addressing with linear probing and backward-shift
deletion (no tombstones, so probe chains never rot), at most 3/4 full. Next to the slots it
keeps a ring of its keys in insertion order: that ring is what expiry sweeps and what the
memory bound evicts from, oldest first, exactly like an insertion-ordered dict:

- ``rotate=False`` (notice dedup): the front is dropped while it has expired; the first one
  that has not stops the sweep (keys arrive in close to expiry order).
- ``rotate=True`` (frequency caps, whose windows differ by campaign): expired keys at the
  front are dropped and up to :data:`ROTATIONS` live ones go to the back, so an hour-long
  window does not shield the day-long ones behind it, and every key is looked at again.

Nothing here locks: the caller holds the lock of the table (see :mod:`bidder.shared_state`).
Keys are only ever removed from the ring's front, so the ring holds each live key once.
"""

from __future__ import annotations

import mmap
import struct
from typing import Final

#: Live keys moved from the ring's front to its back per sweep (rotating tables).
ROTATIONS: Final = 2
_HEADER: Final = struct.Struct("<qqq")  # count, ring head, evictions
_KEY: Final = struct.Struct("<QQ")
_SLOT_HEAD: Final = struct.Struct("<QQd")  # key (2 x u64), expiry (wall clock seconds)
_EXPIRES: Final = struct.Struct("<d")
#: Slot bytes before the record.
SLOT_HEAD: Final = _SLOT_HEAD.size


def _align(n: int) -> int:
    return (n + 7) & ~7


class Region:
    """One shared anonymous mapping, carved into tables and counters by :meth:`take`."""

    def __init__(self, size: int) -> None:
        self.size = max(_align(size), mmap.PAGESIZE)
        self.mm = mmap.mmap(-1, self.size, flags=mmap.MAP_SHARED)
        self._used = 0

    def take(self, nbytes: int) -> int:
        """The offset of ``nbytes`` not yet given out (8-byte aligned)."""
        offset = self._used
        if offset + nbytes > self.size:
            raise MemoryError(f"region of {self.size} bytes cannot hold {nbytes} more")
        self._used = offset + _align(nbytes)
        return offset


class Table:
    """At most ``max_keys`` records of ``record_size`` bytes under 128-bit keys."""

    __slots__ = ("mm", "max_keys", "nslots", "slot_size", "rotate", "_header", "_ring", "_slots")

    @staticmethod
    def bytes_needed(max_keys: int, record_size: int) -> int:
        """Region bytes a table of these dimensions takes."""
        nslots = max_keys * 4 // 3 + 1
        return _align(_HEADER.size) + 16 * max_keys + nslots * _align(SLOT_HEAD + record_size)

    def __init__(self, region: Region, max_keys: int, record_size: int, *, rotate: bool) -> None:
        if max_keys < 1:
            raise ValueError("a table holds at least one key")
        self.mm = region.mm
        self.max_keys = max_keys
        self.nslots = max_keys * 4 // 3 + 1
        self.slot_size = _align(SLOT_HEAD + record_size)
        self.rotate = rotate
        self._header = region.take(_HEADER.size)
        self._ring = region.take(16 * max_keys)
        self._slots = region.take(self.nslots * self.slot_size)

    # -- reading ---------------------------------------------------------------------------

    def __len__(self) -> int:
        return int(_HEADER.unpack_from(self.mm, self._header)[0])

    @property
    def evictions(self) -> int:
        """Keys dropped at the memory bound since the table was made (all processes)."""
        return int(_HEADER.unpack_from(self.mm, self._header)[2])

    def find(self, k1: int, k2: int) -> int:
        """The offset of ``(k1, k2)``'s record, or -1. ``k2`` must be odd (0 marks empty)."""
        mm, size, n, base = self.mm, self.slot_size, self.nslots, self._slots
        i = k1 % n
        unpack = _KEY.unpack_from
        for _ in range(n):  # a slot is always empty (at most 3/4 full): the run ends
            off = base + i * size
            a, b = unpack(mm, off)
            if b == 0:
                return -1
            if a == k1 and b == k2:
                return off + SLOT_HEAD
            i += 1
            if i == n:
                i = 0
        raise RuntimeError("shared table corrupted: no empty slot")

    def expires(self, record: int) -> float:
        """The expiry of the record at ``record`` (an offset from :meth:`find`)."""
        return float(_EXPIRES.unpack_from(self.mm, record - 8)[0])

    def set_expires(self, record: int, until: float) -> None:
        """Move the record's expiry (the sweep reads it from here)."""
        _EXPIRES.pack_into(self.mm, record - 8, until)

    def members(self) -> list[tuple[int, int]]:
        """Every live key, oldest first (the ring's order)."""
        count, head, _ = _HEADER.unpack_from(self.mm, self._header)
        ring, m = self._ring, self.max_keys
        return [_KEY.unpack_from(self.mm, ring + 16 * ((head + k) % m)) for k in range(count)]

    # -- writing ---------------------------------------------------------------------------

    def insert(self, k1: int, k2: int, until: float, now: float) -> tuple[int, int]:
        """Add ``(k1, k2)`` (not present) with a zeroed record expiring at ``until``, after
        sweeping what expired by ``now``; at the bound the oldest key goes. Returns the new
        record's offset and how many live keys were evicted (0 or 1)."""
        self.sweep(now)
        evicted = 0
        mm, header = self.mm, self._header
        count, head, evictions = _HEADER.unpack_from(mm, header)
        if count >= self.max_keys:
            self._pop_front(head, count, delete=True)
            count, head, _ = _HEADER.unpack_from(mm, header)
            evicted = 1
        size, n, base = self.slot_size, self.nslots, self._slots
        i = k1 % n
        for _ in range(n):
            if _KEY.unpack_from(mm, base + i * size)[1] == 0:
                break
            i += 1
            if i == n:
                i = 0
        else:
            raise RuntimeError("shared table corrupted: no empty slot")
        off = base + i * size
        mm[off : off + size] = bytes(size)
        _SLOT_HEAD.pack_into(mm, off, k1, k2, until)
        _KEY.pack_into(mm, self._ring + 16 * ((head + count) % self.max_keys), k1, k2)
        _HEADER.pack_into(mm, header, count + 1, head, evictions + evicted)
        return off + SLOT_HEAD, evicted

    def sweep(self, now: float) -> None:
        """Drop expired keys from the ring's front (and rotate live ones, if rotating)."""
        mm, header = self.mm, self._header
        rotations = ROTATIONS if self.rotate else 0
        while True:
            count, head, _ = _HEADER.unpack_from(mm, header)
            if count == 0:
                return
            k1, k2 = _KEY.unpack_from(mm, self._ring + 16 * head)
            record = self.find(k1, k2)
            if record < 0:
                raise RuntimeError("shared table corrupted: a key of the ring is not in it")
            if self.expires(record) <= now:
                self._pop_front(head, count, delete=True)
            elif rotations:
                rotations -= 1
                self._pop_front(head, count, delete=False)
            else:
                return

    def _pop_front(self, head: int, count: int, *, delete: bool) -> None:
        mm, header, ring, m = self.mm, self._header, self._ring, self.max_keys
        k1, k2 = _KEY.unpack_from(mm, ring + 16 * head)
        evictions = _HEADER.unpack_from(mm, header)[2]
        if delete:
            self._delete(self.find(k1, k2) - SLOT_HEAD)
            _HEADER.pack_into(mm, header, count - 1, (head + 1) % m, evictions)
        else:  # to the back of the ring: with the front gone, the back is head + count - 1
            _KEY.pack_into(mm, ring + 16 * ((head + count) % m), k1, k2)
            _HEADER.pack_into(mm, header, count, (head + 1) % m, evictions)

    def _delete(self, off: int) -> None:
        # Backward-shift deletion: move later members of the probe run into the hole while
        # their home slot does not lie cyclically in (hole, their slot].
        mm, size, n, base = self.mm, self.slot_size, self.nslots, self._slots
        hole = (off - base) // size
        j = hole
        while True:
            j += 1
            if j == n:
                j = 0
            src = base + j * size
            k1, k2 = _KEY.unpack_from(mm, src)
            if k2 == 0:
                break
            home = k1 % n
            stays = hole < home <= j if hole <= j else (home > hole or home <= j)
            if not stays:
                dst = base + hole * size
                mm[dst : dst + size] = mm[src : src + size]
                hole = j
        dst = base + hole * size
        mm[dst : dst + size] = bytes(size)


__all__ = ["ROTATIONS", "SLOT_HEAD", "Region", "Table"]
