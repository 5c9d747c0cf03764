"""Everything bidwire keeps in Redis, on a Redis Cluster (3 masters, 3 replicas, started here).

The fleet tests of test_fleet_e2e.py run again on the cluster (imported below: same tests,
this module's ``redis_server``); a master is killed under load; the audience lookups, the
loader and the update stream run across the masters.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bidder.audience_store import AudienceFeed, apply_updates, parse_update, read_bloom
from bidder.audiences import AudienceConfig, AudienceLookup, updates_key
from bidder.events import decode_batch
from bidder.metrics import AUDIENCE_ROUND_TRIPS
from bidder.redis_pipe import RedisPipe
from bidwire.benchmarks.h2load import parse_log, parse_summary

from .audience_data import redis_client
from .redis_cluster import RedisClusterServers
from .servers import ServerProcess, bidwire_command, run, tool
from .test_fleet_e2e import (  # noqa: F401  (the fleet's fixture and tests, run on the cluster)
    INSTANCES,
    body,
    fleet,
    test_budget_holds_and_replays_count_once_across_four_instances,
    test_events_tail_shows_the_stream,
    test_frequency_cap_bound_across_four_instances,
)

CONFIG = AudienceConfig(bloom_capacity=100_000)


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisClusterServers]:
    cluster = RedisClusterServers(tmp_path_factory.mktemp("cluster"))
    yield cluster
    cluster.stop()


def test_audience_lookups_go_to_every_master_in_one_round(
    redis_server: RedisClusterServers, tmp_path: Path
) -> None:
    users = {f"cl-{i}": [f"seg-{i % 5}"] for i in range(300)}
    csv = tmp_path / "users.csv"
    csv.write_text("".join(f"{u},{'|'.join(s)}\n" for u, s in users.items()))
    done = subprocess.run([*bidwire_command(), "audiences", "load", "--state", redis_server.url,
                           "--prefix", "cl", "--bloom-capacity", "100000", str(csv)],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0 and "300 rows loaded" in done.stdout, done.stderr
    masters = redis_server.masters()
    assert all(redis_server.node(p).dbsize() > 50 for p in masters)  # spread over the masters

    async def main() -> None:
        lookup = AudienceLookup(CONFIG, RedisPipe(redis_server.url), "cl")
        feed = AudienceFeed(lookup, redis_server.url, "cl", 2.0)
        feed.poll()
        while not lookup.ready:
            await asyncio.sleep(0.01)
        assert all(u.encode() in lookup.bloom for u in users)
        trips = AUDIENCE_ROUND_TRIPS.get()
        until = time.monotonic() + 5
        answers = await asyncio.gather(*(lookup.lookup(u, until) for u in users))  # type: ignore[misc]
        assert answers == list(users.values())
        assert AUDIENCE_ROUND_TRIPS.get() - trips == 1  # one batch: one write to each master
        # The update stream, applied across slots (one EVAL per user, each in its own slot).
        client = redis_client(redis_server.url, 2.0)
        now_ms = int(time.time() * 1000)
        updates = [parse_update(f"{now_ms}-{i}", {"user": f"cl-{i}", "segments": "new"}, 3600)
                   for i in range(20)]  # fmt: skip
        assert all(not isinstance(u, str) for u in updates)
        pipe = RedisPipe(redis_server.url)
        bloom = await read_bloom(pipe, "cl", CONFIG)
        applied = await apply_updates(pipe, "cl", bloom, updates)  # type: ignore[arg-type]
        assert applied == [True] * 20
        assert await apply_updates(pipe, "cl", bloom, updates) == [False] * 20  # type: ignore[arg-type]
        pipe.close()
        assert sorted(await lookup.lookup("cl-3", time.monotonic() + 5) or []) == ["new", "seg-3"]
        await client.xadd(updates_key("cl"), {"user": "streamed", "segments": "cart"})
        deadline = time.monotonic() + 10
        while await lookup.lookup("streamed", time.monotonic() + 1) != ["cart"]:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        assert b"streamed" in lookup.bloom
        await client.aclose()
        await feed.close()

    asyncio.run(main())


def _state_up(servers: list[ServerProcess]) -> bool:
    for server in servers:
        text = run(tool("curl"), "-sS", server.url("/metrics")).stdout.decode()
        if "bidwire_state_store_up 1" not in text:
            return False
    return True


def _events(cluster: RedisClusterServers) -> set[str]:
    auctions = set()
    for _, fields in cluster.client().xrange("fleet:events"):
        for event in decode_batch(fields[b"r"].decode()):
            auctions.add(event.auction)
    return auctions


def test_a_master_killed_under_load(
    fleet: list[ServerProcess],  # noqa: F811  (the fixture imported above)
    redis_server: RedisClusterServers,
    tmp_path: Path,
) -> None:
    load = tmp_path / "load.json"
    load.write_bytes(body("failover", (728, 90), "someone", tmax=200))
    logs = [tmp_path / f"h2load-{n}.log" for n in range(len(fleet))]
    procs = [subprocess.Popen(
        [tool("h2load"), "-D", "10", "-c", "2", "-m", "4", "--rps", "100", "-d", str(load),
         "--log-file", str(log), "-H", "content-type: application/json", server.url()],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for server, log in zip(fleet, logs, strict=True)]  # fmt: skip
    time.sleep(2.0)
    # The master of the event stream, which every instance writes every round, killed.
    victim = redis_server.master_of("fleet:events")
    redis_server.kill(victim)
    killed = time.monotonic()
    failover = redis_server.wait_failover(victim)
    # Converged: every instance syncs again (store up) and its new records reach the stream.
    probe = 0
    while True:
        probe += 1
        wanted = set()
        for i, server in enumerate(fleet):
            rid = f"conv-{probe}-{i}"
            wanted.add(rid)
            run(tool("curl"), "-sS", "-H", "content-type: application/json", "--data-binary",
                body(rid, (728, 90), "u").decode(), server.url())  # fmt: skip
        time.sleep(0.3)
        try:
            seen = _events(redis_server)
        except Exception:  # the client's view of the cluster is being refreshed
            seen = set()
        if wanted <= seen and _state_up(fleet):
            converged = time.monotonic() - killed
            break
        assert time.monotonic() - killed < 30, "the fleet did not converge after the failover"
    for proc, log in zip(procs, logs, strict=True):
        summary = parse_summary(proc.communicate(timeout=60)[0])
        assert (summary.failed, summary.errored) == (0, 0), summary
        assert (summary.status_3xx, summary.status_4xx, summary.status_5xx) == (0, 0, 0), summary
        with log.open() as lines:
            latency = parse_log(lines, tmax_ms=200)
        assert 0 < latency.count <= summary.succeeded, (latency, summary)
        assert latency.late == 0, latency  # no reply later than tmax
    for server in fleet:
        assert server.process.poll() is None
    print(f"master :{victim} (the event stream's) killed under load ({INSTANCES} instances, "
          f"h2load 100 req/s each): 0 5xx, 0 late; a replica took its slots {failover:.2f} s "
          f"after the kill; the fleet converged (every instance's store up, and new records from "
          f"each in the stream) {converged:.2f} s after the kill")  # fmt: skip
