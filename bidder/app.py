"""The bidder's front door: one :class:`~transport.events.Request` in, one Response out.

:class:`BidderApp` implements :class:`transport.app.App`: the transport calls it and nothing
else of the bidder.


It owns everything between the transport and the decision: routing (bid endpoint, health,
metrics), content types and codec choice, gzip in and out, size caps, the mapping of errors to
status codes, and metrics. Errors are answered in one place (:meth:`BidderApp._error`) with the
JSON body of :func:`transport.events.error_body`: ``{"error": "<what>", "path": "<JSON path>"}``.
"""

from __future__ import annotations

import asyncio
import gzip
import hmac
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Annotated, Any, Final, Literal

import msgspec

from openrtb import (
    BidRequest,
    BidResponse,
    DecodeError,
    EncodeError,
    JsonCodec,
    ProtoCodec,
    validate_request,
    validate_response,
)
from openrtb.peek import peek_id_json, peek_id_proto, peek_tmax_json, peek_tmax_proto
from openrtb.proto_fast import BiddingProto
from transport.app import Health
from transport.events import (
    CT_JSON,
    INFLATE_BYTES_PER_UNIT,
    Deferred,
    Request,
    Response,
    error_body,
)

from .arena import Arena, RequestContext
from .deadline import DeadlineConfig, deadline_for
from .grpc import GrpcFrontDoor, is_grpc
from .inflate import DEFAULT_MAX_RATIO, InflateError, gunzip
from .metrics import (
    BIDS,
    ERRORS,
    HTTP_RESPONSES,
    LATE,
    REGISTRY,
    REQUEST_SECONDS,
    REQUESTS,
    SHED,
    count_nobid,
)
from .notices import NoticeAnswer
from .pipeline import NBR_INSUFFICIENT_TIME, Later, NoBid
from .shedding import LoadShedder, SheddingConfig

#: The decision: a request and its arrival time in, a response or a no-bid out (or a
#: :class:`~bidder.pipeline.Later`: the decision once a lookup has answered).
Decide = Callable[[BidRequest, float], "BidResponse | NoBid | Later | None"]
#: Why no bid: the request and the decision in, the debug document out (``ext.debug``).
Explain = Callable[[BidRequest, "BidResponse | NoBid"], dict[str, Any]]
#: The notice endpoint: the notice kind and its URL-encoded parameters in, an answer out
#: (awaitable when the state store is shared).
NoticeEndpoint = Callable[[str, bytes], "NoticeAnswer | Coroutine[Any, Any, NoticeAnswer]"]
#: How long a notice may wait for a shared state store (seconds).
NOTICE_TIMEOUT: Final = 2.0
#: The same, for a pipeline with async stages.
DecideAsync = Callable[[BidRequest, float], Awaitable["BidResponse | NoBid | None"]]
#: Told of every decided bid request, after the decision and before the answer is encoded
#: (capture, shadow traffic): it must return at once and never raise.
Tap = Callable[[Request, BidRequest, "BidResponse | NoBid"], None]

CT_PROTO: Final = b"application/x-protobuf"
CT_TEXT: Final = b"text/plain; version=0.0.4; charset=utf-8"
_PROTO_TYPES: Final = frozenset(
    (b"application/x-protobuf", b"application/protobuf", b"application/octet-stream")
)
_JSON_TYPES: Final = frozenset((b"application/json", b""))
#: Media types that are their own parsed form (lower case, no parameters).
_PLAIN_TYPES: Final = _PROTO_TYPES | _JSON_TYPES | {b"gzip", b"identity"}
_IDENTITY: Final = frozenset((b"", b"identity"))
#: The Allow header of a 405, by error kind.
_ALLOW: Final = {
    "method_not_allowed_bid": b"POST",
    "method_not_allowed_notice": b"GET, HEAD, POST",
}


class AppConfig(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """What the front door can be told. Defaults are safe for production."""

    #: The bid endpoint's path.
    bid_path: Annotated[str, msgspec.Meta(pattern="^/", description="a path starting with /")] = (
        "/openrtb2/bid"
    )
    #: Largest request body accepted after gzip inflation, in bytes (larger: 413).
    max_inflated_body: Annotated[int, msgspec.Meta(ge=1)] = 2 * 1024 * 1024
    #: How many times its gzip a body may inflate to, checked past 4 KiB (larger: 413 at
    #: once, without inflating the rest: a gzip bomb). Bid requests compress 2-6x.
    max_gzip_ratio: Annotated[float, msgspec.Meta(ge=1)] = DEFAULT_MAX_RATIO
    #: Responses at least this long are gzipped when the caller accepts gzip.
    gzip_min_size: Annotated[int, msgspec.Meta(ge=0)] = 1024
    #: gzip level for responses: 1 is fast and gets most of the gain on JSON.
    gzip_level: Annotated[int, msgspec.Meta(ge=0, le=9)] = 1
    #: The OpenRTB version answered in ``x-openrtb-version``.
    openrtb_version: Annotated[str, msgspec.Meta(min_length=1)] = "2.6"
    #: Decode JSON strictly (no leniency).
    strict_json: bool = False
    #: A no-bid is "204" (no content) or "nbr" (200 with a BidResponse holding the reason code).
    nobid: Literal["204", "nbr"] = "204"
    #: Check every response against its request before sending it (a bid that fails is dropped
    #: and counted as ``invalid_bid_<code>``). Off by default: the pipeline's responses are
    #: valid by construction (tests/test_pipeline_properties.py checks every one it makes);
    #: turn it on for a custom pipeline or stage.
    validate_responses: bool = False
    #: Reuse pre-allocated request contexts (output buffers) instead of allocating per request.
    arena: bool = True
    #: Serve gRPC (``/bidwire.v1.Bidder/Bid``, the health check) on the same port:
    #: requests with ``content-type: application/grpc`` go to :mod:`bidder.grpc`.
    grpc: bool = True
    #: Why no bid (see bidder.explain): a JSON bid request whose ``x-bidwire-debug`` header is
    #: this token is answered 200 with ``ext.debug`` (the filter that removed each campaign,
    #: per impression), a no-bid included. None: no request is debugged by token.
    debug_token: Annotated[str, msgspec.Meta(min_length=8)] | None = None
    #: Also debug test traffic (``test`` = 1) that sends ``x-bidwire-debug: 1``.
    debug_test_traffic: bool = False
    shedding: SheddingConfig = msgspec.field(default_factory=SheddingConfig)


class _HttpError(Exception):
    def __init__(
        self, status: int, kind: str, message: str, path: str | None = None, inflated: int = 0
    ) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind
        self.message = message
        self.path = path
        self.inflated = inflated


def _media_type(value: bytes | None) -> bytes:
    if not value:
        return b""
    if value in _PLAIN_TYPES:  # what exchanges send, as they send it: no parsing
        return value
    return value.split(b";", 1)[0].strip().lower()


def _accepts_gzip(value: bytes | None) -> bool:
    if not value:
        return False
    for part in value.lower().split(b","):
        coding, _, params = part.strip().partition(b";")
        if coding.strip() in (b"gzip", b"*"):
            q = params.strip()
            return not (q.startswith(b"q=") and float(q[2:] or b"0") == 0.0)
    return False


#: What :class:`~bidder.inflate.InflateError` kinds answer: status and error kind.
_INFLATE_ERRORS: Final = {
    "bad_gzip": (400, "bad_gzip"),
    "too_large": (413, "body_too_large"),
    "ratio": (413, "gzip_ratio"),
}


def inflate_gzip(body: bytes, limit: int, max_ratio: float = DEFAULT_MAX_RATIO) -> bytes:
    """Inflate a gzip body under the size and ratio caps (bomb-safe): 400 for bad gzip, 413
    past either cap (the error carries the bytes inflated before it, as ``inflated``)."""
    try:
        return gunzip(body, limit, max_ratio)
    except InflateError as exc:
        status, kind = _INFLATE_ERRORS[exc.kind]
        raise _HttpError(status, kind, exc.message, inflated=exc.work) from None


class BidderApp:
    """Routes a request and answers it. One per worker; not thread-safe (one event loop)."""

    def __init__(
        self,
        decide: Decide,
        *,
        config: AppConfig | None = None,
        decide_async: DecideAsync | None = None,
        deadline: DeadlineConfig | None = None,
        notices: NoticeEndpoint | None = None,
        explain: Explain | None = None,
    ) -> None:
        self.config = config or AppConfig()
        #: Says why a decision was made, for debug requests (:meth:`_debugging`).
        self.explain = explain
        token = self.config.debug_token
        self._debug_token = token.encode() if token is not None else None
        #: Answers /notice/{win,bill,loss}: (kind, URL-encoded parameters) -> answer.
        self.notices = notices
        self.decide = decide
        #: Set when the pipeline has async stages: answers then come as :class:`Deferred`.
        self.decide_async = decide_async
        self.deadline_config = deadline or DeadlineConfig()
        #: Set while the server drains before exit (:meth:`start_drain`): /readyz answers 503.
        self.draining = False
        #: Says what runs degraded (a shared state store down, say), for /readyz; None: nothing.
        self.degraded: Callable[[], str | None] | None = None
        #: Told of each decision (both doors): :data:`Tap`; None: nobody listens.
        self.tap: Tap | None = None
        self._bid_path = self.config.bid_path.encode()
        self._json = JsonCodec(strict=self.config.strict_json)
        self._proto = ProtoCodec()
        #: Protobuf requests decode through the fast path: only the fields the bidder reads.
        self._proto_bidding = BiddingProto(self._proto)
        self._version_header = ((b"x-openrtb-version", self.config.openrtb_version.encode()),)
        #: A bid answer's headers: its body may be gzipped or not by accept-encoding, so caches
        #: must key it by that header too (RFC 9110 12.5.5).
        self._answer_headers = (*self._version_header, (b"vary", b"accept-encoding"))
        #: The answer to a shed request, made once (it is never changed: no arena context).
        self._shed_answer = Response(204, headers=self._version_header)
        self._nobid_204 = self.config.nobid == "204"
        self.shedder = LoadShedder(self.config.shedding)
        self.arena = Arena(self.config.shedding.arena_size) if self.config.arena else None
        #: The second front door, behind this one: gRPC calls, told apart by content type.
        self.grpc = GrpcFrontDoor(self) if self.config.grpc else None
        #: Bytes inflated for the request being handled (either door): reported back to the
        #: transport as the answer's ``cost``, so a client that sends gzip bombs pays for them.
        self.inflated = 0

    # -- routing -------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response | Deferred:
        """Answer one request. Never raises: every failure becomes a status code."""
        content_type = request.content_type
        if content_type is not None and self.grpc is not None and is_grpc(content_type):
            answer = self.grpc.handle(request)
            if self.inflated:
                self._report_inflated(answer)
            return answer
        path = request.path.split(b"?", 1)[0]
        response: Response | Deferred
        try:
            if path == self._bid_path:
                response = self._bid(request)
            elif path.startswith(b"/notice/") and self.notices is not None:
                response = self._notice(request, path[8:])
            elif path == b"/healthz":
                response = self._only_get(request) or Response(
                    200, b"ok\n", content_type=b"text/plain"
                )
            elif path == b"/readyz":
                response = self._only_get(request) or self._ready()
            elif path == b"/metrics":
                response = self._only_get(request) or Response(
                    200, REGISTRY.render(), content_type=CT_TEXT
                )
            else:
                raise _HttpError(404, "not_found", "no such path")
        except _HttpError as exc:
            self.inflated += exc.inflated
            response = self._error(exc)
        except Exception as exc:
            response = self._error(
                _HttpError(500, "internal", f"internal error: {type(exc).__name__}")
            )
        if isinstance(response, Response):
            HTTP_RESPONSES.inc(response.status)
        if self.inflated:
            self._report_inflated(response)
        return response

    def _report_inflated(self, answer: Response | Deferred) -> None:
        answer.cost = self.inflated // INFLATE_BYTES_PER_UNIT
        self.inflated = 0

    # -- the rest of transport.app.App ---------------------------------------------------------

    def release(self, response: Response) -> None:
        """The transport has copied ``response.body`` out: its arena context is free again."""
        ctx = response.context
        if ctx is not None and self.arena is not None:
            response.context = None
            self.arena.release(ctx)  # type: ignore[arg-type]

    def deadline(self, request: Request) -> float | None:
        """A bid request's deadline, as the pipeline will count it (tmax peeked off the body
        without decoding it: :mod:`openrtb.peek`; the default tmax when it is compressed or
        has none); None for everything else (health, metrics, notices: never shed)."""
        content_type = request.content_type
        if (
            content_type is not None
            and content_type != CT_JSON  # what most bid requests say: not gRPC, no call
            and self.grpc is not None
            and is_grpc(content_type)
        ):
            return self.grpc.deadline(request)
        path = request.path
        if request.method != b"POST" or (
            path != self._bid_path and path.split(b"?", 1)[0] != self._bid_path
        ):
            return None
        tmax = None
        encoding = request.content_encoding
        if encoding is None or _media_type(encoding) in _IDENTITY:
            if content_type is None or content_type == CT_JSON:
                tmax = peek_tmax_json(request.body)
            elif _media_type(content_type) in _PROTO_TYPES:
                tmax = peek_tmax_proto(request.body)
            else:
                tmax = peek_tmax_json(request.body)
        return deadline_for(request.arrival, tmax, self.deadline_config)

    def refuse(self, request: Request, reason: str) -> Response:
        """The transport will not hand this request on: a no-bid for a bid request (counted as
        shed, by ``reason``), 503 for anything else; a gRPC call gets a gRPC status."""
        content_type = request.content_type
        if (
            content_type is not None
            and content_type != CT_JSON
            and self.grpc is not None
            and is_grpc(content_type)
        ):
            return self.grpc.refuse(request, reason)
        path = request.path
        if path == self._bid_path or path.split(b"?", 1)[0] == self._bid_path:
            response = self._shed(reason, request)
        else:
            response = Response(503, error_body("overloaded"), content_type=CT_JSON)
        HTTP_RESPONSES.values[response.status] += 1  # (.inc, without the call)
        return response

    def observe_lag(self, lag: float) -> None:
        """One event-loop lag sample (seconds), for shedding at arrival."""
        self.shedder.observe_lag(lag)

    def start_drain(self) -> None:
        """The worker drains before exit: /readyz answers 503 from now on."""
        self.draining = True

    def health(self) -> Health:
        """Not serving while draining; serving, and what runs degraded, otherwise."""
        if self.draining:
            return Health(False, "draining")
        degraded = self.degraded() if self.degraded is not None else None
        return Health(True, degraded or "")

    def _notice(self, request: Request, kind: bytes) -> Response | Deferred:
        assert self.notices is not None
        if request.method in (b"GET", b"HEAD"):
            _, _, query = request.path.partition(b"?")
        elif request.method == b"POST":
            # Exchanges POST the same parameters, in the query or as a form body.
            _, _, query = request.path.partition(b"?")
            if _media_type(request.content_type) == b"application/x-www-form-urlencoded":
                query = query + b"&" + request.body if query else request.body
        else:
            raise _HttpError(405, "method_not_allowed_notice", "use GET or POST")
        answer = self.notices(kind.decode("latin-1"), query)
        head = request.method == b"HEAD"
        if isinstance(answer, NoticeAnswer):
            return self._notice_response(answer, head)

        async def later() -> Response:
            response = self._notice_response(await answer, head)
            HTTP_RESPONSES.inc(response.status)
            return response

        # The shared store did not answer in time: the exchange may retry, and the retry is
        # deduplicated whether or not the first attempt was counted.
        unavailable = Response(503, error_body("state store unavailable"), content_type=CT_JSON)
        return Deferred(later(), time.monotonic() + NOTICE_TIMEOUT, unavailable,
                        lambda: HTTP_RESPONSES.inc(503), lambda: None)  # fmt: skip

    @staticmethod
    def _notice_response(answer: NoticeAnswer, head: bool) -> Response:
        body = b"" if head else answer.body
        return Response(answer.status, body, content_type=answer.content_type if body else None)

    def _only_get(self, request: Request) -> Response | None:
        if request.method in (b"GET", b"HEAD"):
            return None
        raise _HttpError(405, "method_not_allowed", "use GET")

    def _ready(self) -> Response:
        health = self.health()
        if not health.serving:
            return Response(503, f"{health.detail}\n".encode(), content_type=b"text/plain")
        if health.detail:
            # Still ready: the bidder answers inside the deadline; this says with what.
            return Response(200, f"ready, degraded: {health.detail}\n".encode(),
                            content_type=b"text/plain")  # fmt: skip
        return Response(200, b"ready\n", content_type=b"text/plain")

    def _error(self, exc: _HttpError) -> Response:
        ERRORS.inc(exc.kind)
        headers: tuple[tuple[bytes, bytes], ...] = self._version_header
        if exc.status == 405:
            allow = _ALLOW.get(exc.kind, b"GET, HEAD")
            headers = (*headers, (b"allow", allow))
        return Response(
            exc.status, error_body(exc.message, exc.path), content_type=CT_JSON, headers=headers
        )

    # -- the bid endpoint ----------------------------------------------------------------------

    def _shed(self, reason: str, request: Request | None = None) -> Response:
        """A request not decided: 204, or with ``nobid = "nbr"`` 200 and a BidResponse with
        the request's id (peeked, not decoded; a gzip body inflated first) and nbr 15,
        insufficient time (a 204 when the id cannot be peeked)."""
        SHED.values[reason] += 1
        if self._nobid_204 or request is None:
            return self._shed_answer
        is_proto = _media_type(request.content_type) in _PROTO_TYPES
        body = request.body
        if request.content_encoding is not None:
            encoding = _media_type(request.content_encoding)
            if encoding == b"gzip":
                try:  # bounded as a decision's would be: the id is worth that much
                    body = gunzip(body, self.config.max_inflated_body, self.config.max_gzip_ratio)
                except InflateError:
                    return self._shed_answer
            elif encoding not in _IDENTITY:
                return self._shed_answer
        request_id = peek_id_proto(body) if is_proto else peek_id_json(body)
        if request_id is None:
            return self._shed_answer
        nobid = BidResponse(id=request_id, nbr=NBR_INSUFFICIENT_TIME)
        if is_proto:
            payload: bytes = self._proto_bidding.encode_response(nobid)
        else:
            payload = self._json.encode(nobid)
        content_type = CT_PROTO if is_proto else CT_JSON
        return Response(200, payload, content_type=content_type, headers=self._version_header)

    def _bid(self, request: Request) -> Response | Deferred:
        if request.method != b"POST":
            raise _HttpError(405, "method_not_allowed_bid", "use POST")
        # Shed at arrival, before any decoding work, when the answer would come too late.
        reason = self.shedder.reason()
        if reason is not None:
            return self._shed(reason)
        ctx: RequestContext | None = None
        if self.arena is not None:
            ctx = self.arena.acquire()
            if ctx is None:
                return self._shed("arena_exhausted")
        try:
            response = self._bid_in(request, ctx)
        except BaseException:
            if ctx is not None and self.arena is not None:
                self.arena.release(ctx)
            raise
        if isinstance(response, Deferred):
            if ctx is not None and self.arena is not None:
                self.arena.release(ctx)  # the deferred answer encodes into fresh bytes
            return response
        if ctx is not None and self.arena is not None:
            if response.body is ctx.out:
                response.context = ctx
            else:
                self.arena.release(ctx)
        return response

    def _bid_in(self, request: Request, ctx: RequestContext | None) -> Response | Deferred:
        media = _media_type(request.content_type)
        if media in _JSON_TYPES:
            is_proto = False
        elif media in _PROTO_TYPES:
            is_proto = True
        else:
            raise _HttpError(415, "unsupported_media_type", "content-type must be JSON or protobuf")
        REQUESTS.inc("proto" if is_proto else "json")
        body = request.body
        encoding = _media_type(request.content_encoding) if request.content_encoding else b""
        if encoding == b"gzip":
            body = inflate_gzip(body, self.config.max_inflated_body, self.config.max_gzip_ratio)
            self.inflated += len(body)
        elif encoding and encoding != b"identity":
            raise _HttpError(
                415, "unsupported_encoding", "content-encoding must be gzip or identity"
            )
        if not body:
            raise _HttpError(400, "empty_body", "empty body: POST a bid request")
        try:
            bid_request = (
                self._proto_bidding.decode_request(body)
                if is_proto
                else self._json.decode_request(body)
            )
        except DecodeError as exc:
            raise _HttpError(400, "bad_request", exc.reason, exc.path) from None
        problems = validate_request(bid_request)
        if problems:
            first = problems[0]
            raise _HttpError(400, "invalid_request", first.message, first.path)
        if request.debug is not None and self._debugging(request.debug, bid_request):
            return self._debug(request, bid_request)
        if self.decide_async is not None:
            arrival = request.arrival or time.monotonic()
            decide_async = self.decide_async(bid_request, arrival)

            async def answer() -> Response:
                return self._respond(request, bid_request, await decide_async, is_proto)

            return self._deferred(bid_request, arrival, answer())
        decision = self.decide(bid_request, request.arrival)
        if isinstance(decision, Later):
            arrival = request.arrival or time.monotonic()
            pending = self._later(request, bid_request, is_proto, decision)
            return self._deferred(bid_request, arrival, pending)
        return self._answer(request, bid_request, decision, is_proto, ctx)

    def _debugging(self, value: bytes, bid_request: BidRequest) -> bool:
        """Whether an ``x-bidwire-debug: value`` is honoured: the configured token, or ``1`` on
        test traffic when ``debug_test_traffic`` allows it. Anything else is ignored (the
        request is answered as usual)."""
        if self.explain is None:
            return False
        token = self._debug_token
        if token is not None and hmac.compare_digest(value.strip(), token):
            return True
        return self.config.debug_test_traffic and bool(bid_request.test) and value.strip() == b"1"

    def _debug(self, request: Request, bid_request: BidRequest) -> Response:
        """Decide as usual (without async stages), then say why, in JSON whatever the
        request's format: a 200 with ``ext.debug``, a no-bid as ``nbr`` (never a 204)."""
        assert self.explain is not None
        decision = self.decide(bid_request, request.arrival)
        if isinstance(decision, Later):
            decision = decision.finish([])  # (explained without the user's audiences)
        if decision is None:
            decision = NoBid("no_match")
        return self._answer(
            request, bid_request, decision, False, None, debug=self.explain(bid_request, decision)
        )

    def _respond(
        self,
        request: Request,
        bid_request: BidRequest,
        decision: BidResponse | NoBid | None,
        is_proto: bool,
    ) -> Response:
        """The answer to a decision made later (counted here: the transport sends it)."""
        try:
            response = self._answer(request, bid_request, decision, is_proto, None)
        except _HttpError as exc:
            response = self._error(exc)
        HTTP_RESPONSES.inc(response.status)
        return response

    def _later(
        self, request: Request, bid_request: BidRequest, is_proto: bool, later: Later
    ) -> asyncio.Future[Response]:
        """The answer once ``later``'s lookup has answered, made in its callback."""
        out: asyncio.Future[Response] = asyncio.get_running_loop().create_future()

        def found(lookup: asyncio.Future[list[str] | None]) -> None:
            try:
                decision = later.finish(lookup.result())
                out.set_result(self._respond(request, bid_request, decision, is_proto))
            except Exception as exc:  # the transport answers a failed one with its fallback
                out.set_exception(exc)

        later.found.add_done_callback(found)
        return out

    def _deferred(
        self,
        bid_request: BidRequest,
        arrival: float,
        answer: Coroutine[Any, Any, Response] | asyncio.Future[Response],
    ) -> Deferred:
        def on_timeout() -> None:
            count_nobid("deadline")
            HTTP_RESPONSES.inc(204)

        def on_late() -> None:
            LATE.inc()

        fallback = Response(204, headers=self._version_header)
        deadline = deadline_for(arrival, bid_request.tmax, self.deadline_config)
        return Deferred(answer, deadline, fallback, on_timeout, on_late)

    def _answer(
        self,
        request: Request,
        bid_request: BidRequest,
        decision: BidResponse | NoBid | None,
        is_proto: bool,
        ctx: RequestContext | None,
        debug: dict[str, Any] | None = None,
    ) -> Response:
        if decision is None:
            decision = NoBid("no_match")
        if not isinstance(decision, NoBid) and self.config.validate_responses:
            invalid = validate_response(decision, bid_request)
            if invalid:
                ERRORS.inc(f"invalid_bid_{invalid[0].code}")
                decision = NoBid("invalid_bid", 1)
        tap = self.tap
        if tap is not None:
            tap(request, bid_request, decision)
        if isinstance(decision, NoBid):
            count_nobid(decision.reason, decision.detail)
            if self.config.nobid == "204" and debug is None:
                self._observe(request)
                return Response(204, headers=self._version_header)
            decision = BidResponse(id=bid_request.id, nbr=decision.nbr)
        else:
            BIDS.inc()
        if debug is not None:
            ext = {**(decision.ext or {}), "debug": debug}
            decision = msgspec.structs.replace(decision, ext=ext)
        try:
            payload: bytes | bytearray
            if is_proto:
                payload = self._proto_bidding.encode_response(decision)
            elif ctx is not None:
                self._json.encode_into(decision, ctx.out)
                payload = ctx.out
            else:
                payload = self._json.encode(decision)
        except EncodeError as exc:
            raise _HttpError(500, "encode_failed", str(exc)) from None
        content_encoding = None
        if len(payload) >= self.config.gzip_min_size and _accepts_gzip(request.accept_encoding):
            payload = gzip.compress(payload, compresslevel=self.config.gzip_level, mtime=0)
            content_encoding = b"gzip"
        self._observe(request)
        return Response(
            200,
            payload,
            content_type=CT_PROTO if is_proto else CT_JSON,
            content_encoding=content_encoding,
            headers=self._answer_headers,
        )

    def _observe(self, request: Request) -> None:
        if request.arrival:
            REQUEST_SECONDS.observe(time.monotonic() - request.arrival)


__all__ = ["AppConfig", "BidderApp", "Decide", "Tap", "inflate_gzip"]
