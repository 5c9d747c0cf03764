"""The App protocol: all the transport knows of what it serves.

The engines turn bytes into :class:`~transport.events.Request` s; the connection hands each to
an :class:`App` and writes back what it answers. The app never sees HTTP/1.1, HTTP/2 or a
socket; the transport never sees the bidder (hypercorn's ``typing.AppWrapper`` is the model).

Built to carry what comes next without changing this boundary:

- **More front doors.** An app may route inside ``handle``: the gRPC front door
  (``bidder/grpc.py``) is a second :class:`App` behind the bidder's, which hands it every
  request whose ``content_type`` is ``application/grpc`` (``handle`` and ``refuse`` alike);
  requests carry gRPC's call headers (``grpc_timeout``, ``grpc_encoding``,
  ``grpc_accept_encoding``) and responses ``trailers`` for it.
- **Admission control.** The transport stamps ``request.arrival`` as the first byte is read
  and asks :meth:`App.deadline` when the answer must have left (None: never turn it away, as
  health checks and notices). When it decides a request cannot be decided in time (a queue too
  long, a limit reached, too little time left), it answers :meth:`App.refuse` at once instead
  of calling :meth:`App.handle` (:mod:`transport.admission`). What a cheap refusal is (a 204
  no-bid, a gRPC status) is the app's to say.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final, NamedTuple, Protocol

from .events import Deferred, Request, Response


class Health(NamedTuple):
    """What an app says of itself: ``/readyz``, a gRPC health check, a drain log line."""

    #: False while draining or unable to answer: load balancers should send nothing new.
    serving: bool
    #: What runs degraded or why it is not serving ("" when all is well).
    detail: str = ""


class ShedReason(StrEnum):
    """Why admission control turned a request away without deciding it: what
    :meth:`App.refuse` is told (and the ``reason`` label of ``bidwire_admission_shed_total``).
    ``BUDGET`` and ``EXPIRED`` mean its deadline cannot be met; the others, overload."""

    #: It arrived with less time left than a decision takes.
    BUDGET = "budget"
    #: The queue already holds more than can be decided in the time it has.
    QUEUE = "queue_full"
    #: Requests in flight are at the concurrency limit.
    LIMIT = "concurrency"
    #: It waited in the queue until it could no longer be decided in time.
    EXPIRED = "expired"
    #: It waited longer than the target while the queue was standing (CoDel).
    SOJOURN = "sojourn"


#: The reasons that say a request's own deadline cannot be met (gRPC: DEADLINE_EXCEEDED).
DEADLINE_REASONS: Final = frozenset((ShedReason.BUDGET, ShedReason.EXPIRED))


class App(Protocol):
    """What the transport calls. One per worker, called from its event loop only."""

    def handle(self, request: Request) -> Response | Deferred:
        """Answer one request: now (a :class:`Response`) or later (a :class:`Deferred`).
        Never raises: every failure is an answer."""
        ...

    def release(self, response: Response) -> None:
        """The transport has copied ``response.body`` out (called only when
        ``response.context`` is set): the app may reuse its buffer."""
        ...

    def deadline(self, request: Request) -> float | None:
        """When the answer to ``request`` must have left (monotonic seconds, counted from
        ``request.arrival``), or None for a request admission control must never turn away
        (health, metrics, notices: answered at once, whatever the load). Called for every
        request as it is read, before :meth:`handle`: it must be cheap (a few µs, no decoding)."""
        ...

    def refuse(self, request: Request, reason: str) -> Response:
        """A cheap immediate answer to a request the transport will not hand to
        :meth:`handle` (admission control; ``reason`` is a metric label, e.g. ``queue_full``)."""
        ...

    def observe_lag(self, lag: float) -> None:
        """One sample of how late the event loop runs its timers (seconds): the time a request
        read now has already waited. The app sheds load on it (only called when the transport
        runs no admission control: see :mod:`transport.dispatch`)."""
        ...

    def start_drain(self) -> None:
        """The worker is draining before exit: finish what is in flight; report not serving."""
        ...

    @property
    def draining(self) -> bool:
        """Whether :meth:`start_drain` has been called."""
        ...

    def health(self) -> Health:
        """Whether the app is serving, and with what degraded."""
        ...


__all__ = ["DEADLINE_REASONS", "App", "Health", "ShedReason"]
