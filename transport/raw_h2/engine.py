"""The raw HTTP/2 engine: the protocol handled here, without h2. Same interface as H2Engine.

    engine = RawH2Engine(limits, now)
    for stream_id, request in engine.receive_data(data, now):
        engine.send_response(stream_id, app.handle(request))
    transport.write(engine.data_to_send())

Why: h2 costs about 65 µs per request (frame objects, event objects, a state machine per stream,
hpack's decoder), five times what the rest of a bid costs. This engine reads frame headers
with one ``struct.unpack_from`` off the receive buffer, keeps one slotted object per stream,
decodes HPACK with :mod:`transport.hpack_codec` and writes responses from pre-encoded header
blocks.

It is built in layers, one concern a module, each a class on top of the one below:

- :mod:`.stream`: the stream states as a transition table, and the per-stream object;
- :mod:`.streams` (``Streams``): the streams held, how they end, resets;
- :mod:`.writer` (``Writer``): responses to frames, DATA under the peer's windows;
- :mod:`.flow` (``FlowControl``): DATA charged to our windows, WINDOW_UPDATE, SETTINGS values;
- :mod:`.requests` (``Requests``): header blocks to requests (and trailers);
- :mod:`.framing` (``Reader``): the preface and the frame loop;
- here: the connection's opening SETTINGS.

Under them, :class:`transport.h2_base.H2Base` and :class:`transport.h2_lifecycle.H2Lifecycle`
hold what it shares with :class:`transport.h2_engine.H2Engine`, the reference: every limit and
mitigation is the same (the same :class:`~transport.frame_guard.FrameGuard` pre-scan, the same
caps, timeouts, drain, 413 handling and metric labels), and
``tests/test_raw_h2_differential.py`` feeds both engines the same frame sequences and compares
what they do. Where the two differ on purpose (mostly where h2 departs from RFC 9113), the list
is ``PERMITTED_DIFFERENCES`` in that test.
"""

from __future__ import annotations

from .. import h2_wire as F
from ..limits import Limits
from .framing import Reader


class RawH2Engine(Reader):
    """One HTTP/2 server connection, without I/O and without h2."""

    def __init__(self, limits: Limits, now: float) -> None:
        super().__init__(limits, now)
        self._out.append(
            F.settings(
                {
                    F.SETTINGS_ENABLE_PUSH: 0,
                    F.SETTINGS_MAX_CONCURRENT_STREAMS: limits.max_concurrent_streams,
                    F.SETTINGS_INITIAL_WINDOW_SIZE: limits.stream_window,
                    F.SETTINGS_MAX_HEADER_LIST_SIZE: limits.max_header_list_size,
                }
            )
        )
        if limits.connection_window > F.DEFAULT_WINDOW:
            self._out.append(F.window_update(0, limits.connection_window - F.DEFAULT_WINDOW))
        self._advertised = limits.max_concurrent_streams

    def advertise_streams(self, limit: int) -> None:
        """Say SETTINGS_MAX_CONCURRENT_STREAMS ``limit`` (admission control's concurrency
        limit, at most ``[limits] max_concurrent_streams``): no client need open more streams
        than can be decided in time. Advisory: streams past it are turned away by admission
        control as any other, and only the configured maximum is enforced with REFUSED_STREAM
        (a client may open more until it has read the new value)."""
        limit = max(1, min(limit, self.limits.max_concurrent_streams))
        if limit != self._advertised and not self.closed:
            self._advertised = limit
            self._out.append(F.settings({F.SETTINGS_MAX_CONCURRENT_STREAMS: limit}))


__all__ = ["RawH2Engine"]
