"""The gRPC front door: ``/bidwire.v1.Bidder/Bid`` and ``/grpc.health.v1.Health/Check`` on the
port that serves OpenRTB over HTTP, through the same pipeline.

:class:`~bidder.app.BidderApp` hands this door every request whose content type is
``application/grpc`` (or ``application/grpc+...``): :func:`is_grpc`. It answers in gRPC's
terms, in one place each:

- a call that succeeds: ``200``, ``content-type: application/grpc``, ``grpc-accept-encoding``
  (and ``grpc-encoding: gzip`` when the answer is compressed), one length-prefixed message,
  then the trailers ``grpc-status: 0``;
- a call that fails: a trailers-only answer (one header block: ``:status 200``,
  ``content-type``, ``grpc-status``, ``grpc-message`` percent-encoded), counted by status.

The decision is the HTTP door's: the same protobuf decode (the fast path), the same validation,
the same ``decide``; only the framing and the status codes differ. A no-bid is OK with a
BidResponse holding the request's id and ``nbr``. The deadline is the earlier of the request's
tmax and the call's ``grpc-timeout`` (both less the network allowance): the pipeline's usual
deadline, with the caller's folded in (:func:`~bidder.deadline.arrival_for_deadline`).

Status codes: INVALID_ARGUMENT (the field path in the message) for a request that does not
frame, decode or validate, and for a malformed ``grpc-timeout``; RESOURCE_EXHAUSTED for a
message over the size cap; a Bid call shed under load is a no-bid (OK, nbr 15), or
DEADLINE_EXCEEDED when its own grpc-timeout has passed; UNAVAILABLE for a call refused
while draining; UNIMPLEMENTED for an unknown method or message encoding; NOT_FOUND for a health
check of an unknown service; INTERNAL only for our own failures, never for bad input.
"""

from __future__ import annotations

import gzip
import time
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Final

from openrtb import (
    BidRequest,
    BidResponse,
    DecodeError,
    EncodeError,
    ProtoCodec,
    validate_request,
    validate_response,
)
from openrtb.peek import peek_id_proto, peek_tmax_proto
from openrtb.proto_fast import BiddingProto
from transport.app import DEADLINE_REASONS, Health
from transport.events import Deferred, Fields, Request, Response

from .deadline import arrival_for_deadline, deadline_for
from .grpc_wire import (
    ACCEPT_ENCODING,
    STATUS_VALUES,
    GrpcError,
    ServingStatus,
    Status,
    accepts_gzip,
    encode_message,
    frame,
    health_response,
    health_service,
    parse_timeout,
    read_unary,
)
from .metrics import (
    BIDS,
    ERRORS,
    GRPC_RESPONSES,
    HTTP_RESPONSES,
    LATE,
    REQUEST_SECONDS,
    REQUESTS,
    SHED,
    count_nobid,
)
from .pipeline import NBR_INSUFFICIENT_TIME, Later, NoBid

if TYPE_CHECKING:
    from .app import BidderApp

#: The methods this door serves (``:path``).
BID_METHOD: Final = b"/bidwire.v1.Bidder/Bid"
HEALTH_CHECK: Final = b"/grpc.health.v1.Health/Check"
#: The service names a health check may ask about ("" is the server as a whole).
HEALTH_SERVICES: Final = frozenset(("", "bidwire.v1.Bidder"))
CT_GRPC: Final = b"application/grpc"
#: Subtypes we serve: the default (protobuf) and protobuf named.
_PROTO_SUBTYPES: Final = frozenset((b"application/grpc", b"application/grpc+proto"))
#: A health check message is a service name: a few hundred bytes at most.
_HEALTH_LIMIT: Final = 4096

_ACCEPT: Final = (b"grpc-accept-encoding", ACCEPT_ENCODING)
_HEADERS: Final[Fields] = (_ACCEPT,)
_HEADERS_GZIP: Final[Fields] = (_ACCEPT, (b"grpc-encoding", b"gzip"))
_OK_TRAILERS: Final[Fields] = ((b"grpc-status", STATUS_VALUES[Status.OK]),)


def is_grpc(content_type: bytes) -> bool:
    """Whether a request's content type is gRPC's (``application/grpc``, ``+proto``, ``+json``,
    with parameters or not), and not gRPC-Web (``application/grpc-web``)."""
    return content_type[:16] == CT_GRPC and content_type[16:17] in (b"", b"+", b";")


def trailers_only(status: Status, message: str) -> Response:
    """A trailers-only answer: the status in the one header block, no message, no trailers."""
    trailers: Fields = ((b"grpc-status", STATUS_VALUES[status]),)
    if message:
        trailers = (*trailers, (b"grpc-message", encode_message(message)))
    return Response(
        200, b"", content_type=CT_GRPC, headers=_HEADERS, trailers=trailers, trailers_only=True
    )


class GrpcFrontDoor:
    """Answers the gRPC calls of one worker, behind its :class:`~bidder.app.BidderApp` (whose
    decision, configuration, shedding and drain state it shares). Implements
    :class:`transport.app.App`, so it can also be served on its own."""

    def __init__(self, app: BidderApp) -> None:
        self.app = app
        self._proto = ProtoCodec()
        self._bidding = BiddingProto(self._proto)
        self._limit = app.config.max_inflated_body
        self._max_ratio = app.config.max_gzip_ratio

    # -- transport.app.App ---------------------------------------------------------------------

    def handle(self, request: Request) -> Response | Deferred:
        """Answer one call. Never raises: every failure is a status."""
        response: Response | Deferred
        try:
            media = request.content_type or b""
            if media not in _PROTO_SUBTYPES:  # parameters are rare: split only then
                media = media.split(b";", 1)[0].strip()
            if media not in _PROTO_SUBTYPES:
                raise GrpcError(
                    Status.UNIMPLEMENTED,
                    f"content-type {media.decode('latin-1')!r}: only application/grpc+proto",
                    "grpc_unsupported_codec",
                )
            path = request.path
            if path == BID_METHOD and request.method == b"POST":
                response = self._bid(request)
            elif path == HEALTH_CHECK and request.method == b"POST":
                response = self._health(request)
            else:
                method = path.decode("latin-1")
                raise GrpcError(
                    Status.UNIMPLEMENTED, f"unknown method {method}", "grpc_unknown_method"
                )
        except GrpcError as exc:
            self.app.inflated += exc.inflated
            response = self.error(exc)
        except Exception as exc:  # our failure, never the caller's input: that is a GrpcError
            response = self.error(
                GrpcError(Status.INTERNAL, f"internal error: {type(exc).__name__}", "internal")
            )
        return response

    def deadline(self, request: Request) -> float | None:
        """A Bid call's deadline: the earlier of its tmax (peeked off an uncompressed message;
        the default otherwise) and its ``grpc-timeout``, less the network allowance, as the
        pipeline will count it; None for the health check (never shed)."""
        if request.path != BID_METHOD:
            return None
        body = request.body
        tmax = peek_tmax_proto(body, 5) if body[:1] == b"\x00" else None
        config = self.app.deadline_config
        deadline = deadline_for(request.arrival, tmax, config)
        if request.grpc_timeout is not None:
            try:
                limit = request.arrival + parse_timeout(request.grpc_timeout)
            except GrpcError:
                return deadline  # handle() answers INVALID_ARGUMENT
            deadline = min(deadline, limit - config.network_allowance_ms / 1000.0)
        return deadline

    def release(self, response: Response) -> None:
        """Nothing to give back: gRPC answers are fresh bytes, not arena buffers."""

    def refuse(self, request: Request, reason: str) -> Response:
        """A call the transport will not hand on: UNAVAILABLE while draining (go elsewhere);
        a Bid call shed by admission control (counted by ``reason``) is a no-bid like any
        other, OK with nbr 15 (insufficient time) and the request's id peeked off the message,
        unless its own ``grpc-timeout`` has passed (DEADLINE_EXCEEDED: the caller has given
        up) or the message cannot be peeked (RESOURCE_EXHAUSTED)."""
        if self.app.draining:
            return self.error(GrpcError(Status.UNAVAILABLE, "draining", "grpc_draining"))
        if request.path != BID_METHOD:
            return self.error(GrpcError(Status.RESOURCE_EXHAUSTED, "overloaded", "shed"))
        SHED.inc(reason)
        if reason in DEADLINE_REASONS and request.grpc_timeout is not None:
            return self.error(GrpcError(Status.DEADLINE_EXCEEDED, "deadline exceeded", "shed"))
        body = request.body
        request_id = peek_id_proto(body, 5) if body[:1] == b"\x00" else None
        if request_id is None:
            return self.error(
                GrpcError(Status.RESOURCE_EXHAUSTED, f"overloaded ({reason})", "shed")
            )
        nobid = BidResponse(id=request_id, nbr=NBR_INSUFFICIENT_TIME)
        return self._ok(self._bidding.encode_response(nobid), request)

    def observe_lag(self, lag: float) -> None:
        """The bidder's shedder hears it."""
        self.app.observe_lag(lag)

    def start_drain(self) -> None:
        """The bidder drains: health checks answer NOT_SERVING."""
        self.app.start_drain()

    @property
    def draining(self) -> bool:
        """The bidder's drain state."""
        return self.app.draining

    def health(self) -> Health:
        """The bidder's health."""
        return self.app.health()

    # -- answers -------------------------------------------------------------------------------

    def error(self, exc: GrpcError) -> Response:
        """The trailers-only answer to a failed call, counted."""
        if exc.kind != "shed":
            ERRORS.inc(exc.kind)
        GRPC_RESPONSES.inc(exc.status.name)
        HTTP_RESPONSES.inc(200)
        return trailers_only(exc.status, exc.message)

    def _ok(self, message: bytes, request: Request) -> Response:
        """A call answered with one message, gzipped when it is large and the caller reads
        gzip, then ``grpc-status: 0``."""
        headers = _HEADERS
        compressed = False
        config = self.app.config
        if len(message) >= config.gzip_min_size and accepts_gzip(request.grpc_accept_encoding):
            message = gzip.compress(message, compresslevel=config.gzip_level, mtime=0)
            headers, compressed = _HEADERS_GZIP, True
        response = Response(
            200,
            frame(message, compressed=compressed),
            content_type=CT_GRPC,
            headers=headers,
            trailers=_OK_TRAILERS,
        )
        GRPC_RESPONSES.inc("OK")
        HTTP_RESPONSES.inc(200)
        return response

    # -- grpc.health.v1.Health/Check -----------------------------------------------------------

    def _health(self, request: Request) -> Response:
        service = health_service(read_unary(request.body, request.grpc_encoding, _HEALTH_LIMIT))
        if service not in HEALTH_SERVICES:
            raise GrpcError(
                Status.NOT_FOUND, f"unknown service {service!r}", "grpc_unknown_service"
            )
        serving = self.app.health().serving
        status = ServingStatus.SERVING if serving else ServingStatus.NOT_SERVING
        return self._ok(health_response(status), request)

    # -- /bidwire.v1.Bidder/Bid ----------------------------------------------------------------

    def _bid(self, request: Request) -> Response | Deferred:
        app = self.app
        reason = app.shedder.reason()
        if reason is not None:
            return self.refuse(request, reason)
        REQUESTS.inc("grpc")
        arrival = request.arrival or time.monotonic()
        # Checked before any decoding work: a malformed timeout is the caller's error.
        limit = None
        if request.grpc_timeout is not None:
            limit = arrival + parse_timeout(request.grpc_timeout)
        message = read_unary(request.body, request.grpc_encoding, self._limit, self._max_ratio)
        if request.body[0]:  # compressed: the bytes inflated are work the connection costs
            app.inflated += len(message)
        try:
            bid_request = self._bidding.decode_request(message)
        except DecodeError as exc:
            raise GrpcError(
                Status.INVALID_ARGUMENT, f"{exc.path}: {exc.reason}", "bad_request"
            ) from None
        problems = validate_request(bid_request)
        if problems:
            first = problems[0]
            raise GrpcError(
                Status.INVALID_ARGUMENT, f"{first.path}: {first.message}", "invalid_request"
            )
        config = app.deadline_config
        if limit is not None:
            # The caller's deadline, less the same network allowance as tmax's.
            limit -= config.network_allowance_ms / 1000.0
            arrival = arrival_for_deadline(arrival, bid_request.tmax, config, limit)
        if app.decide_async is not None:
            return self._deferred(request, bid_request, arrival,
                                  app.decide_async(bid_request, arrival))  # fmt: skip
        decision = app.decide(bid_request, arrival)
        if isinstance(decision, Later):
            return self._deferred(request, bid_request, arrival, _decided(decision))
        return self._answer(request, bid_request, decision)

    def _deferred(
        self,
        request: Request,
        bid_request: BidRequest,
        arrival: float,
        later: Awaitable[BidResponse | NoBid | None],
    ) -> Deferred:  # (a task per call: gRPC's lookups go the HTTP door's way only if it matters)
        async def answer() -> Response:
            try:
                decision = await later
                return self._answer(request, bid_request, decision)
            except GrpcError as exc:
                return self.error(exc)

        def on_timeout() -> None:
            count_nobid("deadline")
            GRPC_RESPONSES.inc("OK")
            HTTP_RESPONSES.inc(200)

        # The fallback is made now and counted only if it is sent (on_timeout).
        nobid = BidResponse(id=bid_request.id, nbr=NBR_INSUFFICIENT_TIME)
        message = frame(self._bidding.encode_response(nobid))
        fallback = Response(
            200, message, content_type=CT_GRPC, headers=_HEADERS, trailers=_OK_TRAILERS
        )
        deadline = deadline_for(arrival, bid_request.tmax, self.app.deadline_config)
        return Deferred(answer(), deadline, fallback, on_timeout, LATE.inc)

    def _answer(
        self, request: Request, bid_request: BidRequest, decision: BidResponse | NoBid | None
    ) -> Response:
        if decision is None:
            decision = NoBid("no_match")
        if not isinstance(decision, NoBid) and self.app.config.validate_responses:
            invalid = validate_response(decision, bid_request)
            if invalid:
                ERRORS.inc(f"invalid_bid_{invalid[0].code}")
                decision = NoBid("invalid_bid", 1)
        tap = self.app.tap
        if tap is not None:
            tap(request, bid_request, decision)
        if isinstance(decision, NoBid):
            count_nobid(decision.reason, decision.detail)
            decision = BidResponse(id=bid_request.id, nbr=decision.nbr)
        else:
            BIDS.inc()
        try:
            payload = self._bidding.encode_response(decision)
        except EncodeError as exc:
            raise GrpcError(Status.INTERNAL, f"encode failed: {exc}", "encode_failed") from None
        if request.arrival:
            REQUEST_SECONDS.observe(time.monotonic() - request.arrival)
        return self._ok(payload, request)


async def _decided(later: Later) -> BidResponse | NoBid:
    """The decision of ``later`` once its lookup has answered."""
    return later.finish(await later.found)


__all__ = ["BID_METHOD", "CT_GRPC", "HEALTH_CHECK", "GrpcFrontDoor", "is_grpc", "trailers_only"]
