"""The Bloom filter of known users: measured false-positive rate against the configured one,
memory per million users, and the cost of a check.

    python bench/bloom_fp.py [--users 1000000] [--probes 2000000] [--rates 0.01,0.001]

For each rate: a filter sized for ``--users`` at that rate, filled with that many user ids
(``known-N``), then asked about ``--probes`` ids it never saw (``other-N``): the share it says
it knows is the measured rate. Also at half and twice the capacity (under- and over-filled).
"""

from __future__ import annotations

import argparse
import platform
import time

from bidder.bloom import BloomFilter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--probes", type=int, default=2_000_000)
    parser.add_argument("--rates", default="0.01,0.001")
    args = parser.parse_args()
    print(f"# python {platform.python_version()}, {args.users:,} users, {args.probes:,} probes")
    print(f"{'rate':>7} {'filled':>7} {'bits':>12} {'k':>2} {'MiB':>6} {'B/user':>7} "
          f"{'measured':>9} {'vs rate':>8} {'expected':>9} {'check µs':>8}")  # fmt: skip
    for rate in (float(r) for r in args.rates.split(",")):
        for fill in (0.5, 1.0, 2.0):
            bloom = BloomFilter.for_capacity(args.users, rate)
            for i in range(int(args.users * fill)):
                bloom.add(b"known-%d" % i)
            start = time.perf_counter()
            hits = sum(b"other-%d" % i in bloom for i in range(args.probes))
            check = (time.perf_counter() - start) / args.probes * 1e6
            measured = hits / args.probes
            print(f"{rate:7.3%} {fill:6.1f}x {bloom.m:12,} {bloom.k:2} "
                  f"{bloom.nbytes / 2**20:6.2f} {bloom.nbytes / args.users:7.2f} "
                  f"{measured:9.4%} {measured / rate - 1:+8.1%} "
                  f"{bloom.expected_fp_rate():9.4%} {check:8.2f}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
