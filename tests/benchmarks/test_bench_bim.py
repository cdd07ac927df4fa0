"""Orbit frame time for a generated 10,000-element IFC model (`make bench`).

Baseline in the same run: the same triangles as one plain mesh with no element colours, so the
ratio shows what 10,000 elements cost on top of their geometry (merged actors: nothing)."""
from __future__ import annotations

import statistics
import time
import warnings
from pathlib import Path

import numpy as np
import pytest


def _orbit_ms(plotter, canvas, frames: int = 8) -> float:
    canvas.zoom_to()
    cam = plotter.camera
    canvas.render()
    times = []
    for _ in range(frames):
        cam.Azimuth(360 / frames)
        t0 = time.perf_counter()
        canvas.render()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def test_orbit_10k_elements(tmp_path: Path) -> None:
    import pyvista as pv

    from app.model import MeshLayer, Scene
    from app.model.opening import build_layers
    from tests.ifc_fixtures import make_ifc_grid
    from viewers.canvas import Canvas

    path = tmp_path / "grid10k.ifc"
    make_ifc_grid(path, 10_000)
    scene = Scene()
    t0 = time.perf_counter()
    [bim] = build_layers(scene, str(path))
    load_s = time.perf_counter() - t0
    results = {}
    for name in ("plain mesh, same triangles", "10,000 IFC elements, class colours"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            plotter = pv.Plotter(off_screen=True, window_size=(1280, 720))
        s = Scene()
        canvas = Canvas(plotter, s)
        if name.startswith("plain"):
            layer = MeshLayer(name="plain", data={"vertices": bim.data["vertices"], "faces": bim.data["faces"], "elements": []})
        else:
            layer = bim
            bim.hidden = ()  # spaces too: the same triangles as the plain mesh
            bim.color_mode = "class"
        s.layers.append(layer)
        results[name] = _orbit_ms(plotter, canvas)
        canvas.close()
        plotter.close()
    base = results["plain mesh, same triangles"]
    print(f"\n| 10,000-element IFC: load ({len(bim.elements):,} elements, {len(bim.data['faces']):,} triangles) | {load_s:.2f} s | |")
    for name, ms in results.items():
        print(f"| orbit 1280x720, {name} | {ms:.0f} ms/frame | {ms / base:.2f}x of the plain mesh |")
    assert results["10,000 IFC elements, class colours"] < base * 3
