"""What shadowing 10% and capturing 1% cost the live bidder, side by side in one run.

    python bench/shadow_ab.py [--rounds 5] [--duration 8] [--rate 4000] [--out FILE]

Three sides, each a fresh `bidwire serve` pinned to core 0 (the load generator, h2load, and the
shadow candidate on core 1), with the demo campaigns (budgets a million times larger, so no
bid is refused as the run goes on) and the 1 KB bid request:

- **base**: nothing more;
- **shadow**: ``[shadow] url = <candidate>, fraction = 0.1``. The candidate, on core 1 for the
  whole run, is by default nghttpd (nghttp2's C server) answering every request with the bytes
  the bidder answers to the same body (``--candidate nghttpd``): the live side sends, receives,
  describes and compares exactly as with a bidder, and the candidate's own work does not
  slow the load generator it shares core 1 with (a candidate elsewhere, as in production).
  ``--candidate bidwire``: another `bidwire serve` with the same campaigns, deciding;
- **capture**: ``[capture] path = <tmp>/capture.jsonl.gz, fraction = 0.01``.

Per side and round, two measurements:

- **throughput**: closed loop, ``h2load -c 8 -m 8`` for ``--duration`` s: req/s and the
  server's CPU µs per request;
- **latency at a fixed rate**: open loop, ``h2load -c 8 --rps rate/8`` for ``--duration`` s:
  p50/p99/p99.9 from h2load's per-request log (the same rate for every side, well under the
  maximum, so queueing does not hide what shadowing adds).

Rounds rotate the order of the sides. Reports each round, the medians, and ratios to base
(goals, from issue #20: shadow >= 0.95x throughput and no higher p99; capture >= 0.98x), and
what the shadow and capture did (requests shadowed and their outcomes, records written and
dropped), read from each server's /metrics.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
import tempfile
import urllib.request
from pathlib import Path

from bidwire.benchmarks import h2load
from bidwire.benchmarks.load import bidder_answer
from bidwire.benchmarks.servers import Server, pinning, rich_campaigns

BODY = Path(__file__).with_name("body-1k.json")
SIDES = ("base", "shadow", "capture")
_SERIES = re.compile(r'^bidwire_(shadow_requests|capture_records)_total\{outcome="(\w+)"\} (\d+)$',
                     re.M)  # fmt: skip


def side_config(side: str, folder: Path, candidate: str) -> Path | None:
    if side == "base":
        return None
    path = folder / f"{side}.toml"
    if side == "shadow":
        path.write_text(f'[shadow]\nurl = "{candidate}"\nfraction = 0.1\n')
    else:
        capture = folder / "capture.jsonl.gz"
        capture.unlink(missing_ok=True)
        path.write_text(f'[capture]\npath = "{capture}"\nfraction = 0.01\n')
    return path


def outcomes(server: Server) -> dict[str, int]:
    with urllib.request.urlopen(server.url("/metrics"), timeout=10) as answer:
        text = answer.read().decode()
    return {f"{kind}.{outcome}": int(v) for kind, outcome, v in _SERIES.findall(text) if int(v)}


def one(side: str, folder: Path, campaigns: Path, candidate: str, args: argparse.Namespace,
        server_pin: list[str], load_pin: list[str]) -> dict[str, object]:  # fmt: skip
    config = side_config(side, folder, candidate)
    with Server("bidwire", campaigns=campaigns, config=config, pin=server_pin) as server:
        # Warm-up: the first requests of a process are slow (and the candidate connects).
        argv = h2load.command(server.url(), proto="h2", clients=8, streams=8, duration_s=2,
                              body=BODY)  # fmt: skip
        h2load.run([*load_pin, *argv], timeout_s=60)
        cpu0 = server.cpu_seconds()
        argv = h2load.command(server.url(), proto="h2", clients=8, streams=8,
                              duration_s=args.duration, body=BODY)  # fmt: skip
        out, _ = h2load.run([*load_pin, *argv], timeout_s=args.duration + 60)
        summary = h2load.parse_summary(out)
        cpu = server.cpu_seconds() - cpu0
        log = folder / f"{side}.log"
        argv = h2load.command(server.url(), proto="h2", clients=8, streams=8,
                              duration_s=args.duration, body=BODY, log_file=log,
                              rps_per_client=args.rate / 8)  # fmt: skip
        h2load.run([*load_pin, *argv], timeout_s=args.duration + 60)
        with open(log) as f:
            latency = h2load.parse_log(f)
        log.unlink()
        done = outcomes(server)
    return {
        "rps": summary.rps, "failed": summary.failed + summary.errored,
        "cpu_us": cpu / max(1, summary.done) * 1e6, "p50": latency.p50_ms, "p99": latency.p99_ms,
        "p999": latency.p999_ms, "sent_rps": latency.sent_rps, "outcomes": done,
    }  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--rate", type=float, default=4000.0, help="open-loop req/s")
    parser.add_argument("--out", type=Path)
    parser.add_argument(
        "--candidate",
        choices=("nghttpd", "bidwire"),
        default="nghttpd",
        help="the shadow candidate: a fixed answer from C, or a deciding bidwire",
    )
    args = parser.parse_args()
    server_pin, load_pin = pinning()
    lines = [
        "$ .venv/bin/python bench/shadow_ab.py " + " ".join(sys.argv[1:]),
        f"# python {platform.python_version()}, {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.2f} at start; server {' '.join(server_pin) or 'unpinned'}, "
        f"h2load and the shadow candidate ({args.candidate}) {' '.join(load_pin) or 'unpinned'}",
    ]
    print("\n".join(lines), flush=True)
    results: dict[str, list[dict[str, object]]] = {side: [] for side in SIDES}
    with tempfile.TemporaryDirectory(prefix="bidwire-shadow-ab-") as tmp:
        folder = Path(tmp)
        campaigns = rich_campaigns(folder)
        answer = bidder_answer(BODY, campaigns) if args.candidate == "nghttpd" else None
        with Server(args.candidate, campaigns=campaigns, pin=load_pin, answer=answer) as candidate:
            for round_no in range(1, args.rounds + 1):
                order = SIDES[round_no % 3 :] + SIDES[: round_no % 3]
                for side in order:
                    r = one(side, folder, campaigns, candidate.url("/"), args, server_pin,
                            load_pin)  # fmt: skip
                    results[side].append(r)
                    line = (f"round {round_no} {side:8} {r['rps']:9,.0f} req/s "
                            f"{r['cpu_us']:6.1f} CPU µs/req failed {r['failed']}; at "
                            f"{r['sent_rps']:,.0f} req/s p50/p99/p99.9 {r['p50']:.2f}/"
                            f"{r['p99']:.2f}/{r['p999']:.2f} ms; {r['outcomes']}")  # fmt: skip
                    lines.append(line)
                    print(line, flush=True)

    def median(side: str, key: str) -> float:
        return statistics.median(float(r[key]) for r in results[side])  # type: ignore[arg-type]

    for side in SIDES:
        line = (f"median {side:8} {median(side, 'rps'):9,.0f} req/s {median(side, 'cpu_us'):6.1f} "
                f"CPU µs/req; p50/p99/p99.9 {median(side, 'p50'):.2f}/{median(side, 'p99'):.2f}/"
                f"{median(side, 'p999'):.2f} ms")  # fmt: skip
        lines.append(line)
    base_rps, base_p99 = median("base", "rps"), median("base", "p99")
    for side, goal in (("shadow", 0.95), ("capture", 0.98)):
        ratio = median(side, "rps") / base_rps
        lines.append(
            f"{side} / base: {ratio:.3f}x req/s (goal >= {goal}: "
            f"{'met' if ratio >= goal else 'NOT met'}), p99 {median(side, 'p99'):.2f} vs "
            f"{base_p99:.2f} ms ({median(side, 'p99') - base_p99:+.2f} ms)"
        )
    lines.append(f"# load average {os.getloadavg()[0]:.2f} at end")
    print("\n".join(lines[-6:]))
    if args.out is not None:
        args.out.write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
