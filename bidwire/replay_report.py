"""The report of a replay: agreement, the decisions that changed and how, each side's latency,
and the verdict against the thresholds. As a table (:func:`table`), JSON (``msgspec`` of
:class:`Report`) or a plot (:func:`plot`)."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from typing import Final

import msgspec

from bidder.decision import (
    CHANGE_KINDS,
    Decision,
    ImpDecision,
    changes,
    price_deltas,
    timed_out,
)

from .replay import Outcome, Pair

#: Changed requests listed in the table (``--json`` lists them all).
SHOWN: Final = 50


class Latency(msgspec.Struct, frozen=True):
    """Percentiles of one side's latency, milliseconds."""

    p50: float
    p99: float
    p999: float
    max: float


class SideReport(msgspec.Struct, frozen=True):
    """What one side answered."""

    name: str
    answered: int
    errors: int
    bids: int
    latency_ms: Latency | None


class Change(msgspec.Struct, frozen=True):
    """A request whose decision changed: its number in the capture (from 1), its id, how
    (kinds of :data:`bidder.decision.CHANGE_KINDS`), and both decisions."""

    n: int
    id: str
    kinds: tuple[str, ...]
    baseline: Decision
    candidate: Decision


class Failure(msgspec.Struct, frozen=True):
    """A request one side did not answer with a decision: an error, or a no-bid for want of
    time (:func:`bidder.decision.timed_out`)."""

    n: int
    id: str
    side: str
    error: str


class Deltas(msgspec.Struct, frozen=True):
    """The price differences (candidate less baseline) of impressions both sides bid on."""

    count: int
    min: float
    p50: float
    mean: float
    max: float


class Report(msgspec.Struct, frozen=True):
    """A replay's findings. Shares are fractions of the requests both sides decided."""

    capture: str
    requests: int
    compared: int
    agree: int
    agreement: float
    changed: tuple[Change, ...]
    changed_share: float
    by_kind: dict[str, int]
    price_deltas: Deltas | None
    baseline: SideReport
    candidate: SideReport
    failures: tuple[Failure, ...]
    error_share: float
    #: The thresholds, in percent, and whether the replay is within them.
    max_changed: float
    max_errors: float
    passed: bool


def _latency(values: Sequence[float]) -> Latency | None:
    if not values:
        return None
    ms = sorted(v * 1000.0 for v in values)

    def at(q: float) -> float:
        return round(ms[min(len(ms) - 1, int(q * len(ms)))], 3)

    return Latency(at(0.5), at(0.99), at(0.999), round(ms[-1], 3))


def _side(name: str, outcomes: Sequence[Outcome]) -> SideReport:
    decided = [o for o in outcomes if o.decision is not None]
    bids = sum(1 for o in decided if o.decision is not None and o.decision.bid)
    return SideReport(name, len(decided), len(outcomes) - len(decided), bids,
                      _latency([o.seconds for o in decided]))  # fmt: skip


def build(
    capture: str,
    pairs: Sequence[Pair],
    names: tuple[str, str],
    max_changed: float,
    max_errors: float,
) -> Report:
    """The report of ``pairs`` (sides named ``names``), judged against ``max_changed`` and
    ``max_errors`` (percent of the requests)."""
    changed: list[Change] = []
    failures: list[Failure] = []
    deltas: list[float] = []
    agree = compared = 0
    for pair in pairs:
        a, b = pair.baseline.decision, pair.candidate.decision
        late = False
        for side, outcome in (("baseline", pair.baseline), ("candidate", pair.candidate)):
            decision = outcome.decision
            if decision is None:
                failures.append(Failure(pair.n, pair.record.id, side, outcome.error or "?"))
            elif timed_out(decision):
                # The deadline decided, not the campaigns: not a decision to compare.
                why = f"deadline no-bid ({decision.reason or f'nbr {decision.nbr}'})"
                failures.append(Failure(pair.n, pair.record.id, side, why))
                late = True
        if a is None or b is None or late:
            continue
        compared += 1
        agree += a.bid == b.bid
        kinds = changes(a, b)
        if kinds:
            changed.append(Change(pair.n, pair.record.id, kinds, a, b))
            deltas.extend(price_deltas(a, b))
    by_kind = Counter(kind for change in changed for kind in change.kinds)
    failed = len({f.n for f in failures})
    changed_share = len(changed) / compared if compared else 0.0
    error_share = failed / len(pairs) if pairs else 0.0
    passed = changed_share * 100 <= max_changed and error_share * 100 <= max_errors
    price = None
    if deltas:
        price = Deltas(len(deltas), round(min(deltas), 6), round(statistics.median(deltas), 6),
                       round(statistics.fmean(deltas), 6), round(max(deltas), 6))  # fmt: skip
    return Report(
        capture=capture, requests=len(pairs), compared=compared, agree=agree,
        agreement=agree / compared if compared else 1.0, changed=tuple(changed),
        changed_share=changed_share,
        by_kind={kind: by_kind[kind] for kind in CHANGE_KINDS if by_kind[kind]},
        price_deltas=price, baseline=_side(names[0], [p.baseline for p in pairs]),
        candidate=_side(names[1], [p.candidate for p in pairs]), failures=tuple(failures),
        error_share=error_share, max_changed=max_changed, max_errors=max_errors, passed=passed,
    )  # fmt: skip


def _imp_words(imp: ImpDecision) -> str:
    if not imp.bid:
        return "nobid"
    deal = f" deal {imp.deal}" if imp.deal else ""
    return f"{imp.campaign}/{imp.creative}{deal} {imp.price} {imp.cur}"


def how(change: Change) -> str:
    """What changed, impression by impression: ``imp 1: c-a/cr-1 1.2 USD -> c-b/cr-2 2.0 USD``."""
    after = {imp.imp: imp for imp in change.candidate.imps}
    parts = []
    for a in change.baseline.imps:
        b = after.get(a.imp, ImpDecision(imp=a.imp))
        if _imp_words(a) != _imp_words(b):
            parts.append(f"imp {a.imp}: {_imp_words(a)} -> {_imp_words(b)}")
    return "; ".join(parts)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def table(report: Report, shown: int = SHOWN) -> str:
    """The report as text for a terminal."""
    a, b = report.baseline, report.candidate
    width = max(24, len(a.name) + 2)
    lines = [f"replay of {report.capture}: {report.requests:,} requests",
             f"{'':22}{'baseline':<{width}}candidate",
             f"{'side':22}{a.name:<{width}}{b.name}"]  # fmt: skip

    def row(label: str, x: object, y: object) -> None:
        lines.append(f"{label:22}{x!s:<{width}}{y!s}")

    row("answered", f"{a.answered:,}", f"{b.answered:,}")
    row("errors", f"{a.errors:,}", f"{b.errors:,}")
    row("bids", f"{a.bids:,}", f"{b.bids:,}")
    for label, key in (("p50", "p50"), ("p99", "p99"), ("p99.9", "p999"), ("max", "max")):
        x = getattr(a.latency_ms, key) if a.latency_ms else None
        y = getattr(b.latency_ms, key) if b.latency_ms else None
        row(f"latency {label} ms", _ms(x), _ms(y))
    lines.append(
        f"bid/no-bid agreement: {report.agreement:.2%} ({report.agree:,} of "
        f"{report.compared:,} requests both sides decided)"
    )
    kinds = ", ".join(f"{kind} {count:,}" for kind, count in report.by_kind.items())
    lines.append(f"decisions changed: {len(report.changed):,} ({report.changed_share:.2%})"
                 + (f": {kinds}" if kinds else ""))  # fmt: skip
    d = report.price_deltas
    if d is not None:
        lines.append(f"price deltas (candidate - baseline, {d.count:,} bids): min {d.min:+g} "
                     f"p50 {d.p50:+g} mean {d.mean:+g} max {d.max:+g}")  # fmt: skip
    if report.changed:
        lines.append("changed requests (number in the capture, id: how):")
        for change in report.changed[:shown]:
            lines.append(f"  #{change.n} {change.id}: {', '.join(change.kinds)}: {how(change)}")
        if len(report.changed) > shown:
            lines.append(f"  ... and {len(report.changed) - shown:,} more (--json lists all)")
    if report.failures:
        lines.append("not decided (number, id, side: why):")
        for failure in report.failures[:shown]:
            lines.append(f"  #{failure.n} {failure.id} {failure.side}: {failure.error}")
        if len(report.failures) > shown:
            lines.append(f"  ... and {len(report.failures) - shown:,} more (--json lists all)")
    verdict = "pass" if report.passed else "FAIL"
    lines.append(
        f"{verdict}: {report.changed_share:.2%} changed (--max-changed {report.max_changed:g}%), "
        f"{report.error_share:.2%} not decided (--max-errors {report.max_errors:g}%)"
    )
    return "\n".join(lines)


def plot(report: Report, pairs: Sequence[Pair], path: str) -> None:
    """Two panels: each side's latency distribution, and the price deltas."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for label, outcomes in (
        (f"baseline: {report.baseline.name}", [p.baseline for p in pairs]),
        (f"candidate: {report.candidate.name}", [p.candidate for p in pairs]),
    ):
        ms = sorted(o.seconds * 1000 for o in outcomes if o.decision is not None)
        if ms:
            left.plot(ms, [(i + 1) / len(ms) for i in range(len(ms))], label=label)
    left.set_xscale("log")
    left.set_xlabel("latency (ms, log)")
    left.set_ylabel("share of requests at most")
    left.set_title("latency of each side")
    left.legend(fontsize=8)
    deltas = [x for c in report.changed for x in price_deltas(c.baseline, c.candidate)]
    if deltas:
        right.hist(deltas, bins=min(40, max(5, len(deltas))))
    right.set_xlabel("price, candidate - baseline")
    right.set_ylabel("impressions")
    right.set_title(
        f"{len(report.changed):,} changed of {report.compared:,} "
        f"({report.changed_share:.2%}); agreement {report.agreement:.2%}"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


__all__ = ["Change", "Failure", "Report", "SideReport", "build", "how", "plot", "table"]
