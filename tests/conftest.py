"""Shared test set-up: hypothesis profiles and the shared corpus."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from transport.metrics import REGISTRY

# "ci": bounded and reproducible (fixed seed per test), what `make test` runs.
# "long": for `make fuzz` and long local runs.
settings.register_profile(
    "ci",
    max_examples=150,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "long",
    max_examples=20_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS = REPO_ROOT.parent / "shared" / "corpus" / "openrtb"


def corpus_files(kind: str) -> list[Path]:
    """The corpus files of one kind ("requests" or "responses"); empty when it is absent."""
    folder = CORPUS / kind
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


needs_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(), reason="the shared corpus is not beside this checkout"
)


@pytest.fixture(autouse=True)
def _fresh_metrics() -> None:
    """Every test counts from zero: metrics are process-wide objects (transport.metrics)."""
    REGISTRY.reset()
