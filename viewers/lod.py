"""Which octree nodes to draw this frame (Potree-style), in numpy only so it is testable headless.

Why: the frame's cost must follow the point budget, not the file size. Nodes are visited from
the root, largest on screen first; a node's children are only candidates once the node itself is
drawn, because a node's points refine its ancestors' overview. Selection stops at the first node
that would overflow the budget, so the drawn set is always a coarse-to-fine, gap-free cut.
"""
from __future__ import annotations

import heapq
from typing import Any

import numpy as np

from app.model.octree import PointOctree


def projection_factor(fov_y_deg: float, viewport_height_px: float) -> float:
    """Pixels per unit of (size / distance) for a perspective camera."""
    return float(viewport_height_px) / (2.0 * np.tan(np.radians(fov_y_deg) / 2.0))


def _normalised_planes(planes: np.ndarray) -> np.ndarray:
    p = np.asarray(planes, dtype=np.float64).reshape(-1, 4)
    norm = np.linalg.norm(p[:, :3], axis=1, keepdims=True)
    return p / np.where(norm > 0, norm, 1.0)


def _node_weights(tree: PointOctree, nodes: np.ndarray, eye: np.ndarray, view: np.ndarray,
                  factor: float, planes: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pixel size, priority, visible) for `nodes`.

    Priority is the projected diameter, favouring nodes near the view axis a little (x0.5 at 90
    degrees off-axis, as Potree's centre weighting does); a camera inside a node makes it first.
    """
    center = tree.center[nodes]
    radius = tree.half_size[nodes] * np.sqrt(3.0)
    offset = center - eye
    dist = np.linalg.norm(offset, axis=1)
    inside = dist <= radius
    safe = np.where(dist > 0, dist, 1.0)
    px = np.where(inside, np.inf, 2.0 * radius * factor / np.maximum(safe, 1e-12))
    cos_axis = np.clip(offset @ view / safe, -1.0, 1.0)
    priority = np.where(inside, np.inf, px * (0.75 + 0.25 * cos_axis))
    visible = np.ones(len(nodes), dtype=bool)
    if planes is not None:
        signed = center @ planes[:, :3].T + planes[:, 3]  # (nodes, planes), inside >= 0
        visible = (signed >= -radius[:, None]).all(axis=1)
    return px, priority, visible


def select_nodes(tree: PointOctree, camera_position: Any, view_dir: Any, fov_y_deg: float,
                 viewport_height_px: float, budget: int, *, frustum_planes: np.ndarray | None = None,
                 min_node_px: float = 10.0) -> np.ndarray:
    """Node ids to draw, coarse to fine, whose points add up to at most `budget`.

    The root is always a candidate whatever its pixel size (a far-away cloud still shows its
    overview); finer nodes smaller than `min_node_px` or outside `frustum_planes` ((6,4) rows
    a,b,c,d with a*x+b*y+c*z+d >= 0 inside, tested against each node's bounding sphere; None =
    no culling) are skipped along with their subtrees.
    """
    if tree.num_nodes == 0 or tree.num_points == 0 or budget <= 0:
        return np.zeros(0, dtype=np.int64)
    eye = np.asarray(camera_position, dtype=np.float64).reshape(3)
    view = np.asarray(view_dir, dtype=np.float64).reshape(3)
    view = view / (np.linalg.norm(view) or 1.0)
    planes = None if frustum_planes is None else _normalised_planes(frustum_planes)
    factor = projection_factor(fov_y_deg, viewport_height_px)
    counts = tree.point_counts

    root = np.zeros(1, dtype=np.int64)
    _, prio, vis = _node_weights(tree, root, eye, view, factor, planes)
    heap: list[tuple[float, int]] = [(-float(prio[0]), 0)] if vis[0] else []
    chosen: list[int] = []
    used = 0
    while heap:
        _, node = heapq.heappop(heap)
        n = int(counts[node])
        if used + n > budget:
            break  # Potree's rule: stop at the first overflow, keeping the cut coarse-to-fine
        used += n
        chosen.append(node)
        kids = tree.children(node)
        if len(kids) == 0:
            continue
        px, prio, vis = _node_weights(tree, kids, eye, view, factor, planes)
        for kid, p, ok, size in zip(kids.tolist(), prio.tolist(), vis.tolist(), px.tolist()):
            if ok and size >= min_node_px:
                heapq.heappush(heap, (-p, kid))
    return np.asarray(chosen, dtype=np.int64)


def indices_for(tree: PointOctree, nodes: np.ndarray) -> np.ndarray:
    """The selected nodes' points, as int64 indices into the layer's original positions."""
    nodes = np.asarray(nodes, dtype=np.int64)
    if len(nodes) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.concatenate([tree.order[tree.start[i]:tree.stop[i]] for i in nodes.tolist()]).astype(np.int64, copy=False)


def frustum_planes_from_vtk(camera: Any, aspect: float) -> np.ndarray:
    """(6,4) world-space planes (left, right, bottom, top, near, far; inside >= 0) of a vtkCamera."""
    planes = [0.0] * 24
    camera.GetFrustumPlanes(float(aspect), planes)
    return _normalised_planes(np.asarray(planes, dtype=np.float64))


def camera_state_from_vtk(camera: Any) -> dict[str, Any]:
    """The keyword arguments of `select_nodes` that come from a vtkCamera (position, view, fov)."""
    position = np.asarray(camera.GetPosition(), dtype=np.float64)
    focal = np.asarray(camera.GetFocalPoint(), dtype=np.float64)
    return {"camera_position": position, "view_dir": focal - position, "fov_y_deg": float(camera.GetViewAngle())}
