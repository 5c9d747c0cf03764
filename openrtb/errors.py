"""The errors the codecs raise. Callers catch :class:`CodecError` and nothing else."""

from __future__ import annotations


class CodecError(Exception):
    """Base of every error a bidwire codec raises on bad input."""


class DecodeError(CodecError):
    """Input bytes that do not decode to the requested OpenRTB object.

    ``path`` is the JSON path of the offending field (``$.imp[0].banner.w``), or ``$`` when the
    document as a whole is bad; ``reason`` says what is wrong, in a few words. ``str(error)``
    is ``"<path>: <reason>"``, short enough for an HTTP 400 body.
    """

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class EncodeError(CodecError):
    """An object that cannot be written in the requested wire format (e.g. an int out of the
    protobuf field's range, or a string that is not valid Unicode)."""
