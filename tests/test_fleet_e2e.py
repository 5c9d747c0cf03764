"""Four `bidwire serve --state redis://...` processes sharing one redis-server.

h2load drives them over HTTP/2; a test client collects bids and sends their notices to random
instances (with replays); then Redis is killed under load and brought back.
"""

from __future__ import annotations

import http.client
import json
import random
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bidder.state import nanos
from bidwire.benchmarks.h2load import parse_log, parse_summary

from .macros import exchange_fill
from .redis_server import RedisServer
from .servers import ServerProcess, bidwire_command, run, tool

CAMPAIGNS = """
currency = "USD"

[[campaigns]]
id = "c-fleet"
seat = "s1"
adomain = ["fleet.example"]
price = 2.0
total_budget = 0.5
pacing = "asap"
[[campaigns.creatives]]
id = "cr-fleet"
type = "banner"
w = 300
h = 250
markup = "<img src='https://fleet.example/i.png'>"

[[campaigns]]
id = "c-capped"
seat = "s1"
adomain = ["capped.example"]
price = 1.0
frequency_cap = { count = 3, window = 3600 }
[[campaigns.creatives]]
id = "cr-capped"
type = "banner"
w = 320
h = 50
markup = "<img src='https://capped.example/i.png'>"

[[campaigns]]
id = "c-load"
seat = "s1"
adomain = ["load.example"]
price = 0.5
[[campaigns.creatives]]
id = "cr-load"
type = "banner"
w = 728
h = 90
markup = "<img src='https://load.example/i.png'>"
"""
BUDGET = nanos(500.0)  # total_budget 0.5 = 500,000,000 nanos = nanos(500 CPM)
INSTANCES = 4


def body(rid: str, size: tuple[int, int], user: str, tmax: int = 500) -> bytes:
    return json.dumps({
        "id": rid, "imp": [{"id": "1", "banner": {"w": size[0], "h": size[1]}}],
        "site": {"domain": "news.example"}, "user": {"id": user}, "tmax": tmax,
    }).encode()  # fmt: skip


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    srv = RedisServer(tmp_path_factory.mktemp("fleet-redis"))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def fleet(
    redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[ServerProcess]]:
    folder = tmp_path_factory.mktemp("fleet")
    (folder / "campaigns.toml").write_text(CAMPAIGNS)
    config = folder / "bidwire.toml"
    config.write_text(
        f'campaigns = "{folder / "campaigns.toml"}"\n\n'
        '[pipeline.state]\nredis_prefix = "fleet"\nsync_interval = 0.05\n\n'
        '[[pipeline.notices.keys]]\nid = "k1"\nsecret = "fleet secret"\n'
    )
    servers = [ServerProcess("--state", redis_server.url, config=config, measured=False)
               for _ in range(INSTANCES)]  # fmt: skip
    yield servers
    for server in servers:
        server.terminate()


class Client:
    """HTTP/1.1 keep-alive connections to every instance (one per thread)."""

    def __init__(self, servers: list[ServerProcess]) -> None:
        self.ports = [s.port for s in servers]
        self.local = threading.local()

    def _conn(self, port: int) -> http.client.HTTPConnection:
        conns = self.local.__dict__.setdefault("conns", {})
        if port not in conns:
            conns[port] = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn: http.client.HTTPConnection = conns[port]
        return conn

    def request(self, port: int, method: str, path: str, data: bytes | None = None
                ) -> tuple[int, bytes]:  # fmt: skip
        conn = self._conn(port)
        headers = {"content-type": "application/json"} if data is not None else {}
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()


def fill(url: str, response: dict[str, object], bid: dict[str, object], price: str) -> str:
    """The path and query of a notice URL, every macro filled as an exchange fills it."""
    parts = urlsplit(str(url))
    return exchange_fill(
        f"{parts.path}?{parts.query}", auction=str(response["id"]), bidid=str(response["bidid"]),
        imp=str(bid["impid"]), seat="s1", ad=str(bid["adid"]), price=price,
        cur=str(response["cur"]), min_to_win="", multiplier="")  # fmt: skip


def metric_sum(servers: list[ServerProcess], name: str, kind: str) -> int:
    total = 0
    for server in servers:
        text = run(tool("curl"), "-sS", server.url("/metrics")).stdout.decode()
        found = re.search(rf'^{name}{{kind="{re.escape(kind)}"}} (\d+)$', text, re.M)
        total += int(found[1]) if found else 0
    return total


def test_budget_holds_and_replays_count_once_across_four_instances(
    fleet: list[ServerProcess], redis_server: RedisServer, tmp_path: Path
) -> None:
    client = Client(fleet)
    lock = threading.Lock()
    billed: dict[str, int] = {}
    load = tmp_path / "load.json"
    load.write_bytes(body("load", (728, 90), "someone"))
    # Background load on every instance, by h2load, while the budgeted campaign spends out.
    background = [subprocess.Popen(
        [tool("h2load"), "-n", "3000", "-c", "2", "-m", "4", "-d", str(load),
         "-H", "content-type: application/json", server.url()],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for server in fleet]  # fmt: skip

    def worker(seed: int) -> None:
        local = random.Random(seed)
        for n in range(150):
            port = local.choice(client.ports)
            rid = f"w{seed}-{n}"
            status, payload = client.request(port, "POST", "/openrtb2/bid",
                                             body(rid, (300, 250), f"user-{rid}"))  # fmt: skip
            assert status in (200, 204), payload
            if status == 204:
                time.sleep(0.01)  # out of lease or budget: give the leases a moment
                continue
            response = json.loads(payload)
            bid = response["seatbid"][0]["bid"][0]
            price = repr(bid["price"])
            burl = fill(bid["burl"], response, bid, price)
            for _ in range(1 + (local.random() < 0.3)):  # 30% replayed, to another instance
                status, _ = client.request(local.choice(client.ports), "GET", burl)
                assert status == 204
            with lock:
                billed[burl] = nanos(bid["price"])

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    for proc in background:
        summary = parse_summary(proc.communicate(timeout=120)[0].decode())
        assert (summary.succeeded, summary.failed) == (3000, 0), summary
    time.sleep(0.5)  # the last deltas reach Redis within a sync interval
    raw = redis_server.client()
    spent = int(raw.get("fleet:s:c-fleet:t") or 0)
    assert spent == sum(billed.values())  # every notice counted once, replays included
    assert spent <= BUDGET * 1.01
    assert spent >= BUDGET * 0.9, (spent, BUDGET)  # and the budget was actually spent
    duplicates = metric_sum(fleet, "bidwire_notices_total", "bill_duplicate")
    assert duplicates >= 1
    print(f"fleet spend {spent:,} of {BUDGET:,} nanos ({spent / BUDGET:.4f} of the budget), "
          f"{len(billed)} bids billed, {duplicates} replays counted once")  # fmt: skip


def test_frequency_cap_bound_across_four_instances(fleet: list[ServerProcess]) -> None:
    client = Client(fleet)
    bids = 0
    for wave in range(5):
        for i, port in enumerate(client.ports):
            request = body(f"cap-{wave}-{i}", (320, 50), "capped-user")
            status, payload = client.request(port, "POST", "/openrtb2/bid", request)
            if status == 200:
                bids += 1
                response = json.loads(payload)
                bid = response["seatbid"][0]["bid"][0]
                nurl = fill(bid["nurl"], response, bid, "0.5")
                assert client.request(random.choice(client.ports), "GET", nurl)[0] == 204
        time.sleep(1.3)  # one fleet-count refresh (cap_refresh = 1 s)
    # The stated bound with notices inside a refresh interval: cap + N - 1 = 3 + 4 - 1.
    print(f"capped user: {bids} impressions across {INSTANCES} instances (cap 3, bound 6)")
    assert 3 <= bids <= 6, bids


def test_redis_killed_under_load(
    fleet: list[ServerProcess], redis_server: RedisServer, tmp_path: Path
) -> None:
    load = tmp_path / "load.json"
    load.write_bytes(body("outage", (728, 90), "someone", tmax=200))
    logs = [tmp_path / f"h2load-{n}.log" for n in range(len(fleet))]
    procs = [subprocess.Popen(
        [tool("h2load"), "-D", "6", "-c", "2", "-m", "4", "--rps", "100", "-d", str(load),
         "--log-file", str(log), "-H", "content-type: application/json", server.url()],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for server, log in zip(fleet, logs, strict=True)]  # fmt: skip
    time.sleep(1.5)
    redis_server.stop()
    time.sleep(2.0)
    ready = run(tool("curl"), "-sS", "-w", "%{http_code}", fleet[0].url("/readyz")).stdout
    assert ready.startswith(b"ready, degraded: state store unreachable") and ready.endswith(b"200")
    metrics = run(tool("curl"), "-sS", fleet[1].url("/metrics")).stdout.decode()
    assert "bidwire_state_store_up 0" in metrics
    outage_ended = time.monotonic()
    redis_server.start()
    for proc, log in zip(procs, logs, strict=True):
        summary = parse_summary(proc.communicate(timeout=60)[0].decode())
        assert (summary.failed, summary.errored) == (0, 0), summary
        assert (summary.status_3xx, summary.status_4xx, summary.status_5xx) == (0, 0, 0), summary
        with log.open() as lines:
            latency = parse_log(lines, tmax_ms=200)
        assert latency.count == summary.succeeded > 0, (latency, summary)
        assert latency.late == 0, latency  # no reply later than tmax
    for server in fleet:
        assert server.process.poll() is None  # all up
    # Converged: every instance's store is up again within a few sync rounds.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        up = [run(tool("curl"), "-sS", s.url("/metrics")).stdout.decode() for s in fleet]
        if all("bidwire_state_store_up 1" in text for text in up):
            converged = time.monotonic() - outage_ended
            print(f"all {len(fleet)} instances back on Redis {converged:.2f} s after it returned")
            break
        time.sleep(0.2)
    else:
        pytest.fail("the instances did not reconnect to Redis")


def test_events_tail_shows_the_stream(
    fleet: list[ServerProcess], redis_server: RedisServer
) -> None:
    tail = subprocess.Popen(
        [*bidwire_command(), "events", "tail", "--state", redis_server.url, "--prefix", "fleet",
         "--count", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    # tail starts at the end of the stream and says so: what comes after is shown live
    assert tail.stdout is not None
    assert tail.stdout.readline().startswith("following fleet:events after ")
    client = Client(fleet)
    client.request(client.ports[0], "POST", "/openrtb2/bid", body("tail-1", (728, 90), "t"))
    out = tail.communicate(timeout=20)[0]
    assert re.search(r" bid +auction=tail-1 imp=1 campaign=c-load cpm=0\.5", out), out
