"""The ``bidwire`` command line. Each subcommand imports its package only when it runs."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from fuzz.cli import add_fuzz_parser

from .audiences import add_audiences_parser
from .events import add_events_parser

if TYPE_CHECKING:
    from .config import Config

log = logging.getLogger("bidwire")


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


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("bidwire")
    except PackageNotFoundError:  # pragma: no cover - run from a tree that is not installed
        return "unknown"


class _VersionAction(argparse._VersionAction):
    """``--version``, read from the installed metadata only when asked (not at every start)."""

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        self.version = f"bidwire {_version()}"
        super().__call__(parser, *args, **kwargs)  # type: ignore[arg-type]


def start_problem(config: Config) -> str | None:
    """What stops ``config`` from serving, found before anything forks, as one line: a
    certificate or key that does not load, a state store that does not answer (with
    ``[pipeline.state] redis_at_start = "wait"``, waits for it instead)."""
    from bidder.capture import capture_problem
    from transport.server import tls_problem

    problem = tls_problem(config.server) or capture_problem(config.capture)
    if problem is not None:
        return problem
    state = config.pipeline.state
    if state.store == "memory":
        return None
    from bidder.redis_state import probe

    tries = 0
    while (why := probe(state.store, max(state.redis_timeout, 1.0))) is not None:
        if state.redis_at_start == "fail":
            return (
                f"state store {state.store} does not answer: {why} (is the address right? "
                f'[pipeline.state] redis_at_start = "wait" waits for it)'
            )
        tries += 1
        log.warning("waiting for the state store %s (try %d): %s", state.store, tries, why)
        time.sleep(1.0)
    return None


def _serve(args: argparse.Namespace) -> int:
    from bidder.campaigns import CampaignError
    from bidder.service import Bidder
    from bidder.shared_state import SharedStore
    from transport.server import bind_listener, listen_problem, serve

    from .config import FLAGS, load_config, with_overrides, with_public_url
    from .logs import setup

    def fail(message: str) -> int:
        print(f"bidwire serve: {message}", file=sys.stderr)
        return 2

    try:
        config = with_overrides(
            load_config(args.config),
            **{flag: getattr(args, flag) for flag in FLAGS},
        )
    except OSError as exc:
        return fail(f"cannot read {args.config}: {exc.strerror}")
    except ValueError as exc:
        return fail(str(exc))
    setup(config.logging)
    problem = start_problem(config)
    if problem is not None:
        return fail(problem)
    try:
        sock = bind_listener(config.server, reuse_port=config.server.workers > 1)
    except OSError as exc:
        return fail(listen_problem(config.server, exc))
    config, warning = with_public_url(config, sock.getsockname()[1])
    # The memory store is made here, before serve() forks the workers: they all inherit the
    # one mapping, so budgets, caps, notice dedup and spend are the host's.
    memory = config.pipeline.state.store == "memory"
    shared = SharedStore(config.pipeline.state) if memory else None
    try:
        # Load and check the campaigns before forking any worker.
        first = Bidder(config.bidder(), shared=shared)
    except (OSError, CampaignError, ValueError) as exc:
        sock.close()
        return fail(str(exc))
    if warning is not None:
        log.warning("%s", warning)
    server = config.server
    details = (
        f"version {_version()}, engine {server.engine}, {len(first.holder.index)} campaigns "
        f"loaded from {first.path}, state {config.pipeline.state.store}, "
        f"public URL {config.pipeline.response.public_url}"
    )
    del first

    def make_service() -> Bidder:
        bidder = Bidder(config.bidder(), shared=shared)
        if config.shadow.url and config.shadow.fraction > 0:
            import asyncio

            from .shadow import Shadow

            shadow = Shadow(config.shadow, bidder.capture)
            bidder.add_tap(shadow.observe, shadow.close)
            # The worker's loop is set (not yet running): connect as soon as it runs.
            asyncio.get_event_loop().call_soon(shadow.connect)
        return bidder

    return serve(
        server, config.limits, make_service, sock=sock, details=details,
        access_sample=config.logging.access_sample, admission=config.admission,
    )  # fmt: skip


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


def _percent(text: str) -> float:
    """A threshold: "0.5%", "2" (percent either way)."""
    try:
        value = float(text.strip().removesuffix("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a percentage such as 0.5%") from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"{text!r} is not between 0% and 100%")
    return value


def _replay(args: argparse.Namespace) -> int:
    import asyncio

    import msgspec

    from bidder.campaigns import CampaignError
    from bidder.capture import CaptureError, read_capture

    from .replay import CampaignsSide, CapturedSide, Side, TargetSide, run
    from .replay_report import build, plot, table

    def fail(message: str) -> int:
        print(f"bidwire replay: {message}", file=sys.stderr)
        return 2

    if args.rate < 0 or args.concurrency < 1 or args.timeout <= 0:
        return fail("--rate must be >= 0, --concurrency >= 1 and --timeout > 0")
    sides: list[Side] = []
    try:
        sides += [TargetSide(url, args.format, args.timeout) for url in args.target]
        if args.campaigns:
            sides.append(CampaignsSide(args.campaigns, args.format))
    except (ValueError, OSError, CampaignError) as exc:
        return fail(str(exc))
    if not sides:
        return fail("say what to compare with: --target URL or --campaigns FILE")
    if len(sides) > 2:
        return fail("two sides at most: the capture and one candidate, or two candidates")
    baseline, candidate = (CapturedSide(), sides[0]) if len(sides) == 1 else sides
    try:
        records = list(read_capture(args.capture))
    except OSError as exc:
        return fail(f"cannot read {args.capture}: {exc.strerror}")
    except CaptureError as exc:
        return fail(str(exc))
    if args.limit is not None:
        records = records[: args.limit]
    try:
        pairs = asyncio.run(run(records, baseline, candidate, rate=args.rate,
                                concurrency=args.concurrency))  # fmt: skip
    except OSError as exc:
        return fail(f"cannot reach the target: {exc}")
    report = build(args.capture, pairs, (baseline.name, candidate.name), args.max_changed,
                   args.max_errors)  # fmt: skip
    if args.json:
        print(msgspec.json.format(msgspec.json.encode(report)).decode())
    else:
        print(table(report))
    if args.plot:
        plot(report, pairs, args.plot)
    return 0 if report.passed else 1


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``bidwire`` command."""
    parser = argparse.ArgumentParser(prog="bidwire", description="An OpenRTB 2.6 bidder.")
    parser.add_argument("--version", action=_VersionAction, help="print the version and exit")
    sub = parser.add_subparsers(dest="command", required=True)

    convert = sub.add_parser(
        "convert",
        help="convert a bid request or response between JSON and protobuf",
        description="Reads FILE (or stdin) in the other format and writes it to stdout as --to. "
        "Exit status 2 and a one-line error on bad input.",
    )
    convert.add_argument("--to", choices=("json", "proto"), required=True, help="output format")
    convert.add_argument(
        "--type",
        choices=("request", "response"),
        default="request",
        help="what FILE holds: a BidRequest or a BidResponse (default request)",
    )
    convert.add_argument("--strict", action="store_true", help="no JSON leniency (default off)")
    convert.add_argument("file", nargs="?", metavar="FILE", help="input (default: stdin)")
    convert.set_defaults(func=_convert)

    serve = sub.add_parser(
        "serve",
        help="serve the bidder (HTTP/2 and HTTP/1.1 on one port)",
        description="Serves POST /openrtb2/bid (JSON or protobuf), /healthz, /readyz and /metrics. "
        "Options given here override the config file.",
    )
    serve.add_argument(
        "--host", help="address to listen on (default 127.0.0.1; 0.0.0.0: every address)"
    )
    serve.add_argument("--port", type=int, help="port, 0-65535 (default 8080; 0 picks a free one)")
    serve.add_argument("--config", metavar="FILE", help="TOML config file (default: none)")
    serve.add_argument(
        "--workers", type=int, help="worker processes sharing the port, 1-1024 (default 1)"
    )
    serve.add_argument(
        "--campaigns", metavar="FILE", help="campaign file (default: the demo campaigns)"
    )
    serve.add_argument(
        "--tls-cert", metavar="PEM", help="certificate chain: serve TLS with ALPN (default: none)"
    )
    serve.add_argument(
        "--tls-key", metavar="PEM", help="private key for --tls-cert (default: none)"
    )
    serve.add_argument(
        "--engine",
        choices=("h2", "raw"),
        help="HTTP/2 engine: raw (bidwire's own framing, default) or h2 (the h2 library)",
    )
    serve.add_argument(
        "--state",
        metavar="STORE",
        help="budgets, caps, notice dedup and audiences: 'memory' (default), "
        "redis://host:port/db, or redis+cluster://host:port,host:port,... (a Redis Cluster)",
    )
    serve.add_argument(
        "--log-level",
        choices=("debug", "info", "warning", "error"),
        help="least severe log level written to stderr (default info)",
    )
    serve.add_argument(
        "--log-format",
        choices=("text", "json"),
        help="log lines as text (default) or one JSON object a line",
    )
    serve.add_argument(
        "--capture",
        metavar="PATH",
        help="write a sampled share of bid requests and their decisions to PATH (gzip JSON "
        "lines when it ends in .gz), for `bidwire replay` (default: none)",
    )
    serve.add_argument(
        "--capture-fraction",
        type=float,
        metavar="F",
        help="the share of bid requests captured, 0-1 (default 0.01)",
    )
    serve.add_argument(
        "--shadow",
        metavar="URL",
        help="also send a share of bid requests to the candidate bidder at URL "
        "(http://HOST:PORT, HTTP/2) and count in /metrics whether it decides alike; never "
        "delays the live answer (default: none)",
    )
    serve.add_argument(
        "--shadow-fraction",
        type=float,
        metavar="F",
        help="the share of bid requests shadowed, 0-1 (default 0.1)",
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
    check.add_argument("file", metavar="FILE", help="the campaign file (TOML or JSON)")
    check.set_defaults(func=_campaigns_check)
    replay = sub.add_parser(
        "replay",
        help="send a capture's requests again and compare the decisions",
        description="Replays CAPTURE (written by `serve --capture`) and compares two sides' "
        "decisions request by request: the capture's recorded decisions against one --target "
        "or --campaigns, or two of those against each other (the first is the baseline). "
        "Reports bid/no-bid agreement, the decisions that changed and how (campaign, creative, "
        "deal, price deltas) and each side's latency. Exit status 0 within the thresholds, 1 "
        "beyond them, 2 on bad input.",
    )
    replay.add_argument("capture", metavar="CAPTURE", help="a capture file (gzip or plain)")
    replay.add_argument(
        "--target",
        metavar="URL",
        action="append",
        default=[],
        help="a running bidder, http://HOST:PORT[/BID_PATH], over HTTP/2 (twice: compare two) "
        "(default: none)",
    )
    replay.add_argument(
        "--campaigns",
        metavar="FILE",
        help="decide in process with these campaigns (no server), as of each capture's time "
        "(default: none)",
    )
    replay.add_argument(
        "--format",
        choices=("captured", "json", "proto", "grpc"),
        default="captured",
        help="send each request as captured (default; gRPC calls as gRPC), or all as JSON, "
        "protobuf or gRPC calls",
    )
    replay.add_argument(
        "--rate", type=float, default=0.0, help="requests a second (default 0: as fast as allowed)"
    )
    replay.add_argument(
        "--concurrency", type=int, default=16, help="requests in flight at most (default 16)"
    )
    replay.add_argument(
        "--timeout", type=float, default=5.0, help="seconds to wait for an answer (default 5)"
    )
    replay.add_argument(
        "--limit", type=int, help="replay the first N requests only (default: all of them)"
    )
    replay.add_argument(
        "--max-changed",
        type=_percent,
        default=0.0,
        metavar="PCT",
        help="fail (exit 1) when more than PCT of the decisions changed, e.g. 0.5%% "
        "(default 0: any change fails)",
    )
    replay.add_argument(
        "--max-errors",
        type=_percent,
        default=0.0,
        metavar="PCT",
        help="fail when more than PCT of the requests were not decided by a side (default 0)",
    )
    replay.add_argument(
        "--json", action="store_true", help="the report as JSON on stdout (default: text)"
    )
    replay.add_argument(
        "--plot", metavar="FILE.png", help="draw latencies and price deltas (default: none)"
    )
    replay.set_defaults(func=_replay)
    from .benchmarks.cli import add_bench_parser

    add_bench_parser(sub)
    add_events_parser(sub)
    add_audiences_parser(sub)
    add_fuzz_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``bidwire`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


__all__ = ["build_parser", "main"]
