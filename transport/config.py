"""The server's configuration: one Struct tree, decoded from TOML; every default in one place.

[server]
host = "127.0.0.1"
port = 8080
workers = 1

campaigns = "campaigns.toml"   # top level, before any table; default: the demo campaigns

[app]            # bidder.app.AppConfig
bid_path = "/openrtb2/bid"

[pipeline.response]   # bidder.pipeline.PipelineConfig (deadline, response, shading)
public_url = "https://bidder.example.com"

[limits]         # transport.limits.Limits
max_body_size = 1048576
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import msgspec

from bidder.app import AppConfig
from bidder.pipeline import PipelineConfig
from bidder.service import BidderConfig

from .limits import Limits


class ServerSection(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Where and how to listen."""

    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 1
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
    gc_thresholds: tuple[int, int, int] = (20_000, 20, 50)


class Config(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Everything ``bidwire serve`` can be told."""

    #: The campaign file (TOML or JSON); absent: the demo campaigns shipped in the package.
    campaigns: str | None = None
    server: ServerSection = msgspec.field(default_factory=ServerSection)
    app: AppConfig = msgspec.field(default_factory=AppConfig)
    pipeline: PipelineConfig = msgspec.field(default_factory=PipelineConfig)
    limits: Limits = msgspec.field(default_factory=Limits)

    def bidder(self) -> BidderConfig:
        """The bidder's part of this configuration."""
        return BidderConfig(campaigns=self.campaigns, app=self.app, pipeline=self.pipeline)


def load_config(path: str | Path | None) -> Config:
    """Read a TOML config file (None: all defaults). Raises ``ValueError`` naming the bad key."""
    if path is None:
        return Config()
    try:
        return msgspec.toml.decode(Path(path).read_bytes(), type=Config)
    except msgspec.ValidationError as exc:
        raise ValueError(f"{path}: {exc}") from None
    except msgspec.DecodeError as exc:
        raise ValueError(f"{path}: not valid TOML: {exc}") from None


__all__ = ["Config", "ServerSection", "load_config"]
