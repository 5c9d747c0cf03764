"""What an HTTP/2 server answered to a frame sequence, and whether that was the right answer.

:class:`Reader` parses the server's bytes (frames, or an HTTP/1.x answer) into an
:class:`Outcome`; :func:`judge` holds it against the case's :class:`Expect`. Both the sans-IO
engine properties and ``bidwire fuzz --mode protocol`` use them, so the two agree on what
"right" means.

What is right (RFC 9113 5.4): an invalid sequence draws GOAWAY with the expected error code,
or RST_STREAM with it for a stream error (a connection error in its place is allowed), or at
least a closed connection (a GOAWAY is only a SHOULD). Wrong: another error code, silence (a
timeout), or answering as if nothing had happened. A valid sequence gets every request
answered, never with a 5xx, and no GOAWAY with an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import hpack
from h2.errors import ErrorCodes
from hyperframe.exceptions import HyperframeError
from hyperframe.frame import (
    ContinuationFrame,
    DataFrame,
    Frame,
    GoAwayFrame,
    HeadersFrame,
    RstStreamFrame,
)

#: "answer": every stream in ``streams`` answered; "goaway": a connection error with one of
#: ``codes``; "reset": a stream error (or connection error) with one of ``codes``; "close":
#: the connection ends; "any": anything but a 5xx (a random sequence may be valid or not).
Kind = Literal["answer", "goaway", "reset", "close", "any"]


@dataclass(frozen=True)
class Expect:
    """The answer a sequence is owed."""

    kind: Kind
    codes: frozenset[int] = frozenset()
    streams: tuple[int, ...] = ()

    def describe(self) -> str:
        """E.g. ``GOAWAY(PROTOCOL_ERROR)``, for reports."""
        names = "|".join(sorted(code_name(c) for c in self.codes))
        if self.kind == "goaway":
            return f"GOAWAY({names})"
        if self.kind == "reset":
            return f"RST_STREAM or GOAWAY({names})"
        if self.kind == "answer":
            return f"answers on streams {list(self.streams)}"
        return "connection closed" if self.kind == "close" else "no 5xx"


@dataclass(frozen=True)
class FrameCase:
    """Bytes to send on a fresh connection, named, and the answer they are owed."""

    name: str
    data: bytes
    expect: Expect


def code_name(code: int) -> str:
    """The name of an HTTP/2 error code (hex when it has none)."""
    try:
        return ErrorCodes(code).name
    except ValueError:
        return f"0x{code:x}"


@dataclass
class Outcome:
    """What the server sent back, so far."""

    #: The error code of the first GOAWAY (NO_ERROR ones are recorded only if no other came).
    goaway: int | None = None
    resets: dict[int, int] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    ended: set[int] = field(default_factory=set)
    #: The server closed (or reset) the connection.
    closed: bool = False
    #: We stopped waiting before the answer was complete.
    timed_out: bool = False
    #: The server answered in HTTP/1.x (a bad preface on a port that also serves HTTP/1.1).
    http1: bool = False
    #: The server sent bytes that are not HTTP/2 frames.
    garbage: bool = False

    def settled(self, expect: Expect) -> bool:
        """Whether the answer is complete enough to judge (no need to read further)."""
        if self.closed or self.garbage:
            return True
        if self.http1:  # an HTTP/1.x answer to a bad preface: wait for the close it owes
            return expect.kind != "close"
        if self.goaway is not None and (expect.kind != "answer" or self.goaway != 0):
            return True
        if expect.kind == "answer":
            return all(s in self.ended or s in self.resets for s in expect.streams)
        if expect.kind == "reset":
            return any(s in self.resets for s in expect.streams)
        return False

    def describe(self) -> str:
        """A one-line summary, for reports."""
        parts = []
        if self.goaway is not None:
            parts.append(f"GOAWAY({code_name(self.goaway)})")
        parts += [f"RST_STREAM({sid}, {code_name(code)})" for sid, code in self.resets.items()]
        parts += [f"{sid}:{status}" for sid, status in self.statuses.items()]
        for flag in ("http1", "garbage", "closed", "timed_out"):
            if getattr(self, flag):
                parts.append(flag.replace("_", " "))
        return ", ".join(parts) or "nothing"


class Reader:
    """Parses a server's bytes, fed as they come, into an :class:`Outcome`."""

    def __init__(self) -> None:
        self.outcome = Outcome()
        self._buffer = b""
        self._decoder = hpack.Decoder()
        self._block: tuple[int, bytearray, bool] | None = None  # stream, fragment, END_STREAM

    def feed(self, data: bytes) -> Outcome:
        """Take more bytes from the server."""
        out = self.outcome
        if out.http1 or out.garbage:
            return out
        buffer = self._buffer + data
        if buffer[:5] == b"HTTP/":
            out.http1 = True
            return out
        view = memoryview(buffer)
        pos = 0
        try:
            while len(buffer) - pos >= 9:
                frame, length = Frame.parse_frame_header(view[pos : pos + 9])
                if len(buffer) - pos - 9 < length:
                    break
                frame.parse_body(view[pos + 9 : pos + 9 + length])
                pos += 9 + length
                self._frame(frame)
        except (HyperframeError, hpack.HPACKError, ValueError):
            out.garbage = True
        self._buffer = buffer[pos:]
        return out

    def _frame(self, frame: Frame) -> None:
        out = self.outcome
        sid = frame.stream_id
        if isinstance(frame, GoAwayFrame):
            if out.goaway is None or out.goaway == 0:
                out.goaway = frame.error_code
        elif isinstance(frame, RstStreamFrame):
            out.resets.setdefault(sid, frame.error_code)
        elif isinstance(frame, HeadersFrame):
            self._block = (sid, bytearray(frame.data), "END_STREAM" in frame.flags)
            if "END_HEADERS" in frame.flags:
                self._headers_done()
        elif isinstance(frame, ContinuationFrame) and self._block is not None:
            self._block[1].extend(frame.data)
            if "END_HEADERS" in frame.flags:
                self._headers_done()
        elif isinstance(frame, DataFrame) and "END_STREAM" in frame.flags:
            out.ended.add(sid)

    def _headers_done(self) -> None:
        assert self._block is not None
        sid, block, end = self._block
        self._block = None
        for name, value in self._decoder.decode(bytes(block), raw=True):
            if name == b":status":
                self.outcome.statuses[sid] = int(value)
        if end:
            self.outcome.ended.add(sid)


def judge(expect: Expect, out: Outcome) -> str | None:
    """Why ``out`` is the wrong answer to a sequence owed ``expect``; None when it is right."""
    errors = [f"stream {sid}: {status}" for sid, status in out.statuses.items() if status >= 500]
    if errors:
        return "5xx answer: " + ", ".join(errors)
    if expect.kind == "any":
        return None
    if out.garbage:
        return "answered bytes that are not HTTP/2 frames"
    if expect.kind == "answer":
        if out.goaway not in (None, ErrorCodes.NO_ERROR):
            return f"GOAWAY({code_name(out.goaway)}) on a valid sequence"
        for sid in expect.streams:
            if sid in out.resets:
                return f"stream {sid} reset ({code_name(out.resets[sid])}) on a valid sequence"
            if sid not in out.ended:
                return f"stream {sid} not answered" + (" (timeout)" if out.timed_out else "")
        return None
    if expect.kind == "close":
        return None if out.closed or out.goaway is not None else "connection left open"
    if out.goaway is not None and out.goaway != ErrorCodes.NO_ERROR:
        if out.goaway in expect.codes:
            return None
        return f"GOAWAY({code_name(out.goaway)}), expected {expect.describe()}"
    if expect.kind == "reset":
        for sid in expect.streams:
            if sid in out.resets:
                code = out.resets[sid]
                if code in expect.codes:
                    return None
                return f"RST_STREAM({sid}, {code_name(code)}), expected {expect.describe()}"
    if out.closed:
        return None  # closing without GOAWAY is allowed (RFC 9113 5.4.1 says SHOULD send one)
    return f"no error for an invalid sequence, expected {expect.describe()}" + (
        " (timeout)" if out.timed_out else ""
    )


__all__ = ["Expect", "FrameCase", "Kind", "Outcome", "Reader", "code_name", "judge"]
