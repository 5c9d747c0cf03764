"""When a request read now may have reached the socket: the wait in the kernel, made visible.

A request is stamped when it is read, but it may have waited in the socket's buffer before: the
loop reads the sockets that were ready when it last polled, then decides, then polls again, so
what arrives meanwhile waits unread for up to a round. While the loop keeps up that round is
short; past it (HTTP/1.1 at twice the maximum: a read and a no-bid for each of 27,000 requests a
second on 1,024 connections, one request each) the rounds grow until every connection has a
request waiting, the wait where no deadline sees it grows to what the connections hold divided
by the throughput (Little's law: 1,024 / 20,700 a second, 49 ms), and replies are late however
well the queue is run.

:class:`ReadClock` bounds that wait without reading the kernel's timestamps. A round of reads
(a *phase*: the reads of one loop iteration, from the first to the ``call_soon`` it schedules,
which runs after them) holds what was ready at its poll, and what arrived on a socket after the
loop read it that round. Either way it arrived after the previous poll, which came just before
the previous phase's first read, unless the loop blocked in between, which it does only when
nothing is ready: then all of it arrived after the loop woke, at this phase's first read.
Whether the loop blocked is told by the thread's voluntary context switches (``getrusage``): a
poll that waits puts the thread to sleep, one that finds sockets ready does not, and a process
that shares its core is preempted (an involuntary switch) without that counting as waiting,
which the CPU time would not tell apart. One ``call_soon`` and one ``getrusage`` per phase,
nothing per request.

So the bound is at most about a round earlier than the true arrival, and later only when the
loop woke for a timer and its callbacks ran long before the poll that found this phase's
sockets ready (by that callback's time): requests are not thought younger than they are.
"""

from __future__ import annotations

import asyncio
import resource
from typing import Final

_rusage: Final = resource.getrusage
_THREAD: Final = resource.RUSAGE_THREAD


class ReadClock:
    """One per worker: the earliest moment a request read now may have arrived, and the
    earliest moment anything not yet read may have arrived."""

    __slots__ = ("_open", "_start", "_bound", "_sleeps", "_loop", "phases")

    def __init__(self) -> None:
        #: A phase is in progress (its call_soon has not run yet).
        self._open = False
        #: When the current (or last) phase began: its first read.
        self._start = 0.0
        #: The bound for requests read in the current phase.
        self._bound = 0.0
        #: The thread's voluntary context switches at the last phase's start.
        self._sleeps = -1
        self._loop: asyncio.AbstractEventLoop | None = None
        #: Phases so far.
        self.phases = 0

    def arrival(self, now: float) -> float:
        """The earliest a request read ``now`` may have reached its socket (monotonic)."""
        if self._open:
            return self._bound
        self._open = True
        self.phases += 1
        sleeps = _rusage(_THREAD).ru_nvcsw
        # The loop blocked (nothing was ready: this read woke it), or it was busy since the
        # last phase began (so what is read now arrived after that phase's poll).
        bound = now if sleeps != self._sleeps else self._start
        self._sleeps = sleeps
        self._bound = bound
        self._start = now
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        self._loop.call_soon(self._close, self.phases)
        return bound

    def _close(self, phase: int) -> None:
        if phase == self.phases:
            self.settle()

    def settle(self) -> None:
        """The loop is between two polls (a ``call_soon`` callback runs): the phase of reads,
        if one is in progress, is over. Callbacks scheduled before the phase began run before
        its own ``call_soon``: one that asks :meth:`unread_since` calls this first."""
        self._open = False

    def nothing_since(self, at: float) -> None:
        """A poll after ``at`` found nothing to read (the loop went round, between two
        ``call_soon`` callbacks, without a phase): whatever is unread came after ``at``."""
        if not self._open and at > self._start:
            self._start = at

    def unread_since(self, now: float) -> float:
        """The earliest a request not yet read may have arrived: during a phase, what its own
        reads may hold; after it, anything that came after its poll (which preceded its first
        read); ``now`` when nothing has been read yet."""
        if self._open:
            return self._bound
        return self._start or now


__all__ = ["ReadClock"]
