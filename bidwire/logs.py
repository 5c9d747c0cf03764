"""Logs an operator can read: levels, UTC timestamps, the worker's pid, text or JSON lines.

Every module logs through the standard library (``logging.getLogger("bidwire...")``); this
module only says where records go and how they look (``[logging]`` in the config,
``--log-level``, ``--log-format``). A record is written with one ``os.write`` of one whole
line, so the lines of forked workers sharing stderr never interleave (a write of up to
PIPE_BUF bytes to a pipe is atomic; longer lines are cut to that), and no lock is held that a
fork could copy in its taken state.

The access log (logger ``bidwire.access``, one line per answered request, sampled) is off
unless ``[logging] access_sample`` is above 0.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from typing import Annotated, Final, Literal

import msgspec

Level = Literal["debug", "info", "warning", "error"]
Format = Literal["text", "json"]

#: The most one write carries: PIPE_BUF on Linux, so a line to a pipe is never split.
MAX_LINE: Final = 4096
#: The fields of a record that are not "extra" ones (the access log passes its own).
_STANDARD: Final = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class LoggingSection(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """``[logging]``: what is logged, and how."""

    #: The least severe level written.
    level: Level = "info"
    #: "text": ``2026-12-01T10:00:00.123Z info bidwire[812] message``; "json": one object a line.
    format: Format = "text"
    #: The share of answered requests written to the access log (0: off, 1: every one).
    access_sample: Annotated[float, msgspec.Meta(ge=0, le=1)] = 0.0


def _stamp(created: float) -> str:
    millis = int(created * 1000) % 1000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created)) + f".{millis:03d}Z"


def _extra(record: logging.LogRecord) -> dict[str, object]:
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD}


class TextFormatter(logging.Formatter):
    """``TIME LEVEL LOGGER[PID] message`` (and the traceback of an exception, if any)."""

    def format(self, record: logging.LogRecord) -> str:
        line = (
            f"{_stamp(record.created)} {record.levelname.lower()} "
            f"{record.name}[{record.process}] {record.getMessage()}"
        )
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object: time, level, logger, pid, message, and the record's extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, object] = {
            "time": _stamp(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "pid": record.process,
            "message": record.getMessage(),
        }
        doc.update(_extra(record))
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return json.dumps(doc, default=str, separators=(",", ":"))


class LineHandler(logging.Handler):
    """Writes each record as one line with one ``os.write`` to a file descriptor."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self.fd = fd

    def emit(self, record: logging.LogRecord) -> None:
        try:
            data = (self.format(record) + "\n").encode("utf-8", "replace")
            if len(data) > MAX_LINE:
                data = data[: MAX_LINE - 4] + b"...\n"
            os.write(self.fd, data)
        except Exception:
            self.handleError(record)

    # One os.write needs no lock: none is taken, so none can be inherited taken by a fork.
    def acquire(self) -> None:
        pass

    def release(self) -> None:
        pass


def setup(section: LoggingSection | None = None, fd: int | None = None) -> LineHandler:
    """Send every record of level ``section.level`` and above to ``fd`` (stderr) in
    ``section.format``; replaces handlers set before. Returns the handler."""
    section = section or LoggingSection()
    handler = LineHandler(sys.stderr.fileno() if fd is None else fd)
    handler.setFormatter(JsonFormatter() if section.format == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(section.level.upper())
    logging.captureWarnings(True)
    return handler


__all__ = [
    "Format",
    "JsonFormatter",
    "Level",
    "LineHandler",
    "LoggingSection",
    "TextFormatter",
    "setup",
]
