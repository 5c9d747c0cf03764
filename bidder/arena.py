"""A fixed pool of request contexts, allocated once per worker and reused for every request.

A context holds what a request needs beyond its decoded Structs: an output ``bytearray`` that
msgspec encodes into (``encode_into`` resizes it in place, so after warm-up no new buffer is
made), and scratch lists. A request takes a context at arrival and gives it back once its
answer has been handed to the transport. An empty pool is backpressure: the request is shed.
"""

from __future__ import annotations

from typing import Any


class RequestContext:
    """One request's reusable state."""

    __slots__ = ("out", "scratch", "in_use")

    def __init__(self, buffer_size: int) -> None:
        #: msgspec encodes the response into this buffer (resized in place as needed).
        self.out = bytearray(buffer_size)
        #: A scratch list for the pipeline (cleared on release).
        self.scratch: list[Any] = []
        self.in_use = False


class Arena:
    """``size`` contexts, handed out and taken back; never grows."""

    __slots__ = ("free", "size", "exhausted")

    def __init__(self, size: int, buffer_size: int = 16 * 1024) -> None:
        self.size = size
        self.free = [RequestContext(buffer_size) for _ in range(size)]
        #: Times a request found the pool empty.
        self.exhausted = 0

    def acquire(self) -> RequestContext | None:
        """A free context, or None when every context is in use (the caller sheds)."""
        free = self.free
        if not free:
            self.exhausted += 1
            return None
        ctx = free.pop()
        ctx.in_use = True
        return ctx

    def release(self, ctx: RequestContext) -> None:
        """Give a context back (idempotent)."""
        if ctx.in_use:
            ctx.in_use = False
            ctx.scratch.clear()
            self.free.append(ctx)

    @property
    def in_use(self) -> int:
        """Contexts handed out and not yet given back."""
        return self.size - len(self.free)


__all__ = ["Arena", "RequestContext"]
