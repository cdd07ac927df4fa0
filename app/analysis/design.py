"""The design side of a scan-versus-design comparison: every BIM surface in one frame.

Why one model: a project may hold several IFC files (architecture, structure, each storey); the
comparison needs one triangle set with one element table, in the scene frame (float64 ENU metres),
so a point's nearest face names its element whatever file it came from. Elements that are not
built things (IfcSpace, IfcOpeningElement: `hidden_by_default`) and faces without an element are
left out: a scan point must never be "explained" by a room volume or an opening. Elements without
any triangle are dropped too (nothing to judge). Heavy derived structures (the C2M index, the
surface cell grid with its contact cells) are built once and cached here, so every accumulator
(also copies pickled to dask workers) shares them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from app.analysis.c2m import C2MError, DesignIndex
from loaders.base import ElementInfo, MeshData


@dataclass
class DesignModel:
    """The design surfaces in one frame (scene ENU metres, float64) with their element records."""

    vertices: np.ndarray            # (V,3) float64
    faces: np.ndarray               # (F,3) int64
    face_element: np.ndarray        # (F,) int64 index into elements, -1 = none
    elements: list[ElementInfo]     # loaders.base.ElementInfo; .id is the IFC GlobalId
    layer_of_element: np.ndarray    # (E,) int64: which input mesh each element came from (0..)
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_meshes(cls, meshes: Sequence[tuple[MeshData, np.ndarray]]) -> "DesignModel":
        """(mesh, its vertices already in the common frame) pairs; elements with hidden_by_default
        (IfcSpace, IfcOpeningElement) and faces without an element are dropped. Raises C2MError
        when nothing with geometry is left ("the design has no elements with geometry")."""
        verts, faces, fel, elements, layer = [], [], [], [], []
        v_off = 0
        for li, (mesh, v) in enumerate(meshes):
            v = np.asarray(v, dtype=np.float64)
            f = np.asarray(mesh.faces, dtype=np.int64).reshape(-1, 3)
            if v.ndim != 2 or v.shape[1] != 3:
                raise C2MError(f"design layer {li + 1} ({mesh.name}): vertices must be (N, 3), got {v.shape}")
            if len(f) == 0 or len(v) == 0 or mesh.face_element is None or not mesh.elements:
                continue
            if f.min() < 0 or f.max() >= len(v):
                raise C2MError(f"design layer {li + 1} ({mesh.name}): faces refer to vertices that do not exist")
            fe = np.asarray(mesh.face_element, dtype=np.int64).reshape(-1)
            if fe.shape != (len(f),):
                raise C2MError(f"design layer {li + 1} ({mesh.name}): {fe.size} face elements for {len(f)} faces")
            n_el = len(mesh.elements)
            usable = np.array([not e.hidden_by_default for e in mesh.elements], dtype=bool)
            ok = (fe >= 0) & (fe < n_el)
            ok[ok] = usable[fe[ok]]
            if not ok.any():
                continue
            used = np.zeros(n_el, dtype=bool)
            used[fe[ok]] = True                      # elements that keep at least one face
            new_index = np.full(n_el, -1, dtype=np.int64)
            new_index[used] = np.arange(int(used.sum())) + len(elements)
            keep_f = f[ok]
            vert_used = np.unique(keep_f)
            remap = np.full(len(v), -1, dtype=np.int64)
            remap[vert_used] = np.arange(len(vert_used))
            sub_v = v[vert_used]
            if not np.isfinite(sub_v).all():
                raise C2MError(f"design layer {li + 1} ({mesh.name}): vertices hold NaN or infinite coordinates")
            verts.append(sub_v)
            faces.append(remap[keep_f] + v_off)
            fel.append(new_index[fe[ok]])
            v_off += len(sub_v)
            elements.extend(e for e, u in zip(mesh.elements, used) if u)
            layer.extend([li] * int(used.sum()))
        if not faces:
            raise C2MError("the design has no elements with geometry")
        return cls(np.vstack(verts), np.vstack(faces), np.concatenate(fel), elements,
                   np.asarray(layer, dtype=np.int64))

    def __post_init__(self) -> None:
        self.vertices = np.asarray(self.vertices, dtype=np.float64)
        self.faces = np.asarray(self.faces, dtype=np.int64).reshape(-1, 3)
        self.face_element = np.asarray(self.face_element, dtype=np.int64).reshape(-1)
        self.layer_of_element = np.asarray(self.layer_of_element, dtype=np.int64).reshape(-1)
        if len(self.faces) == 0 or not self.elements or not (self.face_element >= 0).any():
            raise C2MError("the design has no elements with geometry")
        if self.face_element.shape != (len(self.faces),):
            raise C2MError(f"face_element has {self.face_element.size} entries for {len(self.faces)} faces")
        if self.face_element.max() >= len(self.elements):
            raise C2MError("face_element refers to elements that do not exist")
        if self.layer_of_element.shape != (len(self.elements),):
            raise C2MError(f"layer_of_element has {self.layer_of_element.size} entries for "
                           f"{len(self.elements)} elements")

    def index(self, threads: int | None = None) -> DesignIndex:
        """The C2M index over all design faces (built once, cached; face indices are this model's)."""
        key = ("index", threads)
        if key not in self._cache:
            self._cache[key] = DesignIndex(self.vertices, self.faces, self.face_element, threads=threads)
        return self._cache[key]

    def __getstate__(self) -> dict:
        """Pickled (dask) without the C2M index (it may hold locks and thread pools; a worker
        rebuilds it on first use); the plain-numpy surface grid and contact cells travel along."""
        state = dict(self.__dict__)
        state["_cache"] = {k: v for k, v in self._cache.items() if not (isinstance(k, tuple) and k[0] == "index")}
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)

    def bounds(self) -> np.ndarray:
        """(2,3) min/max corner of the design vertices (scene frame)."""
        return np.array([self.vertices.min(axis=0), self.vertices.max(axis=0)])

    def cached(self, key: Any, build) -> Any:  # noqa: ANN001 - build: () -> value
        """A derived structure cached on the model (surface grids, contact cells)."""
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]
