"""The access log: one line per answered request, for a sampled share of them.

Off unless a share above 0 is configured (``[logging] access_sample``). A request is logged
with a chance of ``sample``; the record goes to the logger ``bidwire.access``, whose handler
(``bidwire.logs``) writes it as one line: text, or JSON with the fields as members.
"""

from __future__ import annotations

import logging
import random
import time

from .events import Request, Response

log = logging.getLogger("bidwire.access")


class AccessLog:
    """Logs a sampled share of the answers of one worker."""

    __slots__ = ("sample", "_draw")

    def __init__(self, sample: float, seed: int | None = None) -> None:
        #: The share of requests logged, 0 to 1.
        self.sample = sample
        self._draw = random.Random(seed).random

    def answered(self, protocol: str, request: Request, response: Response) -> None:
        """``response`` went out for ``request`` over ``protocol`` ("h1" or "h2")."""
        if self.sample < 1.0 and self._draw() >= self.sample:
            return
        ms = (time.monotonic() - request.arrival) * 1000.0 if request.arrival else 0.0
        path = request.path.split(b"?", 1)[0].decode("latin-1")
        method = request.method.decode("latin-1")
        size = len(response.body)
        log.info(
            "%s %s %s %d %d bytes %.2f ms",
            protocol, method, path, response.status, size, ms,
            extra={"protocol": protocol, "method": method, "path": path,
                   "status": response.status, "bytes": size, "ms": round(ms, 3)},
        )  # fmt: skip


__all__ = ["AccessLog"]
