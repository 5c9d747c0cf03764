"""Which bid path modules run compiled and which run as Python.

``make compile`` (run by ``make install``) compiles each module of :data:`MODULES` with mypyc
(it comes with mypy; it needs a C compiler and Python's headers) into a C extension beside its
source, which the import then prefers: the bidder's decisions take about a third less CPU.
Nothing else changes: the modules are plain typed Python, and without a compiler (or after
``make pure``) they run as such.

Two things send a module back to its Python source, at import (:func:`install`, run when the
``bidder`` package is imported):

- ``BIDWIRE_PURE=1`` in the environment: every module of :data:`MODULES` runs as Python (CI
  runs the bid path's tests so, beside the compiled run: ``make pytest-pure``);
- an extension older than its source (the source edited or checked out after ``make compile``):
  it was built from other code, so the source runs, with a warning (``make compile`` rebuilds).

:func:`running` says which run compiled.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
import warnings
from collections.abc import Sequence
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType
from typing import Final

#: The modules ``make compile`` compiles: the per-request work of a bid, with no class that
#: tests patch (the pipeline stays Python and calls these).
MODULES: Final = (
    "bidder.bidpath",
    "bidder.fit",
    "bidder.flat",
    "bidder.pricing",
    "bidder.response",
    "bidder.templates",
)
#: Set to 1 to run every module of :data:`MODULES` as Python.
PURE_ENV: Final = "BIDWIRE_PURE"
_HERE: Final = Path(__file__).resolve().parent


def extension_of(name: str, directory: Path = _HERE) -> Path | None:
    """The compiled extension of module ``name`` in ``directory`` (beside its source), if any."""
    short = name.rpartition(".")[2]
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = directory / f"{short}{suffix}"
        if path.is_file():
            return path
    return None


def built_at(name: str, directory: Path = _HERE) -> float:
    """When module ``name``'s extension was built (0 if it has none): the newer of its two
    files, the module's entry point and ``{name}__mypyc``, its code (a rebuild rewrites only
    what changed: the entry point of a module whose source changed stays as it was)."""
    extension = extension_of(name, directory)
    if extension is None:
        return 0.0
    short = name.rpartition(".")[2]
    times = [extension.stat().st_mtime]
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        code = directory / f"{short}__mypyc{suffix}"
        if code.is_file():
            times.append(code.stat().st_mtime)
    return max(times)


def pure_requested() -> bool:
    """Whether ``BIDWIRE_PURE`` asks for the Python modules."""
    return os.environ.get(PURE_ENV, "") not in ("", "0")


class SourceWhenStale(MetaPathFinder):
    """Finds the Python source of a module of :data:`MODULES` in ``directory`` when its
    extension must not run (``BIDWIRE_PURE``, or built before the source changed); otherwise
    leaves the import to the usual finders, which prefer the extension."""

    def __init__(self, directory: Path = _HERE) -> None:
        self.directory = directory
        self.warned: set[str] = set()

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname not in MODULES:
            return None
        source = self.directory / f"{fullname.rpartition('.')[2]}.py"
        extension = extension_of(fullname, self.directory)
        if extension is None or not source.is_file():
            return None
        if not pure_requested():
            if built_at(fullname, self.directory) >= source.stat().st_mtime:
                return None
            if fullname not in self.warned:
                self.warned.add(fullname)
                warnings.warn(
                    f"{extension.name} is older than {source.name}: running the Python "
                    "module (`make compile` rebuilds it)",
                    stacklevel=2,
                )
        return importlib.util.spec_from_file_location(fullname, source)


_FINDER: Final = SourceWhenStale()


def install() -> None:
    """Put the stale-extension check in front of the import system (once)."""
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def running() -> dict[str, bool]:
    """Module name -> whether it runs compiled (imports the modules)."""
    out = {}
    for name in MODULES:
        module = importlib.import_module(name)
        out[name] = not str(module.__file__).endswith(".py")
    return out


__all__ = [
    "MODULES",
    "PURE_ENV",
    "SourceWhenStale",
    "built_at",
    "extension_of",
    "install",
    "pure_requested",
    "running",
]
