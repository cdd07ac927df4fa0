"""Which octree nodes to draw this frame (Potree-style), in numpy only so it is testable headless.

Why: the frame's cost must follow the point budget, not the file size. Nodes are visited from
the root, largest on screen first; a node's children are only candidates once the node itself is
drawn, because a node's points refine its ancestors' overview. Selection stops at the first node
that would overflow the budget, so the drawn set is always a coarse-to-fine, gap-free cut.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Any, Callable

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
    return sphere_weights(tree.center[nodes], tree.half_size[nodes] * np.sqrt(3.0), eye, view, factor, planes)


def sphere_weights(center: np.ndarray, radius: np.ndarray, eye: np.ndarray, view: np.ndarray, factor: float,
                   planes: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pixel size, priority, visible) of bounding spheres: octree nodes, tiles or whole clouds."""
    center = np.asarray(center, dtype=np.float64).reshape(-1, 3)
    radius = np.asarray(radius, dtype=np.float64).reshape(-1)
    offset = center - eye
    dist = np.linalg.norm(offset, axis=1)
    inside = dist <= radius
    safe = np.where(dist > 0, dist, 1.0)
    px = np.where(inside, np.inf, 2.0 * radius * factor / np.maximum(safe, 1e-12))
    cos_axis = np.clip(offset @ view / safe, -1.0, 1.0)
    priority = np.where(inside, np.inf, px * (0.75 + 0.25 * cos_axis))
    visible = np.ones(len(center), dtype=bool)
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


@dataclass
class BudgetSource:
    """One visible point layer in the frame's budget allocation. Nodes are bounding spheres in
    scene coordinates with the points each would draw (hidden classes not counted).

    `children` walks an octree (node 0 is the root); None makes every node a candidate at once
    (the tiles a streamed layer selected, or a whole cloud as one node). `partial`: a cloud
    without an octree may take a uniform subsample of what is left when it does not fit whole."""

    key: Any
    center: np.ndarray
    radius: np.ndarray
    counts: np.ndarray
    children: Callable[[int], np.ndarray] | None = None
    partial: bool = False


def allocate_budget(sources: list[BudgetSource], budget: int, camera_position: Any, view_dir: Any, fov_y_deg: float,
                    viewport_height_px: float, *, frustum_planes: np.ndarray | None = None,
                    min_node_px: float = 10.0) -> dict[Any, tuple[list[int], int]]:
    """One allocation of the point budget over every visible point layer: nodes of all sources in
    one queue, largest on screen first (near and in view wins, whichever layer it belongs to),
    after the root of every octree in view (each cloud keeps its overview, as in select_nodes).

    Returns {key: (chosen nodes, partial)}: `partial` > 0 means the source's single node gets a
    subsample of that many points. A node that does not fit is skipped (its subtree with it) and
    smaller ones may still fill the budget; a node's children only queue once it is chosen, so
    each tree's cut stays coarse-to-fine without gaps. The sum of chosen counts is <= budget.
    """
    eye = np.asarray(camera_position, dtype=np.float64).reshape(3)
    view = np.asarray(view_dir, dtype=np.float64).reshape(3)
    view = view / (np.linalg.norm(view) or 1.0)
    planes = None if frustum_planes is None else _normalised_planes(frustum_planes)
    factor = projection_factor(fov_y_deg, viewport_height_px)
    out: dict[Any, tuple[list[int], int]] = {s.key: ([], 0) for s in sources}
    heap: list[tuple[int, float, int, int]] = []  # (0 for an octree root, -priority, source, node)
    for si, src in enumerate(sources):
        roots = np.zeros(1, dtype=np.int64) if src.children is not None else np.arange(len(src.counts))
        if not len(roots) or not len(src.counts):
            continue
        _, prio, vis = sphere_weights(src.center[roots], src.radius[roots], eye, view, factor, planes)
        for node, p, ok in zip(roots.tolist(), prio.tolist(), vis.tolist()):
            if ok or (src.children is None and not src.partial):  # streamed tiles were culled by their own traversal
                heapq.heappush(heap, (0 if src.children is not None else 1, -p, si, node))
    used = 0
    budget = max(0, int(budget))
    while heap and used < budget:
        _, _, si, node = heapq.heappop(heap)
        src = sources[si]
        n = int(src.counts[node])
        if n <= 0:
            continue
        if used + n > budget:
            if src.partial:
                out[src.key] = ([node], budget - used)
                used = budget
            continue
        used += n
        out[src.key][0].append(node)
        if src.children is None:
            continue
        kids = np.asarray(src.children(node), dtype=np.int64)
        if len(kids):
            px, prio, vis = sphere_weights(src.center[kids], src.radius[kids], eye, view, factor, planes)
            for kid, p, ok, size in zip(kids.tolist(), prio.tolist(), vis.tolist(), px.tolist()):
                if ok and size >= min_node_px:
                    heapq.heappush(heap, (1, -p, si, kid))
    return out
