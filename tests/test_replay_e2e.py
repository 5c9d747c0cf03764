"""Capture and replay with real servers: ``bidwire serve --capture`` written by live traffic
(curl, over HTTP/2: JSON, gzipped JSON, protobuf, gRPC), complete once the server has drained
after SIGTERM, and ``bidwire replay --target`` against a second real ``bidwire serve`` whose
campaigns differ in one campaign's price: the report names exactly the requests whose answer
differs (found apart from the replay's code: see :func:`tests.test_replay.expected_changes`).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from bidder.capture import read_capture
from bidder.grpc_wire import frame
from bidwire.benchmarks.decisions import ARRIVAL, corpus_files
from bidwire.benchmarks.decode import sample_dir
from openrtb import JsonCodec, ProtoCodec
from transport.events import Request

from .conftest import CORPUS
from .servers import ServerProcess, run, tool
from .test_replay import CAMPAIGNS_V1, expected_changes, oracle_request, repriced

KINDS = ("json", "proto", "grpc", "gzip")
#: What every server of these tests runs with: no shedding at arrival, on loop lag or by
#: admission control (a loaded test machine lags, a gzipped body's tmax is not peeked, and a
#: shed request is answered without a decision); with requests that give the bidder a second
#: (tmax 1000, see :func:`bodies`), no deadline is missed either, so every request is decided
#: by the campaigns whatever the machine's speed.
STEADY = "[app.shedding]\nmax_loop_lag_ms = 600000\n[admission]\nenabled = false\n"


def steady(folder: Path, *args: str, extra: str = "") -> ServerProcess:
    """``bidwire serve ARGS`` with :data:`STEADY` (and ``extra``, TOML) as its config."""
    config = folder / f"steady-{len(list(folder.glob('steady-*')))}.toml"
    config.write_text(extra + STEADY)
    return ServerProcess(*args, config=config)


def stable_campaigns(folder: Path) -> Path:
    """The fixture's campaigns without hour-of-week targeting (a test that crosses an hour
    must not change a decision) and with budgets out of reach (live servers spend them)."""
    data = json.loads(CAMPAIGNS_V1.read_text())
    for campaign in data["campaigns"]:
        campaign.get("targeting", {}).pop("hours_of_week", None)
        for key in ("daily_budget", "total_budget"):
            if key in campaign:
                campaign[key] *= 1e6
    path = folder / "base.json"
    path.write_text(json.dumps(data))
    return path


def bodies() -> list[tuple[str, bytes, dict[str, str]]]:
    """Each corpus and sample request, in turn as JSON, protobuf, gRPC and gzipped JSON:
    (path, body, header fields)."""
    json_codec, proto = JsonCodec(), ProtoCodec()
    out = []
    files = corpus_files([CORPUS / "requests", sample_dir() / "requests"])
    for i, path in enumerate(files):
        document = json.loads(path.read_bytes())
        document["tmax"] = 1000  # a second: no deadline is missed on a slow machine
        data = json.dumps(document).encode()
        request = json_codec.decode_request(data)
        kind = KINDS[i % len(KINDS)]
        if kind == "json":
            out.append(("/openrtb2/bid", data, {"content-type": "application/json"}))
        elif kind == "gzip":
            out.append(
                (
                    "/openrtb2/bid",
                    gzip.compress(data, mtime=0),
                    {"content-type": "application/json", "content-encoding": "gzip"},
                )
            )
        elif kind == "proto":
            out.append(
                (
                    "/openrtb2/bid",
                    proto.encode_request(request),
                    {"content-type": "application/x-protobuf"},
                )
            )
        else:
            out.append(
                (
                    "/bidwire.v1.Bidder/Bid",
                    frame(proto.encode_request(request)),
                    {"content-type": "application/grpc", "te": "trailers"},
                )
            )
    return out


def as_requests(at: float) -> list[tuple[Request, float]]:
    """:func:`bodies` as the transport hands them to the bidder, decided at ``at``."""
    return [
        (
            Request(
                b"POST",
                path.encode(),
                body,
                arrival=ARRIVAL,
                content_type=headers["content-type"].encode(),
                content_encoding=headers.get("content-encoding", "").encode() or None,
            ),
            at,
        )
        for path, body, headers in bodies()
    ]


def post(server: ServerProcess, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    """One request with curl (HTTP/2, prior knowledge); the status."""
    fields = [arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")]
    done = run(
        tool("curl"),
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "--http2-prior-knowledge",
        *fields,
        "--data-binary",
        "@-",
        server.url(path),
        stdin=body,
    )
    return done.stdout


def send_all(server: ServerProcess) -> int:
    """Send every request; how many were answered 200/204."""
    return sum(post(server, *each) in (b"200", b"204") for each in bodies())


def replay(*args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    from .servers import bidwire_command

    done = run(*bidwire_command(), "replay", *args, "--json", timeout=120)
    assert done.returncode in (0, 1), done.stderr.decode()
    return done.returncode, json.loads(done.stdout)


@pytest.fixture(scope="module")
def setting(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path, int]:
    """(the capture, base campaigns, candidate campaigns, requests answered while capturing)."""
    folder = tmp_path_factory.mktemp("replay")
    base = stable_campaigns(folder)
    candidate = repriced(base, folder)
    capture = folder / "capture.jsonl.gz"
    with steady(
        folder, "--campaigns", str(base), "--capture", str(capture), "--capture-fraction", "1"
    ) as server:
        answered = send_all(server)
        out = server.terminate()
    assert server.process.returncode == 0, out
    return capture, base, candidate, answered


def test_the_capture_is_complete_once_the_server_has_drained(
    setting: tuple[Path, Path, Path, int],
) -> None:
    capture, _, _, answered = setting
    records = list(read_capture(capture))
    assert answered == len(bodies()) == len(records) == 71
    assert [r.content_type for r in records[:4]] == [
        "application/json",
        "application/x-protobuf",
        "application/grpc",
        "application/json",
    ]
    assert records[3].content_encoding == "gzip"


def timed_out(report: dict) -> set[int]:  # type: ignore[type-arg]
    """The requests a side answered with a no-bid for want of time (a loaded machine can stall
    a server past a deadline): not compared, and named as such; nothing else may fail."""
    assert all(f["error"].startswith("deadline no-bid") for f in report["failures"]), report
    return {f["n"] for f in report["failures"]}


def test_replay_against_a_second_server_names_exactly_the_changed_requests(
    setting: tuple[Path, Path, Path, int], tmp_path: Path
) -> None:
    capture, base, candidate, _ = setting
    records = list(read_capture(capture))
    expected = expected_changes([oracle_request(r) for r in records], base, candidate)
    assert 0 < len(expected) < 71
    # No-bids as 200 with nbr: a deadline's no-bid (nbr 15), should one come all the same, is
    # then told from a decision's.
    nbr = '[app]\nnobid = "nbr"\n'
    with (
        steady(tmp_path, "--campaigns", str(candidate), extra=nbr) as other,
        steady(tmp_path, "--campaigns", str(base), extra=nbr) as same,
    ):
        for server in (other, same):
            send_all(server)  # warm: the first requests of a fresh process are slow
        status, report = replay(str(capture), "--target", other.url("/"), "--max-errors", "100%")
        assert {c["n"] for c in report["changed"]} == expected - timed_out(report)
        assert status == 1 and report["candidate"]["latency_ms"]["p50"] > 0
        status, report = replay(
            str(capture), "--target", same.url("/"), "--format", "proto", "--max-errors", "100%"
        )
        timed_out(report)
        assert (status, report["changed"]) == (0, [])
        # Two servers against each other (the first is the baseline), every request as gRPC.
        status, report = replay(
            str(capture),
            "--target",
            same.url("/"),
            "--target",
            other.url("/"),
            "--format",
            "grpc",
            "--max-changed",
            "100%",
            "--max-errors",
            "100%",
        )
        assert {c["n"] for c in report["changed"]} == expected - timed_out(report)
        assert status == 0


def test_workers_share_one_capture_file(tmp_path: Path) -> None:
    capture = tmp_path / "capture.jsonl.gz"
    from bidwire.benchmarks.servers import free_port

    with steady(
        tmp_path,
        "--workers",
        "2",
        "--port",
        str(free_port()),
        "--capture",
        str(capture),
        "--capture-fraction",
        "1",
    ) as server:
        answered = send_all(server)
        server.terminate()
    assert len(list(read_capture(capture))) == answered == 71


def test_an_unwritable_capture_is_refused_at_start(tmp_path: Path) -> None:
    from .servers import bidwire_command

    done = run(
        *bidwire_command(), "serve", "--port", "0", "--capture", str(tmp_path / "missing" / "c.gz")
    )
    assert done.returncode == 2
    assert (
        done.stderr.decode()
        .strip()
        .endswith(f"bad setting capture.path: the folder {tmp_path / 'missing'} does not exist")
    )
