"""Helpers for end-to-end tests: a real `bidwire serve` process and the external clients."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path


def tool(name: str) -> str:
    """The path of a client the end-to-end tests need. `make test` installs them (curl and
    Debian's nghttp2-client); a missing one is a set-up failure, not a skip."""
    found = shutil.which(name)
    assert found, f"{name} is not installed: run `make test`, which installs it"
    return found


def bidwire_command() -> list[str]:
    script = Path(sys.executable).with_name("bidwire")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bidwire"]


def unmeasured_env() -> dict[str, str]:
    """The environment without coverage's subprocess hook: for servers whose timing a test
    judges (answers inside tmax under load), which the tracer would slow several times over."""
    return {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}


class ServerProcess:
    """`bidwire serve` on a free port, started and stopped by the test.

    Its code is measured by coverage when the tests run under it (``make test``), unless
    ``measured`` is False.
    """

    def __init__(self, *args: str, config: Path | None = None, measured: bool = True) -> None:
        command = [*bidwire_command(), "serve", "--host", "127.0.0.1", "--port", "0", *args]
        if config is not None:
            command += ["--config", str(config)]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=None if measured else unmeasured_env(),
        )
        assert self.process.stdout is not None
        #: What the server logged before it listened (warnings, say).
        self.preamble: list[str] = []
        match = None
        while match is None and len(self.preamble) < 20:
            line = self.process.stdout.readline()
            match = re.search(r"listening on (https?)://[\d.]+:(\d+)", line)
            if match is None:
                self.preamble.append(line)
                if not line:
                    break
        assert match, f"server did not start: {''.join(self.preamble)!r}"
        #: The start-up line (``... listening on URL (workers=1, ...)``).
        self.started = line
        self.scheme = match[1]
        self.port = int(match[2])

    def url(self, path: str = "/openrtb2/bid") -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    def terminate(self, timeout: float = 20.0) -> str:
        """SIGTERM, wait, and return what the server printed after its first line."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        out, _ = self.process.communicate(timeout=timeout)
        return out

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def wait_port_closed(port: int, timeout: float = 5.0) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) != 0:
                return
        time.sleep(0.05)


def run(
    *command: str, stdin: bytes | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[bytes]:
    """Run an external client; its output as bytes."""
    return subprocess.run(
        list(command),
        input=stdin,
        capture_output=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "LC_ALL": "C"},
    )
