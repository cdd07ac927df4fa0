"""TilesetStreamVisual: draws a streamed TilesetLayer, tile by tile, as the camera asks.

Each frame (`update_view`): upload a few finished tiles (GUI thread, time-boxed), traverse the
tree for the camera (selection.py), show/hide tile actors, evict least-recently-used tiles
over the memory budget (cache.py), cancel requests that left the view and queue new ones on
worker threads, which fetch, parse and build unattached vtkPolyData into a bounded queue.
Vertices are kept relative to each tile's centre (float32 stays exact); the actor's user matrix
(float64) carries tile centre and tileset -> scene transform.
"""
from __future__ import annotations

import queue
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
import pyvista as pv
import vtk

from app.model.color_range import tileset_ranges
from app.model.layers import TilesetLayer
from app.model.scene import Selection
from loaders.base import LoadError
from viewers import style
from viewers.lod import camera_state_from_vtk, frustum_planes_from_vtk
from viewers.tiles.cache import TileCache
from viewers.tiles.selection import View, select_tiles
from viewers.legends import Legend
from viewers.tiles.styling import TileColoring, elevation_colours, elevation_range, filtered_poly
from viewers.text import tr
from viewers.textures import TextureBank, dress_actor
from viewers.tiles.point_sse import budget_sse
from viewers.tiles.parts import LoadedTile, TilePart, adapt_point_sizes, prepare_tile  # noqa: F401 - re-exported
from viewers.visuals import MeshVisual, register_visual

WORKERS = 2
MAX_IN_FLIGHT = 8  # requests queued on the workers at once: the rest wait, re-prioritised per frame
UPLOAD_MS = 8.0  # GUI-thread time per frame spent attaching finished tiles
MAX_UPLOADS = 6
BASE_POINT_PX = 3.0  # default point size of streamed point tiles (TilesetLayer.point_size), as whole-loaded clouds
MAX_POINT_PX = 10.0


def _vtk_matrix(m: np.ndarray) -> vtk.vtkMatrix4x4:
    out = vtk.vtkMatrix4x4()
    for r in range(4):
        for c in range(4):
            out.SetElement(r, c, float(m[r, c]))
    return out


@register_visual(TilesetLayer)
class TilesetStreamVisual(MeshVisual):
    """A TilesetLayer: merged ones draw as meshes (MeshVisual); streamed ones tile by tile."""

    layer: TilesetLayer

    def build(self) -> None:
        if not self.layer.streamed:
            super().build()
            return
        if not hasattr(self, "tree"):
            self._start()  # no streaming step yet: the camera may still be the default one, and
            self._apply_style()  # tiles it selects would be fetched for nothing (the next tick
            return  # runs with the real camera: render's settle, the GUI's poll timer)
        self._apply_style()
        self.update_view()

    # --- life cycle ----------------------------------------------------------------------------
    def _start(self) -> None:
        d = self.layer.data
        self.tree = d["tree"]
        self.matrix = np.asarray(d["matrix"], float)
        self.inverse = np.linalg.inv(self.matrix)
        self.drawn = {"triangles": 0, "points": 0, "tiles": 0}
        self.loaded: dict[int, LoadedTile] = {}
        self.failed: dict[int, str] = {}
        self.futures: dict[int, Future] = {}
        self.expanding: dict[int, Future] = {}
        self.results: queue.Queue = queue.Queue(maxsize=32)
        self.shown: set[int] = set()
        self.cache = TileCache(int(self.layer.memory_budget_mb * 1024**2))
        self.executor = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="tiles")
        self._closed = threading.Event()
        self._actor_part: dict[int, tuple[int, TilePart]] = {}
        self.counters = {"visited": 0, "selected": 0, "culled": 0, "requests": 0}
        self.ranges = tileset_ranges(self.layer)  # declared, else the root's: fixed while tiles stream
        self.coloring = self._new_coloring()
        self.textures = TextureBank()
        self.frame = 0
        self.cancelled = 0
        for index, contents in (d.get("preloaded") or {}).items():
            node = self.tree.nodes[index]
            self._attach(index, prepare_tile(contents, node.center, node.contents[0] if node.contents else ""))

    def close(self) -> None:
        if self.layer.streamed and hasattr(self, "tree"):
            self._closed.set()
            for f in list(self.futures.values()) + list(self.expanding.values()):
                f.cancel()
            self.executor.shutdown(wait=False, cancel_futures=True)
            for index in list(self.loaded):
                self._detach(index)
            self.canvas.set_legend(self, None)
            self.layer.events.disconnect(self._on_event)
            self.layer.data_changed.disconnect(self._on_data_changed)
            return
        super().close()

    def _on_event(self, info: Any) -> None:
        if not self.layer.streamed:
            super()._on_event(info)
            return
        name = info.signal.name
        if name == "memory_budget_mb":
            self.cache.budget_bytes = int(self.layer.memory_budget_mb * 1024**2)
        if name in ("color_mode", "color_limits"):
            self.coloring = self._new_coloring()
        if name == "name":
            self._legend_shown = None  # retitle
        if name in ("visible", "opacity", "color_mode", "color_limits", "show_edges", "feature_filter", "name", "point_size"):
            self._apply_style()
        self.update_view()
        self.canvas.request_render()

    def _new_coloring(self) -> TileColoring:
        mode = self.layer.color_mode
        return TileColoring(mode, self.ranges, self.layer.color_limits.get(mode))

    def _on_data_changed(self) -> None:
        if not self.layer.streamed:
            super()._on_data_changed()
        elif hasattr(self, "tree") and not np.array_equal(self.matrix, self.layer.data["matrix"]):
            self._move(np.asarray(self.layer.data["matrix"], float))

    def _move(self, matrix: np.ndarray) -> None:
        """The tileset -> scene matrix changed (scene origin moved, layer placed): the tiles keep
        their centre-relative vertices; only each actor's float64 user matrix is recomposed."""
        self.matrix, self.inverse = matrix, np.linalg.inv(matrix)
        for index, tile in self.loaded.items():
            shift = np.eye(4)
            shift[:3, 3] = self.tree.nodes[index].center
            user = _vtk_matrix(self.matrix @ shift)
            for part in tile.parts:
                if part.actor is not None:
                    part.actor.SetUserMatrix(user)
        self.update_view()
        self.canvas.request_render()

    # --- workers -------------------------------------------------------------------------------
    def _work(self, index: int) -> None:
        if self._closed.is_set():
            return
        node = self.tree.nodes[index]
        try:
            contents = self.tree.load_content(index)
            for c in contents:  # the tree keeps one copy of each text: a tileset warns once per kind
                for w in c.geometry.warnings[:5]:
                    self.tree._warn(w)
            item: Any = prepare_tile(contents, node.center, node.contents[0], node.metadata)
        except LoadError as exc:
            item = f"{exc.path[-80:]}: {exc.reason}"
        except Exception as exc:  # noqa: BLE001 - any bad tile is a failed tile, never a crash
            item = f"{type(exc).__name__}: {exc}"
        while not self._closed.is_set():  # bounded queue: a worker waits for the GUI to catch up
            try:
                self.results.put((index, item), timeout=0.1)
                return
            except queue.Full:
                continue

    # --- GUI thread ----------------------------------------------------------------------------
    def _attach(self, index: int, tile: LoadedTile) -> None:
        node = self.tree.nodes[index]
        shift = np.eye(4)
        shift[:3, 3] = node.center
        user = _vtk_matrix(self.matrix @ shift)
        renderer = self.canvas.plotter.renderer
        for part in tile.parts:
            mapper = vtk.vtkPolyDataMapper()
            actor = vtk.vtkActor()
            actor.SetMapper(mapper)
            actor.SetUserMatrix(user)
            actor.SetVisibility(False)
            part.actor = actor
            self._actor_part[id(actor)] = (index, part)  # before styling: the elevation ramp needs the tile
            self._style_part(part)
            renderer.AddActor(actor)
        self.loaded[index] = tile
        seen = self.layer.data.setdefault("seen_properties", {})  # colour-by offers what tiles brought
        for part in tile.parts:
            seen.update(dict.fromkeys(part.properties))
        self.cache.add(index, tile.nbytes)
        self._sync_coloring()

    def _detach(self, index: int) -> None:
        tile = self.loaded.pop(index, None)
        self.cache.remove(index)
        self.shown.discard(index)
        if tile is None:
            return
        renderer = self.canvas.plotter.renderer
        for part in tile.parts:
            if part.actor is not None:
                renderer.RemoveActor(part.actor)
                self._actor_part.pop(id(part.actor), None)
                part.actor.SetTexture(None)
                part.actor = None
        self.textures.release([p.material.texture for p in tile.parts if p.textured])

    def _style_part(self, part: TilePart) -> None:
        actor, mapper = part.actor, part.actor.GetMapper()
        poly, part.kept = filtered_poly(part.poly, part.cell_feature, part.properties, self.layer.feature_filter)
        mapper.SetInputData(poly)
        prop = actor.GetProperty()
        prop.SetOpacity(float(self.layer.opacity))
        prop.SetEdgeVisibility(bool(self.layer.show_edges))
        has_rgba = part.poly.point_data.get("RGBA") is not None if hasattr(part.poly, "point_data") else False
        if part.poly.n_cells == part.poly.n_verts and part.poly.n_verts:  # points
            prop.SetPointSize(float(self.layer.point_size))
            prop.LightingOff()
        else:
            prop.SetAmbient(0.22)
            prop.SetDiffuse(0.8)
            prop.SetSpecular(0.05)
        # A filter may leave a part no cells at all: nothing to colour (pyvista refuses empty arrays).
        styled = self.coloring.cell_colors(part.properties, part.cell_feature, part.kept, poly.n_cells) \
            if self.coloring.active and poly.n_cells else None
        if styled is not None:
            array_name, values = styled
            poly.cell_data[f"style {array_name}"] = values
            mapper.SetScalarModeToUseCellFieldData()
            mapper.SelectColorArray(f"style {array_name}")
            if array_name == "RGBA":
                mapper.SetColorModeToDirectScalars()
            else:
                mapper.SetLookupTable(self.coloring.lut)
                mapper.SetScalarRange(*self.coloring.scalar_range())
                mapper.SetColorModeToMapScalars()
            mapper.ScalarVisibilityOn()
        elif self.layer.color_mode == "elevation" and poly.n_points and self._elevation(part, poly, mapper):
            pass
        elif part.textured and self.layer.color_mode != "elevation":
            if part.tinted:  # a highlight tint over white modulates the texture
                mapper.SetScalarModeToUsePointFieldData()
                mapper.SelectColorArray("RGBA")
                mapper.SetColorModeToDirectScalars()
                mapper.ScalarVisibilityOn()
            else:
                mapper.ScalarVisibilityOff()
            dress_actor(actor, part.material, self.textures.get(part.material), float(self.layer.opacity))
            return
        elif has_rgba and self.layer.color_mode != "elevation":
            mapper.SetScalarModeToUsePointFieldData()
            mapper.SelectColorArray("RGBA")
            mapper.SetColorModeToDirectScalars()
            mapper.ScalarVisibilityOn()
        else:
            mapper.ScalarVisibilityOff()
            prop.SetColor(*[c / 255.0 for c in style.DEFAULT_MESH_RGB])
        if part.material is not None and not (part.poly.n_cells == part.poly.n_verts):
            dress_actor(actor, part.material if styled is None else None, None, float(self.layer.opacity))

    def _elevation(self, part: TilePart, poly: Any, mapper: Any) -> bool:
        hit = self._actor_part.get(id(part.actor))
        rng = elevation_range(self.layer)
        if hit is None or rng is None:
            return False
        elevation_colours(poly, self.tree.nodes[hit[0]].center, self.matrix, mapper, self._elevation_lut(rng), rng)
        return True

    def _elevation_lut(self, rng: tuple[float, float]) -> Any:
        lut = getattr(self, "_elev_lut", None)
        if lut is None:
            lut = self._elev_lut = pv.LookupTable(cmap=style.ELEVATION_CMAP)
        lut.scalar_range = rng
        return lut

    def _apply_style(self) -> None:
        for tile in self.loaded.values():
            for part in tile.parts:
                if part.actor is not None:
                    self._style_part(part)
        self._sync_coloring()
        self._show(self.shown, force=True)

    def _sync_coloring(self) -> None:
        """Keep every tile on one colour scale, and the legend or colour bar in step with it."""
        c = self.coloring
        if c.changed:
            c.changed = False
            c.lut.scalar_range = c.scalar_range()
            for tile in self.loaded.values():
                for part in tile.parts:
                    if part.actor is not None:
                        part.actor.GetMapper().SetScalarRange(*c.scalar_range())
        legend: Legend | None = None
        if c.active and c.numeric:
            if tuple(c.lut.scalar_range) != tuple(c.scalar_range()):  # the legend samples the lut
                c.lut.scalar_range = c.scalar_range()
            legend = Legend(f"{self.layer.name}: {c.name}", lut=c.lut, range=c.scalar_range())
        elif (categories := c.legend()) is not None:
            legend = Legend(f"{self.layer.name}: {categories[0]}", tuple(categories[1]))
        rng = elevation_range(self.layer) if self.layer.color_mode == "elevation" else None
        if legend is None and rng is not None and self.loaded:
            legend = Legend(tr("{layer}: Elevation (m)").format(layer=self.layer.name), lut=self._elevation_lut(rng), range=rng)
        key = legend.key() if legend is not None else None
        if key != getattr(self, "_legend_shown", None):  # per tile attach: redraw the legend only on change
            self._legend_shown = key
            self.canvas.set_legend(self, legend)

    def _show(self, selected: set[int], force: bool = False) -> None:
        on = bool(self.layer.visible)
        changed = selected.symmetric_difference(self.shown) if not force else set(self.loaded)
        for index in changed:
            tile = self.loaded.get(index)
            if tile is None:
                continue
            for part in tile.parts:
                part.actor.SetVisibility(on and index in selected)
        self.shown = set(selected)

    def _drain(self) -> int:
        """Attach finished tiles for at most UPLOAD_MS: a frame never stalls on uploads."""
        start, n = time.perf_counter(), 0
        while n < MAX_UPLOADS and (time.perf_counter() - start) * 1000.0 < UPLOAD_MS:
            try:
                index, item = self.results.get_nowait()
            except queue.Empty:
                break
            self.futures.pop(index, None)
            if isinstance(item, str):
                self.failed[index] = item
                if len(self.failed) <= 20:
                    self.tree._warn(tr("tile {index} failed: {error}").format(index=index, error=item))
            elif index not in self.loaded:
                self._attach(index, item)
                n += 1
        return n

    def camera_view(self) -> View:
        """The canvas camera moved into tileset world coordinates."""
        cam = self.canvas.plotter.camera
        w, h = self.canvas.plotter.window_size
        state = camera_state_from_vtk(cam)
        rot, t = self.matrix[:3, :3], self.matrix[:3, 3]
        planes = frustum_planes_from_vtk(cam, w / max(h, 1))[:4]  # no near/far: clipping follows drawn tiles
        world_planes = np.hstack([planes[:, :3] @ rot, (planes[:, :3] @ t + planes[:, 3])[:, None]])
        eye = self.inverse[:3, :3] @ state["camera_position"] + self.inverse[:3, 3]
        return View(eye, self.inverse[:3, :3] @ state["view_dir"], state["fov_y_deg"], float(h), world_planes)

    def update_view(self) -> bool:
        """One streaming step for the current camera; True while work is still pending."""
        if not self.layer.streamed or not hasattr(self, "tree"):
            return False
        self.frame += 1
        uploaded = self._drain()
        for index, fut in list(self.expanding.items()):
            if fut.done():
                del self.expanding[index]
        if not self.layer.visible:
            self._show(set())
            return False
        view = self.camera_view()
        sel = select_tiles(self.tree, view, self._max_sse(view),
                           lambda i: i in self.loaded, lambda i: i in self.failed)
        self._show(self._within_point_budget(set(sel.selected)))
        size = float(self.layer.point_size)
        adapt_point_sizes(self.tree, self.loaded, self.shown, view, size, max(MAX_POINT_PX, size))
        self.cache.touch(sel.needed - set(sel.selected))
        self.cache.touch(sel.selected)
        for index in self.cache.evict(sel.needed):
            self._detach(index)
        self.cache.end_frame()
        self._schedule(sel)
        self.counters = {"visited": sel.visited, "selected": len(sel.selected), "culled": sel.culled,
                         "requests": len(sel.requests)}
        tiles = [self.loaded[i] for i in self.shown if i in self.loaded]
        self.drawn = {"triangles": sum(t.triangles for t in tiles), "points": sum(t.points for t in tiles),
                      "tiles": len(tiles)}
        if uploaded:
            self.canvas.request_render()
        return self.pending()

    def _max_sse(self, view: View) -> float:
        """The layer's SSE; for a COPC, lowered until its cut fills the point budget left by the
        other point layers (viewers.tiles.point_sse), recomputed when the camera or budget moves."""
        max_sse = self.layer.max_sse * self.cache.sse_factor
        if not hasattr(self.tree, "entry"):
            return max_sse
        mine = ("tiles", id(self))
        budget = self.canvas.point_budget - sum(v for k, v in self.canvas.budget.totals.items() if k != mine)
        key = (tuple(np.round(view.eye, 6)), tuple(np.round(view.direction, 6)), view.height_px, view.fov_y_deg,
               budget, max_sse, len(self.tree.nodes))
        cached = getattr(self, "_sse_cache", None)
        if cached is None or cached[0] != key:
            self._sse_cache = (key, budget_sse(self.tree, view, max_sse, budget))
        return self._sse_cache[1]

    def _within_point_budget(self, selected: set[int]) -> set[int]:
        """Point tiles (COPC nodes, pnts) share the canvas's one point budget with every other
        point layer: the nearest and largest fit, the rest wait (refinement adds points, so a
        coarser cut has no holes). Tiles with triangles are not points and always show."""
        ids = [i for i in selected if i in self.loaded and self.loaded[i].points and not self.loaded[i].triangles]
        self._candidates: tuple | None = None
        if not ids:
            return selected
        scale = float(np.max(np.linalg.norm(self.matrix[:3, :3], axis=0)))
        centres = np.array([self.tree.nodes[i].center for i in ids], dtype=np.float64)
        self._candidates = (np.asarray(ids), centres @ self.matrix[:3, :3].T + self.matrix[:3, 3],
                            np.array([self.tree.nodes[i].radius for i in ids]) * scale,
                            np.array([self.loaded[i].points for i in ids]))
        allowed = self.canvas.budget.stream_allowance(self, self._candidates)
        return {i for i in selected if i not in ids or i in allowed}

    def point_candidates(self) -> tuple | None:
        """(tile ids, scene centres, radii, points) of the point tiles the last frame selected."""
        return getattr(self, "_candidates", None) if self.layer.visible else None

    def _schedule(self, sel: Any) -> None:
        wanted = [i for _, i in sel.requests]
        keep = set(wanted[: MAX_IN_FLIGHT * 2])
        for index, fut in list(self.futures.items()):  # left the view: cancel if not started
            if index not in keep and fut.cancel():
                del self.futures[index]
                self.cancelled += 1
        for index in sel.expand:
            if index not in self.expanding and len(self.expanding) < WORKERS:
                self.expanding[index] = self.executor.submit(self.tree.expand, index)
        for index in wanted:
            if len(self.futures) >= MAX_IN_FLIGHT:
                break
            if index not in self.futures and index not in self.loaded and index not in self.failed:
                self.futures[index] = self.executor.submit(self._work, index)

    def pending(self) -> bool:
        return bool(self.futures or self.expanding or not self.results.empty())

    def stats(self) -> dict[str, int]:
        if not self.layer.streamed:
            return super().stats()
        out = dict(self.drawn) if self.layer.visible else {}
        out.update({"tiles_visited": self.counters["visited"], "tiles_selected": self.counters["selected"],
                    "tiles_culled": self.counters["culled"], "tiles_loaded": len(self.loaded),
                    "tiles_failed": len(self.failed), "tiles_pending": len(self.futures) + len(self.expanding),
                    "tiles_known": len(self.tree.nodes),
                    "tiles_texture_bytes": sum(t.texture_bytes for t in self.loaded.values()),
                    "tiles_geometry_bytes": int(self.cache.total_bytes) - sum(t.texture_bytes for t in self.loaded.values()),
                    "tiles_evicted": self.cache.evictions, "tiles_cancelled": self.cancelled})
        return out

    # --- picking -------------------------------------------------------------------------------
    def describe_actor_pick(self, actor: Any, cell_id: int, position: np.ndarray) -> Selection | None:
        """A cell of one of this visual's tile actors -> the feature and its properties."""
        hit = self._actor_part.get(id(actor)) if hasattr(self, "_actor_part") else None
        if hit is None:
            return None
        index, part = hit
        node = self.tree.nodes[index]
        name = part.uri.rsplit("/", 1)[-1] if part.uri else tr("tile {index}").format(index=index)
        props: dict[str, Any] = {"layer": self.layer.name, "tile": tr("level {level}: {name}").format(level=node.depth, name=name)}
        props.update(node.metadata.get(part.uri) or {})  # tileset, group, tile and content metadata
        feature = -1
        if part.kept is not None:  # a filter left cells out: drawn cell -> the tile's own cell
            cell_id = int(part.kept[cell_id]) if 0 <= cell_id < len(part.kept) else -1
        if part.cell_feature is not None and 0 <= cell_id < len(part.cell_feature):
            feature = int(part.cell_feature[cell_id])
        if feature >= 0:
            props["id"] = f"{part.uri.rsplit('/', 1)[-1]}#{feature}"
            props["feature"] = feature
            props.update({k: v[feature] for k, v in part.properties.items() if isinstance(v, (list, tuple, np.ndarray)) and feature < len(v)})
        props.update(self.canvas.describe_position(position))
        self._picked = (part, feature)
        return Selection(self.layer, feature, props)

    def set_highlight(self, index: int | None) -> None:
        """Tint the picked feature's vertices in the highlight colour, in place (one tile part)."""
        if not self.layer.streamed:
            super().set_highlight(index)
            return
        lit = getattr(self, "_lit", None)
        if lit is not None:  # restore the previous feature's colours
            part, base = lit
            part.poly.point_data["RGBA"] = base
            part.poly.Modified()
            if part.tinted:
                part.tinted = False
                if part.actor is not None:
                    self._style_part(part)
            self._lit = None
        picked = getattr(self, "_picked", None)
        if index is None or index < 0 or picked is None or picked[1] != index or picked[0].actor is None:
            return
        part = picked[0]
        if part.cell_feature is None or part.poly.n_cells != len(part.cell_feature):
            return
        rgba = part.poly.point_data.get("RGBA")
        base = np.array(rgba) if rgba is not None else np.tile(np.array([*style.DEFAULT_MESH_RGB, 255], np.uint8), (part.poly.n_points, 1))
        faces = np.asarray(part.poly.faces).reshape(-1, 4)[:, 1:]
        lit_rgba = np.full_like(base, 255) if part.textured else base.copy()
        part.tinted = part.textured
        lit_rgba[np.unique(faces[part.cell_feature == index]), :3] = style.HIGHLIGHT_RGB
        part.poly.point_data["RGBA"] = lit_rgba
        part.poly.Modified()
        self._style_part(part)
        self._lit = (part, base)
