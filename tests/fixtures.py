"""Seeded data files shared by GUI tests and benchmarks."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import numpy as np


def write_las(path: Path, n: int = 20_000, seed: int = 3, size: float = 100.0, z_spread: float = 0.0,
              classification: int = 2) -> Path:
    """A seeded scan in EPSG:4547 (Wuhan): flat (z_spread 0, 1 cm noise) or a block of points."""
    import laspy
    import pyproj

    rng = np.random.default_rng(seed)
    header = laspy.LasHeader(point_format=3, version="1.2")
    header.scales = [0.001, 0.001, 0.001]
    header.offsets = [529000.0, 3385000.0, 0.0]
    header.add_crs(pyproj.CRS("EPSG:4547"))
    las = laspy.LasData(header)
    las.x = 529000 + rng.uniform(0, size, n)
    las.y = 3385000 + rng.uniform(0, size, n)
    las.z = 22 + (rng.uniform(0, z_spread, n) if z_spread else rng.normal(0, 0.01, n))
    las.intensity = rng.integers(0, 65535, n, dtype=np.uint16)
    las.classification = np.full(n, classification, dtype=np.uint8)
    las.red = las.green = las.blue = rng.integers(0, 65535, n, dtype=np.uint16)
    las.write(str(path))
    return path


def mutated_copies(data: bytes, folder: Path, suffix: str, *, seed: int, count: int, skip: int,
                   max_flips: int = 20):
    """Seeded byte-flip variants of a valid file (past its first `skip` bytes), written into
    `folder`: fuzzing that bad input fails cleanly or loads, never crashes or hangs."""
    rng = np.random.default_rng(seed)
    for i in range(count):
        buf = bytearray(data)
        for pos in rng.integers(skip, len(buf), int(rng.integers(1, max_flips))):
            buf[pos] = int(rng.integers(0, 256))
        path = folder / f"m{i}{suffix}"
        path.write_bytes(bytes(buf))
        yield path


@contextmanager
def offscreen_canvas(size: tuple[int, int] = (400, 300)):
    """A Canvas on an off-screen pyvista plotter with an empty Scene, closed afterwards."""
    import warnings

    import pyvista as pv

    from app.model.scene import Scene
    from viewers.canvas import Canvas

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plotter = pv.Plotter(off_screen=True, window_size=size)
    canvas = Canvas(plotter, Scene())
    try:
        yield canvas
    finally:
        canvas.close()
        plotter.close()
