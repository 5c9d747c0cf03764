"""What a new user meets first against `bidwire serve`, with curl and raw sockets: an h2c
upgrade offer, one 413 text, an empty body, `vary`, the open-streams gauge after abuse, and
`bidwire fuzz` / `bidwire convert` saying what is wrong in one line."""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .redis_server import free_port
from .servers import ServerProcess, bidwire_command, run
from .test_server_e2e import BANNER_BYTES, curl

CAP = 4096


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    config = tmp_path_factory.mktemp("operator") / "bidwire.toml"
    config.write_text(f"[limits]\nmax_body_size = {CAP}\n\n[app]\ngzip_min_size = 64\n")
    with ServerProcess(config=config) as proc:
        yield proc
        proc.terminate()


def metric(server: ServerProcess, name: str) -> int:
    body, _ = curl("--http1.1", server.url("/metrics"))
    found = re.search(rf"^{name} (-?\d+)$", body.decode(), re.M)
    assert found, body
    return int(found[1])


def test_curl_http2_on_plain_http_gets_its_bid(server: ServerProcess) -> None:
    """Bug: `curl --http2 http://...` (an HTTP/1.1 POST offering h2c) lost its body: 400
    "truncated JSON". The offer is declined and the POST answered over HTTP/1.1."""
    body, facts = curl("--http2", "-H", "content-type: application/json", server.url(),
                       data=BANNER_BYTES)  # fmt: skip
    assert (facts["status"], facts["version"]) == ("200", "1.1")
    assert json.loads(body)["id"] == "req-1"


def test_websocket_offer_on_a_raw_socket(server: ServerProcess) -> None:
    request = (
        b"POST /openrtb2/bid HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
        b"Upgrade: websocket\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(BANNER_BYTES), BANNER_BYTES)
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(request + b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while data.count(b"HTTP/1.1 ") < 2 or not data.endswith(b"ok\n"):
            chunk = s.recv(65536)
            assert chunk, data
            data += chunk
    assert data.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b'"id":"req-1"' in data
    assert b"HTTP/1.1 101" not in data


def test_413_says_the_same_on_both_protocols(server: ServerProcess) -> None:
    """Bug: the 413 text differed between HTTP/2 and HTTP/1.1."""
    big = b"x" * (CAP + 1)
    answers = {}
    for version in ("--http2-prior-knowledge", "--http1.1"):
        body, facts = curl(version, "-H", "content-type: application/json", server.url(),
                           data=big)  # fmt: skip
        assert facts["status"] == "413"
        answers[version] = json.loads(body)
    assert answers["--http2-prior-knowledge"] == answers["--http1.1"]
    assert answers["--http1.1"] == {"error": "request body too large"}


@pytest.mark.parametrize("content_type", ["application/json", "application/x-protobuf"])
def test_empty_body_is_named(server: ServerProcess, content_type: str) -> None:
    """Bug: an empty body was "truncated JSON"."""
    body, facts = curl("--http2-prior-knowledge", "-X", "POST", "-H",
                       f"content-type: {content_type}", server.url())  # fmt: skip
    assert facts["status"] == "400"
    assert json.loads(body)["error"].startswith("empty body")


def test_answers_that_may_be_gzipped_vary_on_accept_encoding(server: ServerProcess) -> None:
    for extra in ((), ("-H", "accept-encoding: gzip")):
        out = run("curl", "-sS", "-D", "-", "-o", "/dev/null", "--http2-prior-knowledge",
                  "-H", "content-type: application/json", *extra, "--data-binary", "@-",
                  server.url(), stdin=BANNER_BYTES)  # fmt: skip
        head = out.stdout.decode().lower()
        assert head.startswith("http/2 200"), head
        assert "vary: accept-encoding" in head
        assert ("content-encoding: gzip" in head) == bool(extra)


def test_streams_open_returns_to_zero_after_413s_and_fuzzing(
    server: ServerProcess, tmp_path: Path
) -> None:
    """Bug: bidwire_streams_open went negative (-171 after 20 s of HTTP/1.1 fuzzing)."""
    big = b"x" * (CAP * 3)
    for _ in range(5):
        for version in ("--http2-prior-knowledge", "--http1.1"):
            curl(version, "-H", "content-type: application/json", server.url(), data=big)
    result = run(*bidwire_command(), "fuzz", "--quiet", "--target", server.url(), "--seconds",
                 "3", "--seed", "5", "--out", str(tmp_path), timeout=120)  # fmt: skip
    assert b"payloads" in result.stdout, result.stderr
    # The fuzzer's connections close as it exits; the server may see the last closes a moment
    # later. Only the /metrics request itself is open once they are all seen.
    deadline = time.monotonic() + 10
    while (value := metric(server, "bidwire_streams_open")) != 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert value == 1


def test_fuzz_against_a_closed_port_cannot_connect(tmp_path: Path) -> None:
    """Bug: it reported a CRASH and wrote reproducers."""
    url = f"http://127.0.0.1:{free_port()}/openrtb2/bid"
    result = run(*bidwire_command(), "fuzz", "--target", url, "--seconds", "2",
                 "--out", str(tmp_path / "out"))  # fmt: skip
    assert result.returncode == 2
    err = result.stderr.decode()
    assert err.startswith(f"bidwire fuzz: cannot connect to {url}: ") and err.count("\n") == 1
    assert "CRASH" not in result.stdout.decode()
    assert not (tmp_path / "out").exists()


def test_fuzz_summary_has_one_timeouts_line(server: ServerProcess, tmp_path: Path) -> None:
    """Bug: the summary said "timeout 2" (frame answers) next to "timeouts 0" (failures)."""
    result = run(*bidwire_command(), "fuzz", "--quiet", "--target", server.url(), "--count",
                 "50", "--out", str(tmp_path), timeout=120)  # fmt: skip
    out = result.stdout.decode()
    assert len(re.findall(r"timeout", out)) == 1, out
    assert re.search(r"^  timeouts  \d+  \(payloads \d+, frame sequences \d+\)$", out, re.M)


def test_convert_a_request_as_a_response_is_refused(tmp_path: Path) -> None:
    """Bug: it wrote a near-empty response."""
    request = tmp_path / "request.json"
    request.write_bytes(BANNER_BYTES)
    result = run(*bidwire_command(), "convert", "--to", "proto", "--type", "response",
                 str(request))  # fmt: skip
    assert result.returncode == 2
    assert result.stdout == b""
    assert result.stderr.decode() == (
        "bidwire convert: $: this is a bid request, not a bid response (it has imp): "
        "use --type request\n"
    )
