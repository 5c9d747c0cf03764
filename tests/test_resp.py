"""RESP2, sans-IO: replies parsed from bytes cut anywhere, commands encoded as Redis reads them."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bidder.resp import Reply, RespError, RespParser, RespProtocolError, encode_command

from .redis_server import RedisServer

simple = st.one_of(
    st.binary(max_size=30).map(lambda b: ("bulk", b)),
    st.none().map(lambda _: ("null", None)),
    st.integers(min_value=-(2**63), max_value=2**63 - 1).map(lambda i: ("int", i)),
    st.from_regex(rb"[A-Za-z0-9 ]{0,20}", fullmatch=True).map(lambda b: ("simple", b)),
    st.from_regex(r"[A-Z]{2,8} [a-z ]{0,20}", fullmatch=True).map(lambda s: ("error", s)),
)
replies = st.recursive(
    simple, lambda inner: st.lists(inner, max_size=5).map(lambda x: ("array", x)), max_leaves=20
)


def wire(reply: tuple[str, object]) -> bytes:
    kind, value = reply
    if kind == "bulk":
        assert isinstance(value, bytes)
        return b"$%d\r\n%s\r\n" % (len(value), value)
    if kind == "null":
        return b"$-1\r\n"
    if kind == "int":
        return b":%d\r\n" % value
    if kind == "simple":
        return b"+%s\r\n" % value
    if kind == "error":
        return b"-%s\r\n" % str(value).encode()
    assert isinstance(value, list)
    return b"*%d\r\n" % len(value) + b"".join(wire(item) for item in value)


def expected(reply: tuple[str, object]) -> Reply:
    kind, value = reply
    if kind == "error":
        return RespError(str(value))
    if kind == "array":
        assert isinstance(value, list)
        return [expected(item) for item in value]
    return value  # type: ignore[return-value]


@given(st.lists(replies, min_size=1, max_size=8), st.data())
def test_replies_cut_anywhere_parse_the_same(
    items: list[tuple[str, object]], data: st.DataObject
) -> None:
    stream = b"".join(wire(item) for item in items)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=10)))
    parser = RespParser()
    got: list[Reply] = []
    start = 0
    for cut in [*cuts, len(stream)]:
        got.extend(parser.feed(stream[start:cut]))
        start = cut
    assert got == [expected(item) for item in items]
    assert parser.buffered == 0


def test_null_array_and_error_kind() -> None:
    parser = RespParser()
    got = parser.feed(b"*-1\r\n-MOVED 3999 127.0.0.1:6381\r\n")
    assert got[0] is None
    error = got[1]
    assert isinstance(error, RespError) and error.kind == "MOVED"


@pytest.mark.parametrize("garbage", [b"?what\r\n", b"$abc\r\n", b"$3\r\nabcde\r\n", b":1x\r\n"])
def test_bytes_that_are_not_resp_are_refused(garbage: bytes) -> None:
    with pytest.raises(RespProtocolError):
        RespParser().feed(garbage)


@pytest.fixture(scope="module")
def redis_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    server = RedisServer(tmp_path_factory.mktemp("resp-redis"))
    yield server.port
    server.stop()


@given(st.lists(st.binary(max_size=50), min_size=1, max_size=5))
def test_redis_reads_encoded_commands_as_sent(redis_port: int, values: list[bytes]) -> None:
    commands = encode_command("DEL", "resp:list") + encode_command("RPUSH", "resp:list", *values)
    commands += encode_command(b"LRANGE", b"resp:list", 0, -1)
    parser = RespParser()
    got: list[Reply] = []
    with socket.create_connection(("127.0.0.1", redis_port)) as sock:
        sock.sendall(commands)
        while len(got) < 3:
            got.extend(parser.feed(sock.recv(65536)))
    assert got[1] == len(values)
    assert got[2] == values
