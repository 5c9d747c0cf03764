"""gzip bodies inflated under two caps: the size of what comes out, and how far it may outgrow
what went in. Both front doors (HTTP ``content-encoding: gzip``, gRPC compressed messages) use
it and map its :class:`InflateError` onto their own answers.

A size cap alone lets a gzip bomb make us inflate up to the cap on every request (2 MiB from
2 KiB: a millisecond of CPU each). Real bid requests compress 2-6x (the corpus), 20x for a
synthetic body of thousands of identical impressions; deflate reaches 1032x. So the output is
produced in steps (the first :data:`RATIO_FLOOR` bytes, then :data:`STEP` at a time) and, once
past :data:`RATIO_FLOOR`, a body whose output outgrows its input more than ``max_ratio`` times
is refused at once, without inflating the rest.

The work done (:attr:`InflateError.work`: the bytes inflated, also when refused) is what the
front door reports back through ``Response.cost``, so the transport charges it to the
connection. A body refused for its ratio is charged as :data:`BOMB_WORK` bytes more: no honest
client sends one, and a connection that sends a few is cut (an answer earns 64 KiB's worth).
"""

from __future__ import annotations

import zlib
from typing import Final

#: Output produced per step: a typical body inflates in one (the corpus: 1-22 KB).
STEP: Final = 16 * 1024
#: The ratio is checked only past this much output (small bodies may compress as they like),
#: and the first step stops here: a bomb is refused after 4 KiB of output (a few microseconds),
#: not a whole step. Bodies this small cannot reach 100x honestly (gzip's own header and trailer
#: are 18 bytes).
RATIO_FLOOR: Final = 4 * 1024
#: What a ratio refusal is charged as, in bytes inflated, beyond those it inflated (256 units
#: of transport/cost.py: four answers' credit).
BOMB_WORK: Final = 256 * 1024
#: How far a body may outgrow its gzip (``[app] max_gzip_ratio``): 16x the most the corpus
#: shows, 5x a synthetic body of 2,000 identical impressions.
DEFAULT_MAX_RATIO: Final = 100.0


class InflateError(Exception):
    """A body not inflated: ``kind`` is ``bad_gzip``, ``too_large`` or ``ratio``."""

    def __init__(self, kind: str, message: str, inflated: int) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        #: Bytes inflated before the refusal.
        self.inflated = inflated
        #: What the refusal is charged as, in bytes inflated (a bomb weighs :data:`BOMB_WORK`
        #: more).
        self.work = inflated + BOMB_WORK if kind == "ratio" else inflated


def gunzip(data: bytes, limit: int, max_ratio: float, *, trailing_ok: bool = True) -> bytes:
    """``data`` inflated (gzip), at most ``limit`` bytes and at most ``max_ratio`` times its own
    size past :data:`RATIO_FLOOR`; data after the gzip member is refused unless
    ``trailing_ok``. Raises :class:`InflateError`."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    parts: list[bytes] = []
    total = 0
    pending = data
    step = min(limit + 1, RATIO_FLOOR)
    while True:
        try:
            chunk = inflater.decompress(pending, step)
        except zlib.error as exc:
            raise InflateError("bad_gzip", f"bad gzip body: {exc}", total) from None
        total += len(chunk)
        parts.append(chunk)
        if total > limit:
            raise InflateError("too_large", f"inflated body over {limit} bytes", total)
        if inflater.eof:
            break
        pending = inflater.unconsumed_tail
        if not pending and len(chunk) < step:
            raise InflateError("bad_gzip", "bad gzip body: truncated", total)
        consumed = len(data) - len(pending)
        if total >= RATIO_FLOOR and total > max_ratio * max(consumed, 1):
            raise InflateError(
                "ratio",
                f"gzip body inflates over {max_ratio:g} times its size (a bomb?)",
                total,
            )
        step = min(limit + 1 - total, STEP)
    if not trailing_ok and inflater.unused_data:
        raise InflateError("bad_gzip", "bad gzip body: trailing data", total)
    return parts[0] if len(parts) == 1 else b"".join(parts)


__all__ = ["BOMB_WORK", "DEFAULT_MAX_RATIO", "RATIO_FLOOR", "STEP", "InflateError", "gunzip"]
