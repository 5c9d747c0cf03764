"""The baseline of ``bidwire bench load --proto grpc``: grpcio's asyncio server (``grpc.aio``, the
seed system's choice) serving ``/bidwire.v1.Bidder/Bid`` with bidwire's own gRPC front door and
pipeline behind it.

grpcio does the HTTP/2 and the gRPC framing; each call's request message is handed, framed
again (5 bytes), to :class:`bidder.grpc.GrpcFrontDoor` exactly as bidwire's engines hand it,
and the message it answers goes back to grpcio. So both servers make the same decision with
the same decode, validation, pipeline and encode; only the transport differs. grpcio is a
baseline here (and a client in the tests), never bidwire's server.

    python -m bidwire.benchmarks.grpcio_server --port 50051 [--campaigns FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import time
from typing import Any

import grpc  # type: ignore[import-untyped]

from bidder.grpc import BID_METHOD, CT_GRPC, GrpcFrontDoor
from bidder.grpc_wire import Status, decode_message, frame
from bidder.service import Bidder, BidderConfig
from transport.events import Request, Response

_CODES = {status.value: code for code in grpc.StatusCode for status in Status
          if code.value[0] == status.value}  # fmt: skip


def make_handler(door: GrpcFrontDoor) -> Any:
    """The grpcio generic handler of the Bid method, answering through ``door``."""

    async def bid(message: bytes, context: Any) -> bytes:
        remaining = context.time_remaining()
        request = Request(
            b"POST",
            BID_METHOD,
            frame(message),
            content_type=CT_GRPC,
            # grpcio has the call's deadline; hand it on as the engines would.
            grpc_timeout=None if remaining is None else b"%dm" % max(int(remaining * 1000), 0),
            arrival=time.monotonic(),
        )
        response = door.handle(request)
        if not isinstance(response, Response):
            response = await response.answer
        fields = dict(response.trailers)
        status = int(fields[b"grpc-status"])
        if status:
            details = decode_message(fields.get(b"grpc-message", b""))
            await context.abort(_CODES[status], details)
        return bytes(response.body)[5:]

    method = grpc.unary_unary_rpc_method_handler(bid)
    service, name = BID_METHOD.decode().strip("/").split("/")
    return grpc.method_handlers_generic_handler(service, {name: method})


async def serve(port: int, campaigns: str | None) -> None:
    """Serve until SIGTERM or SIGINT."""
    bidder = Bidder(BidderConfig(campaigns=campaigns))
    door = bidder.app.grpc
    assert door is not None
    server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
    server.add_generic_rpc_handlers((make_handler(door),))
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"grpcio {grpc.__version__} grpc.aio serving on 127.0.0.1:{port}", flush=True)
    await stop.wait()
    await server.stop(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--campaigns", default=os.environ.get("BIDWIRE_CAMPAIGNS") or None)
    parser.add_argument(
        "--loop",
        choices=("asyncio", "uvloop"),
        default="uvloop",
        help="the event loop (default uvloop: 2-10%% faster than asyncio here, so the baseline "
        "gets its best)",
    )
    args = parser.parse_args()
    if args.loop == "uvloop":
        import uvloop

        uvloop.install()
    asyncio.run(serve(args.port, args.campaigns))


if __name__ == "__main__":
    main()
