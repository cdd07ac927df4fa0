"""One ray scene from the scene's meshes: open3d's RaycastingScene (Embree), chunked, cancellable.

Why open3d: measured here at 2.3 M rays/s, against 78 k/s for a VTK cell-locator loop. It works
in float32, so every vertex and ray is shifted to a local origin (the meshes' centre, rounded)
first: 10 km from the origin float32 steps are ~1 mm, at ECEF-sized coordinates ~0.5 m.

Which geometry casts: every visible mesh layer (BIM, city models, meshes, tilesets), without the
elements the user hid and without spaces (IfcSpace volumes are not walls). A streamed tileset is
read at its finest level for this (it is not in memory as one mesh). No Qt, no VTK.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

import numpy as np

if TYPE_CHECKING:
    from app.model.scene import Scene

Progress = Callable[[float, str], None]
Cancel = Callable[[], bool]
CHUNK = 1 << 20  # rays per call: ~24 MB of float32 rays, a fraction of a second, then progress/cancel


class RaysCancelled(Exception):
    """The user cancelled; nothing was changed."""


@dataclass
class MeshPart:
    name: str
    vertices: np.ndarray  # (V,3) float64 scene ENU
    faces: np.ndarray  # (F,3) int64


@dataclass
class RayScene:
    """Triangles shifted to `origin` in an open3d RaycastingScene; rays in scene ENU (float64)."""

    parts: list[MeshPart]
    origin: np.ndarray = field(default_factory=lambda: np.zeros(3))
    triangles: int = 0

    def __post_init__(self) -> None:
        import open3d as o3d

        self._o3d = o3d
        self.scene = o3d.t.geometry.RaycastingScene()
        boxes = [np.array([p.vertices.min(0), p.vertices.max(0)]) for p in self.parts if len(p.vertices) and len(p.faces)]
        if boxes and not np.any(self.origin):
            lo, hi = np.min([b[0] for b in boxes], axis=0), np.max([b[1] for b in boxes], axis=0)
            self.origin = np.round((lo + hi) / 2)
        self.bounds = None if not boxes else np.array([np.min([b[0] for b in boxes], axis=0), np.max([b[1] for b in boxes], axis=0)])
        for p in self.parts:
            if not len(p.faces):
                continue
            v = o3d.core.Tensor((p.vertices - self.origin).astype(np.float32))
            f = o3d.core.Tensor(np.asarray(p.faces, dtype=np.uint32))
            self.scene.add_triangles(v, f)
            self.triangles += len(p.faces)

    def _rays(self, origins: np.ndarray, dirs: np.ndarray) -> "object":
        r = np.empty((len(origins), 6), dtype=np.float32)
        r[:, :3] = origins - self.origin
        r[:, 3:] = dirs  # one direction for all, or one per ray
        return self._o3d.core.Tensor(r)

    def occluded(self, origins: np.ndarray, dirs: np.ndarray, tfar: float | np.ndarray = np.inf,
                 progress: Progress | None = None, cancel: Cancel | None = None) -> np.ndarray:
        """(N,) bool: something lies along each ray (unit `dirs`) before `tfar` metres."""
        n = len(origins)
        out = np.zeros(n, dtype=bool)
        if not self.triangles or n == 0:
            return out
        dirs = np.broadcast_to(np.asarray(dirs, dtype=np.float64), (n, 3))
        far = np.broadcast_to(np.asarray(tfar, dtype=np.float64), (n,))
        for s in range(0, n, CHUNK):
            if cancel is not None and cancel():
                raise RaysCancelled()
            e = min(n, s + CHUNK)
            if np.all(np.isinf(far[s:e])):
                hit = self.scene.test_occlusions(self._rays(origins[s:e], dirs[s:e]))
            else:  # a finite end per ray: cast and compare (test_occlusions takes one tfar)
                t = self.scene.cast_rays(self._rays(origins[s:e], dirs[s:e]))["t_hit"].numpy()
                hit = t < far[s:e]
            out[s:e] = hit.numpy() if hasattr(hit, "numpy") else hit
            if progress is not None:
                progress(e / n, f"{e:,} of {n:,} rays")
        return out

    def local_rays(self, origins: np.ndarray) -> np.ndarray:
        """(N,6) float32 rays with origins shifted to the local origin and no direction yet: build
        once, set directions per sun step (`occluded_rays`), no float64 work per step."""
        r = np.empty((len(origins), 6), dtype=np.float32)
        r[:, :3] = origins - self.origin
        return r

    def occluded_rays(self, rays: np.ndarray, cancel: Cancel | None = None) -> np.ndarray:
        """(N,) bool for prepared float32 rays (local origins, unit directions)."""
        out = np.zeros(len(rays), dtype=bool)
        if not self.triangles:
            return out
        for s in range(0, len(rays), CHUNK):
            if cancel is not None and cancel():
                raise RaysCancelled()
            e = min(len(rays), s + CHUNK)
            out[s:e] = self.scene.test_occlusions(self._o3d.core.Tensor(rays[s:e])).numpy()
        return out

    def first_hit(self, origins: np.ndarray, dirs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(N,) distance to the first hit (inf: none) and (N,) part index (-1: none)."""
        n = len(origins)
        t_out = np.full(n, np.inf)
        g_out = np.full(n, -1, dtype=np.int64)
        if not self.triangles or n == 0:
            return t_out, g_out
        dirs = np.broadcast_to(np.asarray(dirs, dtype=np.float64), (n, 3))
        for s in range(0, n, CHUNK):
            e = min(n, s + CHUNK)
            ans = self.scene.cast_rays(self._rays(origins[s:e], dirs[s:e]))
            t = ans["t_hit"].numpy().astype(np.float64)
            g = ans["geometry_ids"].numpy().astype(np.int64)
            hit = np.isfinite(t)
            t_out[s:e][hit] = t[hit]
            g_out[s:e][hit] = g[hit]
        return t_out, g_out

    def up_hits_backface(self, origins: np.ndarray) -> np.ndarray:
        """(N,) bool: straight up, the first surface is seen from its back (its normal points up
        too): the point is under the terrain or inside a closed solid, not under a roof or canopy."""
        out = np.zeros(len(origins), dtype=bool)
        if not self.triangles or not len(origins):
            return out
        for s in range(0, len(origins), CHUNK):
            e = min(len(origins), s + CHUNK)
            ans = self.scene.cast_rays(self._rays(origins[s:e], np.array([0.0, 0.0, 1.0])))
            hit = np.isfinite(ans["t_hit"].numpy())
            out[s:e] = hit & (ans["primitive_normals"].numpy()[:, 2] > 0)
        return out

    def ground_heights(self, xy: np.ndarray, default: float) -> np.ndarray:
        """The top surface under each (x, y): terrain, a roof, a slab; `default` where nothing is."""
        z0 = (self.bounds[1][2] + 10.0) if self.bounds is not None else default + 10.0
        origins = np.column_stack([xy, np.full(len(xy), z0)])
        t, _ = self.first_hit(origins, np.array([0.0, 0.0, -1.0]))
        return np.where(np.isfinite(t), z0 - t, default)


def scene_parts(scene: "Scene", progress: Progress | None = None, cancel: Cancel | None = None) -> list[MeshPart]:
    """The triangles that cast shadows and block sight: visible mesh layers, as drawn."""
    from app.model.layers import MeshLayer, TilesetLayer

    parts: list[MeshPart] = []
    layers = [l for l in scene.layers if isinstance(l, MeshLayer) and l.visible]
    for i, layer in enumerate(layers):
        if cancel is not None and cancel():
            raise RaysCancelled()
        if progress is not None:
            progress(i / max(1, len(layers)), f"geometry of {layer.name}")
        if isinstance(layer, TilesetLayer) and layer.streamed:
            parts.extend(_streamed_parts(scene, layer))
            continue
        v, f = np.asarray(layer.data.get("vertices")), np.asarray(layer.data.get("faces"))
        if v is None or f is None or not len(f):
            continue
        fe = layer.data.get("face_element")
        if fe is not None and len(layer.elements):
            drop = layer.not_drawn_mask() | np.array([(e.ifc_class or "") == "IfcSpace" for e in layer.elements])
            fe = np.asarray(fe, dtype=np.int64)
            inside = (fe >= 0) & (fe < len(drop))
            f = f[~(inside & drop[np.clip(fe, 0, len(drop) - 1)])]
        parts.append(MeshPart(layer.name, np.asarray(v, dtype=np.float64), np.asarray(f, dtype=np.int64)))
    return parts


def _streamed_parts(scene: "Scene", layer: object) -> list[MeshPart]:
    from loaders.base import LoadError
    from loaders.tiles3d import read_tileset

    path = (getattr(layer, "source", None) or {}).get("path")
    if not path:
        return []
    try:
        datas = read_tileset(path)
    except LoadError:
        return []
    out = []
    for data in datas:
        for made in scene.make_layers(data):
            v, f = made.data.get("vertices"), made.data.get("faces")
            if v is not None and f is not None and len(f):
                out.append(MeshPart(getattr(layer, "name", "tileset"), np.asarray(v, dtype=np.float64), np.asarray(f, dtype=np.int64)))
    return out


def ray_scene_for(scene: "Scene", progress: Progress | None = None, cancel: Cancel | None = None) -> RayScene:
    return RayScene(scene_parts(scene, progress, cancel))
