"""The worker's one queue of requests with a deadline, on the event loop: admission control
applied (:mod:`transport.admission` decides, this runs it).

Connections read eagerly: each complete request with a deadline is stamped when read and
offered here, turned away at once with a cheap answer when it cannot be decided in time, or
queued. Queued requests are decided by :meth:`Dispatcher._run`, scheduled with ``call_soon``
after the reads of a loop iteration, for at most one slice (``slice_ms``): then the loop reads
its sockets again, so that what the clients sent meanwhile waits here, stamped, rather than in
the kernel's buffers where no deadline sees it. Each run first sheds what can no longer be
decided in time, so those no-bids go out before their deadlines too.

Every answer to a request with a deadline is counted on time or late when it is written
(``bidwire_answers_total``), and every request turned away by reason
(``bidwire_admission_shed_total``); the time each waited in the queue is a histogram.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Final

from .admission import Admission, AdmissionConfig, ShedReason, Ticket
from .app import App
from .events import Deferred, Request
from .metrics import (
    ADMISSION_IN_FLIGHT,
    ADMISSION_LIMIT,
    ADMISSION_SHED,
    ANSWERS,
    QUEUE_SECONDS,
    Timing,
)
from .read_clock import ReadClock

if TYPE_CHECKING:
    from .connection import Connection

_clock: Final = time.monotonic
_ON_TIME: Final = Timing.ON_TIME
_LATE: Final = Timing.LATE


class Dispatcher:
    """One per worker: the admission queue and the runs that decide from it."""

    def __init__(self, app: App, config: AdmissionConfig) -> None:
        self.app = app
        self.config = config
        self.admission: Admission[Connection] = Admission(config)
        self.slice = config.slice_ms / 1000.0
        self.read_wait = config.read_wait_ms / 1000.0
        #: When what connections read may have arrived (the wait in the kernel, bounded).
        self.clock = ReadClock()
        #: The clock's phase count and the end of the last run: a run with no phase of reads
        #: since the last one comes after a poll that found nothing to read.
        self._phases_seen = 0
        self._ended = 0.0
        self._scheduled = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ran_at = 0.0
        #: When the next run must start at the latest (reads may not delay it past this).
        self._due = 0.0
        self._touched: list[Connection] = []

    # -- arrival (from Connection.data_received) -----------------------------------------------

    def submit(self, owner: Connection, key: int, request: Request, deadline: float) -> None:
        """Queue a request read just now, or turn it away at once. When a run is due (the
        reads of this loop iteration have taken a slice already), run it now: a burst of reads
        must not keep queued requests from being decided, or swept, in time."""
        now = _clock()
        admission = self.admission
        if now >= self._due and admission.queued:
            self._run()  # decisions must not wait on a long burst of reads
            now = _clock()
        reason = admission.check(deadline, now)
        if reason is not None:
            owner.refuse(key, request, reason)
            ADMISSION_SHED.values[reason] += 1
            ANSWERS.values[_ON_TIME if _clock() <= deadline else _LATE] += 1
            return
        if not admission.queued:
            self._due = now + self.slice
        admission.push(Ticket(owner, key, request, deadline))
        if not self._scheduled:
            self._scheduled = True
            if self._loop is None:
                self._loop = asyncio.get_running_loop()
            self._loop.call_soon(self._scheduled_run)

    # -- the runs ------------------------------------------------------------------------------

    def _run(self, scheduled: bool = False) -> None:
        """Shed what can no longer be decided in time, then decide for a slice. ``scheduled``:
        called between two polls (not from a read)."""
        admission = self.admission
        app = self.app
        now = _clock()
        if self._ran_at:  # the last run left work queued: the time since is the loop's reads
            admission.between_runs(now - self._ran_at, self.slice)
        touched = self._touched
        for ticket, reason in admission.expired(now, self.slice + admission.gap):
            QUEUE_SECONDS.observe(now - ticket.request.arrival)
            self._shed(ticket, reason, now)
        # Decide for a slice, and no longer than the oldest request still unread (in the kernel,
        # where no deadline sees it) may have waited read_wait: then the loop reads again. At
        # least one decision a run, so a queue always drains.
        clock = self.clock
        if scheduled and clock.phases == self._phases_seen and self._ended:
            clock.nothing_since(self._ended)  # the poll since the last run found nothing
        unread = clock.unread_since(now)
        end = min(now + self.slice, unread + self.read_wait)
        while True:
            taken = admission.take(now)
            if taken is None:
                break
            ticket, why = taken
            QUEUE_SECONDS.observe(now - ticket.request.arrival)
            if why is not None:
                self._shed(ticket, why, now)
                continue
            owner = ticket.owner
            if owner.gone:
                admission.dropped(ticket)
                continue
            answer = app.handle(ticket.request)
            after = _clock()
            admission.decided(after - now)
            if answer.cost:
                owner.charge(answer.cost)  # the app's own work (a gzip body inflated)
                if owner.gone:  # the cost ledger's verdict: nothing more on this connection
                    if isinstance(answer, Deferred):
                        pending = answer.answer  # never run: a coroutine, or a lookup's future
                        if isinstance(pending, asyncio.Future):
                            pending.cancel()
                        else:
                            pending.close()
                    elif answer.context is not None:
                        app.release(answer)
                    admission.dropped(ticket)
                    if not owner.dirty:  # its GOAWAY goes out with this run's answers
                        owner.dirty = True
                        touched.append(owner)
                    now = after
                    continue
            if isinstance(answer, Deferred):
                owner.defer(ticket.key, answer, ticket)
            else:
                owner.answer(ticket.key, ticket.request, answer)
                self.answered(ticket, after)
                if not owner.dirty:
                    owner.dirty = True
                    touched.append(owner)
            now = after
            if now >= end:
                break
        for owner in touched:
            owner.flush_answers()
        touched.clear()
        ended = _clock()
        if scheduled:
            self._ended = ended
            self._phases_seen = clock.phases
        if admission.queued:
            self._ran_at = ended
        else:
            self._ran_at = 0.0
            admission.emptied()
        self._due = ended + self.slice
        ADMISSION_LIMIT.value = admission.limit
        ADMISSION_IN_FLIGHT.value = admission.in_flight
        if admission.queued and not self._scheduled:
            self._scheduled = True
            if self._loop is None:
                self._loop = asyncio.get_running_loop()
            self._loop.call_soon(self._scheduled_run)

    def _scheduled_run(self) -> None:
        self._scheduled = False
        self.clock.settle()  # between two polls: the reads before are over
        if self.admission.queued:
            self._run(scheduled=True)

    def _shed(self, ticket: Ticket[Connection], reason: ShedReason, now: float) -> None:
        owner = ticket.owner
        if owner.gone:
            return  # the connection is gone: nobody to answer
        owner.refuse(ticket.key, ticket.request, reason)
        ADMISSION_SHED.values[reason] += 1
        ANSWERS.values[_ON_TIME if now <= ticket.deadline else _LATE] += 1
        if not owner.dirty:
            owner.dirty = True
            self._touched.append(owner)

    # -- answers (from here and from Connection's deferred answers) ----------------------------

    def answered(self, ticket: Ticket[Connection], now: float) -> None:
        """The answer to an admitted request has been handed to its connection now."""
        ANSWERS.values[_ON_TIME if now <= ticket.deadline else _LATE] += 1
        self.admission.answered(ticket, now)

    def dropped(self, ticket: Ticket[Connection]) -> None:
        """An admitted request's connection closed before its answer."""
        self.admission.dropped(ticket)

    @property
    def deferred_slack(self) -> float:
        """How long before its deadline a deferred answer's fallback must be sent."""
        return self.admission.slack


def refusal(config: AdmissionConfig, protocol: str) -> str:
    """How a request is turned away on ``protocol`` ("h1" or "h2"): "nobid" (the app's
    answer), "refused_stream" or "503"."""
    return config.h2_refusal if protocol == "h2" else config.h1_refusal


__all__ = ["Dispatcher", "refusal"]
