"""The point budget: one allocation per frame over every visible point layer.

Why one allocation: per-layer shares let clouds under the octree threshold and streamed COPC
points draw outside the budget (300k asked, 399k drawn), and spent budget on hidden classes
(near buildings sparse, far ones dense). Here every visible cloud's octree nodes, each small
cloud as a whole, and each streamed layer's selected point tiles compete in one queue, ranked by
size on screen (viewers.lod.allocate_budget), and counted by the points they would draw.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from app.model.comparison import beyond_tolerance_mask
from app.model.layers import PointCloudLayer
from viewers.lod import BudgetSource, allocate_budget, camera_state_from_vtk, frustum_planes_from_vtk, indices_for

if TYPE_CHECKING:
    from viewers.canvas import Canvas


def shown_mask(layer: PointCloudLayer) -> np.ndarray | None:
    """(N,) True for points of classes not hidden and, with the "only beyond tolerance" filter,
    points beyond the comparison's tolerance; None when nothing is hidden."""
    classes = layer.data.get("attributes", {}).get("classification")
    beyond = beyond_tolerance_mask(layer)
    if not layer.hidden_classes or classes is None:
        return beyond
    keep = ~np.isin(classes, np.asarray(layer.hidden_classes))
    return keep if beyond is None else keep & beyond


def _filter_key(layer: PointCloudLayer) -> tuple:
    """What the point filters depend on: a cached count is stale when this changes."""
    d = layer.data.get("attributes", {}).get("deviation_m") if layer.only_beyond_tolerance else None
    return (layer.hidden_classes, layer.only_beyond_tolerance, id(d), str(layer.data.get("comparison")))


class PointBudget:
    def __init__(self, canvas: "Canvas") -> None:
        self.canvas = canvas
        self.allocation: dict[Any, tuple[list[int], int]] = {}
        self.totals: dict[Any, int] = {}  # points given to each source in the last allocation
        self.dirty = True
        self._counts: dict[int, tuple[tuple, np.ndarray]] = {}

    # --- sources --------------------------------------------------------------------------------
    def _node_counts(self, layer: PointCloudLayer, tree: Any) -> np.ndarray:
        """Points per octree node that would be drawn: hidden classes are not counted. Cached per
        tree and hidden set (one pass over the points when the user hides a class)."""
        key = (id(tree), _filter_key(layer))
        cached = self._counts.get(id(layer))
        if cached is not None and cached[0] == key:
            return cached[1]
        keep = shown_mask(layer)
        if keep is None:
            counts = tree.point_counts
        else:
            cum = np.concatenate([[0], np.cumsum(keep[tree.order], dtype=np.int64)])
            counts = cum[tree.stop] - cum[tree.start]
        self._counts[id(layer)] = (key, counts)
        return counts

    def _sources(self) -> list[BudgetSource]:
        sources: list[BudgetSource] = []
        for layer in self.canvas.scene.layers:
            if not isinstance(layer, PointCloudLayer) or not layer.visible or not len(layer.positions):
                continue
            tree = layer.data.get("octree")
            if tree is not None:
                sources.append(BudgetSource(id(layer), tree.center, tree.half_size * np.sqrt(3.0),
                                            self._node_counts(layer, tree), tree.children))
                continue
            b = np.asarray(layer.bounds(), dtype=np.float64)
            keep = shown_mask(layer)
            count = len(layer.positions) if keep is None else int(keep.sum())
            sources.append(BudgetSource(id(layer), ((b[0] + b[1]) / 2)[None], np.array([np.linalg.norm(b[1] - b[0]) / 2]),
                                        np.array([count]), None, partial=True))
        for visual in self.canvas.visuals.values():
            candidates = getattr(visual, "point_candidates", None)
            if candidates is not None and (c := candidates()) is not None:
                sources.append(BudgetSource(("tiles", id(visual)), c[1], c[2], c[3]))
        return sources

    def _camera(self) -> dict[str, Any]:
        plotter = self.canvas.plotter
        w, h = plotter.window_size
        return {**camera_state_from_vtk(plotter.camera), "viewport_height_px": float(h),
                "frustum_planes": frustum_planes_from_vtk(plotter.camera, w / max(h, 1))[:4]}

    # --- allocation -----------------------------------------------------------------------------
    def allocate(self) -> None:
        """Split the budget for the current camera, layers, visibility and hidden classes."""
        sources = self._sources()
        self.allocation = allocate_budget(sources, self.canvas.point_budget, **self._camera())
        self.totals = {}
        for src in sources:
            nodes, partial = self.allocation.get(src.key, ([], 0))
            self.totals[src.key] = int(partial) if partial else int(src.counts[np.asarray(nodes, dtype=np.int64)].sum())
        self.dirty = False

    def key_for(self, layer: PointCloudLayer) -> tuple:
        """What the layer draws, compactly: a visual rebuilds only when this changes."""
        if self.dirty:
            self.allocate()
        nodes, partial = self.allocation.get(id(layer), ([], 0))
        return (tuple(sorted(nodes)), partial, _filter_key(layer))

    def selection(self, layer: PointCloudLayer) -> tuple[np.ndarray, np.ndarray | None]:
        """(point indices, octree nodes or None) the layer draws; hidden classes are left out by
        the visual (they were not counted)."""
        if self.dirty or id(layer) not in self.allocation:
            self.allocate()
        nodes, partial = self.allocation.get(id(layer), ([], 0))
        tree = layer.data.get("octree")
        if tree is not None:
            chosen = np.sort(np.asarray(nodes, dtype=np.int64))
            return np.sort(indices_for(tree, chosen)), chosen
        if not nodes:
            return np.zeros(0, dtype=np.int64), None
        n = len(layer.positions)
        if partial:
            keep = shown_mask(layer)
            pool = np.arange(n) if keep is None else np.flatnonzero(keep)
            return np.sort(np.random.default_rng(0).choice(pool, size=min(partial, len(pool)), replace=False)), None
        return np.arange(n), None

    def stream_allowance(self, visual: Any, candidates: tuple) -> set[int]:
        """Which of a streamed layer's selected point tiles fit: the budget less what the last
        allocation gave everything else, nearest and largest first."""
        tile_ids, center, radius, counts = candidates
        if not len(tile_ids):
            return set()
        key = ("tiles", id(visual))
        others = sum(v for k, v in self.totals.items() if k != key)
        src = BudgetSource(key, center, radius, counts)
        nodes, _ = allocate_budget([src], max(0, self.canvas.point_budget - others), **self._camera())[key]
        return {int(tile_ids[i]) for i in nodes}
