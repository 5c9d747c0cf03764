"""bidwire's own HTTP/2 engine (sans-IO, without h2): :class:`RawH2Engine`.

The package holds it by concern (see :mod:`transport.raw_h2.engine`); import the engine from
here.
"""

from __future__ import annotations

from .engine import RawH2Engine

__all__ = ["RawH2Engine"]
