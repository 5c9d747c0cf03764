"""The raw engine's send side: responses to frames, pre-encoded header blocks, DATA under the
peer's windows, trailers, and the connection frames of the lifecycle (GOAWAY, the drain's PING).

A response's header block (status and fields, without content-length) is encoded once per
distinct answer shape and kept; content-length is appended per answer. Answers with trailers
(gRPC's) take their own path, off the bidder's: the header block without END_STREAM, the body,
then the trailers' HEADERS with END_STREAM; or, trailers-only, one HEADERS that ends the stream.
"""

from __future__ import annotations

from typing import Final

from .. import h2_wire as F
from ..cost import ERROR
from ..events import NO_CONTENT_LENGTH, Response, response_fields
from ..h2_base import SMALL_ROOM
from ..h2_lifecycle import DRAIN_PING
from ..hpack_codec import CONTENT_LENGTH_PREFIX, TABLE_SIZE_ZERO, literal, status_field
from ..limits import Limits
from .stream import SEND_HEADERS, STEP, Stream
from .streams import Streams

_PACK_HEAD: Final = F.HEAD.pack
_HEADERS: Final = F.HEADERS
_END_HEADERS: Final = F.END_HEADERS
_END_HEADERS_STREAM: Final = F.END_HEADERS | F.END_STREAM

#: Distinct response header blocks kept per connection.
RESPONSE_BLOCKS: Final = 64


class Writer(Streams):
    """Responses out (a layer of the raw engine)."""

    def __init__(self, limits: Limits, now: float) -> None:
        super().__init__(limits, now)
        self._blocks: dict[tuple[object, ...], bytes] = {}
        #: The same for answers with trailers: head blocks, and trailer blocks by their fields.
        self._trailer_blocks: dict[tuple[object, ...], bytes] = {}
        #: The last answer's shape and block: (status, headers, content type, encoding, block).
        self._last: tuple[int, object, object, object, bytes] = (0, None, None, None, b"")
        #: The client changed SETTINGS_HEADER_TABLE_SIZE: our next block says size 0 first.
        self._table_update = False
        # The peer's flow control and frame size (changed by its SETTINGS and WINDOW_UPDATEs).
        self._send_window = F.DEFAULT_WINDOW
        self._peer_initial = F.DEFAULT_WINDOW
        self._peer_max_frame = F.DEFAULT_MAX_FRAME

    def send_response(self, stream_id: int, response: Response) -> None:
        """Queue the answer to a request this engine returned."""
        status = response.status
        if status >= 400:  # H2Base._charge_answer, inline: every answer passes here
            self._cost.tokens -= ERROR
            earns = False
        else:
            earns = True
        stream = self._streams.get(stream_id)
        if stream is None or (stream.state | SEND_HEADERS) not in STEP:
            return  # the client reset the stream while we decided, or it is answered already
        stream.earns = earns
        if response.trailers:
            self._send_with_trailers(stream_id, stream, response)
            return
        body = response.body
        # The last shape answered is compared by identity first (its fields are immutable and
        # held here, so the same objects mean the same block): answers come in runs of one
        # shape (no-bids, shed no-bids, bids), and the dict's key is a tuple hashed anew.
        last = self._last
        headers = response.headers
        content_type = response.content_type
        content_encoding = response.content_encoding
        if (
            headers is last[1]
            and status == last[0]
            and content_type is last[2]
            and content_encoding is last[3]
        ):
            block = last[4]
        else:
            found = self._blocks.get((status, content_type, content_encoding, headers))
            block = found if found is not None else self._block_for(response)
            self._last = (status, headers, content_type, content_encoding, block)
        if status not in NO_CONTENT_LENGTH:
            digits = b"%d" % len(body)
            block = block + CONTENT_LENGTH_PREFIX + bytes((len(digits),)) + digits
        if self._table_update:
            self._table_update = False
            block = TABLE_SIZE_ZERO + block
        out = self._out
        done = not body or stream.head
        flags = _END_HEADERS_STREAM if done else _END_HEADERS
        size = len(block)
        if size <= self._peer_max_frame:
            out.append(_PACK_HEAD(size >> 16, size & 0xFFFF, _HEADERS, flags, stream_id))
            out.append(block)
        else:
            self._split_block(stream_id, block, flags)
        if done:
            self._local_end(stream_id, stream)
            return
        # Copied now: the caller may reuse the body's buffer (the arena) once we return.
        stream.body = bytes(body)
        stream.sent = 0
        self._pump(stream_id, stream)

    def _block_for(self, response: Response) -> bytes:
        parts = [status_field(response.status)]
        parts += [literal(name, value) for name, value in response_fields(response, length=False)]
        block = b"".join(parts)
        if len(self._blocks) < RESPONSE_BLOCKS:
            key = (response.status, response.content_type, response.content_encoding,
                   response.headers)  # fmt: skip
            self._blocks[key] = block
        return block

    def _send_with_trailers(self, sid: int, stream: Stream, response: Response) -> None:
        # Encoded once per distinct shape, as the bidder's answers are (every gRPC call has
        # the same head and the same OK trailers; an error's trailers-only block its message).
        only = response.trailers_only
        trailers = response.trailers
        key = (response.status, response.content_type, response.content_encoding,
               response.headers, trailers if only else None)  # fmt: skip
        blocks = self._trailer_blocks
        block = blocks.get(key)
        if block is None:
            fields = response_fields(response, length=False)  # with the trailers if only
            block = status_field(response.status) + b"".join(literal(n, v) for n, v in fields)
            if len(blocks) < RESPONSE_BLOCKS:
                blocks[key] = block
        if response.status not in NO_CONTENT_LENGTH:
            digits = b"%d" % len(response.body)
            block = block + CONTENT_LENGTH_PREFIX + bytes((len(digits),)) + digits
        if only:
            self._send_block(sid, block, F.END_STREAM)
            self._local_end(sid, stream)
            return
        self._send_block(sid, block, 0)
        encoded = blocks.get(trailers)
        if encoded is None:
            encoded = b"".join(literal(name, value) for name, value in trailers)
            if len(blocks) < RESPONSE_BLOCKS:
                blocks[trailers] = encoded
        stream.trailers = encoded
        body = response.body
        if body and not stream.head:
            stream.body = bytes(body)
            stream.sent = 0
            self._pump(sid, stream)  # the trailers follow its last DATA
        else:
            self._send_trailers(sid, stream)

    def _send_trailers(self, sid: int, stream: Stream) -> None:
        block = stream.trailers
        stream.trailers = b""
        self._send_block(sid, block, F.END_STREAM)
        self._local_end(sid, stream)

    def _send_block(self, sid: int, block: bytes, end_stream: int) -> None:
        """A header block in HEADERS (and CONTINUATIONs when it is larger than a frame)."""
        if self._table_update:
            self._table_update = False
            block = TABLE_SIZE_ZERO + block
        flags = F.END_HEADERS | end_stream
        if len(block) <= self._peer_max_frame:
            self._out.append(F.frame(F.HEADERS, flags, sid, block))
        else:
            self._split_block(sid, block, flags)

    def _split_block(self, stream_id: int, block: bytes, flags: int) -> None:
        limit = self._peer_max_frame
        pieces = [block[i : i + limit] for i in range(0, len(block), limit)]
        first = flags & ~F.END_HEADERS
        self._out.append(F.frame(F.HEADERS, first, stream_id, pieces[0]))
        for i, piece in enumerate(pieces[1:], 2):
            last = F.END_HEADERS if i == len(pieces) else 0
            self._out.append(F.frame(F.CONTINUATION, last, stream_id, piece))

    def _can_answer(self, sid: int, stream: Stream) -> bool:
        # A whole answer's worth of window both ways, the usual case, without the two calls.
        if stream.send_window >= SMALL_ROOM and self._send_window >= SMALL_ROOM:
            return True
        return super()._can_answer(sid, stream)

    def _send_room(self, sid: int, stream: Stream) -> int:
        window = stream.send_window
        return window if window < self._send_window else self._send_window

    def _pump_all(self) -> None:
        for sid, stream in list(self._streams.items()):
            if stream.body:
                self._pump(sid, stream)

    def _pump(self, sid: int, stream: Stream) -> None:
        """Send as much of a pending body as flow control allows."""
        body = stream.body
        sent = stream.sent
        total = len(body)
        out = self._out
        last = 0 if stream.trailers else F.END_STREAM  # trailers end the stream instead
        while sent < total:
            size = min(stream.send_window, self._send_window, self._peer_max_frame, total - sent)
            if size <= 0:
                stream.sent = sent
                if not stream.waiting:
                    stream.waiting = True
                    self._waiting += 1
                return
            sent += size
            stream.send_window -= size
            self._send_window -= size
            out.append(F.head(size, F.DATA, last if sent >= total else 0, sid))
            out.append(body[sent - size : sent] if size < total else body)  # type: ignore[arg-type]
        stream.body = b""
        if stream.waiting:
            stream.waiting = False
            self._waiting -= 1
        if stream.trailers:
            self._send_trailers(sid, stream)
            return
        self._local_end(sid, stream)

    @property
    def _answers_waiting(self) -> int:
        return self._waiting

    def data_to_send(self) -> bytes:
        """Every byte queued for the client, in order. Write it all with one ``write``."""
        out = self._out
        if not out:
            return b""
        data = b"".join(out)
        out.clear()
        return data

    # -- the lifecycle's frames ----------------------------------------------------------------

    def _send_drain_ping(self) -> None:
        self._out.append(F.frame(F.PING, 0, 0, DRAIN_PING))

    def _goaway(self, code: int, last_stream_id: int) -> None:
        self._out.append(F.goaway(last_stream_id, code))


__all__ = ["RESPONSE_BLOCKS", "Writer"]
