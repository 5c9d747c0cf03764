"""``bidwire audiences load``: write users' segments into the Redis of a fleet, from a file.

Rows are CSV ``user,segment|segment|...`` (an optional third column: the TTL in seconds; a
first line ``user,segments...`` is a header) or JSON lines ``{"user": ..., "segments": [...],
"ttl": ...}``, chosen by the file's extension (``.csv``; ``.jsonl``, ``.ndjson``, ``.json``)
or ``--format``. Each row adds (or refreshes) its segments for the user until now + TTL.

Writes go in pipelined batches (a few in flight; on a cluster, one per master and batch), and
the users into a Bloom filter that is OR-merged into Redis's at every checkpoint: every
``--checkpoint-every`` rows, once Redis has acknowledged every write before it, the byte offset
and line reached are written to ``--checkpoint`` (default ``FILE.checkpoint``). A load that
stops (killed, Redis gone) resumes from there when run again (``--restart`` ignores it); the
rows after the checkpoint are written again, which changes nothing but their expiry. Rows that
cannot be read are counted and reported with their line numbers (the first ten), and make the
exit status 1; the rest are loaded.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, BinaryIO

import msgspec

#: Rows refused that are reported one by one.
SHOWN_PROBLEMS = 10


class Row(msgspec.Struct, forbid_unknown_fields=False):
    """One JSON line."""

    user: str
    segments: list[str]
    ttl: int | None = None


_ROW = msgspec.json.Decoder(Row)


def parse_row(line: bytes, fmt: str, default_ttl: int) -> tuple[str, list[str], int] | str:
    """(user, segments, ttl) of one line, or what is wrong with it."""
    from bidder.audience_store import segment_problem

    if fmt == "csv":
        parts = line.rstrip(b"\r\n").decode("utf-8", "replace").split(",")
        if len(parts) not in (2, 3):
            return f"expected user,segment|segment[,ttl], got {len(parts)} columns"
        user, segments = parts[0].strip(), [s.strip() for s in parts[1].split("|") if s.strip()]
        try:
            ttl = int(parts[2]) if len(parts) == 3 and parts[2].strip() else default_ttl
        except ValueError:
            return f"ttl {parts[2]!r} is not a whole number of seconds"
    else:
        try:
            row = _ROW.decode(line)
        except msgspec.DecodeError as exc:
            return f"not a row: {exc}"
        user, segments = row.user, row.segments
        ttl = row.ttl if row.ttl is not None else default_ttl
    if not user:
        return "empty user"
    if not segments:
        return "no segments"
    if ttl < 1:
        return "ttl must be >= 1"
    for segment in segments:
        problem = segment_problem(segment)
        if problem is not None:
            return problem
    return user, segments, ttl


def _format_of(path: str, given: str | None) -> str | None:
    if given:
        return given
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    return None


class Progress:
    """A progress bar on a terminal, a line every ten seconds otherwise."""

    def __init__(self, total_bytes: int, start_byte: int) -> None:
        self.total = max(total_bytes, 1)
        self.start_byte = start_byte
        self.started = time.monotonic()
        self.shown = 0.0
        self.tty = sys.stderr.isatty()

    def show(self, offset: int, rows: int, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.shown < (0.5 if self.tty else 10.0):
            return
        self.shown = now
        share = offset / self.total
        elapsed = max(now - self.started, 1e-9)
        rate = rows / elapsed
        speed = (offset - self.start_byte) / elapsed
        eta = (self.total - offset) / speed if speed > 0 else 0.0
        bar = "#" * int(share * 30)
        text = (f"[{bar:<30}] {100 * share:5.1f}% {rows:,} rows, {rate:,.0f} rows/s, "
                f"{elapsed:,.0f} s, about {eta:,.0f} s left")  # fmt: skip
        if self.tty:
            print(f"\r{text}", end="\n" if force else "", file=sys.stderr, flush=True)
        else:
            print(text, file=sys.stderr, flush=True)


def _read_checkpoint(path: Path, source: Path) -> dict[str, Any] | None:
    try:
        saved: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    stat = source.stat()
    if saved.get("file") != str(source.resolve()) or saved.get("size") != stat.st_size:
        return None  # another file, or this one changed: start over
    return saved


def _write_checkpoint(path: Path, data: dict[str, Any]) -> None:
    scratch = path.with_name(path.name + ".tmp")
    scratch.write_text(json.dumps(data))
    os.replace(scratch, path)


async def load(args: argparse.Namespace, fmt: str) -> int:
    """Load the file; the exit status."""
    from bidder.audience_store import AudienceWriter, WriteError, bloom_shape, merge_bloom
    from bidder.audiences import AudienceConfig
    from bidder.redis_pipe import CommandError, RedisPipe

    source = Path(args.file)
    checkpoint = Path(args.checkpoint or f"{args.file}.checkpoint")
    defaults = AudienceConfig()
    config = AudienceConfig(
        bloom_capacity=args.bloom_capacity or defaults.bloom_capacity,
        bloom_fp_rate=args.bloom_fp_rate or defaults.bloom_fp_rate,
        default_ttl=args.ttl or defaults.default_ttl,
    )
    args.ttl = config.default_ttl
    saved = None if args.restart else _read_checkpoint(checkpoint, source)
    offset, line_no, rows, refused = 0, 0, 0, 0
    if saved is not None:
        offset, line_no, rows = saved["offset"], saved["line"], saved["rows"]
        refused = saved.get("refused", 0)
        print(f"resuming {source} at line {line_no + 1:,} (byte {offset:,}, {rows:,} rows "
              f"loaded before)", file=sys.stderr)  # fmt: skip
    pipe = RedisPipe(args.state, timeout=10.0)
    memory = ""
    try:
        await pipe.start()
        if not pipe.connected:
            print(f"bidwire audiences load: Redis at {args.state} does not answer",
                  file=sys.stderr)  # fmt: skip
            return 2
        bloom = await bloom_shape(pipe, args.prefix, config)
        writer = AudienceWriter(pipe, args.prefix, bloom)
        progress = Progress(source.stat().st_size, offset)
        problems: list[str] = []
        started = time.monotonic()
        now = int(time.time())

        async def save() -> None:
            await writer.drain()
            await merge_bloom(pipe, args.prefix, writer.bloom)
            _write_checkpoint(checkpoint, {
                "file": str(source.resolve()), "size": source.stat().st_size,
                "offset": offset, "line": line_no, "rows": rows, "refused": refused,
            })  # fmt: skip

        handle: BinaryIO
        with source.open("rb") as handle:
            handle.seek(offset)
            since_checkpoint = 0
            for line in handle:
                line_no += 1
                offset += len(line)
                if not line.strip():
                    continue
                if fmt == "csv" and line_no == 1 and line.lower().startswith(b"user,"):
                    continue  # the header
                parsed = parse_row(line, fmt, args.ttl)
                if isinstance(parsed, str):
                    refused += 1
                    if len(problems) < SHOWN_PROBLEMS:
                        problems.append(f"line {line_no}: {parsed}")
                    continue
                user, segments, ttl = parsed
                writer.add(user, segments, now + ttl)
                rows += 1
                since_checkpoint += 1
                if writer.queued >= args.batch:
                    await writer.send()
                    progress.show(offset, rows)
                if since_checkpoint >= args.checkpoint_every:
                    since_checkpoint = 0
                    await save()
        await save()
        progress.show(offset, rows, force=True)
        took = time.monotonic() - started
        if not pipe.address.cluster:
            info = await pipe.command(b"", b"INFO", b"memory")
            for field in info.decode().splitlines() if isinstance(info, bytes) else ():
                if field.startswith("used_memory:"):
                    memory = f"; Redis used_memory {int(field[12:]) / 2**20:,.1f} MiB"
    except WriteError as exc:
        print(f"bidwire audiences load: {exc}; run again to resume from the last checkpoint",
              file=sys.stderr)  # fmt: skip
        return 2
    except (OSError, CommandError) as exc:
        print(f"bidwire audiences load: {exc}; run again to resume from the last checkpoint",
              file=sys.stderr)  # fmt: skip
        return 2
    finally:
        pipe.close()
    checkpoint.unlink(missing_ok=True)
    for problem in problems:
        print(f"{source}: {problem}", file=sys.stderr)
    print(f"{source}: {rows:,} rows loaded in {took:,.1f} s ({rows / max(took, 1e-9):,.0f} "
          f"rows/s), {refused:,} refused{memory}")  # fmt: skip
    return 1 if refused else 0


def _load(args: argparse.Namespace) -> int:
    fmt = _format_of(args.file, args.format)
    if fmt is None:
        print(f"bidwire audiences load: cannot tell the format of {args.file} from its name: "
              f"use --format csv or --format jsonl", file=sys.stderr)  # fmt: skip
        return 2
    if not os.path.isfile(args.file):
        print(f"bidwire audiences load: no such file: {args.file}", file=sys.stderr)
        return 2
    from bidder.redis_pipe import parse_store

    try:
        parse_store(args.state)
    except ValueError as exc:
        print(f"bidwire audiences load: --state: {exc}", file=sys.stderr)
        return 2
    import asyncio

    try:
        return asyncio.run(load(args, fmt))
    except KeyboardInterrupt:
        print("\nstopped; run the same command again to resume", file=sys.stderr)
        return 130


def add_audiences_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``bidwire audiences load`` (importing nothing of the bidder until it runs)."""
    audiences = sub.add_parser("audiences", help="first-party audiences in the fleet's Redis")
    audiences_sub = audiences.add_subparsers(dest="audiences_command", required=True)
    load = audiences_sub.add_parser(
        "load",
        help="write users' segments from a CSV or JSON-lines file into Redis",
        description=(__doc__ or "").split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    load.add_argument("file", metavar="FILE", help="rows: CSV user,seg|seg[,ttl] or JSON lines")
    load.add_argument("--state", required=True, metavar="URL",
                      help="redis://host:port/db or redis+cluster://host:port,...")  # fmt: skip
    load.add_argument("--prefix", default="bw", help="the fleet's key prefix (default bw)")
    load.add_argument("--format", choices=("csv", "jsonl"), help="default: from FILE's name")
    load.add_argument("--ttl", type=int,
                      help="seconds, for rows without one (default 30 days)")  # fmt: skip
    load.add_argument("--batch", type=int, default=2000,
                      help="rows per pipelined batch (default 2000)")  # fmt: skip
    load.add_argument("--checkpoint", metavar="PATH", help="default: FILE.checkpoint")
    load.add_argument("--checkpoint-every", type=int, default=500_000, metavar="ROWS",
                      help="rows between checkpoints (default 500,000)")  # fmt: skip
    load.add_argument("--restart", action="store_true",
                      help="ignore a checkpoint: start over (default: resume from it)")  # fmt: skip
    load.add_argument("--bloom-capacity", type=int, help="users the Bloom filter is sized for, "
                      "when Redis has none yet (default 10,000,000)")  # fmt: skip
    load.add_argument("--bloom-fp-rate", type=float,
                      help="its false-positive rate at that size (default 0.01)")  # fmt: skip
    load.set_defaults(func=_load)


__all__ = ["add_audiences_parser", "parse_row"]
