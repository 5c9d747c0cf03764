"""``bidder.asgi:app``: the same front door as an ASGI app, so hypercorn and granian can serve the
same pipeline as baselines (``hypercorn bidder.asgi:app``)."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from transport.events import REQUEST_HEADERS, Deferred, Request, Response, response_fields

from .pipeline import PipelineConfig
from .service import Bidder, BidderConfig

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

# The demo campaigns, or the file named by $BIDWIRE_CAMPAIGNS: the same as `bidwire serve`;
# $BIDWIRE_SLEEP_STAGE_MS: the pipeline's sleep stage (`[pipeline] sleep_stage_ms`).
_APP = Bidder(
    BidderConfig(
        campaigns=os.environ.get("BIDWIRE_CAMPAIGNS") or None,
        pipeline=PipelineConfig(
            sleep_stage_ms=float(os.environ.get("BIDWIRE_SLEEP_STAGE_MS") or 0.0)
        ),
    )
).app


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """The ASGI 3 entry point (HTTP only; lifespan events are acknowledged)."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    arrival = time.monotonic()
    path = scope.get("raw_path") or scope["path"].encode()
    if scope.get("query_string"):
        path += b"?" + scope["query_string"]
    request = Request(scope["method"].encode(), path, arrival=arrival)
    for name, value in scope["headers"]:
        attr = REQUEST_HEADERS.get(name)
        if attr is not None:
            setattr(request, attr, value)
    chunks = []
    more = True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    request.body = b"".join(chunks)
    answer = _APP.handle(request)
    if isinstance(answer, Deferred):
        response = await _resolve(answer)
    else:
        response = answer
    headers = response_fields(response)
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": bytes(response.body)})
    if response.context is not None:
        _APP.release(response)


async def _resolve(deferred: Deferred) -> Response:
    """The deferred answer, or its no-bid fallback at the deadline (the late result dropped)."""
    task = asyncio.ensure_future(deferred.answer)
    try:
        return await asyncio.wait_for(
            asyncio.shield(task), timeout=max(0.0, deferred.deadline - time.monotonic())
        )
    except TimeoutError:
        deferred.on_timeout()
        task.add_done_callback(lambda _t: deferred.on_late())
        return deferred.fallback


__all__ = ["app"]
