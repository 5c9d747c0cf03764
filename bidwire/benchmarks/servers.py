"""Starting the servers under test, pinning them to a core, and reading their CPU and memory.

Every server runs the same front door and pipeline: ``bidwire serve``, or ``bidder.asgi:app``
under granian, uvicorn or hypercorn, with the same campaigns. Each runs in its own session
(process group), so its CPU time is the sum over the group: granian and hypercorn run their
workers as child processes. ``nghttpd`` (nghttp2's C server) is the floor, not a bidder: it
answers every request with the same fixed bytes (``FLOORS``).
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

#: hypercorn's default keep_alive_max_requests (1000) sends GOAWAY after 1,000 requests on a
#: connection, and h2load then fails the rest of the run: raise it out of the way.
HYPERCORN_CONFIG = """\
keep_alive_max_requests = 1000000000
h2_max_concurrent_streams = 256
worker_class = "uvloop"
workers = 1
"""
SERVERS = ("bidwire", "granian", "uvicorn", "hypercorn")
#: Servers that answer a fixed body without running the pipeline: what the machine and h2load
#: cost alone. Open loop offers them the first bidder's rate, not a fraction of their own
#: maximum (which is h2load's).
FLOORS = ("nghttpd",)
#: What each server speaks (``bench load --proto``): grpcio serves gRPC only, the ASGI servers
#: no gRPC (bidder.asgi is the HTTP front door), uvicorn HTTP/1.1 only, nghttpd HTTP/2 only
#: (h2c prior knowledge).
PROTOCOLS = {
    "bidwire": ("h2", "h1", "grpc"),
    "bidwire-h2": ("h2", "h1", "grpc"),
    "bidwire-raw": ("h2", "h1", "grpc"),
    "bidwire-inline": ("h2", "h1", "grpc"),
    "hypercorn": ("h2", "h1"),
    "granian": ("h2", "h1"),
    "uvicorn": ("h1",),
    "grpcio": ("grpc",),
    "nghttpd": ("h2",),
}
_CLOCK_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def pinning() -> tuple[list[str], list[str]]:
    """The argv prefixes that put a server on core 0 and the load generator on core 1, or
    nothing when there is one core or no taskset."""
    if (os.cpu_count() or 1) >= 2 and shutil.which("taskset"):
        return ["taskset", "-c", "0"], ["taskset", "-c", "1"]
    return [], []


def rich_campaigns(folder: Path) -> Path:
    """The demo campaigns with every budget a million times larger, written to ``folder``:
    every bid reserves against a budget, and none is refused as a run goes on."""
    from bidder.campaigns import DEMO_PATH

    text = re.sub(
        r"^((?:daily|total)_budget = )([\d.]+)",
        lambda m: f"{m[1]}{float(m[2]) * 1e6:.1f}",
        DEMO_PATH.read_text(),
        flags=re.M,
    )
    path = folder / "campaigns.toml"
    path.write_text(text)
    return path


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (the server binds it a moment later)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _script(name: str) -> list[str]:
    """Run a console script of this interpreter's environment, as ``python -m``."""
    return [sys.executable, "-m", name]


def server_argv(
    name: str, port: int, workdir: Path, config: Path | None = None, answer: bytes | None = None
) -> list[str]:
    """The command that serves the bidder as ``name`` on ``port``; for a floor (nghttpd), the
    command that answers every bid request with ``answer`` (written under ``workdir``)."""
    host = "127.0.0.1"
    if name == "bidwire-inline":
        # Admission control off: each request decided inline as it is read (the A/B baseline
        # of `bench overload`); with a config of its own, that file must say so itself.
        if config is None:
            config = workdir / "inline.toml"
            config.write_text("[admission]\nenabled = false\n")
        name = "bidwire"
    if name in ("bidwire", "bidwire-h2", "bidwire-raw"):
        argv = [*_script("bidwire"), "serve", "--host", host, "--port", str(port)]
        if name != "bidwire":
            argv += ["--engine", name.removeprefix("bidwire-")]
        return [*argv, "--config", str(config)] if config is not None else argv
    if name == "grpcio":
        # grpc.aio with bidwire's gRPC front door and pipeline behind it (the baseline).
        return [*_script("bidwire.benchmarks.grpcio_server"), "--port", str(port)]
    if name == "hypercorn":
        toml = workdir / "hypercorn.toml"
        toml.write_text(HYPERCORN_CONFIG)
        return [*_script("hypercorn"), "-c", str(toml), "-b", f"{host}:{port}", "bidder.asgi:app"]
    if name == "granian":
        # One worker and one runtime thread on uvloop: the configuration the anchors measured
        # fastest per core. --http auto serves HTTP/1.1 and HTTP/2 prior knowledge on one port.
        return [
            *_script("granian"), "--interface", "asgi", "--http", "auto", "--workers", "1",
            "--runtime-threads", "1", "--loop", "uvloop", "--no-ws", "--host", host,
            "--port", str(port), "bidder.asgi:app",
        ]  # fmt: skip
    if name == "uvicorn":
        # What Python users pick for HTTP/1.1: httptools' parser on uvloop, one process (no
        # --workers: uvicorn then serves in the process it starts in). No access log, as
        # bidwire and granian write none.
        return [
            *_script("uvicorn"), "--loop", "uvloop", "--http", "httptools", "--no-access-log",
            "--host", host, "--port", str(port), "bidder.asgi:app",
        ]  # fmt: skip
    if name == "nghttpd":
        if answer is None:
            raise ValueError("nghttpd serves a fixed answer: give one")
        # nghttpd serves files: the bid path is a file holding the answer, whatever the method
        # (it reads a POST's body and drops it). One worker thread, and as many streams per
        # connection as bidwire allows (its default is 100).
        htdocs = workdir / "htdocs"
        (htdocs / "openrtb2").mkdir(parents=True, exist_ok=True)
        (htdocs / "openrtb2" / "bid").write_bytes(answer)
        return [
            "nghttpd", "--no-tls", "--address", host, "--htdocs", str(htdocs),
            "--workers", "1", "--max-concurrent-streams", "256", str(port),
        ]  # fmt: skip
    raise ValueError(f"unknown server {name!r}")


class ServerError(RuntimeError):
    """A server did not start or did not stop."""


class Server:
    """One server process group, started on a free port; a context manager that stops it."""

    def __init__(
        self,
        name: str,
        *,
        campaigns: Path | None = None,
        config: Path | None = None,
        pin: Sequence[str] = (),
        start_timeout: float = 30.0,
        source: Path | None = None,
        extra_env: dict[str, str] | None = None,
        answer: bytes | None = None,
    ) -> None:
        """``source``: serve the bidwire tree in that folder (``PYTHONPATH``, run from there)
        instead of the installed one, e.g. another commit's export (bench/ab_commits.py).
        ``answer``: what a floor server (nghttpd) answers to every bid request."""
        self.name = name
        self.port = free_port()
        self._workdir = tempfile.TemporaryDirectory(prefix=f"bidwire-bench-{name}-")
        self.log = Path(self._workdir.name) / "server.log"
        workdir = Path(self._workdir.name)
        argv = [*pin, *server_argv(name, self.port, workdir, config, answer)]
        if name.startswith("bidwire") and campaigns is not None:
            argv += ["--campaigns", str(campaigns)]
        env = {**os.environ, **(extra_env or {})}
        if campaigns is not None:  # bidder.asgi reads the campaign file from here
            env["BIDWIRE_CAMPAIGNS"] = str(campaigns)
        if source is not None:
            env["PYTHONPATH"] = str(source)
        self.argv = argv
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=source,
                start_new_session=True,  # its own process group: CPU summed, stopped together
            )
        self._wait_ready(start_timeout)

    def url(self, path: str = "/openrtb2/bid") -> str:
        """The URL of ``path`` on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.stop()
                raise ServerError(f"{self.name} exited at start-up: {self.log_tail()}")
            with socket.socket() as s:
                s.settimeout(0.2)
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    time.sleep(0.3)  # let the app finish its start-up (campaigns, lifespan)
                    return
            time.sleep(0.1)
        self.stop()
        raise ServerError(f"{self.name} did not listen within {timeout:.0f} s: {self.log_tail()}")

    def log_tail(self, lines: int = 5) -> str:
        """The last lines the server printed."""
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return " | ".join(text.strip().splitlines()[-lines:])

    def pids(self) -> list[int]:
        """The live processes of this server's process group."""
        out = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            stat = _read_stat(int(entry))
            if stat is not None and int(stat[2]) == self.process.pid:  # field 5: pgrp
                out.append(int(entry))
        return out

    def cpu_seconds(self) -> float:
        """User + system CPU seconds used so far by the live processes of the group."""
        ticks = 0
        for pid in self.pids():
            stat = _read_stat(pid)
            if stat is not None:
                ticks += int(stat[11]) + int(stat[12])  # fields 14, 15: utime, stime
        return ticks / _CLOCK_TICK

    def rss_kib(self) -> tuple[int, int]:
        """(VmRSS, VmHWM) in KiB summed over the group's processes."""
        rss = hwm = 0
        for pid in self.pids():
            status = read_status(pid)
            rss += status.get("VmRSS", 0)
            hwm += status.get("VmHWM", 0)
        return rss, hwm

    def metrics(self) -> dict[str, int]:
        """The bidder's counters from GET /metrics, summed over labels (every bidder here
        runs bidwire's front door, so every one answers it; grpcio has no HTTP door and
        nghttpd no bidder: empty), with the gc collections as ``gc0``, ``gc1``, ``gc2``; empty
        if the server does not answer."""
        if "h1" not in PROTOCOLS.get(self.name, ("h1",)):
            return {}  # grpcio and nghttpd: no HTTP/1.1 (the request below), no /metrics
        try:
            with urllib.request.urlopen(self.url("/metrics"), timeout=10) as answer:
                return parse_metrics(answer.read().decode())
        except (OSError, http.client.HTTPException):
            return {}

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM to the group, then SIGKILL if it has not exited within ``timeout``."""
        try:
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGTERM)
                try:
                    self.process.wait(timeout)
                except subprocess.TimeoutExpired:
                    os.killpg(self.process.pid, signal.SIGKILL)
                    self.process.wait()
            # Children (granian's worker, hypercorn's) left behind by a parent that exited.
            for pid in self.pids():
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        except ProcessLookupError:
            pass

    def close(self) -> None:
        """Stop the server and remove its working folder."""
        self.stop()
        self._workdir.cleanup()

    def __enter__(self) -> Server:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def parse_metrics(text: str) -> dict[str, int]:
    """Counters of a Prometheus text exposition, summed over labels, ``bidwire_`` and
    ``_total`` stripped (``shed``, ``bids``...); gc collections by generation as gc0..gc2."""
    out: dict[str, int] = {}
    for line in text.splitlines():
        if not line.startswith("bidwire_") or " " not in line:
            continue
        name_labels, _, value = line.rpartition(" ")
        name, _, labels = name_labels.partition("{")
        if name == "bidwire_gc_collections_total":
            name = "gc" + labels.split('"')[1]
        elif name.endswith("_total"):
            name = name[len("bidwire_") : -len("_total")]
        else:
            continue
        try:
            out[name] = out.get(name, 0) + int(float(value))
        except ValueError:
            continue
    return out


def _read_stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (field 3 onwards), or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None
    return text[text.rfind(")") + 2 :].split()


def read_status(pid: int) -> dict[str, int]:
    """The ``kB`` lines of /proc/PID/status (VmRSS, VmHWM, ...), in KiB."""
    out: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                parts = value.split()
                if len(parts) == 2 and parts[1] == "kB":
                    out[key] = int(parts[0])
    except OSError:
        pass
    return out


__all__ = [
    "FLOORS",
    "HYPERCORN_CONFIG",
    "PROTOCOLS",
    "SERVERS",
    "Server",
    "ServerError",
    "free_port",
    "parse_metrics",
    "pinning",
    "read_status",
    "server_argv",
]
