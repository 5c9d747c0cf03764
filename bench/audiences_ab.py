"""Throughput with audience lookups against the same server without them, side by side.

    python bench/audiences_ab.py [--rounds 3] [--requests 25000] [--users 200000]

Starts a redis-server (no persistence) and writes ``--users`` users with segments into it as
``bidwire audiences load`` does (their Bloom filter merged into Redis). Then alternates two
``bidwire serve --state redis://...`` configurations on the demo campaigns plus two audience
campaigns (one includes a segment, one excludes another): ``[pipeline.audiences] enabled =
false`` (no lookups; the audience campaigns decided as for a user in no audience) and enabled
(the Bloom filter read at start; a known user's lookup coalesced with its loop turn's into one
pipelined round trip). Server on core 0; two h2load lanes on core 1, started together, each
sending exactly ``--requests`` requests: one from a known user (in the filter: looked up), one
from an unknown user (no round trip). So exactly half the requests come from known users, and
the run lasts until the slower lane is done: req/s = all requests / that time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis

from bidder.audience_store import AudienceWriter, bloom_shape, merge_bloom
from bidder.audiences import AudienceConfig
from bidder.campaigns import DEMO_PATH
from bidder.redis_pipe import RedisPipe
from bidwire.benchmarks import h2load
from bidwire.benchmarks.servers import Server, pinning

sys.path.insert(0, str(Path(__file__).parent))
from state_ab import start_redis

BODY = json.loads(Path(__file__).with_name("body-1k.json").read_text())
PREFIX = "bench"
AUDIENCE_CAMPAIGNS = """
[[campaigns]]
id = "c-retarget"
seat = "bidwire-demo"
adomain = ["retarget.example"]
price = 4.0
[campaigns.targeting.audiences]
include = ["cart-abandoners"]
[[campaigns.creatives]]
id = "cr-retarget"
type = "banner"
w = 300
h = 250
markup = '<img src="https://cdn.retarget.example/300x250.png">'

[[campaigns]]
id = "c-prospect"
seat = "bidwire-demo"
adomain = ["prospect.example"]
price = 3.0
[campaigns.targeting.audiences]
exclude = ["customers"]
[[campaigns.creatives]]
id = "cr-prospect"
type = "banner"
w = 320
h = 50
markup = '<img src="https://cdn.prospect.example/320x50.png">'
"""


async def load(url: str, users: int) -> float:
    """Write ``users`` users (every other one a cart abandoner); returns the seconds taken."""
    start = time.monotonic()
    pipe = RedisPipe(url, timeout=10.0)
    await pipe.start()
    writer = AudienceWriter(pipe, PREFIX, await bloom_shape(pipe, PREFIX, AudienceConfig()))
    expires = int(time.time()) + 86400
    for i in range(users):
        segments = ["cart-abandoners"] if i % 2 else ["customers", "newsletter"]
        writer.add(f"known-{i}", segments, expires)
        if writer.queued >= 2000:
            await writer.send()
    await writer.drain()
    await merge_bloom(pipe, PREFIX, writer.bloom)
    pipe.close()
    return time.monotonic() - start


def body(user: str) -> bytes:
    request = dict(BODY)
    request["user"] = {"id": user}
    return json.dumps(request).encode()


def one_round(config: Path, lanes: list[Path], args: argparse.Namespace) -> dict[str, float]:
    server_pin, load_pin = pinning()
    with Server("bidwire", config=config, pin=server_pin) as server:
        time.sleep(1.0)  # the Bloom filter is read at start
        for lane in lanes:  # warm-up
            warm = h2load.command(server.url(), proto="h2", clients=2, streams=8,
                                  duration_s=1.0, body=lane)  # fmt: skip
            h2load.run([*load_pin, *warm], timeout_s=60)
        before_cpu, before = server.cpu_seconds(), server.metrics()
        start = time.monotonic()
        procs = []
        for lane in lanes:
            argv = ["h2load", "-c", str(args.clients), "-m", str(args.streams), "-t", "1",
                    "-n", str(args.requests), "-d", str(lane),
                    "-H", "content-type: application/json", server.url()]  # fmt: skip
            procs.append(subprocess.Popen([*load_pin, *argv], stdout=subprocess.PIPE, text=True))
        outs = [p.communicate(timeout=600)[0] for p in procs]
        wall = time.monotonic() - start
        cpu, after = server.cpu_seconds() - before_cpu, server.metrics()
    summaries = [h2load.parse_summary(out) for out in outs]
    done = sum(s.succeeded for s in summaries)
    duration = max(s.duration_s for s in summaries)

    def delta(name: str) -> int:
        return after.get(name, 0) - before.get(name, 0)

    return {
        "rps": done / duration,
        "wall": wall,
        "known_rps": summaries[0].succeeded / summaries[0].duration_s,
        "unknown_rps": summaries[1].succeeded / summaries[1].duration_s,
        "bids_per_s": delta("bids") / duration,
        "cpu_us": cpu / max(done, 1) * 1e6,
        "failed": sum(s.failed + s.errored for s in summaries),
        "round_trips": delta("audience_round_trips"),
        "batch_keys": delta("audience_batch_keys"),
        "lookups": delta("audience_lookups"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=25_000, help="per lane")
    parser.add_argument("--users", type=int, default=200_000)
    parser.add_argument("--clients", type=int, default=4, help="per lane")
    parser.add_argument("--streams", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bidwire-audiences-ab-") as tmp:
        folder = Path(tmp)
        process, url = start_redis(folder)
        campaigns = folder / "campaigns.toml"
        campaigns.write_text(DEMO_PATH.read_text() + AUDIENCE_CAMPAIGNS)
        lanes = [folder / "known.json", folder / "unknown.json"]
        lanes[0].write_bytes(body("known-12345"))  # odd: a cart abandoner
        lanes[1].write_bytes(body("stranger-1"))
        configs = {}
        for name, enabled in (("off", "false"), ("on", "true")):
            path = folder / f"{name}.toml"
            path.write_text(f'campaigns = "{campaigns}"\n[pipeline.state]\nstore = "{url}"\n'
                            f'redis_prefix = "{PREFIX}"\n'
                            f"[pipeline.audiences]\nenabled = {enabled}\n")  # fmt: skip
            configs[name] = path
        rows: dict[str, list[dict[str, float]]] = {"off": [], "on": []}
        try:
            took = asyncio.run(load(url, args.users))
            memory = redis.Redis.from_url(url).info("memory")["used_memory"]
            print(f"loaded {args.users:,} users in {took:.1f} s; redis used_memory "
                  f"{memory / 2**20:.1f} MiB", flush=True)  # fmt: skip
            for n in range(args.rounds):
                order = ("off", "on") if n % 2 == 0 else ("on", "off")
                for name in order:
                    row = one_round(configs[name], lanes, args)
                    rows[name].append(row)
                    print(f"round {n + 1} audiences {name:<3} {row['rps']:8,.0f} req/s (known "
                          f"lane {row['known_rps']:7,.0f}, unknown {row['unknown_rps']:7,.0f}) "
                          f"{row['bids_per_s']:8,.0f} bids/s {row['cpu_us']:6.1f} CPU µs/req "
                          f"round trips {row['round_trips']:.0f} for {row['batch_keys']:.0f} keys "
                          f"failed {row['failed']:.0f}", flush=True)  # fmt: skip
        finally:
            process.kill()
    lanes = f"2 h2load lanes x (-c {args.clients} -m {args.streams} -n {args.requests})"
    print(f"# python {platform.python_version()}, {lanes}, {args.rounds} rounds, alternating")
    medians = {}
    for name, got in rows.items():
        medians[name] = {k: statistics.median(r[k] for r in got) for k in got[0]}
        m = medians[name]
        print(f"median audiences {name:<3} {m['rps']:8,.0f} req/s {m['bids_per_s']:8,.0f} bids/s "
              f"{m['cpu_us']:6.1f} CPU µs/req")  # fmt: skip
    ratios = [on["rps"] / off["rps"] for on, off in zip(rows["on"], rows["off"], strict=True)]
    ratio = medians["on"]["rps"] / medians["off"]["rps"]
    verdict = "met" if ratio >= 0.8 else "MISSED"
    print(f"with lookups / without: {ratio:.3f}x req/s (per round: "
          f"{', '.join(f'{r:.3f}' for r in ratios)}; goal >= 0.8: {verdict})")  # fmt: skip


if __name__ == "__main__":
    main()
