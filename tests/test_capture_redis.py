"""A capture in a Redis Stream (bidder.capture_redis), with a real redis-server: written by
`bidwire serve --capture redis://...`, read back by `bidwire replay redis://...`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from bidder.capture import Capture, CaptureConfig, capture_problem, read_capture, sink_for
from bidder.pipeline import NoBid

from .redis_server import RedisServer, free_port
from .servers import bidwire_command, run
from .test_capture import REQUEST, http_request
from .test_replay import CAMPAIGNS_V1
from .test_replay_e2e import send_all, steady


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    found = RedisServer(tmp_path)
    yield found
    found.stop()


def test_records_go_to_the_stream_and_come_back_in_order(server: RedisServer) -> None:
    url = f"{server.url}?stream=test:cap&maxlen=50"
    capture = Capture(CaptureConfig(path=url, fraction=1.0), sink_for(url))
    for i in range(120):
        capture.observe(http_request(f'{{"n":{i}}}'.encode()), REQUEST, NoBid("no_match"))
        if i % 10 == 9:
            capture.flush()  # a pipeline per chunk
    capture.close_now()
    client = redis.Redis.from_url(server.url)
    kept = client.xlen("test:cap")
    assert 50 <= kept < 120  # MAXLEN ~: about the newest 50, trimmed by whole nodes
    bodies = [r.body for r in read_capture(url)]
    assert bodies == [f'{{"n":{i}}}'.encode() for i in range(120 - kept, 120)]


def test_the_default_stream_and_a_served_capture_replay(
    server: RedisServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with steady(tmp_path, "--campaigns", str(CAMPAIGNS_V1), "--capture", server.url,
                "--capture-fraction", "1") as live:  # fmt: skip
        answered = send_all(live)
        live.terminate()
    records = list(read_capture(server.url))
    assert len(records) == answered == 71
    assert redis.Redis.from_url(server.url).xlen("bidwire:capture") == 71
    from bidwire.cli import main

    status = main(["replay", server.url, "--campaigns", str(CAMPAIGNS_V1), "--json",
                   "--max-errors", "100%"])  # fmt: skip
    report = json.loads(capsys.readouterr().out)
    assert report["requests"] == 71 and report["changed"] == [] and status == 0


def test_a_stream_that_is_not_there_is_one_line(tmp_path: Path) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    assert (capture_problem(CaptureConfig(path=url)) or "").startswith(
        f"capture stream {url} does not answer: "
    )
    assert capture_problem(CaptureConfig(path=url + "?maxlen=-3")) == (
        "bad setting capture.path: maxlen='-3' is not a positive integer"
    )
    done = run(*bidwire_command(), "replay", url, "--campaigns", str(CAMPAIGNS_V1))
    assert done.returncode == 2
    err = done.stderr.decode()
    assert (
        err.startswith(f"bidwire replay: {url}: cannot read the stream: ") and err.count("\n") == 1
    )
