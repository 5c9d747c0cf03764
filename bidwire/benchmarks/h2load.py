"""Driving h2load and reading what it reports.

h2load (nghttp2) is the load generator for both protocols: HTTP/2 with prior knowledge, and
HTTP/1.1 with ``--h1`` (one request in flight per connection: ``-m 1``, no pipelining, as
exchanges send). Closed loop: ``-c`` connections keep ``-m`` requests each in flight.
Open loop: ``--rps`` per connection sends on a timer whatever the answers do, up to ``-m`` in
flight per connection; past that h2load holds requests back, so the rate it actually sent is
reported beside the rate asked for.

Latency percentiles come from ``--log-file`` (one row per request: start time in µs since the
epoch, status, µs until the end of the response), not from h2load's summary, which has no
percentiles.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

_FINISHED = re.compile(r"^finished in ([\d.]+)(us|ms|s), ([\d.]+) req/s", re.M)
_REQUESTS = re.compile(
    r"^requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, "
    r"(\d+) errored, (\d+) timeout",
    re.M,
)
_STATUS = re.compile(r"^status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", re.M)
_PROTOCOL = re.compile(r"^Application protocol: (\S+)", re.M)
_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0}


class H2loadError(RuntimeError):
    """h2load did not run, or printed no summary."""


@dataclass
class Summary:
    """h2load's closing summary."""

    duration_s: float
    rps: float
    total: int
    started: int
    done: int
    succeeded: int
    failed: int
    errored: int
    timeout: int
    status_2xx: int = 0
    status_3xx: int = 0
    status_4xx: int = 0
    status_5xx: int = 0
    protocol: str = ""


def parse_summary(text: str) -> Summary:
    """Parse h2load's output. Raises :class:`H2loadError` if it has no "finished in" line."""
    finished = _FINISHED.search(text)
    requests = _REQUESTS.search(text)
    if finished is None or requests is None:
        tail = " | ".join(text.strip().splitlines()[-3:])
        raise H2loadError(f"h2load printed no summary: {tail}")
    total, started, done, succeeded, failed, errored, timeout = (int(g) for g in requests.groups())
    summary = Summary(
        duration_s=float(finished[1]) * _UNITS[finished[2]],
        rps=float(finished[3]),
        total=total,
        started=started,
        done=done,
        succeeded=succeeded,
        failed=failed,
        errored=errored,
        timeout=timeout,
    )
    status = _STATUS.search(text)
    if status is not None:
        (summary.status_2xx, summary.status_3xx, summary.status_4xx, summary.status_5xx) = (
            int(g) for g in status.groups()
        )
    protocol = _PROTOCOL.search(text)
    if protocol is not None:
        summary.protocol = protocol[1]
    return summary


@dataclass
class Latency:
    """What the per-request log says: percentiles in ms, statuses, replies later than tmax."""

    count: int = 0
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    p999_ms: float = 0.0
    max_ms: float = 0.0
    #: Requests answered after the deadline (``tmax_ms``), of ``count``.
    late: int = 0
    #: Status code -> count; 0 is a complete response whose status line h2load could not
    #: parse (hypercorn's HTTP/1.1 status line has an empty reason phrase, which h2load's
    #: HTTP/1 parser does not report).
    statuses: dict[int, int] = field(default_factory=dict)
    #: Requests per second that h2load sent (first to last request start).
    sent_rps: float = 0.0


def percentile(sorted_values: Sequence[int], q: float) -> int:
    """The nearest-rank ``q`` quantile (0 < q <= 1) of sorted values."""
    if not sorted_values:
        return 0
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def log_rows(lines: Iterable[str]) -> Iterator[tuple[int, int, int]]:
    """The rows of an h2load ``--log-file``: (start µs since the epoch, status, duration µs);
    lines that are not rows are skipped."""
    for line in lines:
        parts = line.split("\t")
        if len(parts) >= 3:
            yield int(parts[0]), int(parts[1]), int(parts[2])


def parse_log(lines: Iterable[str], tmax_ms: float | None = None) -> Latency:
    """Read an h2load ``--log-file``: tab-separated start µs, status, duration µs."""
    durations: list[int] = []
    statuses: Counter[int] = Counter()
    first = last = None
    for start, status, duration in log_rows(lines):
        durations.append(duration)
        statuses[status] += 1
        first = start if first is None else min(first, start)
        last = start if last is None else max(last, start)
    durations.sort()
    out = Latency(count=len(durations), statuses=dict(sorted(statuses.items())))
    if not durations:
        return out
    ms = 1e-3
    out.p50_ms = percentile(durations, 0.50) * ms
    out.p90_ms = percentile(durations, 0.90) * ms
    out.p99_ms = percentile(durations, 0.99) * ms
    out.p999_ms = percentile(durations, 0.999) * ms
    out.max_ms = durations[-1] * ms
    if tmax_ms is not None:
        limit = tmax_ms * 1000
        out.late = len(durations) - _count_at_most(durations, limit)
    if first is not None and last is not None and last > first:
        out.sent_rps = (len(durations) - 1) / ((last - first) / 1e6)
    return out


@dataclass
class Timeliness:
    """What an open-loop run's per-request log says against a deadline and a schedule."""

    #: Requests answered (complete responses in the log), and of those after tmax.
    answered: int = 0
    late: int = 0
    #: Answers with status 200 (a bid) within tmax.
    on_time_bids: int = 0
    #: Requests h2load sent more than ``tick`` behind the open-loop schedule (it held them back:
    #: streams or connections all busy), and the largest such delay in ms: waiting on the
    #: client's side, where h2load's own latency does not count it.
    held: int = 0
    max_held_ms: float = 0.0
    #: Requests late once that wait is counted: answer time + (delay - tick) > tmax.
    late_with_held: int = 0


def timeliness(
    lines: Iterable[str], tmax_ms: float, offered_rps: float, tick_s: float = 0.010
) -> Timeliness:
    """Read an h2load ``--log-file`` of an open-loop run at ``offered_rps``. The i-th request
    (by start time) was due ``i / offered_rps`` after the first: the one sent later than that
    by more than ``tick_s`` (h2load sends on a 10 ms timer) was held back by h2load."""
    rows = sorted(log_rows(lines))
    out = Timeliness(answered=len(rows))
    if not rows:
        return out
    first = rows[0][0]
    limit = tmax_ms * 1000
    per = 1e6 / offered_rps if offered_rps > 0 else 0.0
    tick = tick_s * 1e6
    for i, (start, status, duration) in enumerate(rows):
        if duration > limit:
            out.late += 1
        elif status == 200:
            out.on_time_bids += 1
        behind = (start - first) - i * per
        held = behind - tick if per and behind > tick else 0.0
        if held > 0:
            out.held += 1
            out.max_held_ms = max(out.max_held_ms, held / 1000)
        if duration + held > limit:
            out.late_with_held += 1
    return out


def windows(lines: Iterable[str], width_s: float) -> list[tuple[float, int, float]]:
    """The log cut into windows of ``width_s`` by start time: (start in seconds from the first
    request, requests, their p99 latency in ms)."""
    rows = sorted((start, duration) for start, _status, duration in log_rows(lines))
    if not rows:
        return []
    first = rows[0][0]
    width = width_s * 1e6
    groups: dict[int, list[int]] = {}
    for start, duration in rows:
        groups.setdefault(int((start - first) // width), []).append(duration)
    out = []
    for index in sorted(groups):
        durations = sorted(groups[index])
        out.append((index * width_s, len(durations), percentile(durations, 0.99) / 1000))
    return out


def _count_at_most(sorted_values: Sequence[int], limit: float) -> int:
    from bisect import bisect_right

    return bisect_right(sorted_values, limit)


def command(
    url: str,
    *,
    proto: str,
    clients: int,
    streams: int,
    duration_s: float,
    body: Path,
    log_file: Path | None = None,
    rps_per_client: float | None = None,
    content_type: str = "application/json",
    headers: Sequence[str] = (),
) -> list[str]:
    """The h2load argv for one run (without CPU pinning); ``headers``: more ``-H`` values."""
    argv = ["h2load", "-c", str(clients), "-m", str(streams), "-t", "1"]
    if proto == "h1":
        argv.append("--h1")
    argv += [
        "-D",
        f"{round(duration_s * 1000)}ms",
        "-d",
        str(body),
        "-H",
        f"content-type: {content_type}",
    ]
    for header in headers:
        argv += ["-H", header]
    if rps_per_client is not None:
        argv += ["--rps", f"{rps_per_client:.3f}".rstrip("0").rstrip(".")]
    if log_file is not None:
        argv += ["--log-file", str(log_file)]
    argv.append(url)
    return argv


def run(argv: Sequence[str], timeout_s: float) -> tuple[str, float]:
    """Run h2load; its output and the CPU seconds it used (from its own rusage, so a busy
    load generator shows). Raises :class:`H2loadError`."""
    with tempfile.TemporaryFile(mode="w+") as out:
        try:
            process = subprocess.Popen(
                list(argv), stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "LC_ALL": "C"}
            )
        except OSError as exc:
            raise H2loadError(f"cannot run {argv[0]}: {exc}") from None
        deadline = time.monotonic() + timeout_s
        while True:
            # wait4 rather than wait: it returns the child's own CPU time.
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                process.returncode = os.waitstatus_to_exitcode(status)
                break
            if time.monotonic() > deadline:
                process.kill()
                process.wait()
                out.seek(0)
                raise H2loadError(f"h2load ran over {timeout_s:.0f} s: {out.read()[-300:]}")
            time.sleep(0.05)
        out.seek(0)
        return out.read(), usage.ru_utime + usage.ru_stime


def run_staggered(
    argvs: Sequence[Sequence[str]], offsets_s: Sequence[float], timeout_s: float
) -> tuple[list[str], float]:
    """Run several h2loads at once, the i-th started ``offsets_s[i]`` after the first: their
    outputs and the CPU seconds they used together. One h2load's clients all send on the same
    timer, so many HTTP/1.1 clients at a low rate each fire together, in bursts no exchange
    sends: started apart, the groups spread the bursts over the period. Raises
    :class:`H2loadError` if one fails to start or runs over ``timeout_s``."""
    outputs: list[str] = [""] * len(argvs)
    cpu = [0.0] * len(argvs)
    errors: list[str] = []

    def one(index: int) -> None:
        time.sleep(offsets_s[index])
        try:
            outputs[index], cpu[index] = run(argvs[index], timeout_s)
        except H2loadError as exc:
            errors.append(str(exc))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(argvs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise H2loadError(errors[0])
    return outputs, sum(cpu)


#: The fields of :class:`Summary` that add up over h2loads run side by side.
_ADDED = ("rps", "total", "started", "done", "succeeded", "failed", "errored", "timeout",
          "status_2xx", "status_3xx", "status_4xx", "status_5xx")  # fmt: skip


def merge(summaries: Sequence[Summary]) -> Summary:
    """Summaries of h2loads run side by side as one: counts and rates added."""
    added = {name: sum(getattr(s, name) for s in summaries) for name in _ADDED}
    duration = max(s.duration_s for s in summaries)
    return Summary(duration_s=duration, protocol=summaries[0].protocol, **added)


__all__ = [
    "H2loadError",
    "Latency",
    "Summary",
    "Timeliness",
    "command",
    "log_rows",
    "merge",
    "parse_log",
    "parse_summary",
    "percentile",
    "run",
    "run_staggered",
    "timeliness",
    "windows",
]
