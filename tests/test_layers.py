"""The layering of STYLE.md, checked on the source: arrows point one way, and no cycles.

bidwire -> bidder, transport, openrtb (and fuzz, for ``bidwire fuzz``); bidder -> openrtb and
the three transport modules an app needs (events, app, metrics); transport -> nothing of ours;
openrtb -> nothing of ours. Every import counts, including those inside functions and under
``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]

OURS = ("bidwire", "bidder", "transport", "openrtb", "fuzz")

#: What each package may import of ours (itself aside): a package, or one module of it.
ALLOWED: dict[str, set[str]] = {
    "openrtb": set(),
    "transport": set(),
    "bidder": {"openrtb", "transport.events", "transport.app", "transport.metrics"},
    "fuzz": {"openrtb", "bidder", "transport"},
    "bidwire": {"bidder", "transport", "openrtb", "fuzz"},
}


def modules(package: str) -> list[Path]:
    return sorted((REPO_ROOT / package).rglob("*.py"))


def imports_of(path: Path, package: str) -> set[str]:
    """The dotted names ``path`` imports (relative imports resolved)."""
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    else:
        parts.pop()  # the module's own package
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_bytes(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = parts[: len(parts) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.add(module)
            # `from transport import events` imports transport.events.
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".")[0] in OURS}


def allowed(name: str, package: str) -> bool:
    """Whether ``package`` may import ``name`` (a module, or a name inside one)."""
    if name.split(".")[0] == package:
        return True
    return any(name == rule or name.startswith(rule + ".") for rule in ALLOWED[package])


def violations(package: str) -> list[str]:
    bad = []
    for path in modules(package):
        for name in sorted(imports_of(path, package)):
            top, _, rest = name.partition(".")
            if top == package:
                continue
            # "transport" alone comes from `from transport import x`: x is checked instead.
            if not rest and any(r.startswith(top + ".") for r in ALLOWED[package]):
                continue
            if not allowed(name, package):
                bad.append(f"{path.relative_to(REPO_ROOT)} imports {name}")
    return bad


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_each_package_imports_only_what_is_below_it(package: str) -> None:
    assert modules(package), f"no modules found under {package}/"
    assert violations(package) == []


def test_transport_imports_nothing_of_the_bidder_openrtb_bidwire_or_fuzz() -> None:
    found = {
        f"{path.relative_to(REPO_ROOT)}: {name}"
        for path in modules("transport")
        for name in imports_of(path, "transport")
        if not name.startswith("transport")
    }
    assert found == set()


def test_no_import_cycles_between_packages() -> None:
    graph: dict[str, set[str]] = {package: set() for package in OURS}
    for package in OURS:
        for path in modules(package):
            graph[package].update(
                name.split(".")[0]
                for name in imports_of(path, package)
                if name.split(".")[0] != package
            )
    # Depth-first search for a back edge.
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(node: str, trail: list[str]) -> bool:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle.extend([*trail, node, nxt])
                return True
            if state.get(nxt) is None and visit(nxt, [*trail, node]):
                return True
        state[node] = 2
        return False

    for package in OURS:
        if state.get(package) is None and visit(package, []):
            break
    assert cycle == [], " -> ".join(cycle)


def test_the_checker_sees_a_violation() -> None:
    """The walk resolves relative imports and finds function-level ones (a guard on the guard)."""
    path = REPO_ROOT / "transport" / "connection.py"
    names = imports_of(path, "transport")
    assert "transport.events" in names and "transport.app" in names
    assert not allowed("bidder.app", "transport")
    assert allowed("transport.events", "bidder") and not allowed("transport.server", "bidder")
