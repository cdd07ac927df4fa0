"""Spend a streamed COPC layer's point budget: the screen-space error that fills it.

Why: COPC nodes carry their point counts in the hierarchy, so the traversal can know before
loading anything how many points a cut would draw. At the fixed SSE (16 px, points ~2.7 px
apart) a framed 300k-point COPC drew 42k points of a 200k budget, and a 20M-point file only its
root, where the same data loaded whole filled the budget. Lowering the SSE threshold step by
step until the cut's points would overflow the budget refines nodes near the camera and near
the view first (SSE is size on screen), as Potree's budget does for its octree.
"""
from __future__ import annotations

from typing import Any

from viewers.tiles.selection import View, select_tiles

STEPS = 8  # thresholds tried: max_sse, max_sse / 1.5, ... (down to ~6% of it)
SHRINK = 1.5
MIN_SSE = 6.0  # COPC: geometric error = 6 x spacing, so 6 px = points 1 px apart: denser is not seen
BISECT = 3  # then halve the gap between the last fitting threshold and the first too fine


def cut_points(tree: Any, view: View, max_sse: float) -> int:
    """Points the ADD cut at `max_sse` would draw (counts from the hierarchy, nothing loaded)."""
    sel = select_tiles(tree, view, max_sse, lambda i: True)
    return sum(tree.entry[i].count for i in sel.selected if i < len(tree.entry))


def budget_sse(tree: Any, view: View, max_sse: float, budget: int) -> float:
    """The lowest threshold (at most `max_sse`) whose cut fits `budget` points."""
    if not hasattr(tree, "entry") or budget <= 0:
        return max_sse
    best, too_low = max_sse, None
    sse = max_sse
    for _ in range(STEPS):
        if sse < MIN_SSE:
            break
        if cut_points(tree, view, sse) > budget:
            too_low = sse
            break
        best = sse
        sse /= SHRINK
    for _ in range(BISECT if too_low is not None else 0):  # closer to the budget between the two
        mid = max((best * too_low) ** 0.5, MIN_SSE)
        if cut_points(tree, view, mid) > budget:
            too_low = mid
        else:
            best = mid
    return best
