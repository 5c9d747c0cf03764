"""gRPC with real clients over real sockets, on both HTTP/2 engines.

- grpcio (the official client), with stubs generated from ``schemas/`` by ``grpc_tools.protoc``
  into a temporary folder at test time;
- ``@grpc/grpc-js`` run by node, a second independent implementation (its own HTTP/2, framing,
  compression and status handling), installed by ``npm install`` into a cache folder from
  ``tests/node/package.json``; a missing node or npm, or an install that fails (offline, say), is
  a set-up failure, never a skip;
- h2load for load, with gRPC's headers and a framed message.

Every corpus request (and the packaged sample) gets the same decision over gRPC as over a JSON
POST to the same server.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from bidder.grpc_wire import frame
from bidwire.benchmarks.decisions import corpus_files
from bidwire.benchmarks.decode import sample_dir
from bidwire.benchmarks.h2load import parse_summary
from openrtb import BidResponse, JsonCodec, ProtoCodec
from openrtb.errors import CodecError
from tests.conftest import CORPUS
from tests.servers import ServerProcess, tool

REPO = Path(__file__).resolve().parents[1]
SCHEMAS = REPO / "schemas"
NODE_DIR = Path(__file__).resolve().parent / "node"
JSON, PROTO = JsonCodec(), ProtoCodec()
BANNER = json.dumps(
    {
        "id": "g1",
        "imp": [{"id": "1", "banner": {"w": 300, "h": 250}}],
        "site": {"domain": "news.example.com"},
        "device": {"geo": {"country": "USA"}},
    }
).encode()
BANNER_PROTO = PROTO.encode_request(JSON.decode_request(BANNER))
HEALTH = "/grpc.health.v1.Health/Check"
#: (openrtb_pb2, bidder_pb2_grpc), generated at test time.
Stubs = tuple[ModuleType, ModuleType]


def run(
    *argv: str, stdin: bytes | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(argv, input=stdin, capture_output=True, timeout=timeout, check=False)


# -- the clients ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def stubs(tmp_path_factory: pytest.TempPathFactory) -> Stubs:
    """(openrtb_pb2, bidder_pb2_grpc) generated from schemas/ now. ``-I schemas/bidwire/v1``
    makes the service module top-level (bidder_pb2), clear of our own ``bidwire`` package."""
    out = tmp_path_factory.mktemp("stubs")
    result = run(
        sys.executable,
        "-m",
        "grpc_tools.protoc",
        f"-I{SCHEMAS / 'bidwire/v1'}",
        f"-I{SCHEMAS}",
        f"--python_out={out}",
        f"--grpc_python_out={out}",
        str(SCHEMAS / "openrtb.proto"),
        str(SCHEMAS / "bidwire/v1/bidder.proto"),
    )
    assert result.returncode == 0, result.stderr.decode()
    sys.path.insert(0, str(out))
    try:
        return importlib.import_module("openrtb_pb2"), importlib.import_module("bidder_pb2_grpc")
    finally:
        sys.path.remove(str(out))


def node_modules() -> Path:
    """A folder with tests/node/package.json's packages installed: a cache keyed by the file's
    hash (``BIDWIRE_NODE_CACHE`` or ``~/.cache/bidwire``), installed once with npm."""
    manifest = (NODE_DIR / "package.json").read_bytes()
    root = Path(os.environ.get("BIDWIRE_NODE_CACHE") or Path.home() / ".cache" / "bidwire")
    folder = root / f"grpc-js-{hashlib.sha256(manifest).hexdigest()[:12]}"
    if (folder / "node_modules" / "@grpc" / "grpc-js" / "package.json").is_file():
        return folder
    npm = tool("npm")
    staging = folder.with_name(folder.name + f".tmp{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    (staging / "package.json").write_bytes(manifest)
    try:
        result = run(
            npm,
            "install",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            "--prefix",
            str(staging),
            timeout=600,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("set-up: `npm install` of @grpc/grpc-js took over 10 minutes", pytrace=False)
    if result.returncode != 0:
        pytest.fail(
            "set-up: `npm install` of @grpc/grpc-js failed (is the npm registry reachable?): "
            + result.stderr.decode(errors="replace")[-800:],
            pytrace=False,
        )
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)  # whole or not at all: a half install is never reused
    return folder


@pytest.fixture(scope="session")
def grpc_js() -> Path:
    """The folder whose node_modules holds @grpc/grpc-js and @grpc/proto-loader."""
    tool("node")
    return node_modules()


def node_calls(grpc_js: Path, port: int, calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Make ``calls`` with grpc-js (tests/node/grpc_client.js); their results."""
    env = {**os.environ, "NODE_PATH": str(grpc_js / "node_modules")}
    result = subprocess.run(
        [tool("node"), str(NODE_DIR / "grpc_client.js"), f"127.0.0.1:{port}", str(SCHEMAS)],
        input=json.dumps(calls).encode(),
        capture_output=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    results: list[dict[str, Any]] = json.loads(result.stdout)
    return results


# -- the server -------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["raw", "h2"])
def server(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[ServerProcess]:
    path = tmp_path_factory.mktemp("cfg") / "bidwire.toml"
    path.write_text(f'[server]\nengine = "{request.param}"\n\n[app]\ngzip_min_size = 512\n')
    with ServerProcess(config=path) as proc:
        yield proc
        proc.terminate()


@pytest.fixture(scope="module")
def channel(server: ServerProcess) -> Iterator[Any]:
    import grpc  # type: ignore[import-untyped]

    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as ch:
        yield ch


def decisions(response: BidResponse | None) -> list[tuple[Any, ...]]:
    """What a response decided, apart from what changes from call to call (notice URLs, with
    their issue time, and the markup that embeds them): one tuple per bid, or a no-bid."""
    if response is None or not response.seatbid:
        return [("nobid",)]
    return sorted(
        (
            seat.seat,
            bid.impid,
            bid.cid,
            bid.crid,
            bid.price,
            bid.dealid,
            bid.mtype,
            bid.w,
            bid.h,
            tuple(bid.adomain or ()),
        )
        for seat in response.seatbid
        for bid in seat.bid
    )


def requests_of_the_corpus() -> list[tuple[str, bytes]]:
    """(name, protobuf request) for every corpus request and the packaged sample that decode."""
    out = []
    for path in corpus_files([CORPUS / "requests", sample_dir() / "requests"]):
        try:
            out.append((path.name, PROTO.encode_request(JSON.decode_request(path.read_bytes()))))
        except CodecError:
            continue
    return out


def post_json(server: ServerProcess, body: bytes) -> BidResponse | None:
    """A JSON POST over HTTP/2 with curl: the response, or None for a 204."""
    result = run(
        tool("curl"),
        "-sS",
        "--http2-prior-knowledge",
        "-H",
        "content-type: application/json",
        "--data-binary",
        "@-",
        "-w",
        "\n%{http_code}",
        server.url(),
        stdin=body,
    )
    out, _, status = result.stdout.rpartition(b"\n")
    if status == b"204":
        return None
    assert status == b"200", (status, out[:200])
    return JSON.decode_response(out)


# -- grpcio -----------------------------------------------------------------------------------


def test_grpcio_bid_headers_trailers_and_decision(
    server: ServerProcess, channel: Any, stubs: Stubs
) -> None:
    pb, service = stubs
    stub = service.BidderStub(channel)
    answer, call = stub.Bid.with_call(pb.BidRequest.FromString(BANNER_PROTO), timeout=5)
    assert answer.id == "g1" and answer.seatbid
    assert call.code().name == "OK"
    ours = PROTO.decode_response(answer.SerializeToString())
    assert decisions(ours) == decisions(post_json(server, BANNER))


def test_grpcio_gzip_both_ways(channel: Any, stubs: Stubs) -> None:
    import grpc

    pb, service = stubs
    stub = service.BidderStub(channel)
    many = json.loads(BANNER)
    many["imp"] = [{"id": str(i), "banner": {"w": 300, "h": 250}} for i in range(20)]
    message = PROTO.encode_request(JSON.decode_request(json.dumps(many).encode()))
    answer = stub.Bid(
        pb.BidRequest.FromString(message), timeout=5, compression=grpc.Compression.Gzip
    )
    assert len(answer.seatbid[0].bid) == 20  # answered gzipped (over 512 B): grpcio inflated it


def test_grpcio_error_statuses(channel: Any, stubs: Stubs) -> None:
    import grpc

    pb, service = stubs
    stub = service.BidderStub(channel)
    with pytest.raises(grpc.RpcError) as caught:
        stub.Bid(pb.BidRequest(id="x"), timeout=5)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details() == "$.imp: at least one imp is required"
    raw = channel.unary_unary("/bidwire.v1.Bidder/Bid")
    with pytest.raises(grpc.RpcError) as caught:
        raw(b"\x0a\x02r1\x12\x03\x0a", timeout=5)  # a truncated sub-message
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as caught:
        channel.unary_unary("/bidwire.v1.Bidder/Nope")(b"", timeout=5)
    assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED
    # grpc-timeout: parsed and folded in; a generous one leaves the decision alone.
    assert stub.Bid(pb.BidRequest.FromString(BANNER_PROTO), timeout=3).seatbid


def test_grpcio_message_over_the_body_cap_is_resource_exhausted(channel: Any, stubs: Stubs) -> None:
    """The transport refuses a body over [limits] max_body_size before the gRPC door sees it:
    a gRPC call gets RESOURCE_EXHAUSTED (an HTTP 413 would reach grpcio as UNKNOWN)."""
    import grpc

    pb, service = stubs
    stub = service.BidderStub(channel)
    big = pb.BidRequest.FromString(BANNER_PROTO)
    big.id = "r" * (2 * 1024 * 1024)  # over the default 1 MiB cap
    with pytest.raises(grpc.RpcError) as caught:
        stub.Bid(big, timeout=10)
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert caught.value.details() == "request body too large"
    assert stub.Bid(pb.BidRequest.FromString(BANNER_PROTO), timeout=5).seatbid  # still serving


def test_grpcio_health_check(channel: Any) -> None:
    check = channel.unary_unary(HEALTH)
    assert check(b"", timeout=5) == b"\x08\x01"  # SERVING
    assert check(b"\x0a\x11bidwire.v1.Bidder", timeout=5) == b"\x08\x01"


def test_every_corpus_request_decides_alike_over_grpc_and_json(
    server: ServerProcess, channel: Any, stubs: Stubs
) -> None:
    pb, service = stubs
    stub = service.BidderStub(channel)
    corpus = requests_of_the_corpus()
    assert len(corpus) >= 11  # the packaged sample at least
    differ = []
    bids = 0
    for name, message in corpus:
        over_grpc = PROTO.decode_response(
            stub.Bid(pb.BidRequest.FromString(message), timeout=5).SerializeToString()
        )
        over_json = post_json(server, JSON.encode(PROTO.decode_request(message)))
        bids += bool(over_grpc.seatbid)
        if decisions(over_grpc) != decisions(over_json):
            differ.append((name, decisions(over_grpc), decisions(over_json)))
        if not over_grpc.seatbid:
            assert over_grpc.nbr is not None or over_grpc.id, name  # a no-bid names the request
    assert differ == []
    assert bids >= len(corpus) // 2


# -- @grpc/grpc-js ----------------------------------------------------------------------------


def test_grpc_js_raw_calls_statuses_and_gzip(server: ServerProcess, grpc_js: Path) -> None:
    b64 = base64.b64encode
    calls = [
        {"method": "/bidwire.v1.Bidder/Bid", "body": b64(BANNER_PROTO).decode()},
        {"method": "/bidwire.v1.Bidder/Bid", "body": b64(BANNER_PROTO).decode(), "gzip": True},
        {"method": "/bidwire.v1.Bidder/Bid", "body": b64(b"\x0a\x01x").decode()},
        {"method": "/bidwire.v1.Bidder/Nope", "body": ""},
        {"method": HEALTH, "body": ""},
        {"method": "/bidwire.v1.Bidder/Bid", "body": b64(BANNER_PROTO).decode(), "timeoutMs": 2},
    ]
    ok, gzipped, invalid, unknown, health, hurried = node_calls(grpc_js, server.port, calls)
    assert ok["code"] == 0 and ok["trailers"] == {}
    answer = PROTO.decode_response(base64.b64decode(ok["body"]))
    assert answer.id == "g1" and answer.seatbid
    assert gzipped["code"] == 0
    assert decisions(PROTO.decode_response(base64.b64decode(gzipped["body"]))) == decisions(answer)
    assert (invalid["code"], invalid["details"]) == (3, "$.imp: at least one imp is required")
    assert unknown["code"] == 12 and "unknown method" in unknown["details"]
    assert (health["code"], base64.b64decode(health["body"])) == (0, b"\x08\x01")
    # 2 ms: inside the network allowance, so the deadline has passed on arrival: admission
    # control answers DEADLINE_EXCEEDED (4) without decoding, as the client's own deadline
    # does (served without admission control: an immediate no-bid, nbr 15): never anything else.
    assert hurried["code"] in (0, 4)
    if hurried["code"] == 0:
        assert PROTO.decode_response(base64.b64decode(hurried["body"])).nbr == 15


def test_grpc_js_stub_from_the_schema_and_the_corpus(
    server: ServerProcess, grpc_js: Path, channel: Any, stubs: Stubs
) -> None:
    """A client generated from schemas/bidwire/v1/bidder.proto by proto-loader (protobuf.js),
    and every corpus request through grpc-js: the same decisions as grpcio's."""
    stub_call = {
        "stub": True,
        "message": {
            "id": "js1",
            "imp": [{"id": "1", "banner": {"w": 300, "h": 250}}],
            "site": {"domain": "news.example.com"},
            "device": {"geo": {"country": "USA"}},
        },
    }
    corpus = requests_of_the_corpus()
    calls = [stub_call] + [
        {"method": "/bidwire.v1.Bidder/Bid", "body": base64.b64encode(m).decode()}
        for _, m in corpus
    ]
    results = node_calls(grpc_js, server.port, calls)
    generated = results[0]
    assert generated["code"] == 0, generated
    assert generated["message"]["id"] == "js1"
    assert generated["message"]["seatbid"][0]["bid"][0]["price"] > 0
    pb, service = stubs
    stub = service.BidderStub(channel)
    for (name, message), result in zip(corpus, results[1:], strict=True):
        assert result["code"] == 0, (name, result)
        by_js = PROTO.decode_response(base64.b64decode(result["body"]))
        by_grpcio = PROTO.decode_response(
            stub.Bid(pb.BidRequest.FromString(message), timeout=5).SerializeToString()
        )
        assert decisions(by_js) == decisions(by_grpcio), name


def test_nghttp_sees_headers_then_trailers_and_a_trailers_only_error(
    server: ServerProcess, tmp_path: Path
) -> None:
    """The frames themselves: HEADERS (with grpc-accept-encoding), DATA, then a HEADERS with
    END_STREAM holding grpc-status 0; an error is one HEADERS with END_STREAM."""
    body = tmp_path / "call.bin"
    body.write_bytes(frame(BANNER_PROTO))
    ok = run(tool("nghttp"), "-v", "-d", str(body), "-H", "content-type: application/grpc",
             "-H", "te: trailers", server.url("/bidwire.v1.Bidder/Bid"))  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert received(ok.stdout) == [
        ":status: 200", "content-type: application/grpc", "grpc-accept-encoding: identity,gzip",
        "content-length", "HEADERS flags=0x04", "DATA flags=0x00", "grpc-status: 0",
        "HEADERS flags=0x05",  # END_STREAM | END_HEADERS
    ]  # fmt: skip
    empty = tmp_path / "empty.bin"
    empty.write_bytes(frame(b"\x0a\x01x"))
    bad = run(tool("nghttp"), "-v", "-d", str(empty), "-H", "content-type: application/grpc",
              server.url("/bidwire.v1.Bidder/Bid"))  # fmt: skip
    assert received(bad.stdout) == [
        ":status: 200", "content-type: application/grpc", "grpc-accept-encoding: identity,gzip",
        "grpc-status: 3", "grpc-message: $.imp: at least one imp is required",
        "content-length", "HEADERS flags=0x05",  # trailers-only: one HEADERS, END_STREAM
    ]  # fmt: skip


def received(output: bytes) -> list[str]:
    """What ``nghttp -v`` received on stream 13 (its request): header fields as ``name: value``
    and frames as ``TYPE flags=0x..``, in order."""
    out = []
    for line in output.decode("latin-1").split("\n"):
        field = re.search(r"\] recv \(stream_id=13\) (.*)$", line)
        frame_line = re.search(
            r"\] recv (HEADERS|DATA) frame <length=\d+, (flags=0x\w+), stream_id=13>", line
        )
        if field:
            # The length depends on the bid's notice URLs (the port): its presence is the fact.
            out.append("content-length" if field[1].startswith("content-length:") else field[1])
        elif frame_line:
            out.append(f"{frame_line[1]} {frame_line[2]}")
    return out


# -- h2load -----------------------------------------------------------------------------------


def test_h2load_grpc_load(server: ServerProcess, tmp_path: Path) -> None:
    body = tmp_path / "call.bin"
    body.write_bytes(frame(BANNER_PROTO))
    gz = tmp_path / "call-gz.bin"
    gz.write_bytes(frame(gzip.compress(BANNER_PROTO), compressed=True))
    for data, extra in ((body, []), (gz, ["-H", "grpc-encoding: gzip"])):
        result = run(
            tool("h2load"),
            "-n",
            "2000",
            "-c",
            "2",
            "-m",
            "50",
            "-d",
            str(data),
            "-H",
            "content-type: application/grpc",
            "-H",
            "te: trailers",
            *extra,
            server.url("/bidwire.v1.Bidder/Bid"),
        )
        summary = parse_summary(result.stdout.decode())
        assert (summary.succeeded, summary.failed, summary.errored) == (2000, 0, 0), summary
        assert summary.status_2xx == 2000, summary
