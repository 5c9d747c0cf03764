"""The configuration of ``bidwire serve``: one Struct tree, decoded from TOML; every default in
one place. The composition root: it puts the transport's sections and the bidder's together.

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

import msgspec

from bidder.app import AppConfig
from bidder.pipeline import PipelineConfig
from bidder.service import BidderConfig
from transport.config import ServerSection
from transport.limits import Limits


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


def with_overrides(
    config: Config,
    *,
    host: str | None = None,
    port: int | None = None,
    workers: int | None = None,
    tls_cert: str | None = None,
    tls_key: str | None = None,
    engine: str | None = None,
    state: str | None = None,
    campaigns: str | None = None,
) -> Config:
    """``config`` with the command line's overrides (None: not given) applied. Raises
    ``ValueError`` when the result does not hold together."""
    overrides = {
        key: value
        for key, value in (
            ("host", host),
            ("port", port),
            ("workers", workers),
            ("tls_cert", tls_cert),
            ("tls_key", tls_key),
            ("engine", engine),
        )
        if value is not None
    }
    server = msgspec.structs.replace(config.server, **overrides)
    if bool(server.tls_cert) != bool(server.tls_key):
        raise ValueError("--tls-cert and --tls-key go together")
    config = msgspec.structs.replace(config, server=server)
    if state is not None:
        state_config = msgspec.structs.replace(config.pipeline.state, store=state)
        config = msgspec.structs.replace(
            config, pipeline=msgspec.structs.replace(config.pipeline, state=state_config)
        )
    # The workers of one host share the memory store (bidder.shared_state): budgets are not
    # split between them.
    if campaigns is not None:
        config = msgspec.structs.replace(config, campaigns=campaigns)
    return config


__all__ = ["Config", "load_config", "with_overrides"]
