"""The bidder's metrics, declared once (the transport declares its own in
:mod:`transport.metrics`; both render through its ``REGISTRY`` on ``GET /metrics``).

Use them by reference: ``NOBIDS.inc(reason)``. Each labelled counter has one label, named for
what it holds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from transport.metrics import ERRORS, HTTP_RESPONSES, REGISTRY, Counter, Gauge, Histogram, Label


class HostCounter(Counter):
    """A counter whose total is the host's when the workers share a store
    (:mod:`bidder.shared_state` attaches it): ``inc`` also feeds ``sink``, and ``/metrics``
    renders ``host()`` (the host's series) instead of this worker's ``values``."""

    __slots__ = ("host", "sink")

    def __init__(self, name: str, help: str, label: str) -> None:
        super().__init__(name, help, label)
        self.host: Callable[[], dict[str, int]] | None = None
        self.sink: Callable[[Label, int], None] | None = None

    def inc(self, key: Label = "", value: int = 1) -> None:
        self.values[key] += value
        if self.sink is not None:
            self.sink(key, value)

    def samples(self, lines: list[str]) -> None:
        if self.host is None:
            super().samples(lines)
            return
        series = self.host()
        if not series:
            lines.append(f"{self.name} 0")
        for key, value in sorted(series.items()):
            escaped = key.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
            lines.append(f'{self.name}{{{self.label}="{escaped}"}} {value}')


#: Latency histogram buckets, in seconds: bid requests live in the 0.1 ms - 100 ms range.
LATENCY_BUCKETS: Final = (
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
)  # fmt: skip

REQUESTS: Final = Counter(
    "bidwire_requests_total", "Bid requests received, by wire format.", "format"
)
GRPC_RESPONSES: Final = Counter(
    "bidwire_grpc_responses_total", "gRPC calls answered, by grpc-status name.", "status"
)
BIDS: Final = Counter("bidwire_bids_total", "Bid responses with at least one bid.")
NOBIDS: Final = Counter("bidwire_nobids_total", "No-bid answers, by reason.", "reason")
NOBID_REASONS: Final = Counter(
    "bidwire_nobid_reasons_total",
    "No-bid answers by their finest known reason: for no_match, the request filter that left "
    "no campaign (traffic, hours_of_week, country, ..., wseat, badv, bcat, bapp, bseat); else "
    "the no-bid reason.",
    "reason",
)
SHED: Final = Counter("bidwire_shed_total", "Requests shed before decoding, by reason.", "reason")
LATE: Final = Counter("bidwire_late_total", "Results dropped because the deadline had passed.")
NOTICES: Final = HostCounter(
    "bidwire_notices_total", "Win/billing/loss notices, by kind and outcome.", "kind"
)
LOSSES: Final = Counter(
    "bidwire_losses_total", "Loss notices, by OpenRTB loss reason code.", "reason"
)
SPEND_NANOS: Final = HostCounter(
    "bidwire_spend_nanos_total",
    "Spend from billing notices, by campaign, in 1e-9 units of the bidder's currency.",
    "campaign",
)
THROTTLED: Final = Counter(
    "bidwire_throttled_total",
    "Bids held back by budgets, pacing or frequency caps, by reason.",
    "reason",
)
STATE_ERRORS: Final = Counter(
    "bidwire_state_errors_total", "Failed calls to the shared state store, by kind.", "kind"
)
STATE_STORE_UP: Final = Gauge(
    "bidwire_state_store_up", "1 when the shared state store answered last time."
)
CAMPAIGN_RELOADS: Final = Counter(
    "bidwire_campaign_reloads_total",
    "Campaign file reloads (SIGHUP or a change on disk), by outcome: ok, or failed (the "
    "running campaigns kept).",
    "outcome",
)
STATE_EVICTIONS: Final = HostCounter(
    "bidwire_state_evictions_total",
    "Dedup keys or frequency-cap counters dropped early at their memory bound, by kind.",
    "kind",
)
CAPTURE_RECORDS: Final = Counter(
    "bidwire_capture_records_total",
    "Capture records, by outcome: written, failed (the sink refused them), dropped_rate (over "
    "capture.max_rate), dropped_queue_full, dropped_writer_busy.",
    "outcome",
)
SHADOW_REQUESTS: Final = Counter(
    "bidwire_shadow_requests_total",
    "Live bid requests also sent to the shadow candidate, by outcome: agree, disagree (the "
    "candidate decided otherwise), timing (either side a no-bid for want of time: not "
    "compared), error, timeout; dropped_full (max_in_flight reached), "
    "dropped_unconnected, dropped_window (no HTTP/2 stream or window free).",
    "outcome",
)
SHADOW_SECONDS: Final = Histogram(
    "bidwire_shadow_seconds",
    "Time from sending to the shadow candidate to its answer.",
    (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)
AUDIENCE_LOOKUPS: Final = Counter(
    "bidwire_audience_lookups_total",
    "Audience lookups, by outcome: unknown (no id in the Bloom filter: no round trip), found, "
    "empty (known to the filter, no live segment in Redis), timeout, error, no_time (too "
    "little budget left to ask), busy (too many waiting); the last four decide without "
    "audience data.",
    "outcome",
)
AUDIENCE_ROUND_TRIPS: Final = Counter(
    "bidwire_audience_round_trips_total",
    "Pipelined batches of audience lookups sent to Redis (one per event-loop turn with lookups).",
)
AUDIENCE_BATCH_KEYS: Final = Counter(
    "bidwire_audience_batch_keys_total", "User keys sent in audience lookup batches."
)
AUDIENCE_UPDATES: Final = Counter(
    "bidwire_audience_updates_total",
    "Audience update stream entries, by outcome: applied (to Redis, by this worker), "
    "duplicate (applied before: skipped by stream id), bad (refused), seen (added to this "
    "worker's Bloom filter).",
    "outcome",
)
AUDIENCE_BLOOM_BYTES: Final = Gauge(
    "bidwire_audience_bloom_bytes", "Memory of this worker's Bloom filter of known users."
)
REQUEST_SECONDS: Final = Histogram(
    "bidwire_request_seconds", "Time from request arrival to answer.", LATENCY_BUCKETS
)


def count_nobid(reason: str, detail: str | None = None) -> None:
    """Count one no-bid answer, by ``reason`` and by its finest known reason."""
    NOBIDS.inc(reason)
    NOBID_REASONS.inc(detail or reason)


__all__ = [
    "AUDIENCE_BATCH_KEYS",
    "AUDIENCE_BLOOM_BYTES",
    "AUDIENCE_LOOKUPS",
    "AUDIENCE_ROUND_TRIPS",
    "AUDIENCE_UPDATES",
    "BIDS",
    "CAMPAIGN_RELOADS",
    "CAPTURE_RECORDS",
    "ERRORS",
    "GRPC_RESPONSES",
    "HTTP_RESPONSES",
    "HostCounter",
    "LATE",
    "LATENCY_BUCKETS",
    "LOSSES",
    "NOBIDS",
    "NOBID_REASONS",
    "NOTICES",
    "REGISTRY",
    "REQUESTS",
    "REQUEST_SECONDS",
    "SHADOW_REQUESTS",
    "SHADOW_SECONDS",
    "SHED",
    "SPEND_NANOS",
    "STATE_ERRORS",
    "STATE_EVICTIONS",
    "STATE_STORE_UP",
    "THROTTLED",
    "count_nobid",
]
