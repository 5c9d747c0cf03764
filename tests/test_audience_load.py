"""`bidwire audiences load` and the update stream, against a real redis-server."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from bidder.audience_store import (
    APPLIERS,
    AudienceFeed,
    Update,
    apply_updates,
    parse_update,
    read_bloom,
)
from bidder.audiences import AudienceConfig, AudienceLookup, updates_key
from bidder.metrics import AUDIENCE_UPDATES
from bidder.redis_pipe import RedisPipe
from bidwire.audiences import parse_row

from .audience_data import redis_client
from .redis_server import RedisServer
from .servers import bidwire_command

CONFIG = AudienceConfig(bloom_capacity=100_000, claim_after=0.2)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    srv = RedisServer(tmp_path)
    yield srv
    srv.stop()


def load(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*bidwire_command(), "audiences", "load", "--state", url,
                           "--prefix", "ld", *args], capture_output=True, text=True,
                          timeout=300)  # fmt: skip


def segments(client: redis.Redis, user: str) -> set[str]:
    return {k.decode() for k in client.hgetall(f"ld:a:{user}") if not k.startswith(b"#")}


def test_rows() -> None:
    assert parse_row(b"u1,a|b\n", "csv", 60) == ("u1", ["a", "b"], 60)
    assert parse_row(b"u1,a,3600\r\n", "csv", 60) == ("u1", ["a"], 3600)
    assert parse_row(b'{"user": "u", "segments": ["x"], "ttl": 5}', "jsonl", 60) == ("u", ["x"], 5)
    bad_csv = [b"u1\n", b",a\n", b"u,\n", b"u,a,x\n", b"u,#a\n", b"u,a,0\n"]
    bad_json = [b"{}", b'{"user": "u", "segments": "a"}', b"nope"]
    for line, fmt in [*((b, "csv") for b in bad_csv), *((b, "jsonl") for b in bad_json)]:
        assert isinstance(parse_row(line, fmt, 60), str), line


def test_load_csv_and_jsonl(server: RedisServer, tmp_path: Path) -> None:
    csv = tmp_path / "users.csv"
    csv.write_text("user,segments\nalice,cart|visitors\nbob,customers,60\n\nbroken\ncarol,,\n")
    done = load(server.url, str(csv))
    assert done.returncode == 1, done.stderr  # two rows refused
    assert "2 rows loaded" in done.stdout and "2 refused" in done.stdout
    assert "Redis used_memory" in done.stdout
    assert "line 5: expected user,segment|segment[,ttl], got 1 columns" in done.stderr
    assert "line 6: no segments" in done.stderr
    client = redis.Redis.from_url(server.url)
    assert segments(client, "alice") == {"cart", "visitors"}
    assert 0 < client.ttl("ld:a:bob") <= 60
    assert 29 * 86400 < client.ttl("ld:a:alice") <= 30 * 86400
    lines = tmp_path / "users.jsonl"
    lines.write_text(json.dumps({"user": "dave", "segments": ["cart"], "ttl": 100}) + "\n")
    assert load(server.url, str(lines)).returncode == 0
    assert segments(client, "dave") == {"cart"}
    bloom = asyncio.run(_bloom(server.url))
    assert all(u.encode() in bloom for u in ("alice", "bob", "dave"))
    assert b"carol" not in bloom
    assert not (tmp_path / "users.csv.checkpoint").exists()  # done: nothing to resume


async def _bloom(url: str) -> object:
    pipe = RedisPipe(url)
    try:
        return await read_bloom(pipe, "ld", CONFIG)
    finally:
        pipe.close()


def test_a_load_refuses_what_it_cannot_use(server: RedisServer, tmp_path: Path) -> None:
    assert "cannot tell the format" in load(server.url, str(tmp_path / "x.txt")).stderr
    assert "no such file" in load(server.url, str(tmp_path / "x.csv")).stderr
    (tmp_path / "y.csv").write_text("u,a\n")
    bad = load("http://nowhere", str(tmp_path / "y.csv"))
    assert bad.returncode == 2 and "--state: not a Redis URL" in bad.stderr
    gone = load("redis://127.0.0.1:1/0", str(tmp_path / "y.csv"))
    assert gone.returncode == 2 and "does not answer" in gone.stderr


def test_a_killed_load_resumes_from_its_checkpoint(server: RedisServer, tmp_path: Path) -> None:
    rows = 300_000
    source = tmp_path / "many.csv"
    source.write_text("".join(f"user-{i},seg-{i % 7}|all\n" for i in range(rows)))
    checkpoint = tmp_path / "many.csv.checkpoint"
    first = subprocess.Popen([*bidwire_command(), "audiences", "load", "--state", server.url,
                              "--prefix", "ld", "--checkpoint-every", "20000", str(source)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    deadline = time.monotonic() + 120
    while not checkpoint.exists():
        assert first.poll() is None and time.monotonic() < deadline, first.communicate()
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    first.communicate()
    saved = json.loads(checkpoint.read_text())
    assert 0 < saved["rows"] < rows
    done = load(server.url, "--checkpoint-every", "20000", str(source))
    assert done.returncode == 0, done.stderr
    assert f"resuming {source} at line {saved['line'] + 1:,}" in done.stderr
    assert f"{rows:,} rows loaded" in done.stdout  # counted across both runs
    client = redis.Redis.from_url(server.url)
    assert client.dbsize() == rows + 2  # every user once, the filter and its size
    assert segments(client, "user-0") == {"seg-0", "all"}
    assert segments(client, f"user-{rows - 1}") == {f"seg-{(rows - 1) % 7}", "all"}
    bloom = asyncio.run(_bloom(server.url))
    assert all(f"user-{i}".encode() in bloom for i in range(0, rows, 997))


def test_updates() -> None:
    update = parse_update(b"1700000000000-3", {b"user": b"u", b"segments": b"a|b", b"ttl": b"60"},
                          100)  # fmt: skip
    assert update == Update("1700000000000-3", "u", ["a", "b"], 1_700_000_060, [])
    assert parse_update("1700000000000-0", {"user": "u", "remove": "a"}, 100) == Update(
        "1700000000000-0", "u", [], 1_700_000_100, ["a"])  # fmt: skip
    bad_entries = [{"segments": "a"}, {"user": "u"}, {"user": "u", "segments": "#x"},
                   {"user": "u", "segments": "a", "ttl": "x"},
                   {"user": "u", "segments": "a", "ttl": "0"}]  # fmt: skip
    for bad in bad_entries:
        assert isinstance(parse_update("1-0", bad, 100), str), bad


def test_each_update_is_applied_once_by_stream_id(server: RedisServer) -> None:
    async def main() -> None:
        client = redis_client(server.url, 1.0)
        pipe = RedisPipe(server.url)
        bloom = await read_bloom(pipe, "ld", CONFIG)
        first = Update("2000-0", "u1", ["a", "b"], 4_000_000_000, [])
        assert await apply_updates(pipe, "ld", bloom, [first]) == [True]
        assert await apply_updates(pipe, "ld", bloom, [first]) == [False]  # the same id again
        newer = Update("3000-0", "u1", [], 0, ["a"])
        older = Update("2500-0", "u1", ["a"], 4_000_000_000, [])
        assert await apply_updates(pipe, "ld", bloom, [newer, older]) == [True, False]
        assert set(await client.hkeys("ld:a:u1")) == {b"b", b"#"}
        assert await client.ttl("ld:a:u1") > 0
        gone = Update("4000-0", "u1", [], 0, ["b"])
        assert await apply_updates(pipe, "ld", bloom, [gone]) == [True]
        assert 0 < await client.ttl("ld:a:u1") <= 86400  # only the id kept, for a day
        assert b"u1" in await read_bloom(pipe, "ld", CONFIG)  # its bits are in Redis's filter
        pipe.close()
        await client.aclose()

    asyncio.run(main())


def test_two_workers_follow_and_apply_the_stream(server: RedisServer) -> None:
    async def main() -> None:
        client = redis_client(server.url, 1.0)
        stream = updates_key("ld")
        await client.xadd(stream, {"user": "early", "segments": "cart"})
        # A worker that died with an entry it never acknowledged.
        await client.xgroup_create(stream, APPLIERS, id="0", mkstream=True)
        await client.xreadgroup(APPLIERS, "dead-worker", {stream: ">"}, count=1)
        feeds = []
        for _ in range(2):
            lookup = AudienceLookup(CONFIG, RedisPipe(server.url), "ld")
            feed = AudienceFeed(lookup, server.url, "ld", 1.0)
            feed.poll()
            feeds.append(feed)
        applied = AUDIENCE_UPDATES.get("applied")
        duplicates = AUDIENCE_UPDATES.get("duplicate")
        while not all(f.lookup.ready for f in feeds):
            await asyncio.sleep(0.01)
        for i in range(200):
            await client.xadd(stream, {"user": f"s-{i}", "segments": "cart|news", "ttl": "600"})
        await client.xadd(stream, {"user": "s-0", "remove": "news"})
        await client.xadd(stream, {"user": "", "segments": "x"})  # refused
        deadline = time.monotonic() + 20
        while AUDIENCE_UPDATES.get("applied") - applied < 202:
            assert time.monotonic() < deadline, AUDIENCE_UPDATES.values
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        assert AUDIENCE_UPDATES.get("applied") - applied == 202  # once each, "early" included
        assert AUDIENCE_UPDATES.get("duplicate") == duplicates
        for feed in feeds:
            assert all(f"s-{i}".encode() in feed.lookup.bloom for i in range(200))
            assert b"early" in feed.lookup.bloom  # applied after the filter was read
            assert await feed.lookup.lookup("s-0", time.monotonic() + 1) == ["cart"]
            assert await feed.lookup.lookup("s-1", time.monotonic() + 1) == ["cart", "news"]
        pending = await client.xpending(stream, APPLIERS)
        assert pending["pending"] == 0
        for feed in feeds:
            await feed.close()
        await client.aclose()

    asyncio.run(main())
