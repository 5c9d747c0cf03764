"""The event stream: one compact record per bid, win, loss and billing.

Records are buffered in memory on the hot path (a tuple appended to a list, no I/O) and written
out in batches: as JSON lines to a file or stdout by :class:`EventLog` itself (memory state,
flushed once a second from the worker's tick), or into a Redis Stream by the Redis state's
background task (see :mod:`bidder.redis_state`).
"""

from __future__ import annotations

import sys
from typing import Final, NamedTuple, TextIO

import msgspec

#: At most this many records wait for a flush; past it the oldest are dropped (and counted).
MAX_BUFFERED: Final = 100_000


class Event(NamedTuple):
    """One record. ``price`` is in nanos of the bidder's currency (CPM / 1000 = currency)."""

    kind: str  # bid | win | bill | loss
    at_ms: int  # wall clock, milliseconds
    auction: str
    imp: str
    campaign: str
    price: int
    detail: str = ""  # the loss code of a loss


_BATCH = msgspec.json.Encoder()
_UNBATCH = msgspec.json.Decoder(list[Event])


def encode_batch(events: list[Event]) -> bytes:
    """Records as one compact JSON array of arrays (the field of one stream entry)."""
    return _BATCH.encode(events)


def decode_batch(data: bytes | str) -> list[Event]:
    """The records of :func:`encode_batch`."""
    return _UNBATCH.decode(data)


class EventLog:
    """A buffer of events, and (for the memory state) where they are written."""

    def __init__(self, sink: str = "off") -> None:
        #: "off", "stdout", a file path, or "redis" (drained by the Redis state).
        self.sink = sink
        self.buffer: list[Event] = []
        self.dropped = 0
        self._file: TextIO | None = None
        self._encoder = msgspec.json.Encoder()

    @property
    def enabled(self) -> bool:
        return self.sink != "off"

    def add(self, event: Event) -> None:
        """Buffer one record (no I/O)."""
        if self.sink == "off":
            return
        if len(self.buffer) >= MAX_BUFFERED:
            del self.buffer[0]
            self.dropped += 1
        self.buffer.append(event)

    def take(self) -> list[Event]:
        """Everything buffered, and an empty buffer."""
        taken, self.buffer = self.buffer, []
        return taken

    def flush(self) -> None:
        """Write the buffer as JSON lines (sinks "stdout" and file paths; others keep it)."""
        if self.sink in ("off", "redis") or not self.buffer:
            return
        if self._file is None:
            self._file = sys.stdout if self.sink == "stdout" else open(self.sink, "a")  # noqa: SIM115
        lines = [self._encoder.encode(e._asdict()).decode() for e in self.take()]
        self._file.write("\n".join(lines) + "\n")
        self._file.flush()


__all__ = ["Event", "EventLog", "MAX_BUFFERED", "decode_batch", "encode_batch"]
