"""Spend a streamed COPC layer's point budget: the screen-space error whose cut fills it.

Why: COPC nodes carry their point counts in the hierarchy, so the traversal knows before loading
anything how many points a cut would draw. At the fixed SSE (16 px, points ~2.7 px apart) a
framed 300k-point COPC drew 42k points of a 200k budget and a 20M-point file only its root,
where the same data loaded whole filled the budget. Here the threshold is lowered (log
bisection) while the cut still fits the budget: every node is refined by its size on screen, so
nodes near the camera and in view refine first and the density on screen stays even (no ring
where a fixed threshold stops refining while budget is left).
"""
from __future__ import annotations

from typing import Any

from viewers.tiles.selection import View, select_tiles

FLOOR = 6.0 / 16.0  # of the layer's SSE: COPC geometric error = 6 x spacing, so 6 px at the default
# 16 = points 1 px apart, denser is not seen
ITERATIONS = 6  # bisection steps between the two: the threshold to within ~2%


def cut_points(tree: Any, view: View, max_sse: float) -> int:
    """Points the ADD cut at `max_sse` would draw (counts from the hierarchy, nothing loaded)."""
    sel = select_tiles(tree, view, max_sse, lambda i: True)
    return sum(tree.entry[i].count for i in sel.selected if i < len(tree.entry))


def budget_sse(tree: Any, view: View, max_sse: float, budget: int) -> float:
    """The finest threshold between FLOOR x `max_sse` and `max_sse` whose cut fits `budget`
    points; `max_sse` itself when even that cut is too big: the per-tile allowance then keeps
    the nodes largest on screen (near and in view), which fills the budget where a coarser
    uniform cut would leave much of it unused (COPC nodes are chunks of 10-100k points)."""
    if not hasattr(tree, "entry") or budget <= 0:
        return max_sse
    fine, coarse = max_sse * FLOOR, max_sse
    if cut_points(tree, view, coarse) > budget:
        return max_sse
    if cut_points(tree, view, fine) <= budget:
        return fine
    for _ in range(ITERATIONS):
        mid = (fine * coarse) ** 0.5
        if cut_points(tree, view, mid) <= budget:
            coarse = mid
        else:
            fine = mid
    return coarse
