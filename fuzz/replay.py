"""``bidwire fuzz --replay FILE --target URL``: send a reproducer's bytes again, say what came
back, and whether it is still a failure (exit status 1) or not any more (0)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from .answers import Expect, judge
from .clients import alive, exchange_frames
from .report import read_reproducer
from .runner import Target, is_grpc, payload_failure, send_alone


async def _replay(path: Path, target: Target, timeout: float) -> tuple[str, str | None]:
    """(what the server answered, the failure or None)."""
    reproducer = read_reproducer(path)
    if reproducer.kind == "frames":
        expect = reproducer.expect or Expect("any")
        outcome = await exchange_frames(target.host, target.port, reproducer.data, expect, timeout)
        answer, failure = outcome.describe(), judge(expect, outcome)
    else:
        result = await send_alone(
            target, reproducer.headers, reproducer.data, reproducer.http, timeout
        )
        answer = f"status {result.status}" if result.status is not None else str(result.error)
        failure = payload_failure(result, is_grpc(reproducer.headers))
    if not await alive(target.host, target.port, timeout):
        failure = (failure + "; " if failure else "") + "the server no longer answers"
    return answer, failure


def replay(path: str, url: str, timeout: float = 5.0) -> int:
    """Replay one reproducer against ``url``; prints the outcome; 1 if it still fails."""
    try:
        target = Target.parse(url)
        answer, failure = asyncio.run(_replay(Path(path), target, timeout))
    except OSError as exc:
        print(f"bidwire fuzz --replay: {exc}")
        return 2
    print(f"{path}: {answer}")
    if failure is None:
        print("not a failure (any more)")
        return 0
    print(f"FAILURE: {failure}")
    return 1


__all__ = ["replay"]
