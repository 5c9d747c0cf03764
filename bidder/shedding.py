"""Adaptive load shedding: refuse work at arrival, before decoding, when it would miss its deadline.

Signals: event-loop lag (how late the loop runs its timers: requests queued behind that much
work have waited as long before we even read them), and arena exhaustion (every request context
in use). A shed request gets an immediate 204 and is counted by reason.
"""

from __future__ import annotations

from typing import Annotated

import msgspec


class SheddingConfig(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """When to shed."""

    #: Shed while the event loop runs this late (ms): a request read now has already waited
    #: about this long, so little of a typical 100-200 ms tmax is left.
    max_loop_lag_ms: Annotated[float, msgspec.Meta(gt=0)] = 50.0
    #: Contexts in the request arena (requests being handled at once in one worker).
    arena_size: Annotated[int, msgspec.Meta(ge=1)] = 1024


class LoadShedder:
    """Holds the latest lag measurement; answers whether to shed a request now."""

    __slots__ = ("max_lag", "lag")

    def __init__(self, config: SheddingConfig) -> None:
        self.max_lag = config.max_loop_lag_ms / 1000.0
        #: The latest measured event-loop lag, in seconds (an exponentially smoothed value).
        self.lag = 0.0

    def observe_lag(self, lag: float) -> None:
        """Fold one lag sample in (the server samples the loop periodically)."""
        lag = max(lag, 0.0)
        # Rise at once, decay slowly: shedding should start fast and stop carefully.
        self.lag = lag if lag > self.lag else self.lag * 0.8 + lag * 0.2

    def reason(self) -> str | None:
        """Why to shed a request arriving now, or None."""
        if self.lag > self.max_lag:
            return "loop_lag"
        return None


__all__ = ["LoadShedder", "SheddingConfig"]
