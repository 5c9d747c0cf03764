"""The ``bidwire`` command line. Each subcommand imports its package only when it runs."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _convert(args: argparse.Namespace) -> int:
    from openrtb.convert import convert
    from openrtb.errors import CodecError

    try:
        if args.file in (None, "-"):
            data = sys.stdin.buffer.read()
        else:
            with open(args.file, "rb") as f:
                data = f.read()
    except OSError as exc:
        print(f"bidwire convert: {exc.strerror}: {args.file}", file=sys.stderr)
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``bidwire`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


__all__ = ["build_parser", "main"]
