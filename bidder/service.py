"""Assemble a worker's bidder: campaigns -> index -> pipeline -> front door; reload on demand.

Reloading builds a new index snapshot off to the side and publishes it with one reference
swap (:class:`~bidder.index.IndexHolder`); a file that fails to load leaves the old snapshot in
place and is reported, never half-applied.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from openrtb.model import BidRequest, BidResponse
from transport.events import Request

from .app import AppConfig, BidderApp, Tap
from .campaigns import DEMO_PATH, CampaignError, CampaignFile, load
from .capture import Capture, CaptureConfig, capture_from
from .index import CampaignIndex, IndexHolder
from .metrics import CAMPAIGN_RELOADS, STATE_ERRORS, STATE_STORE_UP
from .notices import NoticeHandler, Signer
from .pipeline import AsyncStage, NoBid, Pipeline, PipelineConfig, sleep_stage
from .redis_pipe import REDIS_SCHEMES
from .shared_state import SharedState, SharedStore
from .state import STORE_FORMS

if TYPE_CHECKING:
    from .audience_store import AudienceFeed
    from .audiences import AudienceLookup
    from .redis_state import RedisState

log = logging.getLogger("bidwire")


class BidderConfig(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """The bidder's side of the configuration file."""

    #: The campaign file (TOML or JSON); None: the demo campaigns shipped in the package.
    campaigns: str | None = None
    app: AppConfig = msgspec.field(default_factory=AppConfig)
    pipeline: PipelineConfig = msgspec.field(default_factory=PipelineConfig)
    capture: CaptureConfig = msgspec.field(default_factory=CaptureConfig)


class Bidder:
    """One worker's bidder and the campaign file behind it."""

    def __init__(
        self,
        config: BidderConfig,
        *,
        async_stages: Sequence[AsyncStage] = (),
        shared: SharedStore | None = None,
    ) -> None:
        """``shared``: the host's shared memory, made before the workers fork so that they all
        use it; None makes one for this process alone (one worker, tests)."""
        self.config = config
        self.path = Path(config.campaigns) if config.campaigns else DEMO_PATH
        campaigns = load(self.path)
        self._mtime = self._stat()
        self.holder = IndexHolder(CampaignIndex(campaigns))
        notices = config.pipeline.notices
        self.signer = Signer(notices.keys)
        self.state: SharedState | RedisState
        store = config.pipeline.state.store
        audiences: AudienceLookup | None = None
        #: The audience lookups' background work (a Redis store with audiences enabled).
        self.audience_feed: AudienceFeed | None = None
        if store.startswith(REDIS_SCHEMES):
            from .redis_state import RedisState

            self.state = RedisState(store, config.pipeline.state)
            self.state.prepare(e.budget for e in self.holder.index.entries)
            if config.pipeline.audiences.enabled:
                audiences = self._audiences(store)
        elif store == "memory":
            self.state = SharedState(shared, config.pipeline.state)
            self.state.attach_metrics()
            STATE_STORE_UP.value = 1  # the host's memory is always there
        else:
            raise ValueError(f"state store must be {STORE_FORMS}, not {store!r}")
        if config.pipeline.sleep_stage_ms > 0:
            async_stages = (*async_stages, sleep_stage(config.pipeline.sleep_stage_ms / 1000.0))
        self.pipeline = Pipeline(
            self.holder,
            config=config.pipeline,
            async_stages=async_stages,
            state=self.state,
            signer=self.signer,
            audiences=audiences,
        )
        self.notices = NoticeHandler(notices, self.signer, self.state, self.holder)
        self.app = BidderApp(
            self.pipeline.decide_or_wait if audiences is not None else self.pipeline.decide,
            config=config.app,
            decide_async=self.pipeline.decide_async if async_stages else None,
            deadline=config.pipeline.deadline,
            notices=self.notices.handle,
            explain=self.pipeline.explain,
        )
        self.app.degraded = self._degraded
        #: The sampled capture of live traffic (``[capture]``), or None.
        self.capture: Capture | None = capture_from(config.capture)
        self._closers: list[Callable[[], Awaitable[None]]] = []
        if self.capture is not None and config.capture.fraction > 0:
            self.add_tap(self.capture.observe)

    def add_tap(self, tap: Tap, close: Callable[[], Awaitable[None]] | None = None) -> None:
        """Tell ``tap`` of every decision too (after those already told); ``close`` runs at
        :meth:`close`, before the capture is written out."""
        if close is not None:
            self._closers.append(close)
        first = self.app.tap
        if first is None:
            self.app.tap = tap
            return

        def both(request: Request, bid_request: BidRequest, decision: BidResponse | NoBid) -> None:
            first(request, bid_request, decision)
            tap(request, bid_request, decision)

        self.app.tap = both

    def _audiences(self, store: str) -> AudienceLookup:
        from .audience_store import AudienceFeed
        from .audiences import AudienceLookup
        from .redis_pipe import RedisPipe

        config = self.config.pipeline.audiences
        prefix = self.config.pipeline.state.redis_prefix
        client = RedisPipe(store, timeout=config.connect_timeout)
        lookup = AudienceLookup(config, client, prefix)
        timeout = self.config.pipeline.state.redis_timeout
        self.audience_feed = AudienceFeed(lookup, store, prefix, timeout)
        return lookup

    def _degraded(self) -> str | None:
        # Degraded is for a store that answered and went away: one that never answered was
        # refused at start (bidwire serve probes it), and is not degraded before its first sync.
        if self.state.shared and not self.state.up and STATE_ERRORS.get("sync"):
            return "state store unreachable (bidding from local leases and counts)"
        feed = self.audience_feed
        if feed is not None and not feed.lookup.ready:
            return "audiences not read yet (deciding without audience data)"
        return None

    def _stat(self) -> float:
        try:
            return os.stat(self.path).st_mtime
        except OSError:
            return 0.0

    def reload(self) -> bool:
        """Load the campaign file again and swap the index in; False (old index kept) on error.
        Logged once per reload, counted in ``bidwire_campaign_reloads_total`` by outcome."""
        # The file as it is now: a SIGHUP after an edit must not make poll() load it again.
        self._mtime = self._stat()
        try:
            campaigns: CampaignFile = load(self.path)
            index = CampaignIndex(campaigns)
        except (OSError, CampaignError, KeyError) as exc:
            CAMPAIGN_RELOADS.inc("failed")
            log.error("campaign reload failed, keeping the current campaigns: %s", exc)
            return False
        CAMPAIGN_RELOADS.inc("ok")
        self.holder.swap(index)
        self.state.prepare(e.budget for e in index.entries)
        log.info(
            "campaigns reloaded: %d active (generation %d)", len(index), self.holder.generation
        )
        return True

    async def close(self) -> None:
        """Hand back what the state holds (leases, queued writes) and write what the capture
        holds, before the worker exits."""
        if self.audience_feed is not None:
            await self.audience_feed.close()
        await self.state.close()
        for close in self._closers:
            await close()
        if self.capture is not None:
            await self.capture.close()

    def poll(self) -> None:
        """Reload when the campaign file changed on disk, and let the state do its periodic
        work (call about once a second)."""
        self.state.poll()
        if self.capture is not None:
            self.capture.poll()
        if self.audience_feed is not None and self.holder.index.audience is not None:
            # Only once a campaign targets audiences: until then nothing is looked up, and a
            # fleet that does not use them has no filter to hold nor stream to follow.
            self.audience_feed.poll()
        mtime = self._stat()
        if mtime and mtime != self._mtime:
            self._mtime = mtime
            self.reload()


__all__ = ["Bidder", "BidderConfig"]
