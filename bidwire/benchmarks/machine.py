"""What a result file must say besides its numbers: the command, the versions and the machine.

A benchmark figure without these cannot be compared with the next one, so every result file
starts with them (``# key: value`` lines), followed by the tables.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from importlib import metadata
from pathlib import Path


def package_version(name: str) -> str:
    """The installed version of a distribution, or "not installed"."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def tool_version(argv: Sequence[str]) -> str:
    """The first line a tool prints for its version flag, or "not installed"."""
    if shutil.which(argv[0]) is None:
        return "not installed"
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    text = (done.stdout or done.stderr).strip()
    return text.splitlines()[0] if text else "unknown"


def git_revision() -> str:
    """The git revision of the working directory, with "+dirty" when files are modified;
    "unknown" outside a git work tree (an installed package)."""
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return rev + ("+dirty" if dirty else "")


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo (Linux), else what ``platform`` says."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_total() -> str:
    """Total RAM from /proc/meminfo, e.g. "24.0 GiB"."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def describe(packages: Iterable[str] = (), tools: Iterable[Sequence[str]] = ()) -> dict[str, str]:
    """The machine, the time, the git revision and the versions of ``packages`` and ``tools``
    (each an argv that prints a version)."""
    info = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": f"nproc {os.cpu_count()}, {cpu_model()}, {memory_total()} RAM, "
        f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "bidwire": f"{package_version('bidwire')} (git {git_revision()})",
    }
    if hasattr(os, "getloadavg"):
        # Other work on a shared machine moves every figure: say how busy it was.
        one, five, fifteen = os.getloadavg()
        info["load average"] = f"{one:.2f} {five:.2f} {fifteen:.2f} (1, 5, 15 min; at the start)"
    versions = [f"{name} {package_version(name)}" for name in packages]
    versions += [tool_version(argv) for argv in tools]
    if versions:
        info["versions"] = ", ".join(versions)
    return info


def command_line(argv: Sequence[str] | None = None) -> str:
    """The command as typed: ``bidwire bench ...``."""
    args = sys.argv[1:] if argv is None else list(argv)
    return "bidwire " + shlex.join(args)


def header(command: str, info: dict[str, str]) -> list[str]:
    """The ``# key: value`` lines that open a result file."""
    return [f"# command: {command}"] + [f"# {key}: {value}" for key, value in info.items()]


def default_out_dir() -> Path | None:
    """``bench/results`` when run from a bidwire checkout, else None (print only)."""
    candidate = Path("bench") / "results"
    return candidate if candidate.is_dir() else None


def result_path(out_dir: Path, stem: str, suffix: str) -> Path:
    """``out_dir/<stem>-<date><suffix>``, with -2, -3... when that name is taken."""
    day = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
    path = out_dir / f"{stem}-{day}{suffix}"
    n = 2
    while path.exists():
        path = out_dir / f"{stem}-{day}-{n}{suffix}"
        n += 1
    return path


__all__ = [
    "command_line",
    "cpu_model",
    "default_out_dir",
    "describe",
    "git_revision",
    "header",
    "package_version",
    "result_path",
    "tool_version",
]
