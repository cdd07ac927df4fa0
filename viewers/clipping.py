"""Near/far clipping planes from what the camera can see, not from everything in the scene.

Why: VTK's ResetCameraClippingRange takes the bounds of every prop; with one layer in Wuhan and
one in Philadelphia that is a 12,000 km box, the near plane lands kilometres in front of the
camera and the layer being looked at is clipped away (empty sky). Here each visible box that
meets the view frustum gives a depth interval; the nearest content decides the near plane and
content beyond near * MAX_DEPTH_RATIO is left out (at that distance it is below a pixel), so
depth precision stays where the user is looking.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np

MAX_DEPTH_RATIO = 10_000.0  # far / near: 24-bit depth keeps sub-permille resolution at this ratio
MIN_NEAR_M = 0.01


def box_corners(bounds: np.ndarray) -> np.ndarray:
    lo, hi = np.asarray(bounds, dtype=np.float64)
    return np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])


def depth_interval(bounds: np.ndarray, eye: np.ndarray, direction: np.ndarray,
                   planes: np.ndarray | None = None) -> tuple[float, float] | None:
    """(min, max) depth along the view direction of a box in view, or None when the box is
    behind the camera or wholly outside one side plane of the frustum (inside >= 0)."""
    corners = box_corners(bounds)
    depth = (corners - eye) @ direction
    if depth.max() <= 0:
        return None
    if planes is not None and len(planes):
        signed = corners @ planes[:, :3].T + planes[:, 3]  # (8 corners, planes)
        if (signed.max(axis=0) < 0).any():
            return None
    return max(float(depth.min()), 0.0), float(depth.max())


def clipping_range(boxes: Iterable[np.ndarray], eye: np.ndarray, direction: np.ndarray,
                   planes: np.ndarray | None = None, ratio: float = MAX_DEPTH_RATIO,
                   focal_distance: float | None = None) -> tuple[float, float] | None:
    """Near and far distances for boxes seen from `eye` looking along `direction`, with
    far/near <= ratio, or None when nothing is in view.

    The nearest content sets the near plane. When the camera is inside a box its content may
    be anywhere from 0: the near plane is then that box's depth / ratio, but never more than
    a tenth of the distance to the focal point (what the user is looking at)."""
    direction = np.asarray(direction, dtype=np.float64)
    direction = direction / max(float(np.linalg.norm(direction)), 1e-300)
    eye = np.asarray(eye, dtype=np.float64)
    spans = [s for b in boxes for s in [depth_interval(b, eye, direction, planes)] if s is not None]
    if not spans:
        return None
    inside = [f for n, f in spans if n <= 0.0]
    if inside:
        near = max(inside) / ratio
        if focal_distance is not None and focal_distance > 0:
            near = min(near, focal_distance / 10.0)
    else:
        near = min(n for n, _ in spans)
    near = max(near, MIN_NEAR_M)
    reach = near * ratio
    far = min(max(f for n, f in spans if n <= reach), reach)  # beyond near * ratio: sub-pixel, left out
    if far <= near:
        far = near * 2.0
    return near * 0.98, far * 1.02
