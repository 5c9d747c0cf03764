"""Hostile clients beside an honest one (issue #17): what an honest h2load keeps under attack,
against what it keeps beside a well-behaved second client, A/B/A in one run.

For each attack a fresh ``bidwire serve`` (one worker, ``taskset -c 0``) serves three rounds:

- A: the honest client (``h2load -c 4 -m 8``, 1 KB JSON bid requests, ``-D DURATION``) beside
  a well-behaved second client (the same h2load);
- B: the honest client beside the attacker (a Python process sending :mod:`fuzz.attacks`'
  bytes, reconnecting whenever the server closes);
- A again.

The honest client connects first and loads for 1.5 s before its measured period (h2load's
``--warm-up-time``), the other client starting 0.5 s in: an exchange keeps its connections
warm, so an attack meets them open. ``--cold`` starts the other client a second before the
honest one connects instead (during a connection flood a new connection waits in the backlog:
``[limits] accepts_per_second_while_cutting``). Clients run on core 1 (``taskset -c 1``), the
attacker too. The figure is the honest client's
rate in B over the mean of its two A rounds (>= 0.90 wanted). The server's RSS is sampled every
0.1 s: before B, its peak during B, and 2 s after the attacker has gone; the connections the
server closed during B are read from /metrics, by reason.

    .venv/bin/python bench/attacks.py --engine raw [--attacks made-you-reset,...]
        [--duration 8] [--rounds 3] [--out bench/results/attacks-raw-DATE.txt]

``--list`` names the attacks. ``--solo-baseline PATH`` runs no attack: the honest client alone
against this checkout and the one at PATH, alternated (throughput without attack). The
attacker itself: ``bench/attacks.py --attacker NAME --port P --seconds S`` (what B runs).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import selectors
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bidwire.benchmarks import h2load
from bidwire.benchmarks.servers import Server, pinning
from fuzz import attacks as A

BODY = Path(__file__).with_name("body-1k.json")
#: Bytes per send on a loop attacker's connection (the server reads up to 64 KiB at a time).
SLICE = 16 * 1024
#: Bytes a "burst" attacker sends on each connection before it closes it.
BURST = 64 * 1024


@dataclass(frozen=True)
class Attack:
    """One attack: what each connection sends, and how the attacker behaves."""

    name: str
    what: str
    #: "loop": send the blob, reconnect when the server closes (or the blob is out);
    #: "burst": send the blob's first :data:`BURST` bytes, close at once and reconnect, never
    #: waiting for the server (what a cut connection costs the server, whatever it makes the
    #: client wait);
    #: "hold": keep ``connections`` open, sending ``trickle`` every second.
    mode: str
    blob: Callable[[], bytes]
    connections: int = 1
    trickle: bytes = b""
    #: Extra ``[limits]`` lines for this attack's server (said in the results).
    limits: str = ""
    #: Rounds at least this long (seconds), so that a default deadline passes within one.
    min_seconds: float = 0.0


def _made_you_reset() -> bytes:
    return A.preface() + A.made_you_reset(1500) + A.made_you_reset(1500, kind="window", first=3001)


def _settings_storm() -> bytes:
    # The storm: 16 KB SETTINGS frames (2,700 INITIAL_WINDOW_SIZE changes each) over
    # parked streams; then frames of the 32 entries now allowed, as fast as it can.
    return (
        A.preface() + A.parked_streams(200) + A.settings_storm(4, 2700) + A.settings_storm(200, 32)
    )


#: The idle attacks run against a 5 s idle_timeout (the default, 75 s, would not pass within a
#: round); the other held-forever attacks on the default deadlines (10 s), in 12 s rounds.
SHORT = "idle_timeout = 5.0"

ATTACKS: dict[str, Attack] = {
    a.name: a
    for a in (
        Attack("made-you-reset", "DATA after END_STREAM, WINDOW_UPDATE overflow: server resets",
               "loop", _made_you_reset),
        Attack("settings-storm", "16 KB SETTINGS frames over 200 parked streams, then 32-entry "
               "frames", "loop", _settings_storm),
        Attack("hpack-bomb", "GETs whose headers decode to 16 KB from ~20 bytes", "loop",
               lambda: A.preface() + A.hpack_bomb(3000)),
        Attack("gzip-bomb", "POSTs of 2 MiB of zeros gzipped to 2 KB", "loop",
               lambda: A.preface() + A.gzip_bomb(500)),
        Attack("gzip-bomb-h1", "the same, HTTP/1.1 pipelined", "loop",
               lambda: A.gzip_bomb_h1(500)),
        Attack("made-you-reset-burst", "made-you-reset, 64 KiB a connection, closed and "
               "reconnected at once without waiting for the server", "burst", _made_you_reset),
        Attack("gzip-bomb-burst", "gzip-bomb, 64 KiB a connection, closed and reconnected at "
               "once without waiting for the server", "burst",
               lambda: A.preface() + A.gzip_bomb(500)),
        Attack("hpack-bomb-burst", "hpack-bomb, 64 KiB a connection, closed and reconnected at "
               "once without waiting for the server", "burst",
               lambda: A.preface() + A.hpack_bomb(3000)),
        Attack("rapid-reset", "requests each reset at once (HEADERS + RST_STREAM)", "loop",
               lambda: A.preface() + A.rapid_reset(3000)),
        Attack("zero-window", "100 connections, INITIAL_WINDOW_SIZE 0, 256 requests each "
               "(default deadlines, 12 s rounds)", "hold", lambda: A.zero_window(256),
               connections=100, min_seconds=12.0),
        Attack("one-byte-window", "100 connections, INITIAL_WINDOW_SIZE 1, 256 requests each "
               "(default deadlines, 12 s rounds)", "hold", lambda: A.one_byte_window(256),
               connections=100, min_seconds=12.0),
        Attack("stalled-bodies", "100 connections, 256 POSTs each whose body never comes "
               "(default deadlines, 12 s rounds)", "hold", lambda: A.stalled_bodies(256),
               connections=100, min_seconds=12.0),
        Attack("open-header-block", "300 connections, a header block never ended (default "
               "deadlines, 12 s rounds)", "hold", A.open_header_block, connections=300,
               min_seconds=12.0),
        Attack("blank-lines-h1", "300 HTTP/1.1 connections sending 16 bytes of CRLF each "
               "second", "hold", lambda: A.blank_lines(8), connections=300,
               trickle=A.blank_lines(8), limits=SHORT),
        Attack("idle-h2", "1,000 HTTP/2 connections that only PING each second", "hold",
               A.preface, connections=1000, trickle=A.ping(), limits=SHORT),
        Attack("stream-limit", "20 connections, 600 streams each answered 413 at their "
               "headers whose body never comes (default deadlines, 12 s rounds)", "hold",
               lambda: A.preface() + A.half_closed_streams(600), connections=20,
               min_seconds=12.0),
    )
}  # fmt: skip


# -- the attacker (a process of its own) ----------------------------------------------------------


@dataclass
class Tally:
    """What the attacker did."""

    opened: int = 0
    closed_by_server: int = 0
    sent: int = 0

    def report(self) -> str:
        return json.dumps(self.__dict__)


def _loop(attack: Attack, port: int, until: float, tally: Tally) -> None:
    blob = attack.blob()
    while time.monotonic() < until:
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=2)
        except OSError:
            time.sleep(0.01)
            continue
        tally.opened += 1
        closed = False
        with sock:
            for start in range(0, len(blob), SLICE):
                try:
                    sock.sendall(blob[start : start + SLICE])
                    tally.sent += min(SLICE, len(blob) - start)
                    closed = _drain(sock)
                except OSError:
                    closed = True
                if closed or time.monotonic() >= until:
                    break
            if not closed:
                sock.settimeout(1.0)
                try:
                    while sock.recv(65536):
                        pass
                    closed = True
                except TimeoutError:
                    pass
                except OSError:
                    closed = True  # reset: closed with our bytes unread
        tally.closed_by_server += closed


def _burst(attack: Attack, port: int, until: float, tally: Tally) -> None:
    blob = attack.blob()[:BURST]
    while time.monotonic() < until:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
                tally.opened += 1
                sock.sendall(blob)
                tally.sent += len(blob)
        except OSError:
            tally.closed_by_server += 1


def _drain(sock: socket.socket) -> bool:
    """Read what has arrived without waiting; True when the server has closed."""
    sock.setblocking(False)
    try:
        while True:
            if not sock.recv(65536):
                return True
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        sock.setblocking(True)
        sock.settimeout(2)


def _hold(attack: Attack, port: int, until: float, tally: Tally) -> None:
    blob = attack.blob()
    selector = selectors.DefaultSelector()
    open_socks: set[socket.socket] = set()

    def connect() -> None:
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=2)
            sock.sendall(blob)
        except OSError:
            return
        sock.setblocking(False)
        tally.opened += 1
        tally.sent += len(blob)
        open_socks.add(sock)
        selector.register(sock, selectors.EVENT_READ)

    next_trickle = time.monotonic() + 1.0
    while time.monotonic() < until:
        while len(open_socks) < attack.connections and time.monotonic() < until:
            connect()
        for key, _ in selector.select(timeout=0.1):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            try:
                data = sock.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:
                tally.closed_by_server += 1
                selector.unregister(sock)
                open_socks.discard(sock)
                sock.close()
        if attack.trickle and time.monotonic() >= next_trickle:
            next_trickle += 1.0
            for sock in list(open_socks):
                try:
                    sock.send(attack.trickle)
                    tally.sent += len(attack.trickle)
                except OSError:
                    pass
    for sock in open_socks:
        sock.close()


def attacker(name: str, port: int, seconds: float) -> None:
    """Run one attack for ``seconds``; print what it did (one JSON line)."""
    attack = ATTACKS[name]
    tally = Tally()
    until = time.monotonic() + seconds
    {"loop": _loop, "burst": _burst, "hold": _hold}[attack.mode](attack, port, until, tally)
    print(tally.report(), flush=True)


# -- the rounds -----------------------------------------------------------------------------------

_CLOSED = re.compile(r'bidwire_connections_closed_total\{reason="([a-z_]+)"\} (\d+)')


def closed_by_reason(server: Server) -> dict[str, int]:
    try:
        with urllib.request.urlopen(server.url("/metrics"), timeout=10) as answer:
            text = answer.read().decode()
    except OSError:
        return {}
    return {m[1]: int(m[2]) for m in _CLOSED.finditer(text)}


@dataclass
class Outcome:
    """One attack's rounds."""

    attack: str
    honest: list[float] = field(default_factory=list)  # req/s: A, B, A
    rss_mib: tuple[float, float, float] = (0.0, 0.0, 0.0)  # before B, peak in B, after
    closed: dict[str, int] = field(default_factory=dict)
    tally: str = ""
    failed: int = 0  # honest requests failed or errored in B
    #: The server's CPU over wall time in each round (A, B, A): under 1.0, the server had time
    #: to spare and what the honest client lost went elsewhere (its own core, shared with the
    #: attacker).
    busy: list[float] = field(default_factory=list)

    #: The ratios of further rounds (``--rounds``), each its own fresh server and A/B/A.
    more: list[float] = field(default_factory=list)

    @property
    def one(self) -> float:
        """This round's ratio: the honest rate in B over the mean of its two A rounds."""
        return self.honest[1] / statistics.mean((self.honest[0], self.honest[2]))

    @property
    def ratio(self) -> float:
        """The median ratio over every round run."""
        return statistics.median([self.one, *self.more])


class RssSampler:
    """The server's RSS every 0.1 s, in a thread, while running."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.server.rss_kib()[0])
            self._stop.wait(0.1)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


#: Seconds the honest client is connected and loading before its measured period (h2load's
#: ``--warm-up-time``); the other client (the second one, or the attacker) starts
#: :data:`BESIDE_AFTER` seconds into it, so it has run a second when the measurement starts.
WARM_UP = 1.5
BESIDE_AFTER = 0.5


def honest_run(
    server: Server, seconds: float, client_pin: list[str], warm_up: float = 0.0
) -> h2load.Summary:
    argv = h2load.command(
        server.url(), proto="h2", clients=4, streams=8, duration_s=seconds, body=BODY
    )
    if warm_up:
        argv[1:1] = ["--warm-up-time", f"{round(warm_up * 1000)}ms"]
    text, _ = h2load.run([*client_pin, *argv], timeout_s=seconds + warm_up + 60)
    return h2load.parse_summary(text)


def one_round(
    server: Server,
    beside: list[str],
    seconds: float,
    client_pin: list[str],
    cold: bool = False,
    busy: list[float] | None = None,
) -> tuple[h2load.Summary, str]:
    """:func:`round_of`, with the server's CPU share over the round appended to ``busy``."""
    cpu, wall = server.cpu_seconds(), time.monotonic()
    outcome = round_of(server, beside, seconds, client_pin, cold)
    if busy is not None:
        busy.append((server.cpu_seconds() - cpu) / (time.monotonic() - wall))
    return outcome


def round_of(
    server: Server, beside: list[str], seconds: float, client_pin: list[str], cold: bool
) -> tuple[h2load.Summary, str]:
    """The honest client for ``seconds`` beside another. Warm (the default): the honest client
    connects first, as an exchange's connections are kept warm, and ``beside`` starts
    BESIDE_AFTER later, a second before the measured period. ``cold``: ``beside`` starts a
    second before the honest client connects (which then connects in the middle of a flood)."""
    if cold:
        other = subprocess.Popen(
            [*client_pin, *beside], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        try:
            time.sleep(1.0)
            summary = honest_run(server, seconds, client_pin)
        finally:
            out = _finish(other, seconds)
        return summary, out
    result: list[h2load.Summary] = []
    honest = threading.Thread(
        target=lambda: result.append(honest_run(server, seconds, client_pin, WARM_UP))
    )
    honest.start()
    time.sleep(BESIDE_AFTER)
    other = subprocess.Popen(
        [*client_pin, *beside], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        honest.join()
    finally:
        out = _finish(other, seconds)
    if not result:
        raise RuntimeError("the honest h2load failed")
    return result[0], out


def _finish(other: subprocess.Popen[str], seconds: float) -> str:
    try:
        out, _ = other.communicate(timeout=seconds + 30)
    except subprocess.TimeoutExpired:
        other.kill()
        out, _ = other.communicate()
    return out.strip().splitlines()[-1] if out.strip() else ""


def run_attack(engine: str, attack: Attack, seconds: float, cold: bool = False) -> Outcome:
    server_pin, client_pin = pinning()
    config = None
    workdir = Path(os.environ.get("TMPDIR", "/tmp"))
    if attack.limits:
        config = workdir / f"bidwire-attacks-{os.getpid()}.toml"
        config.write_text(f"[limits]\n{attack.limits}\n")
    outcome = Outcome(attack.name)
    with Server(f"bidwire-{engine}", config=config, pin=server_pin) as server:
        honest_run(server, 1.0, client_pin)  # warm-up
        second = h2load.command(
            server.url(), proto="h2", clients=4, streams=8, duration_s=seconds + 2, body=BODY
        )
        me = [sys.executable, str(Path(__file__).resolve()), "--attacker", attack.name,
              "--port", str(server.port), "--seconds", str(seconds + 1.5)]  # fmt: skip
        a1, _ = one_round(server, second, seconds, client_pin, cold, outcome.busy)
        before = server.rss_kib()[0]
        closed_before = closed_by_reason(server)
        with RssSampler(server) as sampler:
            b, tally = one_round(server, me, seconds, client_pin, cold, outcome.busy)
        time.sleep(2.0)
        after = server.rss_kib()[0]
        closed_after = closed_by_reason(server)
        a2, _ = one_round(server, second, seconds, client_pin, cold, outcome.busy)
    outcome.honest = [a1.rps, b.rps, a2.rps]
    outcome.failed = b.failed + b.errored
    outcome.rss_mib = (before / 1024, sampler.peak / 1024, after / 1024)
    outcome.closed = {
        reason: n - closed_before.get(reason, 0)
        for reason, n in closed_after.items()
        if n > closed_before.get(reason, 0)
    }
    outcome.tally = tally
    return outcome


def report(
    engine: str, outcomes: list[Outcome], argv: list[str], seconds: float, cold: bool = False
) -> str:
    start = (
        "connecting a second into the other client (--cold)"
        if cold
        else f"connected first (warm-up {WARM_UP:g} s, the other client from {BESIDE_AFTER:g} s)"
    )
    lines = [
        f"# bench/attacks.py, engine {engine}: {' '.join(argv)}",
        f"# {time.strftime('%Y-%m-%d %H:%M:%S')} UTC; server taskset -c 0, clients and attacker "
        f"taskset -c 1; honest = h2load -c 4 -m 8 -D {seconds:g}s, 1 KB JSON, "
        f"{start}; "
        f"A = beside a second h2load like it, B = beside the attacker",
        "",
        "| attack | honest A req/s | B | A | B / mean(A) (median of the rounds) | "
        "server CPU share A/B/A | RSS MiB before/peak/after | closed by the server during B | "
        "attacker |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for o in outcomes:
        closed = ", ".join(f"{k} {v}" for k, v in sorted(o.closed.items())) or "-"
        rss = "/".join(f"{v:.0f}" for v in o.rss_mib)
        busy = "/".join(f"{v:.2f}" for v in o.busy)
        a1, b, a2 = (f"{v:,.0f}" for v in o.honest)
        fails = f" ({o.failed} failed)" if o.failed else ""
        each = ", ".join(f"{r:.2f}" for r in sorted([o.one, *o.more]))
        rounds = f" ({each})" if o.more else ""
        lines.append(
            f"| {o.attack} | {a1} | {b}{fails} | {a2} | **{o.ratio:.2f}**{rounds} | {busy} | "
            f"{rss} | {closed} | {o.tally} |"
        )
    worst = min(outcomes, key=lambda o: o.ratio)
    lines += ["", f"worst: {worst.attack} {worst.ratio:.2f}"]
    lines += [f"- {a.name}: {a.what}" + (f" [limits] {a.limits}" if a.limits else "")
              for a in ATTACKS.values() if a.name in {o.attack for o in outcomes}]  # fmt: skip
    return "\n".join(lines) + "\n"


def solo_ab(engine: str, baseline: Path, rounds: int, seconds: float) -> str:
    """The honest client alone against this checkout's server and ``baseline``'s (another
    checkout, e.g. ``git archive`` of the commit before), alternated: throughput without
    attack."""
    server_pin, client_pin = pinning()
    runs: dict[str, list[float]] = {"this": [], "baseline": []}
    saved = os.environ.get("PYTHONPATH")
    try:
        for r in range(rounds):
            for which in ("this", "baseline") if r % 2 == 0 else ("baseline", "this"):
                if which == "baseline":
                    os.environ["PYTHONPATH"] = str(baseline)
                elif saved is None:
                    os.environ.pop("PYTHONPATH", None)
                else:
                    os.environ["PYTHONPATH"] = saved
                with Server(f"bidwire-{engine}", pin=server_pin) as server:
                    honest_run(server, 1.0, client_pin)
                    runs[which].append(honest_run(server, seconds, client_pin).rps)
    finally:
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved
    this, base = statistics.median(runs["this"]), statistics.median(runs["baseline"])
    return (
        f"# solo, engine {engine}: honest h2load -c 4 -m 8 -D {seconds:g}s alone, {rounds} "
        f"rounds alternated; baseline {baseline}\n"
        f"this: {', '.join(f'{v:,.0f}' for v in runs['this'])} req/s, median {this:,.0f}\n"
        f"baseline: {', '.join(f'{v:,.0f}' for v in runs['baseline'])} req/s, median "
        f"{base:,.0f}\nthis / baseline: {this / base:.3f}\n"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["raw", "h2"], default="raw")
    parser.add_argument("--attacks", default="all", help="comma-separated names, or all")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per round")
    parser.add_argument("--out", type=Path, help="append the report here")
    parser.add_argument("--list", action="store_true", help="name the attacks")
    parser.add_argument(
        "--cold",
        action="store_true",
        help="the honest client connects a second into the attack (default: it connects first, "
        "as an exchange's connections are kept warm, and the attacker starts half a second later)",
    )
    parser.add_argument(
        "--solo-baseline", type=Path, help="no attacks: the honest client alone, this checkout "
        "against the one at this path, alternated (--rounds of them)",
    )  # fmt: skip
    parser.add_argument(
        "--rounds", type=int, default=5, help="with --solo-baseline: rounds alternated (5); "
        "with attacks: fresh A/B/A runs per attack, the median ratio reported (default 1)",
    )  # fmt: skip
    parser.add_argument("--attacker", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.attacker:
        attacker(args.attacker, args.port, args.seconds)
        return 0
    if args.solo_baseline:
        text = solo_ab(args.engine, args.solo_baseline.resolve(), args.rounds, args.duration)
        print(text)
        if args.out:
            with args.out.open("a") as out:
                out.write(text + "\n")
        return 0
    if args.list:
        for attack in ATTACKS.values():
            print(f"{attack.name}: {attack.what}")
        return 0
    names = list(ATTACKS) if args.attacks == "all" else args.attacks.split(",")
    rounds = args.rounds if "--rounds" in sys.argv else 1
    outcomes = []
    for name in names:
        attack = ATTACKS[name]
        runs = []
        for _ in range(max(1, rounds)):
            outcome = run_attack(
                args.engine, attack, max(args.duration, attack.min_seconds), args.cold
            )
            print(
                f"{name}: honest {outcome.honest[0]:,.0f} / {outcome.honest[1]:,.0f} / "
                f"{outcome.honest[2]:,.0f} req/s, ratio {outcome.one:.2f}, server CPU "
                f"{'/'.join(f'{v:.2f}' for v in outcome.busy)}, RSS "
                f"{'/'.join(f'{v:.0f}' for v in outcome.rss_mib)} MiB, closed "
                f"{outcome.closed}, attacker {outcome.tally}",
                flush=True,
            )
            runs.append(outcome)
        # The table shows the round whose ratio is the median (its rates, RSS, closes), and
        # every round's ratio beside it.
        runs.sort(key=lambda o: o.one)
        shown = runs[(len(runs) - 1) // 2]
        shown.more = [o.one for o in runs if o is not shown]
        outcomes.append(shown)
    text = report(
        args.engine, outcomes, ["bench/attacks.py", *sys.argv[1:]], args.duration, args.cold
    )
    print(text)
    if args.out:
        with args.out.open("a") as out:
            out.write(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
