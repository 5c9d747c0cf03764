"""What an operator meets at start: one-line errors (never a traceback), the start-up line,
``--version``, and notice URLs that reach the server that made them."""

from __future__ import annotations

import json
import re
import socket
import subprocess
from pathlib import Path

import pytest

from .macros import fill
from .redis_server import RedisServer, free_port
from .servers import ServerProcess, bidwire_command, run
from .test_server_e2e import BANNER_BYTES, curl


def bidwire(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[bytes]:
    return run(*bidwire_command(), *args, timeout=timeout)


def one_line_error(result: subprocess.CompletedProcess[bytes]) -> str:
    """The error a command printed: exit status 2, one line on stderr, no traceback."""
    err = result.stderr.decode()
    assert result.returncode == 2, (result.returncode, err)
    assert "Traceback" not in err, err
    assert err.count("\n") == 1, err
    return err.strip()


def test_version() -> None:
    result = bidwire("--version")
    assert result.returncode == 0
    assert re.fullmatch(r"bidwire \d+\.\d+\.\d+\S*\n", result.stdout.decode())


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--port", "99999"), "bad setting server.port: 99999 is out of range"),
        (("--workers", "0"), "bad setting server.workers: 0 is out of range"),
        (("--state", "memory:"), "bad setting pipeline.state.store: 'memory:' is not"),
    ],
)
def test_bad_flags_are_refused(args: tuple[str, ...], expected: str) -> None:
    """Bug: --port 99999 listened on 34463, --workers 0 ran one worker."""
    assert expected in one_line_error(bidwire("serve", *args))


def test_bad_setting_in_a_file_is_refused(tmp_path: Path) -> None:
    """Bug: max_body_size = -1 started, then answered every bid 413."""
    config = tmp_path / "bidwire.toml"
    config.write_text("[limits]\nmax_body_size = -1\n")
    error = one_line_error(bidwire("serve", "--config", str(config)))
    assert error == (
        "bidwire serve: bad setting limits.max_body_size: -1 is out of range (must be >= 1) "
        f"(in {config})"
    )


def test_port_in_use_is_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        error = one_line_error(bidwire("serve", "--port", str(port)))
    assert error == f"bidwire serve: cannot listen on 127.0.0.1:{port}: the port is in use " \
                    "(another server runs there?)"  # fmt: skip


def _certificates(folder: Path) -> tuple[Path, Path]:
    trustme = pytest.importorskip("trustme")  # a test dependency; installed by `make install`
    cert = trustme.CA().issue_cert("127.0.0.1")
    cert_pem, key_pem = folder / "cert.pem", folder / "key.pem"
    cert.cert_chain_pems[0].write_to_path(str(cert_pem))
    cert.private_key_pem.write_to_path(str(key_pem))
    return cert_pem, key_pem


def test_swapped_certificate_and_key_is_one_line(tmp_path: Path) -> None:
    cert, key = _certificates(tmp_path)
    error = one_line_error(bidwire("serve", "--tls-cert", str(key), "--tls-key", str(cert)))
    assert "server.tls_cert" in error and "swapped" in error


def test_missing_certificate_is_one_line(tmp_path: Path) -> None:
    _, key = _certificates(tmp_path)
    missing = tmp_path / "nope.pem"
    error = one_line_error(bidwire("serve", "--tls-cert", str(missing), "--tls-key", str(key)))
    assert error == f"bidwire serve: bad setting server.tls_cert: cannot read {missing}: " \
                    "No such file or directory"  # fmt: skip


def test_events_tail_on_the_memory_store_is_one_line() -> None:
    error = one_line_error(bidwire("events", "tail", "--state", "memory"))
    assert error.startswith("bidwire events tail: --state must be a redis:// URL")


def test_unreachable_redis_at_start_is_an_error() -> None:
    """Bug: a wrong Redis address bid forever with /readyz 200 "degraded"."""
    url = f"redis://127.0.0.1:{free_port()}/0"
    error = one_line_error(bidwire("serve", "--port", "0", "--state", url))
    assert error.startswith(f"bidwire serve: state store {url} does not answer: ")


def test_redis_at_start_wait_waits_for_the_store(tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "bidwire.toml"
    config.write_text(
        f'[pipeline.state]\nstore = "redis://127.0.0.1:{port}/0"\nredis_at_start = "wait"\n'
    )
    command = [*bidwire_command(), "serve", "--port", "0", "--config", str(config)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    redis = None
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "waiting for the state store" in line, line
        redis = RedisServer(tmp_path, port)
        for _ in range(20):
            line = process.stdout.readline()
            if "listening on" in line:
                break
        assert "listening on" in line, line
        port_served = int(re.search(r":(\d+) \(", line)[1])  # type: ignore[index]
        _, facts = curl("-o", "/dev/null", f"http://127.0.0.1:{port_served}/readyz")
        assert facts["status"] == "200"
    finally:
        process.kill()
        process.wait()
        if redis is not None:
            redis.stop()


def test_start_up_line_says_what_runs() -> None:
    with ServerProcess() as server:
        server.terminate()
    found = re.search(r"listening on http://127\.0\.0\.1:\d+ \((.*)\)", server.started)
    assert found, server.started
    for fact in ("workers=1", "version ", "engine raw", "campaigns loaded", "state memory",
                 f"public URL http://127.0.0.1:{server.port}"):  # fmt: skip
        assert fact in found[1], found[1]
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z warning ", server.preamble[0])


def test_notice_round_trip_on_a_non_default_port(tmp_path: Path) -> None:
    """Bug: a server on another port handed out notice URLs for http://127.0.0.1:8080."""
    port = free_port()
    assert port != 8080
    config = tmp_path / "bidwire.toml"
    config.write_text(f"[server]\nport = {port}\n")
    with ServerProcess("--port", str(port), config=config) as server:
        assert any("public_url is not set" in line for line in server.preamble)
        body, facts = curl(
            "--http2-prior-knowledge", "-H", "content-type: application/json", server.url(),
            data=BANNER_BYTES,
        )  # fmt: skip
        assert facts["status"] == "200"
        bid = json.loads(body)["seatbid"][0]["bid"][0]
        for key in ("nurl", "burl", "lurl"):
            assert bid[key].startswith(f"http://127.0.0.1:{port}/notice/"), bid[key]
        price = str(bid["price"] / 2)
        _, win = curl("-g", "-o", "/dev/null", fill(bid["nurl"], AUCTION_PRICE=price))
        _, bill = curl("-g", "-o", "/dev/null", fill(bid["burl"], AUCTION_PRICE=price))
        assert (win["status"], bill["status"]) == ("204", "204")  # counted
        server.terminate()


def test_sighup_to_a_multi_worker_server_reloads_every_worker() -> None:
    """Bug: with --workers N, SIGHUP (systemd's ExecReload) ended the parent process."""
    import os
    import signal
    import threading
    import time

    port = free_port()
    process = subprocess.Popen([*bidwire_command(), "serve", "--port", str(port), "--workers",
                                "2"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)  # fmt: skip
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout or ()), daemon=True)
    reader.start()

    def wait_for(text: str, count: int) -> None:
        deadline = time.monotonic() + 60
        while sum(text in line for line in lines) < count:
            assert process.poll() is None, lines
            assert time.monotonic() < deadline, lines
            time.sleep(0.05)

    try:
        wait_for("listening on", 2)
        os.kill(process.pid, signal.SIGHUP)
        wait_for("campaigns reloaded", 2)
        assert process.poll() is None
        process.terminate()
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
