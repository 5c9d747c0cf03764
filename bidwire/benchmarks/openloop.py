"""The open-loop HTTP/2 load generator (``openloop.c`` beside this file): building and driving it.

h2load tops out at ~33-36k 1 KB POSTs a second on one core (bench/results/
h2load-capacity-2026-12-07.txt), short of ``bench overload``'s 5x point. ``openloop`` sends one
pre-encoded request on a fixed schedule over a few h2c connections from one epoll loop: request
i is due ``i / rate`` after the start, and one held back by the server's stream limit, its flow
control windows or a full socket is sent when it can, its wait counted from when it was due.
It prints a JSON summary (:class:`Result`); ``--log`` writes h2load's ``--log-file`` columns
(send µs since the epoch, status, µs to the end of the answer) plus µs behind the schedule, so
:func:`bidwire.benchmarks.h2load.windows` reads it.

It is built on first use with the C compiler (``cc -O2``, no libraries) into a cache folder,
under a name that carries the source's hash, so an edited source is rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .h2load import H2loadError, run

SOURCE = Path(__file__).with_name("openloop.c")


class OpenloopError(H2loadError):
    """openloop could not be built, did not run, or printed no summary. A kind of
    :class:`H2loadError` so that callers handling a lost load-generator run handle both."""


@dataclass
class Result:
    """openloop's JSON summary: what one run sent and what came back."""

    rate: float
    duration_s: float
    #: Requests on the schedule (rate x duration), sent, and never sent before it ended.
    scheduled: int
    sent: int
    unsent: int
    #: Streams that ended with END_STREAM (an answer), with RST_STREAM (``refused``: of those,
    #: REFUSED_STREAM), above a GOAWAY's last stream, or not at all within the grace period.
    answered: int
    reset: int
    refused: int
    goaway_lost: int
    unanswered: int
    goaways: int
    connection_errors: int
    #: Answers whose :status could not be read (counted under status 0).
    unparsed_status: int
    #: Requests sent more than one tick behind their schedule, and the longest such wait.
    held: int
    max_held_ms: float
    #: Answered after tmax from the send (h2load's meaning), plus the unanswered.
    late: int
    #: Answered after tmax from when it was due, plus the unanswered.
    late_from_schedule: int
    #: As ``late``, counting the wait beyond one tick (h2load.timeliness's ``late_with_held``).
    late_with_held: int
    #: Status 200 within tmax from the send, and from the schedule.
    on_time_bids: int
    on_time_bids_from_schedule: int
    statuses: dict[int, int]
    #: Percentiles (ms) of the answered: from the send, and from when each was due.
    latency_from_send: dict[str, float]
    latency_from_schedule: dict[str, float]
    sent_rps: float
    answered_rps: float
    cpu_s: float
    extra: dict[str, float] = field(default_factory=dict)


def parse(text: str) -> Result:
    """openloop's stdout as a :class:`Result`. Raises :class:`OpenloopError`."""
    start = text.find("{")
    try:
        data = json.loads(text[start:]) if start >= 0 else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        tail = " | ".join(text.strip().splitlines()[-3:])
        raise OpenloopError(f"openloop printed no summary: {tail}")
    known = set(Result.__dataclass_fields__) - {"extra"}
    values = {k: v for k, v in data.items() if k in known}
    values["statuses"] = {int(k): int(v) for k, v in data.get("statuses", {}).items()}
    extra = {k: v for k, v in data.items() if k not in known and isinstance(v, int | float)}
    try:
        return Result(**values, extra=extra)
    except TypeError as exc:
        raise OpenloopError(f"openloop's summary lacks a field: {exc}") from None


def cache_dir() -> Path:
    """Where the built binary goes: ``$XDG_CACHE_HOME/bidwire`` (``~/.cache/bidwire``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "bidwire"


def build(compiler: str | None = None, folder: Path | None = None) -> Path:
    """The path of the openloop binary for the current source, compiled first if needed.
    Raises :class:`OpenloopError` (no C compiler, or the build failed)."""
    source = SOURCE.read_bytes()
    digest = hashlib.sha256(source).hexdigest()[:16]
    folder = folder or cache_dir()
    binary = folder / f"openloop-{digest}"
    if binary.exists():
        return binary
    cc = compiler or os.environ.get("CC") or "cc"
    if shutil.which(cc) is None:
        raise OpenloopError(f"no C compiler ({cc}) to build {SOURCE.name}: install gcc or set CC")
    folder.mkdir(parents=True, exist_ok=True)
    # Built beside its final name and renamed: two builds at once both end with a whole binary.
    fd, partial = tempfile.mkstemp(prefix="openloop-", dir=folder)
    os.close(fd)
    try:
        done = subprocess.run(
            [cc, "-O2", "-o", partial, str(SOURCE)],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        if done.returncode != 0:
            raise OpenloopError(f"{cc} failed on {SOURCE}: {done.stderr.strip()[-500:]}")
        os.replace(partial, binary)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return binary


def available() -> bool:
    """Whether openloop is built or can be (a C compiler is on PATH)."""
    try:
        build()
    except OpenloopError:
        return False
    return True


def command(
    binary: Path,
    url: str,
    *,
    rate: float,
    duration_s: float,
    connections: int,
    tmax_ms: float,
    body: Path,
    log_file: Path | None = None,
    content_type: str = "application/json",
    headers: Sequence[str] = (),
    grace_s: float = 2.0,
    max_streams: int | None = None,
) -> list[str]:
    """The argv of one run at ``rate`` requests a second in all (without CPU pinning);
    ``max_streams``: at most this many in flight per connection (as h2load's ``-m``), below
    the server's own limit."""
    argv = [
        str(binary),
        "--rate",
        f"{rate:.3f}",
        "--duration",
        f"{duration_s:g}",
        "--connections",
        str(connections),
        "--tmax-ms",
        f"{tmax_ms:g}",
        "--grace",
        f"{max(grace_s, 2 * tmax_ms / 1000):g}",
        "--body",
        str(body),
    ]
    for header in (f"content-type: {content_type}", *headers):
        argv += ["-H", header]
    if log_file is not None:
        argv += ["--log", str(log_file)]
    if max_streams is not None:
        argv += ["--max-streams", str(max_streams)]
    argv.append(url)
    return argv


def run_one(argv: Sequence[str], timeout_s: float) -> tuple[Result, float]:
    """Run openloop: its summary and the CPU seconds it used. Raises :class:`OpenloopError`."""
    try:
        out, cpu = run(argv, timeout_s)
    except H2loadError as exc:
        raise OpenloopError(str(exc).replace("h2load", "openloop")) from None
    return parse(out), cpu


__all__ = [
    "SOURCE",
    "OpenloopError",
    "Result",
    "available",
    "build",
    "cache_dir",
    "command",
    "parse",
    "run_one",
]
