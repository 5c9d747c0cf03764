"""Enough of an asyncio transport to drive :class:`transport.connection.Connection` without a
socket: what the connection writes, whether it paused reading, half-closed or closed. The
hostile-client tests and ``bench/attack_cost.py`` feed connections through it."""

from __future__ import annotations


class Socketless:
    """A transport that keeps what is written (``out``) and the socket's state."""

    def __init__(self) -> None:
        self.out = b""
        self.reading = True
        self.eof = False
        self.closed = False

    def write(self, data: bytes) -> None:
        self.out += data

    def get_extra_info(self, name: str, default: object = None) -> object:
        return default

    def is_closing(self) -> bool:
        return self.closed or self.eof

    def close(self) -> None:
        self.closed = True

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        self.eof = True

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True


__all__ = ["Socketless"]
