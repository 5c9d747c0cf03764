"""`bidwire serve --workers 4` on the default store: one host's budgets, caps and notices.

The workers share their state in memory made before they fork (bidder.shared_state): a
billing notice replayed to several workers counts once, spend is exact to the nano and a
frequency cap holds for the host. curl is the client, every request on a new connection (so
SO_REUSEPORT spreads them over the workers), many at once.
"""

from __future__ import annotations

import json
import random
import re
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bidder.notices import Signer, notice_urls
from bidder.state import nanos

from .macros import fill
from .servers import bidwire_command, run, tool
from .test_notices_e2e import CAMPAIGNS, KEY, bid_body

WORKERS = 4


class Workers:
    """A running `bidwire serve --workers N` on a fixed port."""

    def __init__(self, process: subprocess.Popen[str], port: int) -> None:
        self.process = process
        self.port = port

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def scrape(self) -> str:
        """One /metrics answer (from whichever worker the new connection lands on)."""
        result = run(tool("curl"), "-sS", "--http1.1", self.url("/metrics"))
        assert result.returncode == 0, result.stderr
        return result.stdout.decode()

    def stop(self) -> list[int]:
        """SIGTERM; the requests each worker answered (from their drain lines)."""
        self.process.terminate()
        out, _ = self.process.communicate(timeout=30)
        answered = [int(n) for n in re.findall(r"(\d+) requests answered", out)]
        assert len(answered) == WORKERS, out
        return answered


@contextmanager
def workers(folder: Path, events: Path | None = None) -> Iterator[Workers]:
    (folder / "campaigns.toml").write_text(CAMPAIGNS)
    config = folder / "bidwire.toml"
    config.write_text(
        f'campaigns = "{folder / "campaigns.toml"}"\n\n'
        + ("" if events is None else f'[pipeline.state]\nevents = "{events}"\n\n')
        + f'[[pipeline.notices.keys]]\nid = "{KEY.id}"\nsecret = "{KEY.secret}"\n'
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [*bidwire_command(), "serve", "--port", str(port), "--workers", str(WORKERS),
               "--config", str(config)]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)  # fmt: skip
    try:
        assert process.stdout is not None
        listening = 0
        while listening < WORKERS:  # every worker listens before the load starts
            line = process.stdout.readline()
            assert line, "the server stopped before its workers listened"
            listening += "listening" in line
        yield Workers(process, port)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def series(text: str, name: str, labels: str) -> int:
    found = re.search(rf"^{name}{{{re.escape(labels)}}} (\d+)$", text, re.M)
    return int(found[1]) if found else 0


def curl_each(urls: list[str], folder: Path, *extra: str) -> list[tuple[str, int]]:
    """GET (or, with ``extra``, POST) every URL, 64 at a time, each on a new HTTP/1.1
    connection; the (status, connections made) of every transfer."""
    config = folder / "curl.conf"
    config.write_text("".join(f'url = "{u}"\noutput = "/dev/null"\n' for u in urls))
    result = run(tool("curl"), "-sS", "-g", "--http1.1", "-H", "connection: close", "-Z",
                 "--parallel-max", "64", "-w", "%{http_code} %{num_connects}\n", *extra,
                 "-K", str(config), timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr
    answers = [line.split() for line in result.stdout.decode().splitlines()]
    return [(status, int(connects)) for status, connects in answers]


def test_every_billing_notice_counts_once_on_the_host(tmp_path: Path) -> None:
    """1,000 billing notices, each sent 5 times on new connections in a shuffled order, 64 at
    a time: 1,000 bill_ok and 4,000 duplicates host-wide, spend the sum of the clearing prices
    to the nano, and one bill record per notice in the event stream."""
    events = tmp_path / "events.jsonl"
    signer = Signer([KEY])
    rng = random.Random(22)
    issued = str(int(time.time() * 1000))
    urls, expected = [], 0
    with workers(tmp_path, events) as host:
        for n in range(1_000):
            price = round(rng.uniform(0.01, 5.0), 6)
            values = {"a": f"auction-{n}", "i": "1", "b": "0:c-spend", "s": "s1", "c": "c-spend",
                      "cr": "cr-spend", "p": "5.0", "cur": "USD", "t": issued, "u": ""}  # fmt: skip
            burl = notice_urls(host.url(""), signer, values).burl
            urls += [fill(burl, AUCTION_PRICE=repr(price))] * 5
            expected += nanos(price)
        rng.shuffle(urls)
        answers = curl_each(urls, tmp_path)
        assert Counter(status for status, _ in answers) == {"204": 5_000}
        assert all(connects == 1 for _, connects in answers), "one new connection each"
        # Any worker's /metrics shows the host's totals: scrape several.
        for _ in range(8):
            text = host.scrape()
            assert series(text, "bidwire_notices_total", 'kind="bill_ok"') == 1_000
            assert series(text, "bidwire_notices_total", 'kind="bill_duplicate"') == 4_000
            assert series(text, "bidwire_spend_nanos_total", 'campaign="c-spend"') == expected
        # Workers write their records once a second: wait for all of them.
        deadline = time.monotonic() + 20
        bills: list[str] = []
        while time.monotonic() < deadline:
            lines = events.read_text().splitlines() if events.exists() else []
            bills = [r["auction"] for r in map(json.loads, lines) if r["kind"] == "bill"]
            if len(bills) >= 1_000:
                break
            time.sleep(0.2)
        assert sorted(bills) == sorted(f"auction-{n}" for n in range(1_000))
        answered = host.stop()
    assert min(answered) > 0, f"every worker took some of the notices: {answered}"


def test_a_frequency_cap_holds_for_the_host(tmp_path: Path) -> None:
    """A cap of 3 per hour, one user, 200 bid requests at once spread over 4 workers:
    exactly 3 bids."""
    body = tmp_path / "capped.json"
    body.write_bytes(bid_body("cap", (300, 250), "the-capped-user"))
    with workers(tmp_path) as host:
        answers = curl_each([host.url("/openrtb2/bid")] * 200, tmp_path,
                            "-H", "content-type: application/json",
                            "--data-binary", f"@{body}")  # fmt: skip
        assert Counter(status for status, _ in answers) == {"200": 3, "204": 197}
        assert all(connects == 1 for _, connects in answers)
        text = host.scrape()
        assert re.search(r"^bidwire_spend_nanos_total 0$", text, re.M)  # nothing billed yet
        answered = host.stop()
    assert min(answered) > 0, f"the requests reached every worker: {answered}"
