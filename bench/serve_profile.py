"""Where a served request's time goes: `bidwire serve` under cProfile, loaded by h2load.

The server runs in a child process pinned to core 0 with cProfile on (which slows Python code
about 2x, less for C: read the shares, not the absolute times); h2load on core 1 sends the
1 KB JSON bid request of ``bench/body-1k.json`` over HTTP/2 (``-c 8 -m 8``, as
``bidwire bench load``). On SIGTERM the server drains and writes its profile; this prints own
time by layer (transport, bidder, openrtb, C calls) and the top functions. uvloop's own work
(epoll, socket reads and writes) runs in C outside any profiled call and is not in these
figures: ``bidwire bench load`` reports the whole server CPU per request.

    .venv/bin/python bench/serve_profile.py [--engine raw|h2] [--requests N] [--grpc]

``--grpc`` sends the same request as a gRPC call (one framed protobuf message to
``/bidwire.v1.Bidder/Bid``, ``content-type: application/grpc``).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("transport/", "bidder/", "openrtb/", "bidwire/")


def _serve_profiled(port: int, engine: str, out: str) -> None:
    from bidwire.cli import main

    profile = cProfile.Profile()
    profile.enable()
    try:
        main(["serve", "--port", str(port), "--engine", engine])
    finally:
        profile.disable()
        profile.dump_stats(out)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_port(port: int) -> None:
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the server did not start")


def layer_of(filename: str) -> str:
    """Which part of the program a profiled function belongs to."""
    for layer in LAYERS:
        if f"{ROOT}/{layer}" in filename:
            return layer.rstrip("/")
    if filename == "~":
        return "C calls (builtins, msgspec, hashlib, ...)"
    return "library Python (hpack, urllib, asyncio, ...)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("raw", "h2"), default="raw")
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--grpc", action="store_true", help="gRPC calls instead of JSON POSTs")
    parser.add_argument("--child", nargs=2, metavar=("PORT", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _serve_profiled(int(args.child[0]), args.engine, args.child[1])
        return
    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        out = os.environ.get("SERVE_PROFILE_OUT") or os.path.join(tmp, "serve.prof")
        child = [sys.executable, __file__, "--engine", args.engine, "--child", str(port), out]
        server = subprocess.Popen(["taskset", "-c", "0", *child], cwd=ROOT)
        _wait_port(port)
        body, kind, path = ROOT / "bench/body-1k.json", "application/json", "/openrtb2/bid"
        if args.grpc:
            from bidwire.benchmarks.load import grpc_body

            body, kind, path = (
                grpc_body(body, Path(tmp)),
                "application/grpc",
                "/bidwire.v1.Bidder/Bid",
            )
        h2load = [
            "taskset", "-c", "1", "h2load", "-n", str(args.requests), "-c", "8", "-m", "8",
            "-d", str(body), "-H", f"content-type: {kind}", "-H", "te: trailers",
            f"http://127.0.0.1:{port}{path}",
        ]  # fmt: skip
        load = subprocess.run(h2load, capture_output=True, text=True, check=True)
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        print(f"# {' '.join(h2load)}")
        print("\n".join(line for line in load.stdout.splitlines() if "requests:" in line))
        stats = pstats.Stats(out)
        by_layer: dict[str, float] = defaultdict(float)
        raw_stats = stats.stats  # type: ignore[attr-defined]
        total = 0.0
        for (filename, _line, _name), (_cc, _nc, own, _cum, _callers) in raw_stats.items():
            by_layer[layer_of(filename)] += own
            total += own
        print(f"\nown time by layer (cProfile, engine {args.engine}, {total:.2f} s in all):")
        for layer, own in sorted(by_layer.items(), key=lambda kv: -kv[1]):
            print(f"  {layer:48} {own:7.2f} s  {100 * own / total:5.1f}%")
        print()
        stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
