"""Shared fixtures: the public corpus (skipped with a reason when absent) and a seeded RNG."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("TWINSCAPE_CORPUS", REPO.parent / "shared" / "corpus"))


def corpus_file(relative: str) -> Path:
    """A file of ../shared/corpus, or skip the test saying why."""
    path = CORPUS / relative
    if not CORPUS.is_dir():
        pytest.skip(f"public test corpus not found at {CORPUS} (set TWINSCAPE_CORPUS)")
    if not path.exists():
        pytest.skip(f"corpus file missing: {path}")
    return path


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Demo data is generated once per session into a temporary cache, never the user's."""
    if "TWINSCAPE_CACHE" not in os.environ:
        os.environ["TWINSCAPE_CACHE"] = str(tmp_path_factory.mktemp("cache"))


@pytest.fixture(autouse=True)
def _no_leaked_plotters(request: pytest.FixtureRequest):
    """Fail a test that leaves a VTK plotter (a render window) open, as pyvista's own suite does."""
    if not any(part in request.node.nodeid for part in ("tests/viewers", "tests/ui", "tests/cli")):
        yield
        return
    from pyvista.plotting import plotter as pv_plotter

    before = set(pv_plotter._ALL_PLOTTERS)
    yield
    leaked = {key: type(pv_plotter._ALL_PLOTTERS[key]).__name__ for key in pv_plotter._ALL_PLOTTERS if key not in before}
    for key in leaked:
        pv_plotter._ALL_PLOTTERS[key].close()
    assert not leaked, f"VTK plotter(s) left open: {leaked}"
