"""`twinscape video`: a project's tour rendered off-screen to an H.264 MP4 (PyAV, libx264, yuv420p).

Frame k shows the tour at time k/fps whatever the render costs (each frame waits for the tiles
its view needs, bounded), so the video plays at the tour's pace on any machine. The scene is
built exactly as `twinscape render` builds it (app.render.offscreen_canvas). Everything that can
be refused cheaply is refused before loading: the output path, the size, the tour's name. The
file is written under a temporary name in the output folder and renamed at the end.
"""
from __future__ import annotations

import math
import os
import secrets
import tempfile
import time
from fractions import Fraction
from typing import Any, Callable

import numpy as np

from app.model.clock import ClockError
from app.model.project import is_project, read_project
from app.model.scene import Scene
from app.model.tours import Tour, find_tour, missing_message, set_clock_time
from app.render import _open_each, _settle, offscreen_canvas
from loaders.base import LoadError

VIDEO_EXTENSIONS = (".mp4", ".m4v", ".mov")
FRAME_SETTLE_S = 20.0  # per frame: tiles a view needs are drawn first, but a dead server cannot hang the export

Progress = Callable[[int, int], None]
"""progress(frames done, frames in all)."""


def even_size(size: tuple[int, int]) -> tuple[int, int]:
    """H.264 in yuv420p needs even width and height: odd ones round down (up from 1)."""
    return tuple(max(2, v - v % 2) for v in size)  # type: ignore[return-value]


def check_video_output(output: str) -> str:
    """The MP4 path, or LoadError saying why it cannot be written (checked by creating a file there)."""
    from app.render import check_output

    return check_output(output, VIDEO_EXTENSIONS, "video")


def choose_tour(project: str, name: str | None) -> Tour:
    """The tour to export, read from the project file alone (nothing loaded yet)."""
    if not is_project(project):
        raise LoadError(project, "not a Twinscape project (.twin): a video follows a project's tour")
    spec = read_project(project)
    tour = find_tour(spec.tours, name)
    if tour is None:
        if not spec.tours:
            raise LoadError(project, "the project has no tours (make one in Present > Tours)")
        raise LoadError(name or project, f"no tour of that name (the project has: {', '.join(t.name for t in spec.tours)})")
    if not tour.playable(spec.bookmarks):
        raise LoadError(project, f"tour '{tour.name}' has no stop whose bookmark exists"
                                 + (f" ({missing_message(tour, spec.bookmarks)})" if tour.stops else " (it has no stops)"))
    return tour


class _LiveFeeds:
    """Live sensor layers keep receiving while the video renders, as the GUI's feed timer makes them
    do (app/ui/sensor_live.py): each frame drains what arrived. A layer's feed opens when the tour
    first shows it (a simulated feed's backfill costs seconds; a tour that never shows sensors pays
    nothing). A feed that cannot open is a warning; the tour still renders."""

    def __init__(self, scene: Scene, warn: Callable[[str, str], None], enabled: bool = True) -> None:
        self.scene = scene
        self.warn = warn
        self.enabled = enabled
        self.feeds: dict[int, tuple[Any, Any]] = {}
        self.failed: set[int] = set()

    def _open(self, layer: Any) -> None:
        try:
            from app.sources.feed import open_feed
            from app.sources.mapping import FeedMapping

            mapping = getattr(layer, "mapping", None)
            feed = open_feed(layer.url, FeedMapping.from_dict(mapping) if mapping else None)
            feed.start()
        except Exception as exc:  # noqa: BLE001 - FeedError, a bad mapping: said, never fatal
            self.failed.add(id(layer))
            self.warn(layer.url, f"live layer '{layer.name}' shows no readings: {getattr(exc, 'reason', None) or exc}")
            return
        self.feeds[id(layer)] = (feed, layer)

    def drain(self) -> None:
        for layer in self.scene.layers if self.enabled else ():
            if (layer.visible and getattr(layer, "url", None) and callable(getattr(layer, "ingest", None))
                    and id(layer) not in self.feeds and id(layer) not in self.failed):
                self._open(layer)
        for feed, layer in self.feeds.values():
            readings = feed.drain(10_000)
            if readings:
                infos = feed.sensors() if any(r.position is None for r in readings) else None
                layer.ingest(readings, self.scene.frame, infos)
            layer.set_status(feed.stats)

    def close(self) -> None:
        for feed, _ in self.feeds.values():
            try:
                feed.stop()
            except Exception:  # noqa: BLE001 - closing never fails the export
                pass


class _Encoder:
    """H.264 frames at a constant rate: frame k gets pts k in a 1/fps time base."""

    def __init__(self, path: str, size: tuple[int, int], fps: int) -> None:
        import av

        self.container = av.open(path, mode="w", format="mp4")
        self.stream = self.container.add_stream("libx264", rate=Fraction(fps, 1))
        self.stream.width, self.stream.height = size
        self.stream.pix_fmt = "yuv420p"
        self.stream.time_base = Fraction(1, fps)
        self.stream.options = {"crf": "20", "preset": "veryfast"}
        self.size = size
        self.count = 0

    def add(self, rgb: np.ndarray) -> None:
        import av

        w, h = self.size
        img = np.zeros((h, w, 3), np.uint8)  # a screenshot a pixel off the asked size is padded/cropped
        src = np.asarray(rgb)[:h, :w, :3]
        img[: src.shape[0], : src.shape[1]] = src
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")
        frame.pts = self.count
        self.count += 1
        for packet in self.stream.encode(frame):
            self.container.mux(packet)

    def close(self, flush: bool = True) -> None:
        try:
            if flush:
                for packet in self.stream.encode():
                    self.container.mux(packet)
        finally:
            self.container.close()


def export_video(project: str, output: str, *, tour: str | None = None, size: tuple[int, int] = (1280, 720),
                 fps: int = 30, budget: int | None = None, live: bool = True, progress: Progress | None = None,
                 on_error: Callable[[LoadError], None] | None = None,
                 on_warning: Callable[[str, str], None] | None = None) -> dict[str, Any] | None:
    """Render `tour` (default: the project's first) to `output`; figures, or None when nothing could
    be drawn. Bad paths, sizes and tour names raise LoadError before anything is loaded. `live`: live
    sensor layers open their feeds when the tour shows them (False: they render as saved, offline)."""
    from viewers.flight import TourTimeline, apply_visibility

    warn = on_warning or (lambda path, message: None)
    report = on_error or (lambda exc: None)
    if not 1 <= fps <= 120:
        raise ValueError(f"fps must be between 1 and 120, not {fps}")
    output = check_video_output(output)
    even = even_size(size)
    if even != tuple(size):
        warn(output, f"size {size[0]}x{size[1]} rounded to {even[0]}x{even[1]} (H.264 needs even sizes)")
    chosen = choose_tour(project, tour)
    scene = Scene()
    layers = _open_each(scene, [project], report, stream_tiles=True)
    if not layers:
        return None
    chosen = find_tour(scene.tours, chosen.name) or chosen
    message = missing_message(chosen, scene.bookmarks)
    if message:
        warn(project, message)
    folder, name = os.path.split(os.path.abspath(output))
    tmp = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.part{os.path.splitext(name)[1]}")
    started = time.perf_counter()
    try:
        with offscreen_canvas(scene, layers, even, budget) as canvas:
            bounds = scene.local_bounds()
            ground = float(bounds[0][2]) if bounds is not None else None
            timeline = TourTimeline(chosen, list(scene.bookmarks), scene.camera, ground)
            total = int(math.floor(timeline.duration * fps + 1e-9)) + 1
            encoder = _Encoder(tmp, even, fps)
            feeds = _LiveFeeds(scene, warn, enabled=live)
            unknown: set[str] = set()
            clock_time: str | None = None
            try:
                for k in range(total):
                    state = timeline.state(k / fps)
                    for missing in apply_visibility(scene.layers, state.layers):
                        if missing not in unknown:
                            unknown.add(missing)
                            warn(project, f"tour '{chosen.name}': no layer named '{missing}'")
                    if state.time is not None and state.time != clock_time:
                        clock_time = state.time
                        try:
                            set_clock_time(scene.clock, state.time)
                        except ClockError as exc:
                            warn(project, f"tour '{chosen.name}': {exc}")
                    feeds.drain()
                    canvas.set_camera(state.camera)
                    _settle(canvas, FRAME_SETTLE_S)
                    encoder.add(canvas.plotter.screenshot(None, return_img=True))
                    if progress is not None:
                        progress(k + 1, total)
            except BaseException:
                encoder.close(flush=False)
                raise
            finally:
                feeds.close()
            encoder.close()
        os.replace(tmp, output)
    except OSError as exc:
        raise LoadError(output, f"cannot write the video: {exc.strerror or exc}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    seconds = time.perf_counter() - started
    return {"output": output, "tour": chosen.name, "frames": total, "fps": fps, "duration_s": round(total / fps, 3),
            "size": list(even), "seconds": round(seconds, 2), "render_fps": round(total / max(seconds, 1e-9), 2),
            "layers": len(layers)}
