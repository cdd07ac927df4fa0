"""`twinscape render`: off-screen render (no display needed) with frame-time statistics.

Everything that can be refused cheaply is refused before anything is loaded: the output path
(folder, type, writability), the point budget, unreadable inputs (a named pipe would block) and,
when no project can bring bookmarks, the view. The image is written to a temporary name in the
output folder and renamed at the end, so a failed render leaves no file behind.
"""
from __future__ import annotations

import os
import secrets
import statistics
import tempfile
import time
import warnings
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from app.model.layers import Layer, TilesetLayer
from app.model.opening import apply_opened, open_paths
from app.model.project import is_project
from app.model.scene import Scene
from loaders.base import LoadError

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")  # what VTK's writers take
VIEWS = ("iso", "top", "north")
MAX_WARNINGS_PER_LAYER = 20

Warn = Callable[[str, str], None]
"""on_warning(path, message)."""


def _settle(canvas: Any, limit_s: float) -> None:
    """What the GUI's timers do, until no tile is pending (bounded: a dead server cannot hang it)."""
    start = time.perf_counter()
    canvas.render()
    while canvas.tick(render=False) and time.perf_counter() - start < limit_s:
        time.sleep(0.005)
        canvas.render()  # camera clipping and the next selection follow what was attached
    canvas.tick(render=False)


def check_output(output: str, extensions: tuple[str, ...] = IMAGE_EXTENSIONS, kind: str = "image") -> str:
    """The path that will be written (the first extension added when there is none), or LoadError
    saying why it cannot be: checked by creating (and removing) a file in its folder, so a
    read-only mount, /proc or a missing folder fail now and not after a long load. One check for
    `render`'s images and `video`'s MP4s."""
    example = f"OUT{extensions[0]}"
    if not output or output.endswith(os.sep) or os.path.isdir(output):
        raise LoadError(output, f"is a directory (give {'an' if kind[0] in 'aeiou' else 'a'} {kind} file name, e.g. {example})")
    ext = os.path.splitext(output)[1].lower()
    if not ext:
        output, ext = output + extensions[0], extensions[0]
        if os.path.isdir(output):
            raise LoadError(output, f"is a directory (give {'an' if kind[0] in 'aeiou' else 'a'} {kind} file name, e.g. {example})")
    if ext not in extensions:
        raise LoadError(output, f"unsupported {kind} type '{ext}' (use {', '.join(extensions)})")
    folder = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(folder):
        raise LoadError(output, f"folder {folder} does not exist")
    if os.path.lexists(output) and not os.path.isfile(output):
        raise LoadError(output, "exists and is not a regular file")
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".twinscape-probe-", suffix=ext)
    except OSError as exc:
        raise LoadError(output, f"cannot write in {folder}: {exc.strerror or exc}") from None
    os.close(fd)
    os.unlink(probe)
    return output


def check_view(view: str | None, bookmarks: list[str]) -> None:
    if view is None or view.lower() in VIEWS or view.lower() in (b.lower() for b in bookmarks):
        return
    known = ", ".join(VIEWS + tuple(bookmarks))
    raise LoadError(view, f"unknown view (use {known})")


def _project_bookmarks(paths: list[str]) -> list[str] | None:
    """Bookmark names of the projects among `paths`, read from their files (cheap: no layer loads);
    None when a project cannot be read: the load reports why, and the view is checked after it."""
    from app.model.project import read_project

    names: list[str] = []
    for path in paths:
        if is_project(path):
            try:
                names += [b.name for b in read_project(path).bookmarks]
            except LoadError:
                return None
    return names


def _open_each(scene: Scene, paths: list[str], report: Callable[[LoadError], None],
               stream_tiles: bool) -> list[Layer]:
    """Each input on its own, so one that yields nothing without an error still gets a reason."""
    layers: list[Layer] = []
    for path in paths:
        failed: list[LoadError] = []
        try:
            got = open_paths(scene, [path], on_error=failed.append, stream_tiles=stream_tiles)
            apply_opened(scene, getattr(got, "projects", []))  # a project's camera, bookmarks, frame and clock
        except LoadError as exc:
            failed.append(exc)
            got = []
        except MemoryError:
            failed.append(LoadError(path, "not enough memory to load this file"))
            got = []
        for exc in failed:
            report(exc)
        if not got and not failed:
            report(LoadError(path, "the project has no layers" if is_project(path) else "nothing to show"))
        layers.extend(got)
    return layers


def _source(layer: Layer) -> str:
    return str((layer.source or {}).get("path") or layer.name)


def _report_layers(canvas: Any, layers: list[Layer], report: Callable[[LoadError], None], warn: Warn) -> int:
    """Each layer's warnings (what `info` lists), then an error for each layer that drew nothing
    it could load (a streamed tileset whose every tile failed). Returns how many layers drew."""
    drawn = 0
    for layer in layers:
        path = _source(layer)
        messages = list(layer.warnings)
        tree = layer.data.get("tree") if isinstance(layer, TilesetLayer) and layer.streamed else None
        messages += [m for m in getattr(tree, "warnings", []) if m not in messages]
        for message in messages[:MAX_WARNINGS_PER_LAYER]:
            warn(path, message)
        if tree is not None:
            visual = canvas.visuals.get(id(layer))
            s = visual.stats() if visual is not None else {}
            if s.get("tiles_loaded", 0) == 0 and s.get("tiles_failed", 0) > 0:
                report(LoadError(path, f"nothing could be drawn: none of its tiles loaded ({s['tiles_failed']} failed)"))
                continue
        drawn += 1
    return drawn


def _write_image(plotter: Any, output: str) -> None:
    """Temporary name in the same folder, then an atomic rename: never a half-written image."""
    folder, name = os.path.split(os.path.abspath(output))
    tmp = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.part{os.path.splitext(name)[1]}")
    try:
        plotter.screenshot(tmp)
        os.replace(tmp, output)
    except OSError as exc:
        raise LoadError(output, f"cannot write the image: {exc.strerror or exc}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def render_offscreen(paths: list[str], output: str, *, size: tuple[int, int] = (1280, 720), view: str | None = None,
                     budget: int | None = None, frames: int = 5, stream_tiles: bool = True, settle_s: float = 120.0,
                     on_error: Callable[[LoadError], None] | None = None,
                     on_warning: Warn | None = None) -> dict[str, Any] | None:
    """Render `paths` to the image `output`; one dict of figures, or None when nothing could be
    drawn (each reason went to `on_error`). Bad output paths and options raise LoadError/ValueError
    before anything is loaded."""
    if budget is not None and budget < 1:
        raise ValueError(f"point budget must be a positive number of points, not {budget}")
    if frames < 1:
        raise ValueError(f"frames must be at least 1, not {frames}")
    output = check_output(output)
    names = _project_bookmarks(paths)
    if names is not None:
        check_view(view, names)  # an unknown view is refused before anything loads
    report = on_error or (lambda exc: None)
    warn = on_warning or (lambda path, message: None)
    scene = Scene()
    layers = _open_each(scene, paths, report, stream_tiles)
    if not layers:
        return None
    check_view(view, [b.name for b in scene.bookmarks])
    return _draw(scene, layers, output, size, view, budget, frames, settle_s, report, warn)


@contextmanager
def offscreen_canvas(scene: Scene, layers: list[Layer], size: tuple[int, int],
                     budget: int | None = None) -> Iterator[Any]:
    """An off-screen plotter and canvas showing `layers` (added to `scene`), closed on exit.
    Shared by `render` and `video` (app/video.py), so both draw the scene the same way."""
    import pyvista as pv
    import vtk

    from viewers.canvas import DEFAULT_POINT_BUDGET, Canvas

    # Without a display VTK first tries X, warns, then falls back to EGL/OSMesa: keep stderr for real errors.
    vtk.vtkLogger.SetStderrVerbosity(vtk.vtkLogger.VERBOSITY_ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plotter = pv.Plotter(off_screen=True, window_size=size)
    canvas = Canvas(plotter, scene, point_budget=budget or DEFAULT_POINT_BUDGET)
    try:
        for layer in layers:
            scene.layers.append(layer)
        yield canvas
    finally:
        canvas.close()
        plotter.close()


def _draw(scene: Scene, layers: list[Layer], output: str, size: tuple[int, int], view: str | None,
          budget: int | None, frames: int, settle_s: float, report: Callable[[LoadError], None],
          warn: Warn) -> dict[str, Any] | None:
    with offscreen_canvas(scene, layers, size, budget) as canvas:
        plotter = canvas.plotter
        bookmark = next((b for b in scene.bookmarks if view and b.name.lower() == view.lower()), None)
        if bookmark is not None:
            canvas.set_camera(bookmark.camera)
        elif view is None and getattr(scene, "camera_from_project", False):
            canvas.set_camera(scene.camera)
        else:
            canvas.zoom_to(view=(view or "iso").lower())
        _settle(canvas, settle_s)  # streamed tilesets: every tile this view needs is drawn before timing
        if not _report_layers(canvas, layers, report, warn):
            return None  # nothing loadable was drawn: no image
        canvas.render()  # first frame compiles shaders: not timed
        times = []
        for _ in range(frames):
            t0 = time.perf_counter()
            canvas.render()
            times.append((time.perf_counter() - t0) * 1000.0)
        _write_image(plotter, output)
        stats = canvas.stats()
    return {"output": output, "frame_ms": round(statistics.median(times), 2), **stats,
            "layers": len(layers), "size": list(size), "point_budget": canvas.point_budget}
