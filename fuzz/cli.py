"""The ``bidwire fuzz`` subcommand. Registering it imports nothing heavy: hypothesis and the
clients load only when the command runs."""

from __future__ import annotations

import argparse
import socket
import sys


def _fuzz(args: argparse.Namespace) -> int:
    from .payloads import Format
    from .runner import FuzzConfig, Target

    try:
        target = Target.parse(args.target)
    except ValueError as exc:
        print(f"bidwire fuzz: {exc}", file=sys.stderr)
        return 2
    try:
        socket.create_connection((target.host, target.port), timeout=args.timeout).close()
    except OSError as exc:
        # Nothing listens there: no payload was judged, so there is no failure to write.
        why = exc.strerror or type(exc).__name__
        print(f"bidwire fuzz: cannot connect to {args.target}: {why}", file=sys.stderr)
        return 2
    if args.replay is not None:
        from .replay import replay

        return replay(args.replay, args.target, args.timeout)
    seconds = args.seconds if args.seconds is not None or args.count is not None else 60.0
    choices: dict[str, tuple[Format, ...]] = {
        "json": ("json",),
        "proto": ("proto",),
        "grpc": ("grpc",),
        "both": ("json", "proto"),
        "all": ("json", "proto", "grpc"),
    }
    formats = choices[args.format]
    config = FuzzConfig(
        target=target,
        url=args.target,
        seconds=seconds,
        count=args.count,
        seed=args.seed,
        mode=args.mode,
        formats=formats,
        http=args.http,
        out=args.out,
        timeout=args.timeout,
        concurrency=args.concurrency,
        pool=args.pool,
        progress=not args.quiet,
    )
    from .runner import run

    return run(config)


def add_fuzz_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``fuzz`` on the ``bidwire`` command's subparsers."""
    fuzz = subparsers.add_parser(
        "fuzz",
        help="fuzz a running OpenRTB bidder with hostile payloads and HTTP/2 frame sequences",
        description="Sends generated bid requests (valid and broken, JSON and protobuf, and gRPC "
        "calls with broken framing) over HTTP/2 and HTTP/1.1, and raw HTTP/2 frame sequences "
        "over TCP, to TARGET. A 5xx, a gRPC call answered INTERNAL or without a grpc-status, a "
        "request left without an answer, a timeout, a wrong answer to a frame sequence or a "
        "server that stops answering is a failure: each is written to --out as FILE.bin (the "
        "bytes) and FILE.json (how to send them), replayed by --replay FILE.bin. Exit status "
        "1 on any failure. The same --seed sends the same payloads and sequences.",
    )
    fuzz.add_argument("--target", required=True, metavar="URL", help="http://HOST:PORT/PATH")
    fuzz.add_argument("--seconds", type=float, help="run this long (default 60 unless --count)")
    fuzz.add_argument(
        "--count", type=int, help="stop after N payloads and N frame sequences (default: no limit)"
    )
    fuzz.add_argument("--seed", type=int, default=0, help="seed of everything sent (default 0)")
    fuzz.add_argument(
        "--mode",
        choices=("payload", "protocol", "both"),
        default="both",
        help="payload: bid requests; protocol: HTTP/2 frame sequences; both (default)",
    )
    fuzz.add_argument(
        "--format",
        choices=("json", "proto", "grpc", "both", "all"),
        default="all",
        help="bodies: json, proto, grpc (gRPC calls, HTTP/2 only), both (json and proto), "
        "all (default)",
    )
    fuzz.add_argument(
        "--http",
        choices=("1.1", "2", "both"),
        default="both",
        help="HTTP version of the payloads (default both)",
    )
    fuzz.add_argument(
        "--out",
        default="fuzz-failures",
        metavar="DIR",
        help="reproducers go here (default fuzz-failures)",
    )
    fuzz.add_argument(
        "--timeout", type=float, default=5.0, help="seconds to wait for an answer (default 5)"
    )
    fuzz.add_argument(
        "--concurrency", type=int, default=32, help="HTTP/2 streams in flight (default 32)"
    )
    fuzz.add_argument(
        "--pool", type=int, default=128, help="valid requests the payloads start from (default 128)"
    )
    fuzz.add_argument(
        "--quiet", action="store_true", help="no progress lines (default: progress on stderr)"
    )
    fuzz.add_argument(
        "--replay", metavar="FILE", help="re-send a reproducer and report (default: fuzz)"
    )
    fuzz.set_defaults(func=_fuzz)


__all__ = ["add_fuzz_parser"]
