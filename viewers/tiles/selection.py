"""Which tiles to draw this frame: screen-space error traversal of a TileTree, in numpy only.

Why hand-written: the rules (REPLACE keeps the parent until every visible child is ready, so
the view never has holes; ADD draws parent and children; culling against the tile's oriented
box when it has one) are small, and keeping them free of VTK makes them testable headless.
All geometry is in the tileset's world coordinates: the caller moves the camera there.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from loaders.tile_tree import TileNode, TileTree


@dataclass
class View:
    """A perspective camera in tileset world coordinates."""

    eye: np.ndarray
    direction: np.ndarray  # unit view direction
    fov_y_deg: float
    height_px: float
    planes: np.ndarray | None = None  # (k,4) a,b,c,d; inside when a*x+b*y+c*z+d >= 0 (normalised)

    @property
    def sse_factor(self) -> float:
        return float(self.height_px) / (2.0 * np.tan(np.radians(self.fov_y_deg) / 2.0))


@dataclass
class Selection:
    selected: list[int] = field(default_factory=list)  # tiles to draw (loaded, with content)
    requests: list[tuple[float, int]] = field(default_factory=list)  # (priority: lower first, tile) to load
    expand: list[int] = field(default_factory=list)  # tiles whose children must be fetched first
    needed: set[int] = field(default_factory=set)  # drawn or being waited for: never evicted
    visited: int = 0
    culled: int = 0


def distance_to(node: TileNode, eye: np.ndarray) -> float:
    """Distance from the eye to the tile's box (or sphere); 0 inside."""
    d = eye - node.center
    if node.half_axes is not None:
        lengths = np.linalg.norm(node.half_axes, axis=0)
        units = node.half_axes / np.where(lengths > 0, lengths, 1.0)
        excess = np.maximum(np.abs(d @ units) - lengths, 0.0)
        return float(np.linalg.norm(excess))
    return max(float(np.linalg.norm(d)) - node.radius, 0.0)


def inside_request_volume(node: TileNode, eye: np.ndarray | None) -> bool:
    """3D Tiles viewerRequestVolume: a tile (an interior, a detail scan) shown only while the
    viewer stands inside that volume, as CesiumJS does."""
    rv = getattr(node, "request_volume", None)
    if rv is None or eye is None:
        return True
    centre, radius, half = rv
    d = np.asarray(eye, float) - centre
    if half is not None:
        lengths = np.linalg.norm(half, axis=0)
        units = half / np.where(lengths > 0, lengths, 1.0)
        return bool((np.abs(d @ units) <= lengths + 1e-9).all())
    return float(np.linalg.norm(d)) <= radius


def visible(node: TileNode, planes: np.ndarray | None, eye: np.ndarray | None = None) -> bool:
    if not inside_request_volume(node, eye):
        return False
    if planes is None:
        return True
    signed = planes[:, :3] @ node.center + planes[:, 3]
    if node.half_axes is not None:
        reach = np.abs(planes[:, :3] @ node.half_axes).sum(axis=1)
        return bool((signed >= -np.minimum(reach, node.radius)).all())
    return bool((signed >= -node.radius).all())


def screen_space_error(node: TileNode, view: View) -> float:
    """sse = geometricError * viewport_height / (2 * distance * tan(fov / 2))."""
    dist = distance_to(node, view.eye)
    if dist <= 1e-9:
        return float("inf")
    return node.geometric_error * view.sse_factor / dist


def select_tiles(tree: TileTree, view: View, max_sse: float, is_ready: Callable[[int], bool],
                 is_failed: Callable[[int], bool] = lambda i: False) -> Selection:
    """Traverse from the root. A tile refines when its SSE exceeds `max_sse`; with REPLACE its
    visible children replace it only once all of them (down to what they select) are ready.
    Requests are ordered shallow first, then by SSE weighted towards the screen centre."""
    sel = Selection()
    if not tree.nodes:
        return sel
    eye = np.asarray(view.eye, float)
    vdir = np.asarray(view.direction, float)
    vdir = vdir / (np.linalg.norm(vdir) or 1.0)

    def want(i: int, sse: float) -> bool:
        """Mark a tile's content as needed; True when it can be drawn now."""
        node = tree.nodes[i]
        if not node.contents:
            return True
        sel.needed.add(i)
        if is_ready(i):
            return True
        if not is_failed(i):
            off = node.center - eye
            cos = float(off @ vdir) / (np.linalg.norm(off) or 1.0)
            centre_weight = 0.5 + 0.5 * max(cos, 0.0)  # tiles near the screen centre first
            sel.requests.append((node.depth - min(sse, 1e6) * centre_weight / 1e7, i))
        return False

    def visit(i: int) -> tuple[list[int], bool]:
        """(tiles this subtree draws, whether all of them are ready)."""
        sel.visited += 1
        node = tree.nodes[i]
        sse = screen_space_error(node, view)
        kids = node.children
        if (sse <= max_sse and node.contents) or kids == []:  # an empty tile never stops: nothing to show
            return ([i] if node.contents else []), want(i, sse)
        if kids is None and tree.expands_cheaply(i):  # explicit children kept as JSON until now
            kids = tree.expand(i)
        if kids is None:  # external tileset or implicit subtree not fetched yet
            sel.expand.append(i)
            return ([i] if node.contents else []), want(i, sse)
        if not kids:
            return ([i] if node.contents else []), want(i, sse)
        shown = [k for k in kids if visible(tree.nodes[k], view.planes, view.eye)]
        if node.refine == "ADD":  # CesiumJS: a child already fine at the parent's error is skipped
            shown = [k for k in shown if node.geometric_error * view.sse_factor
                     > max_sse * max(distance_to(tree.nodes[k], eye), 1e-9)]
        sel.culled += len(kids) - len(shown)
        parts = [visit(k) for k in shown]
        below = [t for p in parts for t in p[0]]
        below_ready = all(p[1] for p in parts)
        if node.refine == "ADD":
            own = want(i, sse)
            return ([i] if node.contents else []) + below, own and below_ready
        if below_ready:
            return below, True
        if node.contents:  # keep the parent on screen until its children are all ready (no holes)
            return [i], want(i, sse)
        return below, False  # nothing coarser to show here: draw what is ready below

    root = tree.nodes[0]
    if not visible(root, view.planes, view.eye):
        sel.culled += 1
        return sel
    drawn, _ = visit(0)
    sel.selected = [i for i in drawn if is_ready(i)]
    sel.needed.update(sel.selected)
    sel.requests.sort()
    return sel
