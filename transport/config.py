"""The transport's own configuration sections: ``[server]`` (here), ``[limits]``
(:class:`transport.limits.Limits`) and ``[admission]``
(:class:`transport.admission.AdmissionConfig`). The composite config of ``bidwire serve``
(these, plus the bidder's sections) lives in the composition root, ``bidwire/config.py``.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from .admission import AdmissionConfig
from .limits import Limits

#: A gc.set_threshold value (0 turns the collector's automatic runs off).
Gen = Annotated[int, msgspec.Meta(ge=0)]


class ServerSection(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Where and how to listen."""

    host: Annotated[str, msgspec.Meta(min_length=1)] = "127.0.0.1"
    #: 0 picks a free port (one worker only).
    port: Annotated[int, msgspec.Meta(ge=0, le=65_535)] = 8080
    workers: Annotated[int, msgspec.Meta(ge=1, le=1024)] = 1
    tls_cert: str | None = None
    tls_key: str | None = None
    #: The HTTP/2 engine: "raw" (transport.raw_h2: the protocol handled here, several times
    #: faster; the default since its differential run against h2 and h2spec came out clean)
    #: or "h2" (transport.h2_engine, on the h2 library: the reference).
    engine: Literal["h2", "raw"] = "raw"
    #: After start-up, move every live object to the permanent generation (gc.freeze), so
    #: collections never scan the campaigns, the index or the codecs again.
    gc_freeze: bool = True
    #: gc.set_threshold values: a larger first threshold means fewer young collections; the
    #: per-request garbage is small and short-lived (most decoded objects are untracked).
    gc_thresholds: tuple[Gen, Gen, Gen] = (20_000, 20, 50)


__all__ = ["AdmissionConfig", "Limits", "ServerSection"]
