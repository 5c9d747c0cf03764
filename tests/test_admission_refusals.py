"""How admission control turns a request away, per protocol and config: the app's no-bid
(204), RST_STREAM(REFUSED_STREAM) over HTTP/2, 503 with Retry-After over HTTP/1.1. Driven through
the real Connection and Dispatcher on an event loop with a fake socket; the requests carry a
tmax inside the network allowance, so their deadline has passed on arrival (``budget``): the
outcome does not depend on the machine's speed."""

from __future__ import annotations

import asyncio
import gzip
import json

import h2.config
import h2.connection
import h2.events
import h2.settings
import pytest

from bidder.app import BidderApp
from bidder.metrics import REQUESTS, SHED
from bidder.pipeline import NoBid, PipelineConfig
from bidder.service import Bidder, BidderConfig
from tests.test_deadline_timer import FakeTransport, http1_post
from transport.admission import AdmissionConfig
from transport.connection import Connection
from transport.dispatch import Dispatcher
from transport.limits import Limits
from transport.metrics import ADMISSION_SHED, ANSWERS

IMP = [{"id": "1", "banner": {"w": 300, "h": 250}}]
HOPELESS = json.dumps({"id": "r", "tmax": 5, "imp": IMP}).encode()
FINE = json.dumps({"id": "r", "tmax": 500, "imp": IMP}).encode()


def serve(config: AdmissionConfig, data: list[bytes], app: BidderApp | None = None) -> bytes:
    """Feed ``data`` to one connection of ``app`` (default: a bidder that never bids); what it
    wrote."""
    app = app or BidderApp(lambda request, arrival: NoBid("test"))
    transport = FakeTransport()
    dispatcher = Dispatcher(app, config)

    async def scenario() -> None:
        connection = Connection(app, Limits(), {}, "raw", dispatcher=dispatcher)
        connection.connection_made(transport)  # type: ignore[arg-type]
        for chunk in data:
            connection.data_received(chunk)
        await asyncio.sleep(0.05)  # the dispatcher's run (and a 5 ms async stage)

    asyncio.run(scenario())
    assert dispatcher.admission.in_flight == 0  # every admitted request answered
    return b"".join(data for _, data in transport.written)


@pytest.mark.parametrize(("refusal", "status"), [("nobid", b"204"), ("503", b"503")])
def test_http1_refusals(refusal: str, status: bytes) -> None:
    out = serve(AdmissionConfig(h1_refusal=refusal), [http1_post(HOPELESS) + http1_post(FINE)])  # type: ignore[arg-type]
    first, _, second = out.partition(b"HTTP/1.1 ")[2].partition(b"HTTP/1.1 ")
    assert first.startswith(status)
    assert (b"retry-after: 1\r\n" in first) == (refusal == "503")
    assert second.startswith(b"204")  # decided: the pipeline said no bid
    assert ADMISSION_SHED.get("budget") == 1
    assert REQUESTS.get("json") == 1  # the hopeless one was never decoded
    assert SHED.get("budget") == (1 if refusal == "nobid" else 0)
    assert ANSWERS.get("on_time") == 1 and ANSWERS.get("late") == 1  # past its deadline on arrival


def h2_client() -> h2.connection.H2Connection:
    client = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    client.initiate_connection()
    return client


def h2_post(client: h2.connection.H2Connection, sid: int, body: bytes) -> None:
    headers = [(":method", "POST"), (":scheme", "http"), (":authority", "x"),
               (":path", "/openrtb2/bid"), ("content-type", "application/json")]  # fmt: skip
    client.send_headers(sid, headers)
    client.send_data(sid, body, end_stream=True)


@pytest.mark.parametrize("refusal", ["nobid", "refused_stream"])
def test_http2_refusals(refusal: str) -> None:
    client = h2_client()
    h2_post(client, 1, HOPELESS)
    h2_post(client, 3, FINE)
    out = serve(AdmissionConfig(h2_refusal=refusal), [client.data_to_send()])  # type: ignore[arg-type]
    events = client.receive_data(out)
    statuses = {e.stream_id: dict(e.headers)[b":status"] for e in events
                if isinstance(e, h2.events.ResponseReceived)}  # fmt: skip
    resets = {e.stream_id: e.error_code for e in events if isinstance(e, h2.events.StreamReset)}
    assert statuses[3] == b"204"
    if refusal == "refused_stream":
        assert 1 not in statuses and resets[1] == h2.errors.ErrorCodes.REFUSED_STREAM
    else:
        assert statuses[1] == b"204" and 1 not in resets
    assert ADMISSION_SHED.get("budget") == 1
    assert REQUESTS.get("json") == 1


def test_an_admitted_request_with_an_async_stage_is_answered_through_the_dispatcher() -> None:
    bidder = Bidder(BidderConfig(pipeline=PipelineConfig(sleep_stage_ms=5.0)))
    assert bidder.app.decide_async is not None
    out = serve(AdmissionConfig(), [http1_post(FINE)], bidder.app)
    assert out.startswith(b"HTTP/1.1 200 ")  # the demo campaigns bid, after the stage
    assert ANSWERS.get("on_time") == 1 and ANSWERS.get("late") == 0


def test_the_raw_engine_advertises_the_admission_limit_as_its_stream_limit() -> None:
    from transport.raw_h2 import RawH2Engine

    engine = RawH2Engine(Limits(max_concurrent_streams=256), 0.0)
    client = h2_client()
    engine.receive_data(client.data_to_send(), 0.0)
    client.receive_data(engine.data_to_send())
    assert client.remote_settings.max_concurrent_streams == 256
    engine.advertise_streams(40)
    engine.advertise_streams(40)  # unchanged: nothing more to say
    engine.advertise_streams(10_000)  # never above the configured maximum
    events = client.receive_data(engine.data_to_send())
    changes = [e for e in events if isinstance(e, h2.events.RemoteSettingsChanged)]
    assert [e.changed_settings[h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS].new_value
            for e in changes] == [40, 256]  # fmt: skip


def test_with_nobid_nbr_a_shed_request_is_200_with_its_id_and_nbr_15() -> None:
    from bidder.app import AppConfig
    from openrtb import JsonCodec

    app = BidderApp(lambda request, arrival: NoBid("test"), config=AppConfig(nobid="nbr"))
    zipped = gzip.compress(HOPELESS)
    gzip_post = (
        b"POST /openrtb2/bid HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
        b"content-encoding: gzip\r\ncontent-length: %d\r\n\r\n" % len(zipped)
    ) + zipped
    # gzipped: tmax is not peeked (the default, 200 ms, leaves time): a fixed limit of 1 and
    # the first request still queued turn the second away.
    config = AdmissionConfig(min_limit=1, initial_limit=1, max_limit=1)
    out = serve(config, [http1_post(HOPELESS) + http1_post(FINE) + gzip_post], app)
    answers = [part for part in out.split(b"HTTP/1.1 ") if part]
    assert len(answers) == 3
    for answer in (answers[0], answers[2]):
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"200 ")
        decoded = JsonCodec().decode_response(body)
        assert (decoded.id, decoded.nbr, decoded.seatbid) == ("r", 15, None)
    assert ADMISSION_SHED.get("budget") == 1 and ADMISSION_SHED.get("concurrency") == 1
    assert REQUESTS.get("json") == 1  # only FINE was decoded
