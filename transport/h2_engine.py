"""The HTTP/2 engine on ``h2``: sans-IO, bytes in, complete requests out, responses to bytes.

    engine = H2Engine(limits, now)
    for stream_id, request in engine.receive_data(data, now):
        engine.send_response(stream_id, app.handle(request))
    transport.write(engine.data_to_send())      # once per batch

What it adds to h2: request assembly (headers + body into one :class:`transport.events.Request`),
body and header-list caps, flow-controlled sending of large responses, flood limits (via
:class:`~transport.frame_guard.FrameGuard`), stream timeouts, and the two-step graceful GOAWAY
(h2 itself can only send a final GOAWAY, after which it rejects the frames of in-flight
streams, so the first GOAWAY and the final one are written here).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings

from . import h2_wire as W
from .cost import HEADER_FREE, RESET
from .events import Fields, Request, Response, response_fields
from .h2_base import H2Base, RequestStream
from .h2_lifecycle import DRAIN_PING
from .header_rules import request_from_headers
from .limits import Limits
from .metrics import PROTOCOL_ERRORS, STREAMS_OPEN
from .metrics import ProtocolErrorKind as K

_CONFIG: Final = h2.config.H2Configuration(
    client_side=False,
    header_encoding=None,
    # Inbound validation stays on: it is what rejects malformed requests (pseudo-headers,
    # connection-specific headers, upper-case names) as RFC 9113 8.2 requires.
    validate_inbound_headers=True,
    normalize_inbound_headers=False,
    # Our response headers are built here, from constants and ints: nothing to validate.
    validate_outbound_headers=False,
    normalize_outbound_headers=False,
)

_E = h2.exceptions
#: h2's exceptions as our protocol-error kinds (the raw engine raises the same kinds itself).
_H2_ERRORS: Final[dict[type[Exception], K]] = {
    _E.FrameTooLargeError: K.H2_FRAME_TOO_LARGE,
    _E.FrameDataMissingError: K.H2_FRAME_DATA_MISSING,
    _E.FlowControlError: K.H2_FLOW_CONTROL,
    _E.InvalidBodyLengthError: K.H2_INVALID_BODY_LENGTH,
    _E.DenialOfServiceError: K.H2_HEADER_LIST_TOO_LARGE,
    _E.TooManyStreamsError: K.H2_TOO_MANY_STREAMS,
    _E.StreamIDTooLowError: K.H2_STREAM_ID_TOO_LOW,
    _E.StreamClosedError: K.H2_STREAM_CLOSED,
    _E.InvalidSettingsValueError: K.H2_INVALID_SETTINGS_VALUE,
}

_RequestReceived = h2.events.RequestReceived
_DataReceived = h2.events.DataReceived
_StreamEnded = h2.events.StreamEnded
_TrailersReceived = h2.events.TrailersReceived
_StreamReset = h2.events.StreamReset
_WindowUpdated = h2.events.WindowUpdated
_ConnectionTerminated = h2.events.ConnectionTerminated
_PingAckReceived = h2.events.PingAckReceived
_RemoteSettingsChanged = h2.events.RemoteSettingsChanged


#: Reads larger than this go to h2 in pieces of this size (see ``receive_data``).
READ_PIECE: Final = 4096


def _resets_in(data: bytes | bytearray) -> list[int]:
    """The error codes of the RST_STREAM frames a run of whole frames holds (h2 writes the
    resets of its own stream errors without telling us: they are read off its output)."""
    codes = []
    pos = 0
    end = len(data)
    while pos + 9 <= end:
        size = int.from_bytes(data[pos : pos + 3], "big")
        if data[pos + 3] == W.RST_STREAM and size == 4:
            codes.append(int.from_bytes(data[pos + 9 : pos + 13], "big"))
        pos += 9 + size
    return codes


def _list_size(headers: Iterable[tuple[bytes, bytes]]) -> int:
    """A decoded header list's size as RFC 7541 4.1 counts it (as the raw engine's decoder)."""
    return sum(len(name) + len(value) + 32 for name, value in headers)


def _length(value: bytes, previous: int) -> int:
    # h2 has validated it already (digits, and several fields agreeing).
    try:
        return int(value)
    except ValueError:  # pragma: no cover - h2 validates content-length
        return -1


class H2Engine(H2Base[RequestStream]):
    """One HTTP/2 server connection, without I/O."""

    #: h2's header validation walks every byte of every value in Python (about 50 ns a byte):
    #: a 16 KB header list costs it about 0.8 ms, 16 times the raw engine (transport/cost.py).
    #: The one place the engines' ledgers differ; honest lists are under HEADER_FREE, free.
    _header_unit = 64

    def __init__(self, limits: Limits, now: float) -> None:
        super().__init__(limits, now)
        conn = h2.connection.H2Connection(config=_CONFIG)
        # Settings in force from the first frame (h2 applies initial values at once; the client
        # assumes the protocol defaults until it reads our SETTINGS, which are all larger).
        codes = h2.settings.SettingCodes
        initial = {
            codes.MAX_CONCURRENT_STREAMS: limits.max_concurrent_streams,
            codes.MAX_HEADER_LIST_SIZE: limits.max_header_list_size,
            codes.INITIAL_WINDOW_SIZE: limits.stream_window,
        }
        conn.local_settings = h2.settings.Settings(client=False, initial_values=initial)
        conn.decoder.max_header_list_size = limits.max_header_list_size
        conn.initiate_connection()
        # The SETTINGS just queued advertise max_concurrent_streams. h2 would enforce it as a
        # connection error, raised before the header block is decoded; RFC 9113 5.1.2 makes it
        # a stream error, and a client may open streams before it has read our SETTINGS. So h2
        # only gets a ceiling, and _on_headers refuses streams past the limit (REFUSED_STREAM).
        initial[codes.MAX_CONCURRENT_STREAMS] = limits.max_concurrent_streams + max(
            limits.max_concurrent_streams, 100
        )
        conn.local_settings = h2.settings.Settings(client=False, initial_values=initial)
        conn.increment_flow_control_window(limits.connection_window - 65535)
        self._conn = conn
        self._streams: dict[int, RequestStream] = {}
        # stream -> (body, bytes sent, trailers to send after it, whether it earns credit)
        self._pending: dict[int, tuple[bytes | bytearray, int, Fields, bool]] = {}
        # Answered with 413 while the body still comes: stream -> (when it started, bytes
        # dropped since). Such a stream is half-closed (local) and still counts as held.
        self._discarding: dict[int, tuple[float, int]] = {}
        self._out = bytearray()

    # -- input ---------------------------------------------------------------------------------

    def receive_data(self, data: bytes, now: float) -> list[tuple[int, Request]]:
        """Process bytes from the client; the requests that are now complete."""
        if not self._admit(data, now):
            return []
        highest = self._highest
        ready: list[tuple[int, Request]] = []
        # A large read goes to h2 in pieces, with the cost ledger's verdict between them: h2
        # cannot stop inside a read, and a read of 64 KB can hold thousands of frames that
        # each make us reset a stream (the raw engine checks after every frame).
        for start in range(0, len(data), READ_PIECE):
            piece = data if len(data) <= READ_PIECE else data[start : start + READ_PIECE]
            try:
                events = self._conn.receive_data(piece)
            except h2.exceptions.ProtocolError as exc:
                # h2 has queued GOAWAY with the right code; count it by kind.
                self._fail(_H2_ERRORS.get(type(exc), K.H2_PROTOCOL))
                return []
            self._on_events(events, now, ready)
            if self.closed:
                break
            self._charge_resets()
            if (self._errors_over or self._cost.tokens < 0.0) and self._over_budget(now):
                return []
        return self._after_read(now, highest, ready)

    def _on_events(
        self, events: list[h2.events.Event], now: float, ready: list[tuple[int, Request]]
    ) -> None:
        for event in events:
            kind = type(event)
            if kind is _DataReceived:
                self._on_data(event, ready)  # type: ignore[arg-type]
            elif kind is _RequestReceived:
                self._on_headers(event, now, ready)  # type: ignore[arg-type]
            elif kind is _StreamEnded:
                if self._discarding.pop(event.stream_id, None) is None:  # type: ignore[attr-defined]
                    self._on_end(event.stream_id, ready)  # type: ignore[attr-defined]
            elif kind is _TrailersReceived:
                self._on_trailers(event)  # type: ignore[arg-type]
            elif kind is _StreamReset:
                self._discarding.pop(event.stream_id, None)  # type: ignore[attr-defined]
                self._forget(event.stream_id)  # type: ignore[attr-defined]
                PROTOCOL_ERRORS.inc(K.H2_CLIENT_RESET)
            elif kind is _WindowUpdated:
                self._on_window(event.stream_id)  # type: ignore[attr-defined]
            elif kind is _RemoteSettingsChanged:
                self._on_window(0)
            elif kind is _PingAckReceived:
                self._ping_acked(event.ping_data, now)  # type: ignore[attr-defined]
            elif kind is _ConnectionTerminated:
                self.closed = True

    def _charge_resets(self) -> None:
        """Our RST_STREAMs since the last call (h2's and ours), charged to the ledger."""
        out = self._conn.data_to_send()
        if out:
            self._out += out
            for code in _resets_in(out):
                self._cost.tokens -= RESET
                self._sent_reset(code)

    def _on_headers(
        self, event: h2.events.RequestReceived, now: float, ready: list[tuple[int, Request]]
    ) -> None:
        sid = event.stream_id
        self._highest = max(self._highest, sid)
        headers = event.headers or ()
        size = _list_size(headers)
        if size > HEADER_FREE:
            self._charge_header_list(size)
        if self._refuses_after_drain(sid):
            PROTOCOL_ERRORS.inc(K.H2_REFUSED_AFTER_GOAWAY)
            self._conn.reset_stream(sid, W.REFUSED_STREAM)
            return
        held = len(self._streams)
        if self._discarding:
            held += sum(1 for other in self._discarding if other not in self._streams)
        if held >= self.limits.max_concurrent_streams:
            # Every stream held counts until both sides are done: half-closed (local) ones
            # too (a 413 sent while the body has not ended), or they could pile up unbounded.
            PROTOCOL_ERRORS.inc(K.H2_REFUSED_STREAM)
            self._conn.reset_stream(sid, W.REFUSED_STREAM)
            return
        request, content_length = request_from_headers(headers, now, _length)
        if request.content_encoding is not None:
            self._charge_encoded()
        stream = RequestStream(request, now, content_length)
        self._streams[sid] = stream
        STREAMS_OPEN.value += 1
        if content_length > self.limits.max_body_size:
            self._reject_too_large(sid, stream)

    def _on_data(self, event: h2.events.DataReceived, ready: list[tuple[int, Request]]) -> None:
        sid = event.stream_id
        if event.flow_controlled_length:
            self._conn.acknowledge_received_data(event.flow_controlled_length, sid)
        discarding = self._discarding.get(sid)
        if discarding is not None:
            started, discarded = discarding
            discarded += event.flow_controlled_length
            self._discarding[sid] = (started, discarded)
            if self._past_discard_cap(discarded):
                del self._discarding[sid]
                try:
                    self._conn.reset_stream(sid, W.CANCEL)
                except h2.exceptions.StreamClosedError:  # pragma: no cover
                    pass
            return
        stream = self._streams.get(sid)
        if stream is None or stream.rejected:
            return
        self._take_body(sid, stream, event.data or b"")

    def _on_trailers(self, event: h2.events.TrailersReceived) -> None:
        # h2 has checked them (no pseudo-headers, END_STREAM); StreamEnded follows.
        stream = self._streams.get(event.stream_id or 0)
        headers = tuple(event.headers or ())
        size = _list_size(headers)
        if size > HEADER_FREE:
            self._charge_header_list(size)
        if stream is not None:
            stream.request.trailers = headers

    def _on_end(self, sid: int, ready: list[tuple[int, Request]]) -> None:
        stream = self._streams.get(sid)
        if stream is None or stream.rejected:
            return
        self._complete(sid, stream, ready)

    def _start_discarding(self, sid: int, stream: RequestStream) -> None:
        self._discarding[sid] = (stream.started, 0)

    def _reset_stream(self, sid: int, stream: RequestStream, code: int) -> None:
        try:
            self._conn.reset_stream(sid, code)
        except h2.exceptions.StreamClosedError:  # pragma: no cover
            pass
        self._forget(sid)

    def _forget(self, sid: int) -> None:
        self._discarding.pop(sid, None)
        if self._streams.pop(sid, None) is not None:
            STREAMS_OPEN.value -= 1
        self._pending.pop(sid, None)
        self._maybe_finished()

    # -- output --------------------------------------------------------------------------------

    def send_response(self, stream_id: int, response: Response) -> None:
        """Queue the answer to a request this engine returned."""
        conn = self._conn
        body = response.body
        earns = self._charge_answer(response.status)
        stream = self._streams.get(stream_id)
        head_only = stream is not None and stream.request.method == b"HEAD"
        headers = [(b":status", b"%d" % response.status), *response_fields(response)]
        # Trailers-only: the trailers are in `headers` (response_fields), and end the stream.
        trailers = () if response.trailers_only else response.trailers
        try:
            if not body or head_only or response.trailers_only:
                conn.send_headers(stream_id, headers, end_stream=not trailers)
                if trailers:
                    conn.send_headers(stream_id, list(trailers), end_stream=True)
                self._stream_done(stream_id, earns)
                return
            conn.send_headers(stream_id, headers)
        except (h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError):
            # The client reset the stream while we decided: nothing to send.
            self._stream_done(stream_id)
            return
        self._pending[stream_id] = (body, 0, trailers, earns)
        self._pump(stream_id)

    def _pump(self, stream_id: int) -> None:
        """Send as much of a pending body as flow control allows."""
        body, sent, trailers, earns = self._pending[stream_id]
        conn = self._conn
        delivered = False
        try:
            while sent < len(body):
                window = min(
                    conn.local_flow_control_window(stream_id), conn.max_outbound_frame_size
                )
                if window <= 0:
                    # Waiting on WINDOW_UPDATE: keep a copy, the caller's buffer may be reused.
                    self._pending[stream_id] = (bytes(body), sent, trailers, earns)
                    return
                # h2 takes bytes; a slice of the arena's bytearray is copied here, once.
                chunk = bytes(body[sent : sent + window])
                sent += len(chunk)
                conn.send_data(stream_id, chunk, end_stream=sent >= len(body) and not trailers)
            if trailers:
                conn.send_headers(stream_id, list(trailers), end_stream=True)
            delivered = earns
        except (h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError):
            pass
        del self._pending[stream_id]
        self._stream_done(stream_id, delivered)

    def _on_window(self, stream_id: int) -> None:
        targets = list(self._pending) if stream_id == 0 else [stream_id]
        for sid in targets:
            if sid in self._pending:
                self._pump(sid)

    def _stream_done(self, stream_id: int, earns: bool = False) -> None:
        """The answer is over: delivered whole (credited when ``earns``), or dropped."""
        if earns:
            self._cost.earn()
        if self._streams.pop(stream_id, None) is not None:
            STREAMS_OPEN.value -= 1
        self._maybe_finished()

    def data_to_send(self) -> bytes:
        """Every byte queued for the client, in order. Write it all with one ``write``."""
        data = self._conn.data_to_send()
        if self._out:
            data = bytes(self._out) + data
            self._out.clear()
        return data

    # -- lifecycle -----------------------------------------------------------------------------

    def advertise_streams(self, limit: int) -> None:
        """Not on this engine: h2 would make streams past a lowered SETTINGS value connection
        errors, where the raw engine leaves them to admission control."""

    @property
    def open_streams(self) -> int:
        """Requests received and not yet fully answered."""
        # A stream whose answer waits on flow control is in both dicts: count it once.
        return len(self._streams.keys() | self._pending.keys())

    def stream_state(self, stream_id: int) -> str:
        """The RFC 9113 state of a stream as h2 holds it: idle, open, half_closed_remote,
        half_closed_local or closed (for tests, and the differential test of the raw engine)."""
        stream = self._conn.streams.get(stream_id)
        if stream is not None:
            return stream.state_machine.state.name.lower()
        return "closed" if stream_id <= self._conn.highest_inbound_stream_id else "idle"

    @property
    def _busy(self) -> bool:
        return bool(self._streams or self._pending)

    def _awaits_window(self, sid: int, stream: RequestStream) -> bool:
        return sid in self._pending or sid in self._held

    @property
    def _answers_waiting(self) -> int:
        return len(self._pending)

    def _send_room(self, sid: int, stream: RequestStream) -> int:
        try:
            return self._conn.local_flow_control_window(sid)
        except (KeyError, h2.exceptions.StreamClosedError):
            # h2 has closed it within this read (a reset follows among the events): not
            # held; the close of the read drops it.
            return 1

    def _expire_stalled(self, now: float) -> None:
        super()._expire_stalled(now)
        # Half-closed (local) streams (a 413 sent, the body never ends) are not in _streams.
        timeout = self.limits.body_timeout
        for sid, (started, _) in list(self._discarding.items()):
            if sid not in self._streams and now - started > timeout:
                PROTOCOL_ERRORS.inc(K.H2_STREAM_TIMEOUT)
                del self._discarding[sid]
                try:
                    self._conn.reset_stream(sid, W.CANCEL)
                except h2.exceptions.StreamClosedError:  # pragma: no cover
                    pass
        self._charge_resets()

    def _send_drain_ping(self) -> None:
        self._conn.ping(DRAIN_PING)

    def _goaway(self, code: int, last_stream_id: int) -> None:
        # Written by hand so that h2 keeps serving in-flight streams (see module docstring).
        self._out += self._conn.data_to_send()
        self._out += W.goaway(last_stream_id, code)

    def _close_connection(self, code: int) -> None:
        self._conn.close_connection(error_code=code, last_stream_id=self._highest)


__all__ = ["H2Engine"]
