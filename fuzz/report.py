"""What a fuzz run counts and prints, and the reproducers it writes.

A reproducer is two files in the output folder: ``NNNN-KIND-NAME.bin``, the exact bytes sent
(the body of a payload, or the whole frame sequence with its preface), and beside it
``NNNN-KIND-NAME.json``: how to send them again (HTTP version, headers, what the answer
should be) and what went wrong. ``bidwire fuzz --replay FILE.bin --target URL`` re-sends them.
"""

from __future__ import annotations

import json
import re
import time
from array import array
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .answers import Expect, Outcome
from .clients import Result

if TYPE_CHECKING:
    from .runner import FuzzConfig


@dataclass
class Stats:
    """The counters of one run."""

    started: float = field(default_factory=time.monotonic)
    seconds: float = 0.0
    payloads: int = 0
    frames: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    answers: Counter[str] = field(default_factory=Counter)
    failures: int = 0
    #: Requests and frame sequences that got no (complete) answer in time: counted here, on
    #: the summary's one timeouts line, and not among the statuses or answers.
    payload_timeouts: int = 0
    frame_timeouts: int = 0
    crashes: int = 0
    #: Connections the server dropped or broke under valid HTTP (by how), a failure each.
    lost: Counter[str] = field(default_factory=Counter)
    latencies: array[float] = field(default_factory=lambda: array("d"))
    reproducers: list[tuple[Path, str]] = field(default_factory=list)

    def payload(self, result: Result) -> None:
        """Count one request's result."""
        self.payloads += 1
        if result.status is None and result.error == "timeout":
            self.payload_timeouts += 1
            return
        self.statuses[str(result.status) if result.status is not None else result.error or "?"] += 1
        if result.status is not None:
            self.latencies.append(result.seconds)

    def frame(self, outcome: Outcome) -> None:
        """Count one frame sequence's outcome, by what the server did."""
        self.frames += 1
        if outcome.goaway:
            kind = outcome.describe().split(",")[0]
        elif outcome.resets:
            kind = "RST_STREAM"
        elif outcome.statuses:
            kind = "answered"
        elif outcome.timed_out:
            self.frame_timeouts += 1
            return
        else:
            kind = "closed" if outcome.closed else "nothing"
        self.answers[kind] += 1

    def percentile(self, p: float) -> float:
        """The ``p`` quantile of the answered requests' latency, in seconds."""
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))]

    def progress_line(self) -> str:
        """One line for the terminal while the run goes on."""
        elapsed = max(1e-9, time.monotonic() - self.started)
        return (
            f"[{elapsed:6.0f}s] payloads {self.payloads:,} ({self.payloads / elapsed:,.0f}/s)"
            f"  frames {self.frames:,} ({self.frames / elapsed:,.0f}/s)"
            f"  failures {self.failures}  crashes {self.crashes}"
        )

    def summary(self, url: str, seed: int) -> str:
        """The report at the end of a run."""
        secs = max(self.seconds, 1e-9)

        def counts(counter: Counter[str]) -> str:
            return ", ".join(f"{k} {v:,}" for k, v in sorted(counter.items())) or "-"

        lines = [
            f"bidwire fuzz {url}  seed {seed}  {self.seconds:.1f} s",
            f"  payloads  {self.payloads:,} ({self.payloads / secs:,.0f}/s): "
            f"{counts(self.statuses)}",
            f"  frames    {self.frames:,} ({self.frames / secs:,.0f}/s): {counts(self.answers)}",
            f"  latency   p50 {self.percentile(0.5) * 1000:.1f} ms, "
            f"p99 {self.percentile(0.99) * 1000:.1f} ms",
            f"  timeouts  {self.payload_timeouts + self.frame_timeouts}  (payloads "
            f"{self.payload_timeouts}, frame sequences {self.frame_timeouts})",
            f"  failures  {self.failures}  (crashes {self.crashes})",
            f"  connections lost  {sum(self.lost.values())}  {counts(self.lost)}",
        ]
        if self.crashes:
            lines.append("  CRASH: the server stopped answering GET /healthz; the run ended there")
        for path, failure in self.reproducers:
            lines.append(f"  reproducer {path}: {failure}")
        if self.reproducers:
            lines.append(f"  replay: bidwire fuzz --replay FILE.bin --target {url}")
        if self.failures > len(self.reproducers):
            lines.append(f"  ({self.failures - len(self.reproducers)} more failures not written)")
        return "\n".join(lines)


@dataclass
class Reproducer:
    """One failure: the bytes, how to send them, and what went wrong."""

    kind: str  # "payload" or "frames"
    data: bytes
    failure: str
    http: str = "2"
    headers: tuple[tuple[bytes, bytes], ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)
    expect: Expect | None = None


def _stem(number: int, reproducer: Reproducer) -> str:
    name = str(reproducer.meta.get("mutation") or reproducer.meta.get("case") or "")
    return f"{number:04d}-{reproducer.kind}-" + re.sub(r"[^a-z0-9.+-]+", "_", name.lower())


def write_reproducer(out: str, number: int, reproducer: Reproducer, config: FuzzConfig) -> Path:
    """Write the ``.bin`` and ``.json`` of a failure into ``out``; the ``.bin`` path."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (_stem(number, reproducer) + ".bin")
    path.write_bytes(reproducer.data)
    expect = reproducer.expect
    meta = {
        **reproducer.meta,
        "kind": reproducer.kind,
        "failure": reproducer.failure,
        "http": reproducer.http,
        "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in reproducer.headers],
        "expect": None
        if expect is None
        else {"kind": expect.kind, "codes": sorted(expect.codes), "streams": list(expect.streams)},
        "seed": config.seed,
        "target": config.url,
        "replay": f"bidwire fuzz --replay {path} --target {config.url}",
    }
    path.with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n")
    return path


def read_reproducer(path: Path) -> Reproducer:
    """A reproducer from its ``.bin`` (and ``.json`` if there is one; without it, bytes that
    start with the HTTP/2 preface are a frame sequence, anything else a JSON or protobuf body)."""
    data = path.read_bytes()
    side = path.with_suffix(".json")
    if not side.exists():
        if data.startswith(b"PRI * HTTP/2.0"):
            return Reproducer("frames", data, "", expect=Expect("any"))
        ctype = (
            b"application/json" if data.lstrip()[:1] in (b"{", b"[") else b"application/x-protobuf"
        )
        return Reproducer("payload", data, "", headers=((b"content-type", ctype),))
    meta = json.loads(side.read_text())
    spec = meta.get("expect")
    expect = None
    if spec is not None:
        expect = Expect(spec["kind"], frozenset(spec["codes"]), tuple(spec["streams"]))
    headers = tuple((k.encode("latin-1"), v.encode("latin-1")) for k, v in meta["headers"])
    return Reproducer(
        meta["kind"], data, meta.get("failure", ""), meta.get("http", "2"), headers, meta, expect
    )


__all__ = ["Reproducer", "Stats", "read_reproducer", "write_reproducer"]
