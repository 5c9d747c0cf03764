"""Process metrics in Prometheus text format: counters, gauges and one latency histogram.

Counters are plain ints in dicts, incremented inline on the hot path (no locks: one event loop
per worker process). ``render()`` builds the exposition text on demand for ``GET /metrics``.
"""

from __future__ import annotations

import gc
from bisect import bisect_left
from collections import defaultdict
from typing import Final

#: Latency histogram buckets, in seconds: bid requests live in the 0.1 ms - 100 ms range.
LATENCY_BUCKETS: Final = (
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
)  # fmt: skip

_HELP: Final = {
    "bidwire_requests_total": ("counter", "Bid requests received, by wire format."),
    "bidwire_bids_total": ("counter", "Bid responses with at least one bid."),
    "bidwire_nobids_total": ("counter", "No-bid answers, by reason."),
    "bidwire_errors_total": ("counter", "Requests answered with an error status, by kind."),
    "bidwire_http_responses_total": ("counter", "HTTP responses, by status code."),
    "bidwire_shed_total": ("counter", "Requests shed before decoding, by reason."),
    "bidwire_late_total": ("counter", "Results dropped because the deadline had passed."),
    "bidwire_protocol_errors_total": ("counter", "Protocol violations by clients, by kind."),
    "bidwire_connections_total": ("counter", "Connections accepted, by protocol."),
    "bidwire_notices_total": ("counter", "Win/billing/loss notices, by kind and outcome."),
    "bidwire_losses_total": ("counter", "Loss notices, by OpenRTB loss reason code."),
    "bidwire_spend_nanos_total": (
        "counter",
        "Spend from billing notices, by campaign, in 1e-9 units of the bidder's currency.",
    ),
    "bidwire_throttled_total": (
        "counter",
        "Bids held back by budgets, pacing or frequency caps, by reason.",
    ),
    "bidwire_state_errors_total": ("counter", "Failed calls to the shared state store, by kind."),
    "bidwire_state_store_up": ("gauge", "1 when the shared state store answered last time."),
    "bidwire_state_evictions_total": (
        "counter",
        "Dedup keys or frequency-cap counters dropped early at their memory bound, by kind.",
    ),
    "bidwire_connections_open": ("gauge", "Connections open now."),
    "bidwire_streams_open": ("gauge", "HTTP/2 streams and HTTP/1.1 requests in progress now."),
}


class Metrics:
    """All counters of one worker. Labels are one ``kind`` string per metric."""

    __slots__ = ("counters", "gauges", "latency_counts", "latency_sum", "latency_count")

    def __init__(self) -> None:
        self.counters: dict[str, defaultdict[str, int]] = {
            name: defaultdict(int) for name, (kind, _) in _HELP.items() if kind == "counter"
        }
        self.gauges: dict[str, int] = {
            name: 0 for name, (kind, _) in _HELP.items() if kind == "gauge"
        }
        self.latency_counts = [0] * (len(LATENCY_BUCKETS) + 1)
        self.latency_sum = 0.0
        self.latency_count = 0

    def inc(self, name: str, label: str = "", value: int = 1) -> None:
        """Add ``value`` to counter ``name`` with label ``label``."""
        self.counters[name][label] += value

    def get(self, name: str, label: str = "") -> int:
        """The current value of a counter (for tests and health checks)."""
        return self.counters[name].get(label, 0)

    def add_gauge(self, name: str, delta: int) -> None:
        """Move a gauge up or down."""
        self.gauges[name] += delta

    def set_gauge(self, name: str, value: int) -> None:
        """Set a gauge."""
        self.gauges[name] = value

    def observe_latency(self, seconds: float) -> None:
        """Record one request's time from arrival to answer."""
        self.latency_counts[bisect_left(LATENCY_BUCKETS, seconds)] += 1
        self.latency_sum += seconds
        self.latency_count += 1

    def render(self) -> bytes:
        """The Prometheus text exposition (format 0.0.4) of every metric."""
        lines: list[str] = []
        for name, (kind, text) in _HELP.items():
            lines.append(f"# HELP {name} {text}")
            lines.append(f"# TYPE {name} {kind}")
            if kind == "gauge":
                lines.append(f"{name} {self.gauges[name]}")
                continue
            series = self.counters[name]
            if not series:
                lines.append(f"{name} 0")
            for label, value in sorted(series.items()):
                lines.append(f'{name}{{kind="{label}"}} {value}' if label else f"{name} {value}")
        name = "bidwire_gc_collections_total"
        lines.append(f"# HELP {name} Cyclic garbage collections of this worker, by generation.")
        lines.append(f"# TYPE {name} counter")
        for generation, stats in enumerate(gc.get_stats()):
            lines.append(f'{name}{{generation="{generation}"}} {stats["collections"]}')
        name = "bidwire_request_seconds"
        lines.append(f"# HELP {name} Time from request arrival to answer.")
        lines.append(f"# TYPE {name} histogram")
        cumulative = 0
        for bound, count in zip(LATENCY_BUCKETS, self.latency_counts, strict=False):
            cumulative += count
            lines.append(f'{name}_bucket{{le="{bound}"}} {cumulative}')
        lines.append(f'{name}_bucket{{le="+Inf"}} {self.latency_count}')
        lines.append(f"{name}_sum {self.latency_sum:.6f}")
        lines.append(f"{name}_count {self.latency_count}")
        return ("\n".join(lines) + "\n").encode()


__all__ = ["LATENCY_BUCKETS", "Metrics"]
