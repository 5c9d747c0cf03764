"""The ``bidwire bench`` subcommands. Each handler imports its module (and matplotlib) only when
it runs, so ``bidwire serve`` never pays for them."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from . import machine


def _floats(text: str) -> list[float]:
    try:
        values = [float(part) for part in text.split(",") if part]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of numbers: {text}") from None
    if not values or any(v <= 0 for v in values):
        raise argparse.ArgumentTypeError(f"expected positive numbers: {text}")
    return values


def _ints(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a comma-separated list of integers: {text}"
        ) from None
    if not values or any(v <= 0 for v in values):
        raise argparse.ArgumentTypeError(f"expected positive integers: {text}")
    return values


def _names(choices: tuple[str, ...]) -> Any:
    def parse(text: str) -> list[str]:
        names = [part for part in text.split(",") if part]
        bad = [n for n in names if n not in choices]
        if bad or not names:
            raise argparse.ArgumentTypeError(f"choose from {','.join(choices)}: {text}")
        return names

    return parse


def _write_result(out: Path | None, stem: str, lines: list[str]) -> Path | None:
    if out is None:
        return None
    out.mkdir(parents=True, exist_ok=True)
    path = machine.result_path(out, stem, ".txt")
    path.write_text("\n".join(lines) + "\n")
    print(f"\nwrote {path}", file=sys.stderr)
    return path


def _decode(args: argparse.Namespace) -> int:
    from . import decode

    corpus = args.corpus or [decode.sample_dir() / "requests"]
    missing = [str(d) for d in corpus if not Path(d).is_dir()]
    if missing:
        print(f"bidwire bench decode: not a folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    responses = args.responses if args.responses is not None else decode.responses_beside(corpus)
    result = decode.run(corpus, responses, run_ms=args.run_ms, repeat=args.repeat)
    if not result["requests"]:
        print("bidwire bench decode: no request in the corpus decodes", file=sys.stderr)
        return 2
    command = machine.command_line()
    info = machine.describe(["msgspec", "orjson", "protobuf"])
    info["protobuf backend"] = _protobuf_backend()
    result["command"], result["machine"] = command, info
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        print("\n".join(decode.report(result)))
    out = None if args.no_save else args.out
    path = _write_result(out, "decode", [*machine.header(command, info), *decode.report(result)])
    plot = args.plot or (path.with_suffix(".png") if path is not None else None)
    if plot is not None:
        from .plots import plot_decode

        plot_decode(result, plot)
        print(f"wrote {plot}", file=sys.stderr)
    return 0


def _protobuf_backend() -> str:
    from google.protobuf.internal import api_implementation

    return str(api_implementation.Type())


def _load(args: argparse.Namespace) -> int:
    from . import load

    return load.main(args)


def _overload(args: argparse.Namespace) -> int:
    from . import overload

    return overload.main(args)


def _memory(args: argparse.Namespace) -> int:
    from . import memory

    return memory.main(args)


def _load_args(parser: argparse.ArgumentParser, stem: str, plot: str) -> None:
    """The arguments ``bench load`` and ``bench overload`` share: the request, the campaigns,
    h2load's HTTP/2 connections, and where the results go."""
    parser.add_argument("--body", type=Path, help="request body (default: a packaged 1 KB request)")
    parser.add_argument(
        "--campaigns", type=Path, help="campaign file for all servers (default: the demo)"
    )
    parser.add_argument("--clients", type=int, default=8, help="h2load -c for HTTP/2 (default 8)")
    parser.add_argument("--plot", type=Path, metavar="FILE.png", help=plot)
    parser.add_argument("--json", action="store_true", help="print every run as JSON (default off)")
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        default=machine.default_out_dir(),
        help=f"where {stem}-<date>.txt goes (default: bench/results in a checkout)",
    )
    parser.add_argument("--no-save", action="store_true", help="print only (default: save)")


def add_bench_parser(subparsers: Any) -> None:
    """Add ``bench`` with its subcommands to the ``bidwire`` command's subparsers."""
    bench = subparsers.add_parser(
        "bench",
        help="benchmarks: codecs, load against granian, uvicorn and hypercorn, memory",
        description="Benchmarks whose results the README quotes. `bench load` and `bench memory` "
        "need h2load (Debian's nghttp2-client), and granian, uvicorn and hypercorn for the "
        "baselines (pip install 'bidwire[bench]'); `bench load --servers nghttpd` needs nghttpd "
        "(Debian's nghttp2-server).",
    )
    sub = bench.add_subparsers(dest="bench_command", required=True)

    d = sub.add_parser(
        "decode",
        help="cost per message of JSON and protobuf decoders and encoders",
        description="Times stdlib json, orjson, msgspec (dicts and Structs) and protobuf (upb, "
        "and bidwire's codec to Structs) on every request of a corpus, bare and with the "
        "fields the bidder reads accessed, and the encoders on every bid response. Prints "
        "µs per message and MB/s by size group.",
    )
    d.add_argument(
        "--corpus",
        type=Path,
        action="append",
        metavar="DIR",
        help="a folder of JSON bid requests (repeatable; default: the packaged sample)",
    )
    d.add_argument(
        "--responses",
        type=Path,
        action="append",
        metavar="DIR",
        help="a folder of JSON bid responses for the encode legs "
        "(default: a 'responses' folder beside a corpus folder named 'requests')",
    )
    d.add_argument(
        "--plot",
        type=Path,
        metavar="FILE.png",
        help="write the plot here (default: beside the result file)",
    )
    d.add_argument(
        "--json", action="store_true", help="print the full result as JSON (default: tables)"
    )
    d.add_argument(
        "--repeat", type=int, default=5, help="runs per message and leg, median taken (default 5)"
    )
    d.add_argument(
        "--run-ms", type=float, default=5.0, help="length of one timed run, in ms (default 5)"
    )
    d.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        default=machine.default_out_dir(),
        help="where decode-<date>.txt (and .png) go (default: bench/results in a checkout)",
    )
    d.add_argument("--no-save", action="store_true", help="print only (default: save)")
    d.set_defaults(func=_decode)

    # The same list as servers.SERVERS (not imported: `bidwire serve` does not load the bench).
    servers = ("bidwire", "granian", "uvicorn", "hypercorn")
    # bidwire-h2: bidwire serve --engine h2 (on the h2 library, the reference), on request;
    # bidwire-raw names the default engine explicitly.
    # grpcio: grpc.aio with the same gRPC front door and pipeline (--proto grpc only).
    # bidwire-inline: bidwire serve with [admission] enabled = false (each request inline).
    choices = (*servers, "bidwire-h2", "bidwire-raw", "bidwire-inline", "grpcio")
    # nghttpd: the floor, a fixed answer from nghttp2's C server (bench load only: past its
    # maximum there is nothing of it to measure).
    load = sub.add_parser(
        "load",
        help="bidwire vs granian, uvicorn and hypercorn under h2load (HTTP/2 and HTTP/1.1)",
        description="Starts each server (fresh for every run), pins it and h2load to separate "
        "cores when there are two, and reports req/s, latency percentiles from h2load's "
        "per-request log, server CPU µs per request and the ratios to bidwire. Rounds rotate "
        "the server order (A/B alternation). Default: closed loop, maximum throughput. "
        "--rps: open loop at fixed rates. --load: open loop at fractions of each server's "
        "measured maximum (2 = overload), counting replies later than the request's tmax.",
    )
    load.add_argument(
        "--servers",
        type=_names((*choices, "nghttpd")),
        default=list(servers),
        help="comma-separated, of bidwire,granian,uvicorn,hypercorn (uvicorn + httptools: "
        "HTTP/1.1 only), bidwire-h2, bidwire-raw, grpcio (gRPC only: grpc.aio serving the same "
        "pipeline), nghttpd (HTTP/2 only: a fixed answer, the floor; open loop offers it the "
        "first bidder's rate) (default: the first four)",
    )
    load.add_argument(
        "--proto",
        type=_names(("h2", "h1", "grpc")),
        default=["h2", "h1"],
        help="h2 (h2c prior knowledge), h1 (HTTP/1.1), grpc (unary /bidwire.v1.Bidder/Bid "
        "over h2c; bidwire and grpcio) (default h2,h1); servers that do not speak one skip it",
    )
    load.add_argument(
        "--rounds", type=int, default=3, help="rounds, server order rotated (default 3)"
    )
    load.add_argument(
        "--duration", type=float, default=10.0, help="seconds per measured run (default 10)"
    )
    load.add_argument(
        "--warmup", type=float, default=2.0, help="seconds of warm-up per server (default 2)"
    )
    mode = load.add_mutually_exclusive_group()
    mode.add_argument(
        "--rps",
        type=_floats,
        metavar="R[,R...]",
        help="open loop at these rates (req/s) (default: closed loop)",
    )
    mode.add_argument(
        "--load",
        type=_floats,
        metavar="F[,F...]",
        help="open loop at these fractions of each server's closed-loop maximum, e.g. 0.5,1,2 "
        "(default: closed loop)",
    )
    mode.add_argument(
        "--overload",
        type=float,
        nargs="?",
        const=2.0,
        metavar="F",
        help="same as --load F (default 2): F times each server's maximum",
    )
    load.add_argument(
        "--load-base",
        choices=("own", "bidwire"),
        default="own",
        help="--load fractions of each server's own maximum, or of bidwire's for all (default own)",
    )
    load.add_argument(
        "--tmax",
        type=int,
        help="tmax to write into the request body, ms (default: the body's own; 120 for the "
        "packaged body); replies later than it are counted as late",
    )
    load.add_argument("--streams", type=int, default=32, help="h2load -m for HTTP/2 (default 32)")
    load.add_argument(
        "--h1-clients", type=int, default=32, help="h2load -c for HTTP/1.1 (default 32)"
    )
    _load_args(load, "load-<mode>", "latency vs offered load plot (default: none)")
    load.set_defaults(func=_load)

    over = sub.add_parser(
        "overload",
        help="past the maximum: answers inside tmax, on-time bids/s, shedding, recovery",
        description="Closed loop per server and protocol (the maximum), then open loop at "
        "fractions of it (--load) for each --tmax over HTTP/2 and HTTP/1.1; reports replies "
        "after tmax, requests the load generator could not send or held back, on-time bids/s "
        "against the closed-loop bids/s, p50/p99/p99.9 of the answered and the share shed; "
        "--async-ms: the same at --async-load with an async stage; --recovery: 10 s at 5x, then "
        "how long the p99 takes to come back. Writes overload-<date>.txt and .png.",
    )
    over.add_argument(
        "--servers",
        type=_names(choices),
        default=list(servers),
        help="comma-separated, of bidwire,granian,uvicorn,hypercorn, bidwire-inline "
        "(default: the four)",
    )
    over.add_argument(
        "--proto", type=_names(("h2", "h1")), default=["h2", "h1"], help="h2, h1 (default both)"
    )
    over.add_argument(
        "--tmax", type=_ints, default=[50, 100], help="ms, comma-separated (default 50,100)"
    )
    over.add_argument(
        "--load",
        type=_floats,
        default=[0.5, 1.0, 2.0, 5.0],
        help="fractions of each server's closed-loop maximum (default 0.5,1,2,5)",
    )
    over.add_argument("--duration", type=float, default=8.0, help="seconds per run (default 8)")
    over.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up (default 2)")
    over.add_argument(
        "--rounds", type=int, default=1, help="rounds, server order rotated (default 1)"
    )
    over.add_argument(
        "--async-ms",
        type=float,
        default=0.0,
        help="also run with an async stage of this many ms, e.g. 5 (default 0: not)",
    )
    over.add_argument("--async-load", type=float, default=2.0, help="its load (default 2x)")
    over.add_argument(
        "--recovery", action="store_true", help="also the 10 s at 5x recovery run (default off)"
    )
    over.add_argument(
        "--h1-clients",
        type=int,
        default=32,
        help="HTTP/1.1 connections at least (default 32; open loop: rate x tmax)",
    )
    over.add_argument(
        "--driver",
        choices=("auto", "openloop", "h2load"),
        default="auto",
        help="HTTP/2 open-loop load generator: openloop (bidwire's own, built from C with cc on "
        "first use; 5x on one core) or h2load (tops out near 35k req/s); auto: openloop when "
        "it builds (default auto)",
    )
    over.add_argument(
        "--bidwire-config",
        type=Path,
        metavar="FILE",
        help="settings for the bidwire servers, e.g. an [admission] section to compare "
        "policies (default: none, the defaults)",
    )
    _load_args(over, "overload", "the plot (default: beside the result file)")
    over.set_defaults(func=_overload)

    mem = sub.add_parser(
        "memory",
        help="RSS and gc collections of bidwire serve over a long run, arena on and off",
        description="Drives `bidwire serve` with h2load for --requests requests in --samples "
        "chunks, and after each chunk reads the server's VmRSS and its /metrics gc counters.",
    )
    mem.add_argument(
        "--requests", type=int, default=5_000_000, help="per arena setting (default 5,000,000)"
    )
    mem.add_argument(
        "--samples", type=int, default=20, help="chunks, one sample after each (default 20)"
    )
    mem.add_argument(
        "--arena",
        type=_names(("on", "off")),
        default=["on", "off"],
        help="request arena settings to run, comma-separated (default on,off)",
    )
    mem.add_argument(
        "--proto", choices=("h2", "h1"), default="h2", help="HTTP version of the load (default h2)"
    )
    mem.add_argument("--body", type=Path, help="request body (default: a packaged 1 KB request)")
    mem.add_argument("--campaigns", type=Path, help="campaign file (default: the demo)")
    mem.add_argument("--clients", type=int, default=8, help="h2load -c (default 8)")
    # 64 requests in flight rather than bench load's 256: enough to keep the worker busy, few
    # enough that it does not shed on event-loop lag, so every request runs the whole pipeline.
    mem.add_argument("--streams", type=int, default=8, help="h2load -m (default 8)")
    mem.add_argument("--json", action="store_true", help="print the samples as JSON (default off)")
    mem.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        default=machine.default_out_dir(),
        help="where memory-<date>.txt goes (default: bench/results in a checkout)",
    )
    mem.add_argument("--no-save", action="store_true", help="print only (default: save)")
    mem.set_defaults(func=_memory)


__all__ = ["add_bench_parser"]
