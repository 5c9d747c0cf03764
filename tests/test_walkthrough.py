"""The README's walk-through cannot rot: `examples/walkthrough.sh` runs against
`bidwire serve --config examples/bidwire.toml` on a port that is not the default, the README
shows the script's commands, every metric `/metrics` exposes has a row in the README's table,
and the systemd unit and the container file start `bidwire serve` with flags it takes."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bidwire.cli import build_parser

from .conftest import REPO_ROOT
from .redis_server import free_port
from .servers import ServerProcess, bidwire_command, tool
from .test_server_e2e import curl

EXAMPLES = REPO_ROOT / "examples"
README = (REPO_ROOT / "README.md").read_text()
SCRIPT = EXAMPLES / "walkthrough.sh"


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    port = free_port()
    assert port not in (8080, 8081)
    with ServerProcess("--config", str(EXAMPLES / "bidwire.toml"), "--port", str(port)) as proc:
        yield proc
        proc.terminate()


def _commands() -> list[str]:
    """The script's commands, as the README must show them."""
    lines = [line.strip() for line in SCRIPT.read_text().splitlines()]
    return [line for line in lines if re.match(r"(curl|bidwire|nurl=|burl=|sed) ", line)]


def test_the_walkthrough_runs(server: ServerProcess) -> None:
    """A fresh `bidwire serve --config examples/bidwire.toml` on another port, then the
    README's commands: bids over HTTP/2, HTTP/1.1 and protobuf, notices that round-trip,
    the debug switch, the metrics."""
    tool("curl")
    path = f"{Path(bidwire_command()[0]).parent}{os.pathsep}{os.environ['PATH']}"
    env = {**os.environ, "BIDWIRE": f"http://127.0.0.1:{server.port}", "PATH": path}
    result = subprocess.run([str(SCRIPT)], cwd=REPO_ROOT, env=env, capture_output=True,
                            text=True, timeout=120, check=False)  # fmt: skip
    out = result.stdout
    assert result.returncode == 0, (out, result.stderr)
    assert "\n2 200\n" in out and "\n1.1 200\n" in out
    assert "\n2 200 application/x-protobuf\n" in out
    bid = json.loads(out.split("2 200 application/x-protobuf\n", 1)[1].splitlines()[0])
    assert bid["seatbid"][0]["bid"][0]["cid"] == "c-travel-usa"
    nurl = bid["seatbid"][0]["bid"][0]["nurl"]
    assert nurl.startswith(f"http://127.0.0.1:{server.port}/notice/win?")  # its own port
    assert "win 204\nbill 204\nbill again 204\n" in out  # counted, then a replay
    debugged = re.search(r'^\{"id":"walkthrough-1","nbr".*$', out, re.M)
    assert debugged, out
    debug = json.loads(debugged[0])["ext"]["debug"]
    assert debug["imp"][0]["campaigns"] == {"c-travel-usa": "bcat", "c-books": "bcat"}
    assert "\n204\n" in out  # the same request without the switch
    assert 'bidwire_nobid_reasons_total{reason="bcat"} 2' in out
    assert 'bidwire_notices_total{kind="bill_ok"} 1' in out
    assert 'bidwire_notices_total{kind="bill_duplicate"} 1' in out


def test_the_readme_shows_the_scripts_commands() -> None:
    commands = _commands()
    assert len(commands) >= 12
    missing = [command for command in commands if command not in README]
    assert missing == []


def test_every_metric_has_a_row_in_the_readme(server: ServerProcess) -> None:
    body, _ = curl("--http1.1", server.url("/metrics"))
    names = re.findall(r"^# HELP (bidwire_\w+) ", body.decode(), re.M)
    assert len(names) >= 20
    rows = set(re.findall(r"^\| `(bidwire_\w+)` \|", README, re.M))
    assert sorted(set(names) - rows) == []
    assert sorted(rows - set(names)) == []  # and no row for a metric that is gone


def test_the_example_files_check() -> None:
    from bidder.campaigns import check
    from bidwire.config import load_config

    config = load_config(EXAMPLES / "bidwire.toml")
    assert config.server.port == 8081
    assert config.campaigns == str(EXAMPLES / "campaigns.toml")
    assert check((EXAMPLES / "campaigns.toml").read_bytes()) == []


def _serve_args(command: str) -> list[str]:
    argv = shlex.split(command)
    return argv[argv.index("serve") :]


def test_the_systemd_unit_and_the_container_run_flags_bidwire_takes() -> None:
    unit = (EXAMPLES / "bidwire.service").read_text()
    start = re.search(r"^ExecStart=(.*)$", unit, re.M)
    assert start
    args = build_parser().parse_args(_serve_args(start[1]))
    assert (args.config, args.workers, args.log_format) == ("/etc/bidwire/bidwire.toml", 4, "json")
    assert re.search(r"^ExecReload=/bin/kill -HUP \$MAINPID$", unit, re.M)
    container = (EXAMPLES / "Containerfile").read_text()
    cmd = re.search(r"^CMD (\[.*\])$", container, re.M)
    assert cmd
    args = build_parser().parse_args(_serve_args(" ".join(json.loads(cmd[1]))))
    assert (args.config, args.host) == ("/etc/bidwire/bidwire.toml", "0.0.0.0")
    for path in re.findall(r"^COPY (\S+) ", container, re.M):
        assert (REPO_ROOT / path).exists(), path
