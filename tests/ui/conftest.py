"""GUI fixtures: a small main window with throw-away settings, and seeded LAS files."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


@pytest.fixture
def window(qtbot, tmp_path: Path):
    from PySide6.QtCore import QSettings

    from app.ui.main_window import MainWindow

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.resize(900, 520)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()


def wait_loaded(qtbot, win, timeout: int = 90_000) -> None:
    qtbot.waitUntil(lambda: not win.tasks.tasks, timeout=timeout)
    qtbot.wait(50)


def write_las(path: Path, n: int = 20_000, seed: int = 3) -> Path:
    """A flat 100 m x 100 m seeded scan in EPSG:4547 (Wuhan) with intensity and classes."""
    import laspy
    import pyproj

    rng = np.random.default_rng(seed)
    header = laspy.LasHeader(point_format=3, version="1.2")
    header.scales = [0.001, 0.001, 0.001]
    header.offsets = [529000.0, 3385000.0, 0.0]
    header.add_crs(pyproj.CRS("EPSG:4547"))
    las = laspy.LasData(header)
    las.x = 529000 + rng.uniform(0, 100, n)
    las.y = 3385000 + rng.uniform(0, 100, n)
    las.z = 22 + rng.normal(0, 0.01, n)
    las.intensity = rng.integers(0, 65535, n, dtype=np.uint16)
    las.classification = np.full(n, 2, dtype=np.uint8)
    las.red = las.green = las.blue = np.full(n, 40000, dtype=np.uint16)
    las.write(str(path))
    return path
