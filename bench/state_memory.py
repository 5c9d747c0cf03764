"""Memory per entry of the in-process state's bounded structures (the bound of issue #5).

    python bench/state_memory.py [--entries 100000]

Fills the frequency-cap counters (one user per counter, 16-character user hashes, as the
pipeline makes them) and the notice dedup keys (as the notice endpoint makes them), and reports
the bytes tracemalloc sees per entry, and what the configured maximums therefore cost.
"""

from __future__ import annotations

import argparse
import tracemalloc

from bidder.state import Budget, LocalState, StateConfig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    n = parser.parse_args().entries
    config = StateConfig()
    state = LocalState(config)
    budget = Budget("c1", None, None, True, 3, 3600.0)
    tracemalloc.start()
    start = tracemalloc.take_snapshot()
    for user in range(n):
        state.reserve(budget, f"{user:016x}", 1, 1000.0)
    caps = tracemalloc.take_snapshot()
    for i in range(n):
        state.first_notice(f"bill|k1|{i:022d}", 1000.0, 4600.0)
    notices = tracemalloc.take_snapshot()
    per_cap = sum(s.size_diff for s in caps.compare_to(start, "filename")) / n
    per_key = sum(s.size_diff for s in notices.compare_to(caps, "filename")) / n
    print(f"{n:,} entries each")
    print(f"frequency-cap counter: {per_cap:.0f} bytes (counter, key tuple, expiry-heap entry)")
    print(f"notice dedup key:      {per_key:.0f} bytes")
    print(
        f"max_cap_keys = {config.max_cap_keys:,}: {per_cap * config.max_cap_keys / 2**20:.0f} MiB"
    )
    print(f"max_notice_keys = {config.max_notice_keys:,}: "
          f"{per_key * config.max_notice_keys / 2**20:.0f} MiB")  # fmt: skip


if __name__ == "__main__":
    main()
