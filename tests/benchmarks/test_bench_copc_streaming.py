"""COPC streaming benchmark: time to first pixels of a 3M-point COPC file opened streamed
(root node only, the rest as the view asks) against loading the whole file, and the points a
fitted view draws at the default maximum SSE. Figures print as markdown rows; loose asserts."""
from __future__ import annotations

import time

import numpy as np
import pytest
import pyvista as pv

from app.model import Scene
from app.model.opening import build_layers
from loaders.copc_tree import STREAMED_LOADER
from tests.loaders.copc_fixture import make_copc
from viewers.canvas import Canvas

POINTS = 3_000_000


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    t0 = time.perf_counter()
    path = make_copc(tmp_path_factory.mktemp("bench_copc"), POINTS)
    print(f"\n| write a {POINTS:,}-point COPC (twinscape tile) | {time.perf_counter() - t0:.1f} s | |")
    return path


def _first_pixels(path, streamed: bool) -> tuple[float, Canvas, pv.Plotter, object]:
    scene = Scene()
    t0 = time.perf_counter()
    [layer] = build_layers(scene, str(path), loader=STREAMED_LOADER if streamed else None, stream_tiles=streamed)
    plotter = pv.Plotter(off_screen=True, window_size=(800, 600))
    canvas = Canvas(plotter, scene)
    scene.layers.append(layer)
    canvas.zoom_to()
    canvas.tick(render=False)
    canvas.render()
    return time.perf_counter() - t0, canvas, plotter, layer


def test_streamed_copc_shows_before_a_whole_load(big) -> None:
    streamed_s, canvas, plotter, layer = _first_pixels(big, True)
    first_points = canvas.stats()["points_drawn"]
    t0 = time.perf_counter()
    while canvas.tick(render=False) and time.perf_counter() - t0 < 60:
        time.sleep(0.005)
    canvas.render()
    settled_s = time.perf_counter() - t0
    settled = canvas.stats()
    canvas.close()
    plotter.close()
    whole_s, canvas, plotter, _ = _first_pixels(big, False)
    whole_points = canvas.stats()["points_drawn"]
    canvas.close()
    plotter.close()
    print(f"\n| COPC {POINTS:,} points, first pixels streamed | {streamed_s * 1000:.0f} ms | {first_points:,} points (root) |")
    print(f"| COPC fitted view settled at max SSE 16, 800x600 | +{settled_s * 1000:.0f} ms | "
          f"{settled['points_drawn']:,} points in {settled['tiles_selected']} nodes, "
          f"{settled['tiles_geometry_bytes'] / 2**20:.1f} MiB |")
    print(f"| COPC {POINTS:,} points, first pixels loaded whole | {whole_s * 1000:.0f} ms | {whole_points:,} points drawn |")
    print(f"| ratio streamed / whole | {streamed_s / whole_s:.2f} | |")
    assert streamed_s < 0.5 * whole_s and np.isfinite(settled_s)
    assert settled["points_drawn"] < POINTS and settled["tiles_failed"] == 0
