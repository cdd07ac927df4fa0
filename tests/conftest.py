"""Shared fixtures: the public corpus (skipped with a reason when absent), a seeded RNG, and
settings and caches that never touch the user's own (every test gets its own settings folder)."""
from __future__ import annotations

import os
import sys
import tempfile
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


# Before anything starts Qt: QSettings reads XDG_CONFIG_HOME once, when it first builds its
# default paths, so a test that imports Qt late still writes here and never into ~/.config.
_SESSION_CONFIG = tempfile.mkdtemp(prefix="twinscape-test-config-")
os.environ["XDG_CONFIG_HOME"] = _SESSION_CONFIG
os.environ.setdefault("TWINSCAPE_STATE", os.path.join(_SESSION_CONFIG, "state"))  # app/logs.py: the log file


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test has its own settings folder: QSettings (native and INI, user and system scope)
    is pointed there, and so are subprocesses (XDG_CONFIG_HOME) and the log file."""
    folder = tmp_path_factory.mktemp("settings")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folder))
    monkeypatch.setenv("TWINSCAPE_STATE", str(folder / "state"))
    qtcore = sys.modules.get("PySide6.QtCore")  # Qt already imported: redirect its cached paths too
    if qtcore is not None:
        settings = qtcore.QSettings
        for fmt in (settings.Format.NativeFormat, settings.Format.IniFormat):
            for scope in (settings.Scope.UserScope, settings.Scope.SystemScope):
                settings.setPath(fmt, scope, str(folder))
    return folder


@pytest.fixture(autouse=True)
def _no_unsaved_changes_question(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Closing a window with unsaved changes asks Save/Discard/Cancel in a modal box: in tests
    the answer is Discard unless a test answers itself (monkeypatching ask_save_changes)."""
    if "tests/ui" not in request.node.nodeid and "app.ui.project_files" not in sys.modules:
        return  # no window in this test: do not import Qt for it
    from PySide6.QtWidgets import QMessageBox

    from app.ui.project_files import ProjectFiles

    monkeypatch.setattr(ProjectFiles, "ask_save_changes", lambda self: QMessageBox.StandardButton.Discard)


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
