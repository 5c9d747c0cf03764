"""``bidwire events tail``: follow the bid/win/loss/bill records of a fleet's Redis stream."""

from __future__ import annotations

import argparse
import sys
import time

from bidder.events import Event, decode_batch


def format_record(event: Event) -> str:
    """One record as one line: time, kind, auction/imp, campaign, price (CPM), detail."""
    at = event.at_ms / 1000.0
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at)) + f".{event.at_ms % 1000:03d}Z"
    line = (
        f"{stamp} {event.kind:<4} auction={event.auction} imp={event.imp} "
        f"campaign={event.campaign} cpm={event.price / 1e6:.6f}"
    )
    return f"{line} loss={event.detail}" if event.detail else line


def tail(args: argparse.Namespace) -> int:
    """Print the stream's records as they arrive (``--from-start``: from the oldest kept)."""
    import redis

    from bidder.redis_pipe import REDIS_SCHEMES, sync_client

    if not args.state.startswith(REDIS_SCHEMES):
        print(
            f"bidwire events tail: --state must be a redis:// URL, not {args.state!r} (with the "
            "memory store, records go to [pipeline.state] events as JSON lines)",
            file=sys.stderr,
        )
        return 2
    try:
        client = sync_client(args.state, 10.0, decode_responses=True)
    except (ValueError, redis.RedisError) as exc:
        print(f"bidwire events tail: {exc}", file=sys.stderr)
        return 2
    stream = f"{args.prefix}:events"
    shown = 0
    try:
        # "$" would mean "after the newest" at each call: take the id once, so nothing that
        # arrives between two reads is skipped, and say from where we follow.
        newest = [] if args.from_start else client.xrevrange(stream, count=1)
        last: str = str(newest[0][0]) if newest else "0-0"
        print(f"following {stream} after {last}", file=sys.stderr, flush=True)
        while args.count is None or shown < args.count:
            answer: list[tuple[str, list[tuple[str, dict[str, str]]]]] = client.xread(  # type: ignore[assignment,unused-ignore]
                {stream: last}, block=1000, count=1000
            )
            for _, entries in answer or ():
                for entry_id, fields in entries:
                    last = entry_id
                    for event in decode_batch(fields.get("r", "[]")):
                        print(format_record(event), flush=True)
                        shown += 1
                        if args.count is not None and shown >= args.count:
                            return 0
    except KeyboardInterrupt:
        return 0
    except redis.RedisError as exc:
        print(f"bidwire events tail: {exc}", file=sys.stderr)
        return 2
    return 0


def add_events_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``bidwire events tail``."""
    events = sub.add_parser("events", help="the fleet's event stream (bids, wins, losses, bills)")
    events_sub = events.add_subparsers(dest="events_command", required=True)
    follow = events_sub.add_parser(
        "tail",
        help="print the records of a Redis event stream as they arrive",
        description="Follows {prefix}:events in the Redis of --state and prints one line per "
        "record. With the memory state, records go as JSON lines to [pipeline.state] events.",
    )
    follow.add_argument("--state", required=True, metavar="URL",
                        help="redis://host:port/db or redis+cluster://host:port,...")  # fmt: skip
    follow.add_argument("--prefix", default="bw", help="the fleet's key prefix (default bw)")
    follow.add_argument(
        "--from-start",
        action="store_true",
        help="begin at the oldest record (default: at new ones)",
    )
    follow.add_argument("--count", type=int, help="stop after this many records (default: never)")
    follow.set_defaults(func=tail)


__all__ = ["add_events_parser", "format_record", "tail"]
