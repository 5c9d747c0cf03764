"""The pictures of ``bidwire bench``: cost against message size, latency against offered load.

matplotlib is imported inside each function (the ``bench`` extra), with the Agg backend: the
plots are files, and a server has no display.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

#: One colour per codec, the same in every panel (colour-blind-safe Okabe-Ito palette).
CODEC_COLOURS = {
    "json": "#7f7f7f",
    "orjson": "#E69F00",
    "msgspec_dict": "#009E73",
    "msgspec_struct": "#0072B2",
    "upb": "#D55E00",
    "proto_struct": "#CC79A7",
}
#: One colour per server in the load plots.
SERVER_COLOURS = {
    "bidwire": "#0072B2",
    "bidwire-h2": "#56B4E9",
    "bidwire-raw": "#009E73",
    "hypercorn": "#7f7f7f",
    "granian": "#E69F00",
}


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _binned(points: Sequence[tuple[float, float]], bins: int = 8) -> list[tuple[float, float]]:
    """Median x and y of ``points`` in ``bins`` groups of equal log-width of x: a line that
    shows the trend without the scatter's noise."""
    if not points:
        return []
    xs = sorted(points)
    low, high = xs[0][0], xs[-1][0]
    if high <= low:
        return [(low, statistics.median(y for _, y in xs))]
    ratio = (high / low) ** (1 / bins)
    out = []
    edge = low
    for i in range(bins):
        top = high * 1.0001 if i == bins - 1 else edge * ratio
        members = [(x, y) for x, y in xs if edge <= x < top]
        if members:
            out.append(
                (statistics.median(x for x, _ in members), statistics.median(y for _, y in members))
            )
        edge = top
    return out


def _size_ticks(ax: Any, sizes: Sequence[int]) -> None:
    """Byte sizes as "300 B", "1 KB", "10 KB" on a log x axis, and µs as "1 µs", "1 ms" on a
    log y axis: easier to read than powers of ten."""
    from matplotlib.ticker import FuncFormatter, NullFormatter

    low, high = min(sizes, default=100), max(sizes, default=100_000)
    ticks = [
        t for t in (30, 100, 300, 1000, 3000, 10_000, 30_000, 100_000) if low / 2 <= t <= high * 2
    ]
    ax.set_xticks(ticks, [f"{t} B" if t < 1000 else f"{t // 1000} KB" for t in ticks])
    ax.xaxis.set_minor_formatter(NullFormatter())

    def micro(value: float, _pos: object) -> str:
        if value >= 1000:
            return f"{value / 1000:g} ms"
        return f"{value:g} µs"

    ax.yaxis.set_major_formatter(FuncFormatter(micro))


def _panel(
    ax: Any,
    messages: Sequence[dict[str, Any]],
    legs: dict[str, str],
    suffix: str,
    title: str,
    xlabel: str,
) -> None:
    for key, label in legs.items():
        points = [
            (float(m["json_bytes"]), float(m["us"][key + suffix]))
            for m in messages
            if m["us"].get(key + suffix) is not None
        ]
        if not points:
            continue
        colour = CODEC_COLOURS.get(key, "black")
        ax.scatter(*zip(*points, strict=True), s=12, alpha=0.35, color=colour, linewidths=0)
        trend = _binned(points)
        ax.plot(*zip(*trend, strict=True), color=colour, linewidth=2, label=label, marker="o", ms=3)
    ax.set_xscale("log")
    ax.set_yscale("log")
    _size_ticks(ax, [x for key in legs for m in messages if (x := m["json_bytes"])])
    ax.set_title(title, fontsize=11)
    ax.set_xlabel(xlabel)
    ax.grid(True, which="major", alpha=0.4)
    ax.grid(True, which="minor", alpha=0.12)


def plot_decode(result: dict[str, Any], path: Path) -> None:
    """Three panels sharing a log-log scale: decode + read the bidder's fields (the figure to
    read), parse only, and response encode; µs per message against the message's JSON size."""
    plt = _pyplot()
    panels = 3 if result["responses"] else 2
    fig, axes = plt.subplots(1, panels, figsize=(6.2 * panels, 5.6), sharey=True)
    size = "message size, JSON bytes (protobuf legs: the same message converted)"
    _panel(
        axes[0],
        result["requests"],
        result["decoders"],
        "+read",
        "Decode a bid request, then read the fields the bidder uses",
        size,
    )
    _panel(axes[1], result["requests"], result["decoders"], "", "Parse only (upb is lazy)", size)
    axes[0].set_ylabel("time per message (log scale; lower is faster)")
    # The published claim this benchmark was asked to settle: 3 ms (JSON) vs 0.3 ms (protobuf).
    for ax in axes[:2]:
        for value, text in ((3000, "claimed JSON parse: 3 ms"), (300, "claimed protobuf: 0.3 ms")):
            ax.axhline(value, color="black", linestyle=":", linewidth=1)
            ax.annotate(text, (0.02, value), xycoords=("axes fraction", "data"), fontsize=8,
                        va="bottom")  # fmt: skip
    axes[0].legend(fontsize=8, loc="lower right", framealpha=0.9)
    if panels == 3:
        _panel(
            axes[2],
            result["responses"],
            result["encoders"],
            "",
            "Encode a bid response",
            "response size, JSON bytes",
        )
        axes[2].legend(fontsize=8, loc="upper left", framealpha=0.9)
    n, r = len(result["requests"]), result["settings"]["repeat"]
    fig.suptitle(
        f"bidwire bench decode: cost per message against size ({n} requests; dots: one message, "
        f"median of {r} runs; lines: medians by size)",
        fontsize=12,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_load(
    points: Sequence[dict[str, Any]],
    path: Path,
    title: str,
    tmax_ms: float,
    maxima: dict[tuple[str, str], float] | None = None,
) -> None:
    """p50 and p99 latency, and the share of replies later than tmax, against offered load
    (req/s), one colour per server, HTTP/2 solid and HTTP/1.1 dashed; each point a median over
    rounds. A dotted vertical line marks each server's closed-loop maximum."""
    plt = _pyplot()
    from matplotlib.ticker import FuncFormatter, NullFormatter

    fig, axes = plt.subplots(1, 3, figsize=(16, 5.2))
    series: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for p in points:
        series.setdefault((p["server"], p["proto"]), []).append(p)
    panels = (("p50_ms", "median latency"), ("p99_ms", "p99 latency"), ("late_pct", "late"))
    for ax, (metric, name) in zip(axes, panels, strict=True):
        for (server, proto), members in sorted(series.items()):
            members = sorted(members, key=lambda p: p["offered"])
            colour = SERVER_COLOURS.get(server, "black")
            style = "-" if proto == "h2" else "--"
            xs = [p["offered"] for p in members]
            ys = [p[metric] if metric == "late_pct" else max(p[metric], 1e-3) for p in members]
            ax.plot(xs, ys, marker="o", color=colour, linestyle=style, label=f"{server} {proto}")
            if maxima and (server, proto) in maxima:
                ax.axvline(maxima[(server, proto)], color=colour, linestyle=":", linewidth=1)
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.0f}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("offered load, requests/s (open loop, log scale)")
        ax.grid(True, which="both", alpha=0.3)
        if metric == "late_pct":
            ax.set_ylim(-2, 102)
            ax.set_ylabel(f"% of replies after tmax ({tmax_ms:g} ms)")
            ax.set_title(f"Late replies (after tmax = {tmax_ms:g} ms)", fontsize=11)
        else:
            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:g} ms"))
            ax.axhline(tmax_ms, color="black", linestyle=":", linewidth=1)
            ax.annotate(f"tmax {tmax_ms:g} ms", (0.02, tmax_ms), xycoords=("axes fraction", "data"),
                        fontsize=8, va="bottom")  # fmt: skip
            ax.set_ylabel("ms (log scale; lower is better)")
            ax.set_title(f"{name.capitalize()} (h2load per-request log)", fontsize=11)
    axes[0].legend(fontsize=8, loc="upper left")
    fig.suptitle(f"{title}; dotted verticals: each server's closed-loop maximum", fontsize=12)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


__all__ = ["CODEC_COLOURS", "SERVER_COLOURS", "plot_decode", "plot_load"]
