"""The deadline budget of one request, and the recent cost of the pipeline's stages.

deadline = arrival + min(tmax or default, cap) - network allowance, as prebid-server's tmax
adjustments do: the exchange's tmax covers the round trip, so the answer must leave early
enough to arrive in time. Stages ask :meth:`Budget.can_run` before they start; when what is
left cannot fit the rest (estimated from recent costs), the answer is an immediate no-bid.
"""

from __future__ import annotations

from typing import Annotated

import msgspec


class DeadlineConfig(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Deadline rules, in milliseconds."""

    #: tmax assumed when the request has none.
    default_tmax_ms: Annotated[float, msgspec.Meta(gt=0)] = 200.0
    #: The longest budget taken, whatever tmax says.
    max_tmax_ms: Annotated[float, msgspec.Meta(gt=0)] = 1000.0
    #: Subtracted for the network legs between the exchange and us.
    network_allowance_ms: Annotated[float, msgspec.Meta(ge=0)] = 20.0


def deadline_for(arrival: float, tmax_ms: int | None, config: DeadlineConfig) -> float:
    """The monotonic time by which the answer must have left."""
    budget = float(tmax_ms) if tmax_ms and tmax_ms > 0 else config.default_tmax_ms
    if budget > config.max_tmax_ms:  # (min() without the call: every bid request, shed or not)
        budget = config.max_tmax_ms
    return arrival + (budget - config.network_allowance_ms) / 1000.0


def arrival_for_deadline(
    arrival: float, tmax_ms: int | None, config: DeadlineConfig, limit: float
) -> float:
    """The arrival to hand the pipeline so that its deadline (:func:`deadline_for`) is the
    earlier of the request's own and ``limit``: a caller's deadline (gRPC's ``grpc-timeout``)
    folded in without a second parameter to every decide function. The pipeline reads the
    arrival only to compute its deadline."""
    own = deadline_for(arrival, tmax_ms, config)
    return arrival if own <= limit else arrival - (own - limit)


class StageCosts:
    """Exponentially weighted recent cost of each stage, in seconds."""

    __slots__ = ("alpha", "costs")

    def __init__(self, alpha: float = 0.05) -> None:
        self.alpha = alpha
        self.costs: dict[str, float] = {}

    def record(self, stage: str, seconds: float) -> None:
        """Fold one measured run of ``stage`` into its estimate."""
        old = self.costs.get(stage)
        self.costs[stage] = seconds if old is None else old + self.alpha * (seconds - old)

    def estimate(self, stages: tuple[str, ...]) -> float:
        """The expected cost of running ``stages`` now."""
        # A loop, not sum() over a generator: this runs once per impression (profiled).
        get = self.costs.get
        total = 0.0
        for stage in stages:
            total += get(stage, 0.0)
        return total


__all__ = ["DeadlineConfig", "StageCosts", "arrival_for_deadline", "deadline_for"]
