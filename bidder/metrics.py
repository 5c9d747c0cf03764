"""The bidder's metrics, declared once (the transport declares its own in
:mod:`transport.metrics`; both render through its ``REGISTRY`` on ``GET /metrics``).

Use them by reference: ``NOBIDS.inc(reason)``. Each labelled counter has one label, named for
what it holds.
"""

from __future__ import annotations

from typing import Final

from transport.metrics import ERRORS, HTTP_RESPONSES, REGISTRY, Counter, Gauge, Histogram

#: Latency histogram buckets, in seconds: bid requests live in the 0.1 ms - 100 ms range.
LATENCY_BUCKETS: Final = (
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
)  # fmt: skip

REQUESTS: Final = Counter(
    "bidwire_requests_total", "Bid requests received, by wire format.", "format"
)
BIDS: Final = Counter("bidwire_bids_total", "Bid responses with at least one bid.")
NOBIDS: Final = Counter("bidwire_nobids_total", "No-bid answers, by reason.", "reason")
SHED: Final = Counter("bidwire_shed_total", "Requests shed before decoding, by reason.", "reason")
LATE: Final = Counter("bidwire_late_total", "Results dropped because the deadline had passed.")
NOTICES: Final = Counter(
    "bidwire_notices_total", "Win/billing/loss notices, by kind and outcome.", "kind"
)
LOSSES: Final = Counter(
    "bidwire_losses_total", "Loss notices, by OpenRTB loss reason code.", "reason"
)
SPEND_NANOS: Final = Counter(
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
STATE_EVICTIONS: Final = Counter(
    "bidwire_state_evictions_total",
    "Dedup keys or frequency-cap counters dropped early at their memory bound, by kind.",
    "kind",
)
REQUEST_SECONDS: Final = Histogram(
    "bidwire_request_seconds", "Time from request arrival to answer.", LATENCY_BUCKETS
)

__all__ = [
    "BIDS",
    "ERRORS",
    "HTTP_RESPONSES",
    "LATE",
    "LATENCY_BUCKETS",
    "LOSSES",
    "NOBIDS",
    "NOTICES",
    "REGISTRY",
    "REQUESTS",
    "REQUEST_SECONDS",
    "SHED",
    "SPEND_NANOS",
    "STATE_ERRORS",
    "STATE_EVICTIONS",
    "STATE_STORE_UP",
    "THROTTLED",
]
