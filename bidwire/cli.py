"""The ``bidwire`` command line. Each subcommand imports its package only when it runs."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from fuzz.cli import add_fuzz_parser

from .events import add_events_parser


def _read_input(path: str | None, command: str) -> bytes | None:
    """The bytes of ``path`` (stdin for None or "-"), or None after a one-line error."""
    try:
        if path in (None, "-"):
            return sys.stdin.buffer.read()
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        print(f"bidwire {command}: {exc.strerror}: {path}", file=sys.stderr)
        return None


def _convert(args: argparse.Namespace) -> int:
    from openrtb.convert import convert
    from openrtb.errors import CodecError

    data = _read_input(args.file, "convert")
    if data is None:
        return 2
    try:
        out = convert(data, to=args.to, kind=args.type, strict=args.strict)
    except CodecError as exc:
        print(f"bidwire convert: {exc}", file=sys.stderr)
        return 2
    sys.stdout.buffer.write(out)
    if args.to == "json" and sys.stdout.isatty():
        sys.stdout.buffer.write(b"\n")
    sys.stdout.buffer.flush()
    return 0


def _serve(args: argparse.Namespace) -> int:
    from bidder.campaigns import CampaignError
    from bidder.service import Bidder
    from bidder.shared_state import SharedStore
    from transport.server import serve

    from .config import load_config, with_overrides

    try:
        config = load_config(args.config)
    except (OSError, ValueError) as exc:
        print(f"bidwire serve: {exc}", file=sys.stderr)
        return 2
    try:
        config = with_overrides(
            config,
            host=args.host,
            port=args.port,
            workers=args.workers,
            tls_cert=args.tls_cert,
            tls_key=args.tls_key,
            engine=args.engine,
            state=args.state,
            campaigns=args.campaigns,
        )
    except ValueError as exc:
        print(f"bidwire serve: {exc}", file=sys.stderr)
        return 2
    # The memory store is made here, before serve() forks the workers: they all inherit the
    # one mapping, so budgets, caps, notice dedup and spend are the host's.
    memory = config.pipeline.state.store == "memory"
    shared = SharedStore(config.pipeline.state) if memory else None
    try:
        # Load and check the campaigns before forking any worker.
        Bidder(config.bidder(), shared=shared)
    except (OSError, CampaignError, ValueError) as exc:
        print(f"bidwire serve: {exc}", file=sys.stderr)
        return 2

    def make_service() -> Bidder:
        return Bidder(config.bidder(), shared=shared)

    return serve(config.server, config.limits, make_service)


def _campaigns_check(args: argparse.Namespace) -> int:
    from bidder.campaigns import CampaignError, parse

    data = _read_input(args.file, "campaigns check")
    if data is None:
        return 2
    try:
        campaigns = parse(data, args.file).campaigns
    except CampaignError as exc:
        for problem in exc.problems:
            print(f"{args.file}: {problem}")
        return 1
    creatives = sum(len(c.creatives) for c in campaigns)
    print(f"{args.file}: ok ({len(campaigns)} campaigns, {creatives} creatives)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``bidwire`` command."""
    parser = argparse.ArgumentParser(prog="bidwire", description="An OpenRTB 2.6 bidder.")
    sub = parser.add_subparsers(dest="command", required=True)

    convert = sub.add_parser(
        "convert",
        help="convert a bid request or response between JSON and protobuf",
        description="Reads FILE (or stdin) in the other format and writes it to stdout as --to. "
        "Exit status 2 and a one-line error on bad input.",
    )
    convert.add_argument("--to", choices=("json", "proto"), required=True)
    convert.add_argument("--type", choices=("request", "response"), default="request")
    convert.add_argument("--strict", action="store_true", help="no JSON leniency")
    convert.add_argument("file", nargs="?", metavar="FILE")
    convert.set_defaults(func=_convert)

    serve = sub.add_parser(
        "serve",
        help="serve the bidder (HTTP/2 and HTTP/1.1 on one port)",
        description="Serves POST /openrtb2/bid (JSON or protobuf), /healthz, /readyz and /metrics. "
        "Options given here override the config file.",
    )
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8080; 0 picks a free one)")
    serve.add_argument("--config", metavar="FILE", help="TOML config file")
    serve.add_argument("--workers", type=int, help="worker processes sharing the port (default 1)")
    serve.add_argument(
        "--campaigns", metavar="FILE", help="campaign file (default: the demo campaigns)"
    )
    serve.add_argument("--tls-cert", metavar="PEM", help="certificate chain: serve TLS with ALPN")
    serve.add_argument("--tls-key", metavar="PEM", help="private key for --tls-cert")
    serve.add_argument(
        "--engine",
        choices=("h2", "raw"),
        help="HTTP/2 engine: raw (bidwire's own framing, default) or h2 (the h2 library)",
    )
    serve.add_argument(
        "--state",
        metavar="STORE",
        help="budgets, caps and notice dedup: 'memory' (default) or redis://host:port/db",
    )
    serve.set_defaults(func=_serve)

    campaigns = sub.add_parser(
        "campaigns",
        help="work with campaign files",
        description="Commands on campaign files (TOML, or JSON of the same shape).",
    )
    campaigns_sub = campaigns.add_subparsers(dest="campaigns_command", required=True)
    check = campaigns_sub.add_parser(
        "check",
        help="check a campaign file and list every problem",
        description="Prints each problem of FILE as 'FILE: location: message', one a line, and "
        "exits 1 if there are any; otherwise prints 'FILE: ok (...)' and exits 0. "
        "Exit status 2 when FILE cannot be read.",
    )
    check.add_argument("file", metavar="FILE")
    check.set_defaults(func=_campaigns_check)
    from .benchmarks.cli import add_bench_parser

    add_bench_parser(sub)
    add_events_parser(sub)
    add_fuzz_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``bidwire`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


__all__ = ["build_parser", "main"]
