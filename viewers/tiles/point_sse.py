"""Spend a streamed COPC layer's point budget: the screen-space error whose cut fills it.

Why: COPC nodes carry their point counts in the hierarchy, so the traversal knows before loading
anything how many points a cut would draw. At the fixed SSE (16 px, points ~2.7 px apart) a
framed 300k-point COPC drew 42k points of a 200k budget and a 20M-point file only its root,
where the same data loaded whole filled the budget. Here the threshold is lowered (log
bisection) while the cut still fits the budget: every node is refined by its size on screen, so
nodes near the camera and in view refine first and the density on screen stays even (no ring
where a fixed threshold stops refining while budget is left, nor where a per-tile allowance
cuts a too-large cut off at some distance, when an even coarser cut spends the budget too).
"""
from __future__ import annotations

from typing import Any

from viewers.tiles.selection import View, select_tiles

FLOOR = 6.0 / 16.0  # of the layer's SSE: COPC geometric error = 6 x spacing, so 6 px at the default
# 16 = points 1 px apart, denser is not seen
CEILING = 8.0  # a budget smaller than the cut: an even cut up to this many times coarser...
FILL = 0.8  # ...when it still spends this share of the budget
ITERATIONS = 6  # bisection steps between the two: the threshold to within ~2%


def cut_points(tree: Any, view: View, max_sse: float) -> int:
    """Points the ADD cut at `max_sse` would draw (counts from the hierarchy, nothing loaded)."""
    sel = select_tiles(tree, view, max_sse, lambda i: True)
    return sum(tree.entry[i].count for i in sel.selected if i < len(tree.entry))


def _finest_fitting(tree: Any, view: View, fine: float, coarse: float, budget: int) -> tuple[float, int]:
    """(threshold, points) of the finest cut in [fine, coarse] that fits, `coarse` fitting."""
    points = cut_points(tree, view, coarse)
    for _ in range(ITERATIONS):
        mid = (fine * coarse) ** 0.5
        n = cut_points(tree, view, mid)
        if n <= budget:
            coarse, points = mid, n
        else:
            fine = mid
    return coarse, points


def budget_sse(tree: Any, view: View, max_sse: float, budget: int) -> float:
    """The finest threshold from FLOOR x `max_sse` up whose cut fits `budget` points. Above the
    layer's own `max_sse` (a budget smaller than its cut) a coarser, even cut is taken only when
    it still fills FILL of the budget; else `max_sse`, and the per-tile allowance keeps the nodes
    largest on screen, nearest first (COPC nodes are chunks of 10-100k points: one level coarser
    may hold a quarter of the points)."""
    if not hasattr(tree, "entry") or budget <= 0:
        return max_sse
    if cut_points(tree, view, max_sse) > budget:
        if cut_points(tree, view, max_sse * CEILING) > budget:
            return max_sse
        sse, points = _finest_fitting(tree, view, max_sse, max_sse * CEILING, budget)
        return sse if points >= FILL * budget else max_sse
    if cut_points(tree, view, max_sse * FLOOR) <= budget:
        return max_sse * FLOOR
    return _finest_fitting(tree, view, max_sse * FLOOR, max_sse, budget)[0]
