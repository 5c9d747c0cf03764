"""How bids are written: the settings of :mod:`bidder.response`, apart from it because that
module is compiled (``make compile-bidder``) and a msgspec Struct must be defined in Python
(msgspec reads its annotations)."""

from __future__ import annotations

from typing import Annotated, Final

import msgspec

PublicUrl = Annotated[
    str, msgspec.Meta(pattern="^https?://[^/]", description="an http:// or https:// URL")
]
#: The notice base of a pipeline built without a public URL (tests, embedding).
FALLBACK_PUBLIC_URL: Final = "http://127.0.0.1:8080"


class ResponseConfig(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """How bids are written."""

    #: Where the exchange reaches this bidder's notice endpoints (nurl, burl, lurl). None:
    #: ``bidwire serve`` derives it from where it listens (``bidwire.config.with_public_url``,
    #: with a warning at start); code that builds a pipeline alone gets ``FALLBACK_PUBLIC_URL``.
    public_url: PublicUrl | None = None


__all__ = ["FALLBACK_PUBLIC_URL", "PublicUrl", "ResponseConfig"]
