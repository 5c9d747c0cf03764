"""Another commit of this checkout, exported to a folder, for benchmarks that compare two."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def export(commit: str, into: Path) -> str:
    """Write ``commit``'s tree (``git archive``) into the new folder ``into``; return its short
    id. Served with ``PYTHONPATH=into`` it runs beside the installed bidwire, on the same venv."""
    into.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", commit], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", commit],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


__all__ = ["ROOT", "export"]
