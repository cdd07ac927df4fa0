"""`twinscape render`: off-screen render (no display needed) with frame-time statistics."""
from __future__ import annotations

import statistics
import time
import warnings
from typing import Any, Callable

from app.model.opening import open_paths
from app.model.scene import Scene
from loaders.base import LoadError


def _settle(canvas: Any, limit_s: float) -> None:
    """What the GUI's timers do, until no tile is pending (bounded: a dead server cannot hang it)."""
    start = time.perf_counter()
    canvas.render()
    while canvas.tick(render=False) and time.perf_counter() - start < limit_s:
        time.sleep(0.005)
        canvas.render()  # camera clipping and the next selection follow what was attached
    canvas.tick(render=False)


def render_offscreen(paths: list[str], output: str, *, size: tuple[int, int] = (1280, 720), view: str | None = None,
                     budget: int | None = None, frames: int = 5, stream_tiles: bool = True, settle_s: float = 120.0,
                     on_error: Callable[[LoadError], None] | None = None) -> dict[str, Any] | None:
    import pyvista as pv

    from viewers.canvas import DEFAULT_POINT_BUDGET, Canvas

    import vtk

    # Without a display VTK first tries X, warns, then falls back to EGL/OSMesa: keep stderr for real errors.
    vtk.vtkLogger.SetStderrVerbosity(vtk.vtkLogger.VERBOSITY_ERROR)
    errors: list[LoadError] = []
    scene = Scene()
    layers = open_paths(scene, paths, on_error=(on_error or errors.append), stream_tiles=stream_tiles)
    if not layers:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plotter = pv.Plotter(off_screen=True, window_size=size)
    canvas = Canvas(plotter, scene, point_budget=budget or DEFAULT_POINT_BUDGET)
    for layer in layers:
        scene.layers.append(layer)
    bookmark = next((b for b in scene.bookmarks if view and b.name.lower() == view.lower()), None)
    if bookmark is not None:
        canvas.set_camera(bookmark.camera)
    elif view is None and getattr(scene, "camera_from_project", False):
        canvas.set_camera(scene.camera)
    else:
        if view not in (None, "iso", "top", "north"):
            (on_error or errors.append)(LoadError(view or "", "unknown view (use iso, top, north or a bookmark name)"))
        canvas.zoom_to(view=view or "iso")
    _settle(canvas, settle_s)  # streamed tilesets: every tile this view needs is drawn before timing
    canvas.render()  # first frame compiles shaders: not timed
    times = []
    for _ in range(max(1, frames)):
        t0 = time.perf_counter()
        canvas.render()
        times.append((time.perf_counter() - t0) * 1000.0)
    plotter.screenshot(output)
    stats = canvas.stats()
    canvas.close()
    plotter.close()
    return {"output": output, "frame_ms": round(statistics.median(times), 2), **stats,
            "layers": len(layers), "size": list(size), "point_budget": canvas.point_budget}
