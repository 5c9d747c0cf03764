"""Declared metrics, prometheus_client style, and the transport's own.

A metric is an object made once, at import, and used by reference::

    PROTOCOL_ERRORS = Counter("bidwire_protocol_errors_total", "...", label="kind")
    PROTOCOL_ERRORS.inc(ProtocolErrorKind.IDLE_TIMEOUT)

so a misspelt metric is an import error (or a ruff/mypy error), never a new series at the first
request. Values live in the objects: one event loop per worker process, so an increment is a
plain dict or attribute update (no lock), and forked workers each count their own. A labelled
counter has one label, named for what it holds (``status``, ``reason``, ``campaign``, ``kind``).
``REGISTRY.render()`` builds the Prometheus text (format 0.0.4) for ``GET /metrics``, in
declaration order; every module that declares metrics is imported before the first render.

This module imports nothing of ours: the bidder declares its metrics with the same classes
(``bidder/metrics.py``).
"""

from __future__ import annotations

import gc
import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from enum import StrEnum
from typing import Final

#: A label value: a string (or a StrEnum member), or an int such as an HTTP status.
Label = str | int

_NAME: Final = re.compile(r"bidwire_[a-z0-9_]+\Z")
_LABEL: Final = re.compile(r"[a-z_][a-z0-9_]*\Z")


def _escape(value: Label) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class Registry:
    """The metrics of this process, in declaration order."""

    __slots__ = ("metrics", "_names")

    def __init__(self) -> None:
        self.metrics: list[Metric] = []
        self._names: set[str] = set()

    def register(self, metric: Metric) -> None:
        """Add a metric; its name must be new and well-formed (checked at import)."""
        if not _NAME.match(metric.name):
            raise ValueError(f"metric name {metric.name!r} is not bidwire_<snake_case>")
        if metric.name in self._names:
            raise ValueError(f"metric {metric.name!r} declared twice")
        self._names.add(metric.name)
        self.metrics.append(metric)

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        lines: list[str] = []
        for metric in self.metrics:
            lines.append(f"# HELP {metric.name} {metric.help}")
            lines.append(f"# TYPE {metric.name} {metric.type}")
            metric.samples(lines)
        return ("\n".join(lines) + "\n").encode()

    def reset(self) -> None:
        """Every value back to zero (tests start from a clean slate)."""
        for metric in self.metrics:
            metric.reset()


#: The process's registry: what ``GET /metrics`` shows.
REGISTRY: Final = Registry()


class Metric:
    """What every metric kind has: a name, a help text, and a way to render its samples."""

    __slots__ = ("name", "help")
    type: str = "untyped"

    def __init__(self, name: str, help: str, registry: Registry) -> None:
        self.name = name
        self.help = help
        registry.register(self)

    def samples(self, lines: list[str]) -> None:
        """Append this metric's sample lines."""
        raise NotImplementedError

    def reset(self) -> None:
        """Back to zero."""


class Counter(Metric):
    """A count that only goes up, with at most one label.

    ``inc`` is one dict update; the hottest callers may index ``values`` themselves.
    """

    __slots__ = ("label", "values")
    type = "counter"

    def __init__(
        self, name: str, help: str, label: str | None = None, *, registry: Registry = REGISTRY
    ) -> None:
        if not name.endswith("_total"):
            raise ValueError(f"counter {name!r} must end in _total")
        if label is not None and not _LABEL.match(label):
            raise ValueError(f"counter {name!r}: bad label name {label!r}")
        super().__init__(name, help, registry)
        #: The label's name; None: an unlabelled counter (its one series has the key "").
        self.label = label
        #: The value of each series, by label value.
        self.values: defaultdict[Label, int] = defaultdict(int)

    def inc(self, key: Label = "", value: int = 1) -> None:
        """Add ``value`` to the series ``key`` (an unlabelled counter: leave ``key`` out)."""
        self.values[key] += value

    def get(self, key: Label = "") -> int:
        """The value of one series (0 when it has none yet)."""
        return self.values.get(key, 0)

    def total(self) -> int:
        """The sum over every series."""
        return sum(self.values.values())

    def samples(self, lines: list[str]) -> None:
        values = self.values
        if not values:
            lines.append(f"{self.name} 0")
            return
        if self.label is None:
            lines.append(f"{self.name} {values.get('', 0)}")
            return
        for key, value in sorted(values.items(), key=lambda item: str(item[0])):
            lines.append(f'{self.name}{{{self.label}="{_escape(key)}"}} {value}')

    def reset(self) -> None:
        self.values.clear()


class Gauge(Metric):
    """A value that goes up and down; ``value`` is a plain attribute (``GAUGE.value += 1``)."""

    __slots__ = ("value",)
    type = "gauge"

    def __init__(self, name: str, help: str, *, registry: Registry = REGISTRY) -> None:
        super().__init__(name, help, registry)
        self.value = 0

    def samples(self, lines: list[str]) -> None:
        lines.append(f"{self.name} {self.value}")

    def reset(self) -> None:
        self.value = 0


class Histogram(Metric):
    """Observations counted in fixed buckets (upper bounds, seconds), with their sum."""

    __slots__ = ("buckets", "counts", "sum", "count")
    type = "histogram"

    def __init__(
        self, name: str, help: str, buckets: Iterable[float], *, registry: Registry = REGISTRY
    ) -> None:
        super().__init__(name, help, registry)
        self.buckets = tuple(buckets)
        self.counts = [0] * (len(self.buckets) + 1)
        self.sum = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        """Record one observation."""
        self.counts[bisect_left(self.buckets, value)] += 1
        self.sum += value
        self.count += 1

    def samples(self, lines: list[str]) -> None:
        cumulative = 0
        for bound, count in zip(self.buckets, self.counts, strict=False):
            cumulative += count
            lines.append(f'{self.name}_bucket{{le="{bound}"}} {cumulative}')
        lines.append(f'{self.name}_bucket{{le="+Inf"}} {self.count}')
        lines.append(f"{self.name}_sum {self.sum:.6f}")
        lines.append(f"{self.name}_count {self.count}")

    def reset(self) -> None:
        self.counts = [0] * (len(self.buckets) + 1)
        self.sum = 0.0
        self.count = 0


class GcCollections(Metric):
    """The cyclic garbage collector's collections, by generation (read from ``gc`` at render)."""

    __slots__ = ()
    type = "counter"

    def samples(self, lines: list[str]) -> None:
        for generation, stats in enumerate(gc.get_stats()):
            lines.append(f'{self.name}{{generation="{generation}"}} {stats["collections"]}')


class ProtocolErrorKind(StrEnum):
    """Why a connection or a stream was cut short, or an answer refused: the ``kind`` label of
    ``bidwire_protocol_errors_total``. Our own names: the raw engine raises them, the h2
    engine maps h2's exceptions onto them (``transport/h2_engine.py``), HTTP/1.1 has its own."""

    # HTTP/2 connection errors (RFC 9113 5.4.1), by what the client did wrong.
    H2_PROTOCOL = "h2_protocol_error"
    H2_FRAME_TOO_LARGE = "h2_frame_too_large"
    H2_FRAME_DATA_MISSING = "h2_frame_data_missing"
    H2_FLOW_CONTROL = "h2_flow_control"
    H2_INVALID_BODY_LENGTH = "h2_invalid_body_length"
    H2_HEADER_LIST_TOO_LARGE = "h2_header_list_too_large"
    H2_TOO_MANY_STREAMS = "h2_too_many_streams"
    H2_STREAM_ID_TOO_LOW = "h2_stream_id_too_low"
    H2_STREAM_CLOSED = "h2_stream_closed"
    H2_INVALID_SETTINGS_VALUE = "h2_invalid_settings_value"
    WINDOW_UPDATE_RESERVED_BIT = "window_update_reserved_bit"
    SETTINGS_ACK_PAYLOAD = "settings_ack_payload"
    CONTINUATION_WITHOUT_HEADERS = "continuation_without_headers"
    HEADER_BLOCK_INTERRUPTED = "header_block_interrupted"
    PREFACE_WITHOUT_SETTINGS = "preface_without_settings"
    PUSH_PROMISE = "push_promise"
    HPACK_ERROR = "hpack_error"
    # HTTP/2 streams.
    H2_CLIENT_RESET = "h2_client_reset"
    H2_REFUSED_AFTER_GOAWAY = "h2_refused_after_goaway"
    H2_REFUSED_STREAM = "h2_refused_stream"
    H2_DISCARD_CAP = "h2_discard_cap"
    H2_CONTENT_LENGTH = "h2_content_length"
    H2_STREAM_TIMEOUT = "h2_stream_timeout"
    H2_SEND_TIMEOUT = "h2_send_timeout"
    # HTTP/2 floods and frames the guard refuses (transport/frame_guard.py).
    IDLE_STREAM = "idle_stream"
    RST_STREAM_FLOOD = "rst_stream_flood"
    CONTINUATION_FLOOD = "continuation_flood"
    SETTINGS_FLOOD = "settings_flood"
    PING_FLOOD = "ping_flood"
    SETTINGS_TOO_MANY = "settings_too_many"
    #: The connection cost far more than it brought (transport/cost.py).
    COST_EXCEEDED = "cost_exceeded"
    #: Stream errors the client caused, past max_stream_errors (MADE YOU RESET).
    STREAM_ERRORS = "stream_errors"
    # Timeouts and drain, either protocol.
    IDLE_TIMEOUT = "idle_timeout"
    HEADER_TIMEOUT = "header_timeout"
    PREFACE_TIMEOUT = "preface_timeout"
    DRAIN_TIMEOUT_CLOSE = "drain_timeout_close"
    # HTTP/1.1 (transport/h1_engine.py): each answered with an error status, then closed.
    BAD_PREFACE = "bad_preface"
    H1_BAD_HTTP = "h1_bad_http"
    H1_BODY_TOO_LARGE = "h1_body_too_large"
    H1_HEADERS_TOO_LARGE = "h1_headers_too_large"
    H1_HEADER_TIMEOUT = "h1_header_timeout"
    H1_BODY_TIMEOUT = "h1_body_timeout"
    H1_BLANK_LINES = "h1_blank_lines"


class CloseReason(StrEnum):
    """Why a connection ended: the ``reason`` label of ``bidwire_connections_closed_total``,
    one per defence (and the ordinary endings), so each defence's closings can be counted."""

    #: The client closed it (FIN, or its GOAWAY), or the socket failed.
    PEER = "peer"
    #: HTTP/1.1: the client asked for ``connection: close`` (or spoke HTTP/1.0).
    CLIENT_CLOSE = "client_close"
    #: Nothing in progress for ``idle_timeout``.
    IDLE = "idle"
    #: Closed after a graceful drain, or forced at the drain timeout.
    DRAINED = "drained"
    DRAIN_TIMEOUT = "drain_timeout"
    #: Over ``max_connections``: the oldest idle connection closed for a new one; or, with
    #: none idle, the new one refused.
    CONNECTION_CAP = "connection_cap"
    CONNECTION_CAP_REFUSED = "connection_cap_refused"
    #: A connection error the client caused (HTTP/2 GOAWAY with its code; HTTP/1.1 400).
    PROTOCOL_ERROR = "protocol_error"
    BAD_PREFACE = "bad_preface"
    #: GOAWAY(ENHANCE_YOUR_CALM): the cost ledger (transport/cost.py), and each flood limit.
    COST_EXCEEDED = "cost_exceeded"
    STREAM_ERRORS = "stream_errors"
    RST_STREAM_FLOOD = "rst_stream_flood"
    SETTINGS_FLOOD = "settings_flood"
    SETTINGS_TOO_MANY = "settings_too_many"
    PING_FLOOD = "ping_flood"
    CONTINUATION_FLOOD = "continuation_flood"
    IDLE_STREAM = "idle_stream"
    #: Timeouts on what the client holds: the preface, a header block or HTTP/1.1 head, a body.
    PREFACE_TIMEOUT = "preface_timeout"
    HEADER_TIMEOUT = "header_timeout"
    BODY_TIMEOUT = "body_timeout"
    #: HTTP/1.1 refusals, each answered with its status first.
    BODY_TOO_LARGE = "body_too_large"
    HEADERS_TOO_LARGE = "headers_too_large"
    BAD_HTTP = "bad_http"
    BLANK_LINES = "blank_lines"


# -- the transport's own metrics ---------------------------------------------------------------

CONNECTIONS: Final = Counter(
    "bidwire_connections_total", "Connections accepted, by protocol.", "protocol"
)
CONNECTIONS_OPEN: Final = Gauge("bidwire_connections_open", "Connections open now.")
STREAMS_OPEN: Final = Gauge(
    "bidwire_streams_open", "HTTP/2 streams and HTTP/1.1 requests in progress now."
)
CONNECTIONS_CLOSED: Final = Counter(
    "bidwire_connections_closed_total",
    "Connections ended, by reason (transport.metrics.CloseReason): each defence has its own.",
    "reason",
)
#: transport.acceptor: while the worker cuts many connections, it accepts at most
#: ``accepts_per_second_while_cutting`` and leaves the rest in the kernel's backlog.
ACCEPT_PAUSES: Final = Counter(
    "bidwire_accept_pauses_total",
    "Times the worker stopped accepting for a moment during a connection flood.",
)
PROTOCOL_ERRORS: Final = Counter(
    "bidwire_protocol_errors_total", "Protocol violations by clients, by kind.", "kind"
)
#: Counted where an answer is made: by the app for its answers, by the engines for their own.
HTTP_RESPONSES: Final = Counter(
    "bidwire_http_responses_total", "HTTP responses, by status code.", "status"
)
#: Error answers by kind: the app's (bad requests, ...) and the transport's (body too large).
ERRORS: Final = Counter(
    "bidwire_errors_total", "Requests answered with an error status, by kind.", "kind"
)


class Timing(StrEnum):
    """Whether an answer to a request with a deadline was written before it (the ``timing``
    label of ``bidwire_answers_total``)."""

    ON_TIME = "on_time"
    LATE = "late"


#: Answers to requests with a deadline (bid requests), counted when written: the one figure an
#: exchange judges a bidder by (it drops late answers, and throttles bidders often late).
ANSWERS: Final = Counter(
    "bidwire_answers_total",
    "Answers to requests with a deadline, by whether they were written before it.",
    "timing",
)
ADMISSION_SHED: Final = Counter(
    "bidwire_admission_shed_total",
    "Requests with a deadline turned away by admission control without being decided, by reason.",
    "reason",
)
QUEUE_SECONDS: Final = Histogram(
    "bidwire_queue_seconds",
    "Time from a request's arrival to the start of its decision (or its shedding from the queue).",
    (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)
ADMISSION_LIMIT: Final = Gauge(
    "bidwire_admission_limit", "The concurrency limit of admission control now."
)
ADMISSION_IN_FLIGHT: Final = Gauge(
    "bidwire_admission_in_flight",
    "Requests admitted and not yet answered (queued, being decided, awaiting a stage).",
)
GC_COLLECTIONS: Final = GcCollections(
    "bidwire_gc_collections_total",
    "Cyclic garbage collections of this worker, by generation.",
    REGISTRY,
)

__all__ = [
    "ADMISSION_IN_FLIGHT",
    "ADMISSION_LIMIT",
    "ADMISSION_SHED",
    "ANSWERS",
    "CONNECTIONS",
    "CONNECTIONS_CLOSED",
    "ACCEPT_PAUSES",
    "CONNECTIONS_OPEN",
    "ERRORS",
    "GC_COLLECTIONS",
    "HTTP_RESPONSES",
    "PROTOCOL_ERRORS",
    "QUEUE_SECONDS",
    "REGISTRY",
    "STREAMS_OPEN",
    "CloseReason",
    "Counter",
    "Gauge",
    "Histogram",
    "Label",
    "Metric",
    "ProtocolErrorKind",
    "Registry",
    "Timing",
]
