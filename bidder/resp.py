"""RESP2, the Redis protocol, sans-IO: commands to bytes, bytes to replies.

The audience lookups (:mod:`bidder.redis_pipe`) speak it directly: a bid's lookup is one
command in a pipelined batch, and redis-py's asyncio pipeline costs about 140 µs of CPU per
round trip and 35 µs per command here (no hiredis), several times what a whole bid decision
costs. This module is the protocol alone; the connection that writes and reads is elsewhere.

Replies: a simple string is ``bytes``, an error a :class:`RespError` (a value, not raised: one
failed command in a pipeline does not fail its neighbours), an integer ``int``, a bulk string
``bytes`` (``None`` for the null bulk), an array a ``list`` (``None`` for the null array).
"""

from __future__ import annotations

from typing import Final, Union

#: A parsed reply.
Reply = Union[bytes, int, None, "RespError", list["Reply"]]

_CRLF: Final = b"\r\n"


class RespError:
    """An error reply (``-ERR ...``, ``-MOVED 3999 127.0.0.1:6381``...)."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message

    @property
    def kind(self) -> str:
        """The first word: ``ERR``, ``MOVED``, ``ASK``, ``NOSCRIPT``, ``CLUSTERDOWN``..."""
        return self.message.split(" ", 1)[0]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RespError) and other.message == self.message

    def __hash__(self) -> int:
        return hash(self.message)

    def __repr__(self) -> str:
        return f"RespError({self.message!r})"


class RespProtocolError(Exception):
    """Bytes that are not RESP2: the connection cannot be trusted any more."""


class _Incomplete(Exception):
    """The buffer ends inside a reply: wait for more bytes."""


def encode_command(*args: bytes | str | int) -> bytes:
    """One command as a RESP array of bulk strings."""
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        if isinstance(arg, str):
            arg = arg.encode()
        elif isinstance(arg, int):
            arg = b"%d" % arg
        out.append(b"$%d\r\n%s\r\n" % (len(arg), arg))
    return b"".join(out)


def _parse(buf: bytearray, pos: int) -> tuple[Reply, int]:
    end = buf.find(_CRLF, pos)
    if end < 0:
        raise _Incomplete
    kind = buf[pos]
    if kind == 0x24:  # $ bulk string
        n = int(buf[pos + 1 : end])
        if n < 0:
            return None, end + 2
        start = end + 2
        stop = start + n
        if stop + 2 > len(buf):
            raise _Incomplete
        if buf[stop : stop + 2] != _CRLF:
            raise RespProtocolError("bulk string not followed by CRLF")
        return bytes(buf[start:stop]), stop + 2
    if kind == 0x2A:  # * array
        n = int(buf[pos + 1 : end])
        if n < 0:
            return None, end + 2
        items: list[Reply] = []
        p = end + 2
        for _ in range(n):
            item, p = _parse(buf, p)
            items.append(item)
        return items, p
    if kind == 0x3A:  # : integer
        return int(buf[pos + 1 : end]), end + 2
    if kind == 0x2B:  # + simple string
        return bytes(buf[pos + 1 : end]), end + 2
    if kind == 0x2D:  # - error
        return RespError(buf[pos + 1 : end].decode("utf-8", "replace")), end + 2
    raise RespProtocolError(f"unknown reply type byte {kind:#04x}")


class RespParser:
    """Replies out of a byte stream cut anywhere: :meth:`feed` returns the complete ones."""

    __slots__ = ("_buf",)

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[Reply]:
        """Add ``data``; return every reply it completes, in order. Raises
        :class:`RespProtocolError` on bytes that are not RESP2."""
        buf = self._buf
        buf += data
        out: list[Reply] = []
        pos = 0
        size = len(buf)
        try:
            while pos < size:
                try:
                    value, pos = _parse(buf, pos)
                except _Incomplete:
                    break
                out.append(value)
        except ValueError as exc:  # a length or an integer that is not a number
            raise RespProtocolError(str(exc)) from None
        del buf[:pos]
        return out

    @property
    def buffered(self) -> int:
        """Bytes held of a reply not complete yet."""
        return len(self._buf)


__all__ = ["Reply", "RespError", "RespParser", "RespProtocolError", "encode_command"]
