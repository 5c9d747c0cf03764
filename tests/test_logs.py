"""Logs an operator can use: levels, timestamps, text or JSON lines, one write per record, an
access log that is off by default, across forked workers."""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bidwire.logs import LoggingSection, setup
from transport.access import AccessLog
from transport.events import Request, Response

from .redis_server import free_port
from .servers import ServerProcess, bidwire_command, run, tool
from .test_server_e2e import BANNER_BYTES, curl

STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"


@pytest.fixture
def pipe() -> Iterator[tuple[int, int]]:
    read, write = os.pipe()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield read, write
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    os.close(read)
    os.close(write)


def _lines(fd: int) -> list[str]:
    return os.read(fd, 1 << 16).decode().splitlines()


def test_text_lines_have_time_level_logger_and_pid(pipe: tuple[int, int]) -> None:
    read, write = pipe
    setup(LoggingSection(level="info"), write)
    logging.getLogger("bidwire.test").info("hello %s", "there")
    logging.getLogger("bidwire.test").debug("not at info")
    (line,) = _lines(read)
    assert re.fullmatch(rf"{STAMP} info bidwire\.test\[{os.getpid()}\] hello there", line)


def test_json_lines_parse_and_carry_extra_fields(pipe: tuple[int, int]) -> None:
    read, write = pipe
    setup(LoggingSection(level="debug", format="json"), write)
    logging.getLogger("bidwire.x").debug("d")
    logging.getLogger("bidwire.x").warning("w %d", 2, extra={"campaign": "c1"})
    first, second = (json.loads(line) for line in _lines(read))
    assert first["level"] == "debug" and first["message"] == "d"
    assert second == {"time": second["time"], "level": "warning", "logger": "bidwire.x",
                      "pid": os.getpid(), "message": "w 2", "campaign": "c1"}  # fmt: skip
    assert re.fullmatch(STAMP, second["time"])


def test_a_record_is_one_write_and_a_long_one_is_cut(
    pipe: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, write = pipe
    writes: list[bytes] = []
    real = os.write
    monkeypatch.setattr(os, "write", lambda fd, data: writes.append(data) or real(fd, data))
    setup(LoggingSection(), write)
    logging.getLogger("bidwire").warning("x" * 10_000)
    assert len(writes) == 1 and len(writes[0]) == 4096 and writes[0].endswith(b"...\n")


def test_access_log_samples(pipe: tuple[int, int]) -> None:
    read, write = pipe
    setup(LoggingSection(format="json"), write)
    request = Request(b"POST", b"/openrtb2/bid?x=1", arrival=0.0)
    AccessLog(0.5, seed=1).answered("h2", request, Response(204))
    logged = AccessLog(0.5, seed=1)
    for _ in range(200):
        logged.answered("h2", request, Response(204))
    lines = [json.loads(line) for line in _lines(read)]
    assert 60 < len(lines) < 140  # half of 201, give or take (a seeded draw: always the same)
    assert lines[0]["path"] == "/openrtb2/bid" and lines[0]["status"] == 204
    assert lines[0]["message"].startswith("h2 POST /openrtb2/bid 204 0 bytes")


def test_the_access_log_is_off_by_default() -> None:
    with ServerProcess() as server:
        curl("--http2-prior-knowledge", "-H", "content-type: application/json", server.url(),
             data=BANNER_BYTES)  # fmt: skip
        out = server.terminate()
    assert "/openrtb2/bid" not in out


def test_log_level_flag_silences_info() -> None:
    port = free_port()
    process = subprocess.Popen([*bidwire_command(), "serve", "--port", str(port), "--log-level",
                                "warning"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        process.terminate()
        out, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert " warning bidwire[" in out  # no notice keys, public_url not set
    assert " info " not in out  # neither the start-up line nor the drain line


def test_workers_write_whole_json_lines(tmp_path: Path) -> None:
    """Two forked workers log every request (access_sample = 1) as JSON lines to one pipe
    under load: every line parses, and every answered request has its line."""
    config = tmp_path / "bidwire.toml"
    config.write_text('[logging]\nformat = "json"\naccess_sample = 1.0\n')
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [*bidwire_command(), "serve", "--port", str(port), "--workers", "2",
               "--config", str(config)]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    # Read the server's output as it comes: a full pipe would stop its workers mid-write.
    reader = threading.Thread(target=lambda: lines.extend(process.stdout or ()), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 60
        while sum("listening on" in line for line in lines) < 2:
            assert process.poll() is None and time.monotonic() < deadline, lines
            time.sleep(0.05)
        body = tmp_path / "body.json"
        body.write_bytes(BANNER_BYTES)
        result = run(tool("h2load"), "-n", "3000", "-c", "8", "-m", "8", "-d", str(body),
                     "-H", "content-type: application/json",
                     f"http://127.0.0.1:{port}/openrtb2/bid")  # fmt: skip
        assert "3000 succeeded" in result.stdout.decode()
        process.terminate()
        process.wait(timeout=30)
        reader.join(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    records = [json.loads(line) for line in lines]  # every line is one whole record
    access = [r for r in records if r["logger"] == "bidwire.access"]
    assert len(access) == 3000
    assert {r["path"] for r in access} == {"/openrtb2/bid"}
    assert len({r["pid"] for r in access}) == 2
