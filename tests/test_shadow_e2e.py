"""Shadow traffic with real servers: ``bidwire serve --shadow URL`` sends every request (fraction
1) to a second real ``bidwire serve`` whose campaigns differ in one campaign's price; /metrics
counts as many disagreements as there are requests whose answer differs (found apart from the
shadow's code: :func:`tests.test_replay.expected_changes`), the capture holds exactly those
requests with both decisions, and the live answers are the ones the live campaigns give. A
candidate that is down, or that accepts and never answers, costs the live answers nothing: the
shadow requests are dropped or time out, and are counted.
"""

from __future__ import annotations

import re
import socket
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bidder.capture import read_capture
from bidwire.benchmarks.servers import free_port

from .servers import ServerProcess, run
from .test_replay import expected_changes, repriced
from .test_replay_e2e import as_requests, bodies, post, send_all, stable_campaigns, steady

_SERIES = re.compile(r'^bidwire_shadow_requests_total\{outcome="(\w+)"\} (\d+)$', re.M)


def shadow_counts(server: ServerProcess) -> dict[str, int]:
    with urllib.request.urlopen(server.url("/metrics"), timeout=10) as answer:
        text = answer.read().decode()
    return {outcome: int(value) for outcome, value in _SERIES.findall(text)}


def settled(server: ServerProcess, total: int) -> dict[str, int]:
    """The counts once ``total`` shadow requests have an outcome (they are asynchronous)."""
    import time

    deadline = time.monotonic() + 30
    while True:
        counts = shadow_counts(server)
        if sum(counts.values()) >= total or time.monotonic() > deadline:
            return counts
        time.sleep(0.1)


def statuses(server: ServerProcess) -> list[bytes]:
    return [post(server, *each) for each in bodies()]


def test_the_shadow_counts_disagreements_and_captures_exactly_those(tmp_path: Path) -> None:
    base = stable_campaigns(tmp_path)
    candidate = repriced(base, tmp_path)
    capture = tmp_path / "shadow.jsonl.gz"
    # No-bids as 200 with nbr: the candidate's no-bids for want of time are told apart.
    with steady(tmp_path, "--campaigns", str(candidate), extra='[app]\nnobid = "nbr"\n') as other:
        send_all(other)  # warm
        with steady(tmp_path, "--campaigns", str(base), "--shadow", other.url("/"),
                    "--shadow-fraction", "1", "--capture", str(capture),
                    "--capture-fraction", "0") as live:  # fmt: skip
            warm = send_all(live)  # warms the live server; counted on its own
            before = settled(live, warm)
            answered = send_all(live)
            after = settled(live, warm + answered)
            live.terminate()
    delta = {k: after[k] - before.get(k, 0) for k in after}
    sent = list(read_capture(capture))
    # Which requests the new price changes, found in process from the requests' bytes.
    everything = bodies()
    expected = expected_changes(as_requests(sent[-1].at if sent else 0.0), base, candidate)
    assert 0 < len(expected) < answered == 71
    assert delta["agree"] + delta["disagree"] + delta["timing"] == answered
    assert sum(v for k, v in delta.items() if k not in ("agree", "disagree", "timing")) == 0
    # Exact unless a stall made a side no-bid for want of time (counted apart, not compared).
    assert len(expected) - delta["timing"] <= delta["disagree"] <= len(expected)
    # The capture: one record per disagreement (both rounds), with both decisions.
    assert len(sent) == before["disagree"] + delta["disagree"]
    tail = sent[len(sent) - delta["disagree"] :]
    assert {r.body for r in tail} <= {everything[n - 1][1] for n in expected}
    for record in tail:
        assert record.source == "shadow" and record.candidate is not None
        assert record.candidate != record.decision


@contextmanager
def silent_server() -> Iterator[int]:
    """A TCP server that accepts and reads, and never writes a byte: a hung candidate."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            conn.setblocking(False)
            held.append(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()


def test_a_hung_or_absent_candidate_costs_the_live_answers_nothing(tmp_path: Path) -> None:
    base = stable_campaigns(tmp_path)
    small = "[shadow]\nmax_in_flight = 4\ntimeout_ms = 200\n"
    with steady(tmp_path, "--campaigns", str(base)) as plain:
        reference = statuses(plain)
    with (
        silent_server() as port,
        steady(tmp_path, "--campaigns", str(base), "--shadow", f"http://127.0.0.1:{port}",
               "--shadow-fraction", "1", extra=small) as live,
    ):  # fmt: skip
        assert statuses(live) == reference
        counts = settled(live, 71)
    assert counts["agree"] == counts["disagree"] == counts["error"] == counts["timing"] == 0
    assert counts["timeout"] > 0 and counts["dropped_full"] > 0
    assert sum(counts.values()) == 71
    closed = free_port()
    with steady(tmp_path, "--campaigns", str(base), "--shadow", f"http://127.0.0.1:{closed}",
                "--shadow-fraction", "1") as live:  # fmt: skip
        assert statuses(live) == reference
        counts = settled(live, 71)
    assert counts["dropped_unconnected"] == 71 and sum(counts.values()) == 71


def test_a_bad_shadow_url_is_refused_at_start() -> None:
    from .servers import bidwire_command

    done = run(*bidwire_command(), "serve", "--port", "0", "--shadow", "https://x:1")
    assert done.returncode == 2
    assert "bad setting shadow.url: 'https://x:1' is not an http://HOST:PORT URL" in (
        done.stderr.decode()
    )
