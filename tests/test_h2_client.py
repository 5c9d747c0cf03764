"""The shadow's HTTP/2 client (transport.h2_client), sans-IO, against an independent server:
the ``h2`` library's server side (its own HPACK with Huffman and the dynamic table, its own
flow control), bytes passed by hand between the two."""

from __future__ import annotations

import h2.config
import h2.connection
import h2.events
import h2.settings

from transport.h2_client import Answer, ClientConnection, request_block
from transport.h2_wire import (
    CONTINUATION,
    END_HEADERS,
    END_STREAM,
    GOAWAY,
    HEADERS,
    frame,
)

BLOCK = request_block(b"/openrtb2/bid", b"127.0.0.1:1", ((b"content-type", b"application/json"),))


class Peer:
    """An h2 server and our client, connected by hand."""

    def __init__(self, server_settings: dict[int, int] | None = None) -> None:
        self.server = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=False, header_encoding=None)
        )
        self.server.initiate_connection()
        if server_settings:
            self.server.update_settings(server_settings)
        self.client = ClientConnection()
        self.requests: dict[int, tuple[dict[bytes, bytes], bytes]] = {}
        self.events: list[h2.events.Event] = []
        self.answers: list[Answer] = []
        self.pump()

    def pump(self) -> None:
        """Exchange bytes until both sides are quiet."""
        while True:
            to_server = self.client.data_to_send()
            if to_server:
                for event in self.server.receive_data(to_server):
                    self.events.append(event)
                    sid = getattr(event, "stream_id", None)
                    if isinstance(event, h2.events.RequestReceived):
                        self.requests[sid] = (dict(event.headers), b"")  # type: ignore[arg-type,index]
                    elif isinstance(event, h2.events.DataReceived):
                        headers, body = self.requests[sid]  # type: ignore[index]
                        self.requests[sid] = (headers, body + event.data)  # type: ignore[index]
                        self.server.acknowledge_received_data(event.flow_controlled_length, sid)  # type: ignore[arg-type]
            to_client = self.server.data_to_send()
            if to_client:
                self.answers += self.client.receive(to_client)
            if not to_server and not to_client:
                return

    def answer(self, sid: int, status: bytes, body: bytes = b"", **kwargs: object) -> None:
        headers = [
            (b":status", status),
            (b"content-type", b"application/json"),
            (b"x-long", b"v" * 40),
        ]
        self.server.send_headers(sid, headers, end_stream=not body and not kwargs)
        if body:
            self.server.send_data(
                sid,
                body,
                end_stream=not kwargs.get("trailers"),
                **{k: v for k, v in kwargs.items() if k != "trailers"},
            )
        if kwargs.get("trailers"):
            self.server.send_headers(sid, kwargs["trailers"], end_stream=True)  # type: ignore[arg-type]
        self.pump()


def test_requests_and_answers_out_of_order_with_the_servers_dynamic_table() -> None:
    peer = Peer()
    ids = [peer.client.request(BLOCK, f'{{"n":{i}}}'.encode()) for i in range(3)]
    assert ids == [1, 3, 5]
    peer.pump()
    headers, body = peer.requests[3]
    assert headers[b":method"] == b"POST" and headers[b":path"] == b"/openrtb2/bid"
    assert headers[b"content-type"] == b"application/json" and body == b'{"n":1}'
    for sid, status in ((5, b"204"), (1, b"200"), (3, b"200")):
        peer.answer(sid, status, b"" if status == b"204" else b"{}")
    assert [(a.stream_id, a.status, a.body, a.error) for a in peer.answers] == [
        (5, 204, b"", None),
        (1, 200, b"{}", None),
        (3, 200, b"{}", None),
    ]
    assert peer.client.in_flight == 0


def test_grpc_trailers_and_padded_data() -> None:
    peer = Peer()
    sid = peer.client.request(BLOCK, b"x")
    assert sid is not None
    peer.pump()
    peer.answer(
        sid, b"200", b"\x00\x00\x00\x00\x01z", pad_length=17, trailers=[(b"grpc-status", b"0")]
    )
    assert peer.answers == [Answer(sid, 200, b"\x00\x00\x00\x00\x01z", 0)]


def test_large_answers_refill_our_receive_window() -> None:
    peer = Peer()
    body = bytes(range(256)) * 4096  # 1 MiB, many frames
    for _ in range(20):  # 20 MiB in all: past the 16 MiB window opened at start
        sid = peer.client.request(BLOCK, b"")
        assert sid is not None
        peer.pump()
        for start in range(0, len(body), 16384):
            end = start + 16384 >= len(body)
            if start == 0:
                peer.server.send_headers(sid, [(b":status", b"200")])
            peer.server.send_data(sid, body[start : start + 16384], end_stream=end)
        peer.pump()
    assert len(peer.answers) == 20 and all(a.body == body for a in peer.answers)


def test_the_servers_stream_limit_and_windows_are_respected() -> None:
    peer = Peer(
        {
            h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 2,
            h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 100,
        }
    )
    assert peer.client.max_streams == 2 and peer.client.stream_window == 100
    assert peer.client.request(BLOCK, b"x" * 101) is None  # over the stream window
    assert peer.client.request(BLOCK, b"x" * 100) == 1
    assert peer.client.request(BLOCK, b"") == 3
    assert peer.client.request(BLOCK, b"") is None  # two streams open already
    peer.pump()
    peer.answer(1, b"204")
    assert peer.client.request(BLOCK, b"") == 5


def test_ping_is_answered_and_reset_streams_end() -> None:
    peer = Peer()
    peer.server.ping(b"12345678")
    sid = peer.client.request(BLOCK, b"")
    peer.pump()
    assert any(isinstance(e, h2.events.PingAckReceived) for e in peer.events)
    peer.server.reset_stream(sid, 2)  # type: ignore[arg-type]
    peer.pump()
    assert peer.answers == [Answer(1, None, b"", error="reset")]


def test_goaway_ends_the_streams_it_did_not_take_and_stops_new_ones() -> None:
    peer = Peer()
    first, second = peer.client.request(BLOCK, b""), peer.client.request(BLOCK, b"")
    peer.pump()
    peer.server.close_connection(last_stream_id=first)
    peer.pump()
    assert peer.answers == [Answer(second, None, b"", error="goaway")]  # type: ignore[arg-type]
    assert peer.client.closed == "goaway" and peer.client.request(BLOCK, b"") is None


def test_a_header_block_split_over_continuation() -> None:
    client = ClientConnection()
    sid = client.request(BLOCK, b"")
    assert sid == 1
    block = b"\x88" + bytes([0x00, 11]) + b"grpc-status" + bytes([1]) + b"0"  # :status 200
    answers = client.receive(
        frame(HEADERS, 0, 1, block[:3]) + frame(CONTINUATION, 0, 1, block[3:10])
    )
    assert answers == []
    answers = client.receive(frame(CONTINUATION, END_HEADERS | END_STREAM, 1, block[10:]))
    assert answers == [] and client.in_flight == 1  # END_STREAM belongs on the HEADERS frame
    client2 = ClientConnection()
    client2.request(BLOCK, b"")
    data = frame(HEADERS, END_STREAM, 1, block[:5]) + frame(CONTINUATION, END_HEADERS, 1, block[5:])
    assert client2.receive(data[:7]) == []  # a frame may arrive in pieces
    assert client2.receive(data[7:]) == [Answer(1, 200, b"", 0)]


def test_garbage_is_a_protocol_error_that_ends_everything() -> None:
    client = ClientConnection()
    client.request(BLOCK, b"")
    client.data_to_send()
    answers = client.receive(frame(HEADERS, END_HEADERS, 1, b"\xff\xff\xff\xff\xff\xff"))
    assert len(answers) == 1 and (answers[0].error or "").startswith("protocol error")
    assert client.closed is not None and client.request(BLOCK, b"") is None
    assert client.data_to_send()[3] == GOAWAY
