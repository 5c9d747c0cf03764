"""``bidwire audiences load`` of millions of generated users: time, rate, Redis memory.

    python bench/audiences_load.py [--users 10000000] [--format csv|jsonl]

Writes a file of ``--users`` rows (``user-N``, one to three segments of fifty, 30-day TTL),
starts a redis-server (no persistence) on a free port, runs ``bidwire audiences load`` on it
(the command line, as an operator would), and reports the wall time, rows per second, and
Redis's memory (used_memory, RSS, keys) after the load; the Bloom filter's share of it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).parent))
from state_ab import start_redis


def write_rows(path: Path, users: int, fmt: str) -> None:
    with path.open("w") as out:
        chunk = []
        for i in range(users):
            segments = [f"seg-{(i * 7 + j * 13) % 50}" for j in range(1 + i % 3)]
            if fmt == "csv":
                chunk.append(f"user-{i},{'|'.join(segments)}\n")
            else:
                chunk.append(json.dumps({"user": f"user-{i}", "segments": segments}) + "\n")
            if len(chunk) >= 100_000:
                out.writelines(chunk)
                chunk.clear()
        out.writelines(chunk)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000_000)
    parser.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bidwire-audiences-load-") as tmp:
        folder = Path(tmp)
        source = folder / f"users.{args.format}"
        start = time.monotonic()
        write_rows(source, args.users, args.format)
        print(f"# wrote {args.users:,} rows ({source.stat().st_size / 2**20:,.0f} MiB) in "
              f"{time.monotonic() - start:.0f} s", flush=True)  # fmt: skip
        process, url = start_redis(folder)
        try:
            client = redis.Redis.from_url(url)
            before = client.info("memory")["used_memory"]
            bidwire = Path(sys.executable).with_name("bidwire")
            command = [str(bidwire), "audiences", "load", str(source), "--state", url,
                       "--prefix", "bench"]  # fmt: skip
            load_before = os.getloadavg()
            start = time.monotonic()
            done = subprocess.run(command, capture_output=True, text=True)
            took = time.monotonic() - start
            info = client.info("memory")
            keys = client.dbsize()
            bloom = client.strlen("bench:a:{bloom}")
        finally:
            process.kill()
    print(f"# python {platform.python_version()}; {' '.join(command[1:3])} FILE --state URL "
          f"--prefix bench; load average before {load_before[0]:.1f}")  # fmt: skip
    print(done.stdout.strip())
    if done.returncode:
        print(done.stderr[-2000:])
    used = info["used_memory"] - before
    print(f"{args.users:,} users in {took:,.1f} s: {args.users / took:,.0f} rows/s; "
          f"Redis used_memory {info['used_memory'] / 2**20:,.0f} MiB "
          f"({used / args.users:,.0f} B per user), RSS {info['used_memory_rss'] / 2**20:,.0f} "
          f"MiB, {keys:,} keys; the Bloom filter {bloom / 2**20:,.1f} MiB of it")  # fmt: skip


if __name__ == "__main__":
    main()
