"""The bid path compiled (mypyc, ``make compile-bidder``) or as Python: which runs, and that
both decide alike.

``make install`` compiles the modules of :data:`bidder.compiled.MODULES`; ``make pytest-pure``
runs the bid path's tests again with ``BIDWIRE_PURE=1`` (every one of them as Python). Here:
the record of decisions on the corpus and the sample (every bid's fields and notice URLs,
hashed) is the same in a process running the Python modules as in one running what is built.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import time
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import msgspec
import pytest

from bidder.compiled import (
    MODULES,
    PURE_ENV,
    SourceWhenStale,
    built_at,
    extension_of,
    pure_requested,
)
from bidder.pipeline import PipelineConfig

ROOT = Path(__file__).resolve().parents[1]
RUNNING = "import json, bidder.compiled as c; print(json.dumps(c.running()))"


def run(code: list[str], pure: bool) -> str:
    env = {**os.environ, PURE_ENV: "1" if pure else "0"}
    out = subprocess.run([sys.executable, *code], capture_output=True, check=True, cwd=ROOT,
                         env=env, text=True)  # fmt: skip
    return out.stdout


def test_which_modules_run_compiled() -> None:
    from bidder.compiled import running

    now = running()
    assert set(now) == set(MODULES)
    for name, compiled in now.items():
        source = ROOT / (name.replace(".", "/") + ".py")
        fresh = extension_of(name) is not None and built_at(name) >= source.stat().st_mtime
        assert compiled == (fresh and not pure_requested()), name


def test_pure_runs_every_module_as_python() -> None:
    assert json.loads(run(["-c", RUNNING], pure=True)) == dict.fromkeys(MODULES, False)


def test_a_stale_extension_is_not_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PURE_ENV, raising=False)
    source = tmp_path / "pricing.py"
    source.write_text("X = 1\n")
    extension = tmp_path / f"pricing{EXTENSION_SUFFIXES[0]}"
    extension.write_bytes(b"")
    finder = SourceWhenStale(tmp_path)
    past = time.time() - 100
    os.utime(source, (past, past))
    assert finder.find_spec("bidder.pricing", None) is None  # built after: the usual import
    assert finder.find_spec("bidder.other", None) is None  # not one of ours
    os.utime(source, None)  # edited after the build
    os.utime(extension, (past, past))
    with pytest.warns(UserWarning, match="older than"):
        spec = finder.find_spec("bidder.pricing", None)
    assert spec is not None and spec.origin == str(source)
    code = tmp_path / f"pricing__mypyc{EXTENSION_SUFFIXES[0]}"
    code.write_bytes(b"")  # rebuilt: the code is new, the entry point as it was
    assert finder.find_spec("bidder.pricing", None) is None
    os.utime(extension, None)
    monkeypatch.setenv(PURE_ENV, "1")  # asked for Python: the source, fresh or not
    spec = finder.find_spec("bidder.pricing", None)
    assert spec is not None and spec.origin == str(source)


def test_compiled_and_python_decide_alike(tmp_path: Path) -> None:
    # bench/decisions.py: the shared corpus when it is there, and the packaged sample.
    records = {}
    for pure in (False, True):
        out = tmp_path / f"pure-{pure}.txt"
        run(["bench/decisions.py", "--out", str(out)], pure)
        # (The first line, a comment, says where the record was written.)
        records[pure] = [line for line in out.read_text().splitlines() if line[:1] != "#"]
    assert records[False] == records[True]
    assert sum(" bid " in line for line in records[True]) >= 10


def test_no_msgspec_struct_is_defined_in_a_compiled_module() -> None:
    # msgspec reads a Struct's annotations, which a class compiled by mypyc does not keep as
    # it reads them: ResponseConfig compiled refused every public_url ("Expected `type`").
    for name in MODULES:
        tree = ast.parse((ROOT / (name.replace(".", "/") + ".py")).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases = [ast.unparse(base) for base in node.bases]
                assert not any("Struct" in base for base in bases), (name, node.name)


def test_the_settings_of_compiled_modules_decode() -> None:
    config = msgspec.convert({"response": {"public_url": "https://bid.example"}}, PipelineConfig)
    assert config.response.public_url == "https://bid.example"
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"response": {"public_url": "ftp://x"}}, PipelineConfig)
