"""Every corpus request through `bidwire serve` with the demo campaigns, over HTTP/2 and HTTP/1.1.

Each gets 200 or 204 (a 400 with an error body only for a truly invalid request; never 5xx);
every 200 passes the response validator against its request; at least a third of them bid.
"""

from __future__ import annotations

import http.client
import json
from collections import Counter
from collections.abc import Iterator

import pytest

from openrtb import JsonCodec, validate_response

from .conftest import corpus_files, needs_corpus
from .servers import ServerProcess, run, tool

JSON = JsonCodec()
REQUESTS = corpus_files("requests")
MARK = "\n--status:%{http_code}"

pytestmark = needs_corpus


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with ServerProcess() as proc:
        yield proc
        proc.terminate()


def check_answer(name: str, data: bytes, status: int, body: bytes) -> str:
    """Validate one answer; its outcome ("bid", "nobid" or "invalid")."""
    assert status in (200, 204, 400), f"{name}: status {status}"
    if status == 400:
        error = json.loads(body)
        assert error["error"] and "path" in error, f"{name}: {error}"
        return "invalid"
    if status == 204:
        assert body == b""
        return "nobid"
    response = JSON.decode_response(body)
    problems = validate_response(response, JSON.decode_request(data))
    assert problems == [], f"{name}: {problems}"
    return "bid" if response.seatbid else "nobid"


def test_corpus_over_http2(server: ServerProcess) -> None:
    outcomes: Counter[str] = Counter()
    for path in REQUESTS:
        data = path.read_bytes()
        result = run(tool("curl"), "-sS", "--http2-prior-knowledge", "-w", MARK,
                     "-H", "content-type: application/json", "--data-binary", "@-",
                     server.url(), stdin=data)  # fmt: skip
        assert result.returncode == 0, result.stderr
        body, _, status = result.stdout.rpartition(b"\n--status:")
        outcomes[check_answer(path.name, data, int(status), body)] += 1
    assert outcomes["bid"] * 3 >= len(REQUESTS), outcomes
    assert outcomes["invalid"] == 0, outcomes


def test_corpus_over_http11_keep_alive(server: ServerProcess) -> None:
    outcomes: Counter[str] = Counter()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    for path in REQUESTS:
        data = path.read_bytes()
        connection.request("POST", "/openrtb2/bid", body=data,
                           headers={"content-type": "application/json"})  # fmt: skip
        answer = connection.getresponse()
        body = answer.read()
        outcomes[check_answer(path.name, data, answer.status, body)] += 1
        assert answer.getheader("x-openrtb-version") == "2.6"
    connection.close()
    assert outcomes["bid"] * 3 >= len(REQUESTS), outcomes
    assert outcomes["invalid"] == 0, outcomes
