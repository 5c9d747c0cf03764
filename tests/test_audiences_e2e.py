"""`bidwire serve --state redis://...` with audience campaigns, Redis behind a delaying proxy.

Known users bid through their audiences; when Redis is slowed (5 ms, 50 ms per command) past
what a lookup may wait (its cap, or what the request's deadline leaves), every reply still
comes inside tmax (h2load's log), the lookups give up (counted as timeouts in /metrics) and the
bids are the no-audience decisions.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bidwire.benchmarks.h2load import parse_log, parse_summary

from .audience_data import load_users
from .delay_proxy import DelayProxy
from .redis_server import RedisServer
from .servers import ServerProcess, run, tool

CAMPAIGNS = """
[[campaigns]]
id = "c-retarget"
seat = "s1"
adomain = ["retarget.example"]
price = 3.0
[campaigns.targeting.audiences]
include = ["cart"]
[[campaigns.creatives]]
id = "cr-r"
type = "banner"
w = 300
h = 250
markup = "<img src='https://retarget.example/i.png'>"

[[campaigns]]
id = "c-prospect"
seat = "s1"
adomain = ["prospect.example"]
price = 2.0
[campaigns.targeting.audiences]
exclude = ["customers"]
[[campaigns.creatives]]
id = "cr-p"
type = "banner"
w = 300
h = 250
markup = "<img src='https://prospect.example/i.png'>"
"""
PREFIX = "e2e"


def body(user: str, tmax: int) -> bytes:
    return json.dumps({"id": f"r-{user}", "imp": [{"id": "1", "banner": {"w": 300, "h": 250}}],
                       "user": {"id": user}, "tmax": tmax}).encode()  # fmt: skip


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("aud-e2e-redis"))
    asyncio.run(load_users(server.url, PREFIX, {"shopper": ["cart"], "customer": ["customers"]},
                           int(time.time()) + 3600))  # fmt: skip
    yield server
    server.stop()


@pytest.fixture(scope="module")
def proxy(redis_server: RedisServer) -> Iterator[DelayProxy]:
    proxy = DelayProxy(redis_server.port, 0.0)
    yield proxy
    proxy.close()


def serve(folder: Path, proxy: DelayProxy, max_wait_ms: int) -> ServerProcess:
    (folder / "campaigns.toml").write_text(CAMPAIGNS)
    config = folder / "bidwire.toml"
    config.write_text(f'campaigns = "{folder / "campaigns.toml"}"\n\n'
                      f'[pipeline.state]\nredis_prefix = "{PREFIX}"\n\n'
                      f"[pipeline.audiences]\nmax_wait_ms = {max_wait_ms}\n")  # fmt: skip
    server = ServerProcess("--state", proxy.url, config=config, measured=False)
    deadline = time.monotonic() + 20
    while b"audiences not read" in run(tool("curl"), "-sS", server.url("/readyz")).stdout:
        assert time.monotonic() < deadline, "the Bloom filter was never read"
        time.sleep(0.1)
    return server


@pytest.fixture(scope="module")
def server(proxy: DelayProxy, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Lookups may wait 30 ms: that cap, or the deadline when it leaves less, ends them."""
    server = serve(tmp_path_factory.mktemp("aud-e2e"), proxy, 30)
    yield server
    server.terminate()


@pytest.fixture(scope="module")
def hurried(proxy: DelayProxy, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Lookups may wait 3 ms."""
    server = serve(tmp_path_factory.mktemp("aud-e2e-3ms"), proxy, 3)
    yield server
    server.terminate()


def post(server: ServerProcess, data: bytes) -> tuple[int, dict[str, object] | None]:
    out = run(tool("curl"), "-sS", "-w", "\n%{http_code}", "-H", "content-type: application/json",
              "--data-binary", data.decode(), server.url()).stdout.decode()  # fmt: skip
    payload, _, status = out.rpartition("\n")
    return int(status), json.loads(payload) if payload else None


def campaign_of(response: dict[str, object] | None) -> str | None:
    if response is None:
        return None
    return response["seatbid"][0]["bid"][0]["cid"]  # type: ignore[index,no-any-return]


def metric(server: ServerProcess, series: str) -> int:
    text = run(tool("curl"), "-sS", server.url("/metrics")).stdout.decode()
    found = re.search(rf"^{re.escape(series)} (\d+)$", text, re.M)
    return int(found[1]) if found else 0


def lookups(server: ServerProcess, outcome: str) -> int:
    return metric(server, f'bidwire_audience_lookups_total{{outcome="{outcome}"}}')


def test_known_users_bid_through_their_audiences(server: ServerProcess, proxy: DelayProxy) -> None:
    proxy.delay = 0.0
    unknown = lookups(server, "unknown")
    assert campaign_of(post(server, body("shopper", 200))[1]) == "c-retarget"
    assert campaign_of(post(server, body("customer", 200))[1]) is None  # excluded, not included
    assert campaign_of(post(server, body("stranger", 200))[1]) == "c-prospect"
    assert lookups(server, "unknown") - unknown == 1  # the stranger cost no round trip


def test_a_slowed_redis_answers_lookups_that_can_wait(
    server: ServerProcess, proxy: DelayProxy
) -> None:
    proxy.delay = 0.005
    try:
        found = lookups(server, "found")
        assert campaign_of(post(server, body("shopper", 200))[1]) == "c-retarget"
        assert lookups(server, "found") - found == 1
    finally:
        proxy.delay = 0.0


# (Redis's delay, tmax, the lookups' cap): 5 ms against a 3 ms cap; 50 ms against a 25 ms
# deadline (tmax 45 less the 20 ms network allowance: the deadline bounds the wait) and
# against the 30 ms cap.
@pytest.mark.parametrize(("delay_ms", "tmax", "cap"), [(5, 200, 3), (50, 45, 30), (50, 200, 30)])
def test_a_slowed_redis_falls_back_inside_tmax(
    server: ServerProcess,
    hurried: ServerProcess,
    proxy: DelayProxy,
    tmp_path: Path,
    delay_ms: int,
    tmax: int,
    cap: int,
) -> None:
    if cap == 3:
        server = hurried
    proxy.delay = delay_ms / 1000
    try:
        # The no-audience decision (with tmax 200: time enough for it on a busy machine).
        status, response = post(server, body("shopper", 200))
        assert (status, campaign_of(response)) == (200, "c-prospect")
        before = {k: lookups(server, k) for k in ("timeout", "no_time", "found")}
        bids = metric(server, "bidwire_bids_total")
        load, log = tmp_path / "load.json", tmp_path / "h2load.log"
        load.write_bytes(body("shopper", tmax))
        out = subprocess.run(
            [tool("h2load"), "-D", "3", "-c", "2", "-m", "4", "--rps", "50", "-d", str(load),
             "--log-file", str(log), "-H", "content-type: application/json", server.url()],
            capture_output=True, text=True, timeout=60).stdout  # fmt: skip
        summary = parse_summary(out)
        assert (summary.failed, summary.errored, summary.status_5xx) == (0, 0, 0), summary
        with log.open() as lines:
            latency = parse_log(lines, tmax_ms=tmax)
        # (h2load may leave the last replies of a timed run out of its log)
        assert 0 < latency.count <= summary.succeeded
        assert latency.late == 0, latency  # every reply inside tmax
        after = {k: lookups(server, k) for k in before}
        gave_up = after["timeout"] - before["timeout"] + after["no_time"] - before["no_time"]
        assert gave_up >= latency.count and after["found"] == before["found"]
        bids = metric(server, "bidwire_bids_total") - bids
        assert bids >= 1
        # The rest are no-bids: the deadline passed while this busy machine was elsewhere.
        assert set(latency.statuses) <= {200, 204}
        print(f"redis +{delay_ms} ms, tmax {tmax} ms, cap {cap} ms: {latency.count} requests, "
              f"p50/p99/max {latency.p50_ms:.1f}/{latency.p99_ms:.1f}/{latency.max_ms:.1f} ms, "
              f"0 late; lookups given up: {after['timeout'] - before['timeout']} at their "
              f"deadline, {after['no_time'] - before['no_time']} with no time to ask; "
              f"{bids} no-audience bids, {latency.count - bids} no-bids")  # fmt: skip
    finally:
        proxy.delay = 0.0
