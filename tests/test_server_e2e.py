"""bidwire serve over real sockets, driven by independent clients: curl, nghttp and h2load."""

from __future__ import annotations

import gzip
import json
import re
import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bidwire.benchmarks.h2load import parse_summary
from openrtb import JsonCodec, ProtoCodec, validate_response
from transport import h2_wire

from .servers import ServerProcess, run, tool

JSON = JsonCodec()
PROTO = ProtoCodec()

BANNER = {
    "id": "req-1",
    "imp": [{"id": "1", "banner": {"w": 300, "h": 250}, "bidfloor": 0.5}],
    "site": {"domain": "example.com", "page": "https://example.com/"},
    "device": {"ua": "Mozilla/5.0", "ip": "192.0.2.1"},
    "tmax": 120,
}
BANNER_BYTES = json.dumps(BANNER).encode()
# No demo campaign has a 7x7 creative: a sure no-bid.
NO_FIT = json.dumps({"id": "v", "imp": [{"id": "1", "banner": {"w": 7, "h": 7}}]}).encode()
MANY_IMPS = json.dumps(
    {"id": "big", "imp": [{"id": str(i), "banner": {"w": 300, "h": 250}} for i in range(30)]}
).encode()
MARK = (
    "\n--status:%{http_code}|version:%{http_version}|connects:%{num_connects}"
    "|type:%{content_type}\n"
)


@pytest.fixture(scope="module", params=["h2", "raw"])
def config(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    """The server's config, once per HTTP/2 engine: every test that serves runs on both."""
    path = tmp_path_factory.mktemp("cfg") / "bidwire.toml"
    path.write_text(
        f'[server]\nengine = "{request.param}"\n\n'
        "[limits]\nmax_body_size = 65536\n\n[app]\ngzip_min_size = 512\n"
    )
    return path


@pytest.fixture(scope="module")
def server(config: Path) -> Iterator[ServerProcess]:
    with ServerProcess(config=config) as proc:
        yield proc
        proc.terminate()


def curl(*args: str, data: bytes | None = None) -> tuple[bytes, dict[str, str]]:
    """Run curl; the body(ies) and the facts of the last transfer."""
    command = [tool("curl"), "-sS", "-w", MARK, *args]
    if data is not None:
        command += ["--data-binary", "@-"]
    result = run(*command, stdin=data)
    assert result.returncode == 0, result.stderr
    body, _, tail = result.stdout.rpartition(b"\n--")
    facts = dict(item.split(":", 1) for item in tail.decode().strip().split("|"))
    return body, facts


@pytest.mark.parametrize("version", ["--http2-prior-knowledge", "--http1.1"])
def test_json_bid(server: ServerProcess, version: str) -> None:
    body, facts = curl(
        version, "-H", "content-type: application/json", server.url(), data=BANNER_BYTES
    )
    assert facts["status"] == "200"
    assert facts["version"] == ("2" if "2" in version else "1.1")
    assert facts["type"] == "application/json"
    response = JSON.decode_response(body)
    assert validate_response(response, JSON.decode_request(BANNER_BYTES)) == []


@pytest.mark.parametrize("version", ["--http2-prior-knowledge", "--http1.1"])
def test_protobuf_bid_answers_in_protobuf(server: ServerProcess, version: str) -> None:
    wire = PROTO.encode_request(JSON.decode_request(BANNER_BYTES))
    body, facts = curl(
        version, "-H", "content-type: application/x-protobuf", server.url(), data=wire
    )
    assert (facts["status"], facts["type"]) == ("200", "application/x-protobuf")
    response = PROTO.decode_response(body)
    assert response.id == "req-1" and response.seatbid
    assert validate_response(response, JSON.decode_request(BANNER_BYTES)) == []


def test_gzip_both_ways(server: ServerProcess) -> None:
    packed = gzip.compress(MANY_IMPS)
    body, facts = curl(
        "--http2-prior-knowledge", "-H", "content-type: application/json",
        "-H", "content-encoding: gzip", "-H", "accept-encoding: gzip",
        server.url(), data=packed,
    )  # fmt: skip
    assert facts["status"] == "200"
    assert body[:2] == b"\x1f\x8b", "a large response is gzipped when the client accepts gzip"
    response = JSON.decode_response(gzip.decompress(body))
    assert response.seatbid is not None and len(response.seatbid[0].bid) == 30
    # curl --compressed asks for gzip over HTTP/1.1 too, and inflates what it gets
    body, facts = curl("--http1.1", "--compressed", "-H", "content-type: application/json",
                       server.url(), data=MANY_IMPS)  # fmt: skip
    assert facts["status"] == "200" and JSON.decode_response(body).id == "big"


def test_no_bid_is_204_and_never_compressed(server: ServerProcess) -> None:
    result = run(tool("curl"), "-sS", "-i", "--http2-prior-knowledge",
                 "-H", "accept-encoding: gzip", "-H", "content-type: application/json",
                 "--data-binary", "@-", server.url(), stdin=NO_FIT)  # fmt: skip
    head = result.stdout.decode().lower()
    assert head.startswith("http/2 204")
    assert "content-encoding" not in head
    assert "x-openrtb-version: 2.6" in head


@pytest.mark.parametrize(
    ("args", "data", "status", "error"),
    [
        ([], b'{"id":"1","imp":[{"id":"1","banner":{"w":"wide"}}]}', "400", "$.imp[0].banner.w"),
        ([], b'{"id":"1","imp":[]}', "400", "$.imp"),
        ([], b"\x1f\x8b not really gzip", "400", None),
        (["-H", "content-type: text/xml"], b"<x/>", "415", None),
        (["-H", "content-encoding: br"], BANNER_BYTES, "415", None),
        ([], b"x" * 70_000, "413", None),
    ],
)
@pytest.mark.parametrize("version", ["--http2-prior-knowledge", "--http1.1"])
def test_bad_requests(
    server: ServerProcess,
    version: str,
    args: list[str],
    data: bytes,
    status: str,
    error: str | None,
) -> None:
    headers = (
        args
        if any("content-type" in a for a in args)
        else [*args, "-H", "content-type: application/json"]
    )
    if data.startswith(b"\x1f\x8b"):
        headers += ["-H", "content-encoding: gzip"]
    body, facts = curl(version, *headers, server.url(), data=data)
    assert facts["status"] == status
    if status != "413" or "2" in version:
        answer = json.loads(body)
        assert "error" in answer
        if error is not None:
            assert answer["path"] == error


@pytest.mark.parametrize("version", ["--http2-prior-knowledge", "--http1.1"])
def test_404_405_and_health(server: ServerProcess, version: str) -> None:
    assert curl(version, server.url("/nope"))[1]["status"] == "404"
    assert curl(version, server.url())[1]["status"] == "405"  # GET on the bid endpoint
    assert curl(version, server.url("/healthz"))[1]["status"] == "200"
    assert curl(version, server.url("/readyz"))[1]["status"] == "200"
    metrics, facts = curl(version, server.url("/metrics"))
    assert facts["status"] == "200"
    assert re.search(rb'bidwire_http_responses_total\{status="404"\} [1-9]', metrics)
    assert b"bidwire_request_seconds_bucket" in metrics


def test_http1_keep_alive_serves_several_requests_on_one_connection(server: ServerProcess) -> None:
    urls = [server.url("/healthz")] * 4
    result = run(tool("curl"), "-sS", "--http1.1", "-w", "%{num_connects}\n", *urls)
    assert result.returncode == 0
    connects = [line for line in result.stdout.decode().split("\n") if line.isdigit()]
    assert connects == ["1", "0", "0", "0"], "curl reused the first connection for the rest"


def test_many_concurrent_streams_on_one_connection(server: ServerProcess, tmp_path: Path) -> None:
    body = tmp_path / "body.json"
    body.write_bytes(BANNER_BYTES)
    result = run(tool("h2load"), "-n", "2000", "-c", "1", "-m", "100", "-d", str(body),
                 "-H", "content-type: application/json", server.url())  # fmt: skip
    summary = parse_summary(result.stdout.decode())
    assert (summary.succeeded, summary.failed, summary.errored) == (2000, 0, 0), summary
    assert summary.status_2xx == 2000, summary
    # nghttp: several requests multiplexed on one connection, each answered
    result = run(tool("nghttp"), "-n", "-s", server.url("/healthz"), server.url("/readyz"),
                 server.url("/nope"))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.count(b"\n") >= 3


def test_http1_with_h2load(server: ServerProcess, tmp_path: Path) -> None:
    body = tmp_path / "body.json"
    body.write_bytes(BANNER_BYTES)
    result = run(tool("h2load"), "--h1", "-n", "1000", "-c", "4", "-d", str(body),
                 "-H", "content-type: application/json", server.url())  # fmt: skip
    summary = parse_summary(result.stdout.decode())
    assert (summary.succeeded, summary.failed) == (1000, 0), summary


def test_tls_alpn_h2_and_http11(tmp_path: Path, config: Path) -> None:
    trustme = pytest.importorskip("trustme")  # a test dependency; installed by `make install`
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert_pem, key_pem, ca_pem = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(cert_pem))
    cert.private_key_pem.write_to_path(str(key_pem))
    ca.cert_pem.write_to_path(str(ca_pem))
    with ServerProcess(
        "--tls-cert", str(cert_pem), "--tls-key", str(key_pem), config=config
    ) as proc:
        assert proc.scheme == "https"
        for flag, version in (("--http2", "2"), ("--http1.1", "1.1")):
            body, facts = curl(flag, "--cacert", str(ca_pem),
                               "-H", "content-type: application/json",
                               proc.url(), data=BANNER_BYTES)  # fmt: skip
            assert (facts["status"], facts["version"]) == ("200", version)
            assert JSON.decode_response(body).id == "req-1"
        # and the negotiated protocol really is what ALPN picked
        context = ssl.create_default_context(cafile=str(ca_pem))
        context.set_alpn_protocols(["h2", "http/1.1"])
        import socket

        with (
            socket.create_connection(("127.0.0.1", proc.port)) as raw,
            context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
        ):
            assert tls.selected_alpn_protocol() == "h2"
        proc.terminate()


def test_sigterm_under_load_loses_no_request(tmp_path: Path, config: Path) -> None:
    """Every request h2load started was answered, or was never seen by the server (the client
    drops streams it had queued but not sent when GOAWAY arrived: refused before starting)."""
    body = tmp_path / "body.json"
    body.write_bytes(BANNER_BYTES)
    import subprocess
    import time

    with ServerProcess(config=config) as proc:
        load = subprocess.Popen(
            [tool("h2load"), "-n", "400000", "-c", "8", "-m", "32", "-d", str(body),
             "-H", "content-type: application/json", proc.url()],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        time.sleep(1.5)
        summary = proc.terminate()
        out = load.communicate(timeout=60)[0].decode()
    match = re.search(r"(\d+) requests answered", summary)
    assert match, summary
    answered = int(match[1])
    load_summary = parse_summary(out)
    started, done, succeeded = load_summary.started, load_summary.done, load_summary.succeeded
    assert (load_summary.status_4xx, load_summary.status_5xx) == (0, 0), out
    assert answered > 1000, "the load was running when SIGTERM came"
    assert succeeded == answered, "every request the server took was answered and delivered"
    assert done == started
    assert "0 connections closed at the drain timeout" in summary


def test_workers_share_one_port(tmp_path: Path, config: Path) -> None:
    """--workers 2: two processes accept on the same port (SO_REUSEPORT); SIGTERM stops both."""
    import socket
    import subprocess

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    from .servers import bidwire_command

    proc = subprocess.Popen(
        [*bidwire_command(), "serve", "--port", str(port), "--workers", "2",
         "--config", str(config)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        # every worker says when it listens: wait for both before sending load
        listening: list[str] = []  # the lines before are warnings (no notice keys, say)
        while len(listening) < 2:
            line = proc.stdout.readline()
            assert line, "the server stopped before both workers listened"
            if "listening" in line:
                assert "workers=2" in line
                listening.append(line)
        body = tmp_path / "body.json"
        body.write_bytes(BANNER_BYTES)
        result = run(tool("h2load"), "-n", "4000", "-c", "16", "-m", "8", "-d", str(body),
                     "-H", "content-type: application/json",
                     f"http://127.0.0.1:{port}/openrtb2/bid")  # fmt: skip
        summary = parse_summary(result.stdout.decode())
        assert (summary.succeeded, summary.failed) == (4000, 0), summary
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
        answered = [int(m) for m in re.findall(r"(\d+) requests answered", out)]
        assert len(answered) == 2, out  # each worker drained and reported
        assert sum(answered) == 4000
        assert min(answered) > 0, "16 connections all landed on one worker (p ~ 3e-5)"
    finally:
        if proc.poll() is None:
            proc.kill()


def test_campaigns_reload_on_sighup_and_on_file_change(tmp_path: Path) -> None:
    """A new campaign file is swapped in on SIGHUP and when the file changes; a broken file
    leaves the running campaigns in place."""
    import os
    import signal
    import time

    def campaigns(cid: str) -> str:
        return (
            f'[[campaigns]]\nid = "{cid}"\nseat = "s"\nadomain = ["{cid}.example"]\nprice = 2.0\n'
            '[[campaigns.creatives]]\nid = "cr"\ntype = "banner"\nw = 300\nh = 250\n'
            'markup = "<img>"\n'
        )

    path = tmp_path / "campaigns.toml"
    path.write_text(campaigns("first"))

    def bidder_cid(proc: ServerProcess) -> str | None:
        body, facts = curl("--http2-prior-knowledge", "-H", "content-type: application/json",
                           proc.url(), data=BANNER_BYTES)  # fmt: skip
        if facts["status"] != "200":
            return None
        response = JSON.decode_response(body)
        assert response.seatbid
        return response.seatbid[0].bid[0].cid

    with ServerProcess("--campaigns", str(path)) as proc:
        assert bidder_cid(proc) == "first"
        path.write_text(campaigns("second"))
        os.utime(path, (time.time() + 5, time.time() + 5))  # a new mtime even within a second
        os.kill(proc.process.pid, signal.SIGHUP)
        deadline = time.monotonic() + 10
        while bidder_cid(proc) != "second" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert bidder_cid(proc) == "second"
        path.write_text("this is not a campaign file [")
        os.utime(path, (time.time() + 10, time.time() + 10))
        time.sleep(1.5)  # the file watcher polls once a second
        assert bidder_cid(proc) == "second", "a broken file keeps the running campaigns"
        metrics, _ = curl("--http2-prior-knowledge", proc.url("/metrics"))
        # A reload is counted (and logged) once: SIGHUP after an edit, then the watcher that
        # sees the same edit, is one reload, not two; and it is not a request error.
        assert b'bidwire_campaign_reloads_total{outcome="ok"} 1' in metrics
        assert b'bidwire_campaign_reloads_total{outcome="failed"} 1' in metrics
        assert b"campaign_reload" not in metrics.split(b"bidwire_campaign_reloads_total")[0]
        assert b'bidwire_gc_collections_total{generation="0"}' in metrics
        out = proc.terminate()
    assert out.count("campaigns reloaded") == 1, out
    assert out.count("campaign reload failed") == 1, out


def _read_frames_until_goaway(sock: socket.socket) -> int:
    """Read frames until a GOAWAY; return its error code."""
    buffered = b""
    while True:
        chunk = sock.recv(65536)
        assert chunk, "the server closed without a GOAWAY"
        buffered += chunk
        while len(buffered) >= 9:
            length = int.from_bytes(buffered[:3], "big")
            if len(buffered) < 9 + length:
                break
            frame_type, payload = buffered[3], buffered[9 : 9 + length]
            buffered = buffered[9 + length :]
            if frame_type == h2_wire.GOAWAY:
                return int.from_bytes(payload[4:8], "big")


def test_goaway_is_read_before_the_connection_closes(server: ServerProcess) -> None:
    """After a connection error the server sends GOAWAY and a FIN, and keeps reading what the
    client still sends until the client closes: closing a socket with unread input would make
    the kernel answer the client's next bytes with RST, which can destroy the GOAWAY before
    the client reads it (h2spec generic/3.8/1 flaked on this)."""
    ping = h2_wire.frame(h2_wire.PING, 0, 0, bytes(8))
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(h2_wire.PREFACE + h2_wire.settings({}))
        sock.sendall(h2_wire.frame(h2_wire.PING, 0, 1, bytes(8)))  # PING on a stream
        assert _read_frames_until_goaway(sock) == h2_wire.PROTOCOL_ERROR
        sock.sendall(ping)  # the server may still be reading: never an RST for these
        time.sleep(0.2)
        sock.sendall(ping)
        sock.shutdown(socket.SHUT_WR)
        while sock.recv(65536):  # raises ConnectionResetError if the server reset
            pass
