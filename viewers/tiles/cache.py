"""Least-recently-used memory budget for loaded tiles.

Why this shape (CesiumJS's): tiles the current view needs are never evicted, even over budget;
instead the effective maximum SSE rises by 1.02x per frame while over budget, so the
traversal asks for coarser tiles until the needed set fits, and falls back as memory frees.
"""
from __future__ import annotations

from collections import OrderedDict

SSE_STEP = 1.02
MAX_SSE_FACTOR = 64.0


class TileCache:
    def __init__(self, budget_bytes: int) -> None:
        self.budget_bytes = int(budget_bytes)
        self._sizes: OrderedDict[int, int] = OrderedDict()  # oldest first
        self.total_bytes = 0
        self.sse_factor = 1.0
        self.evictions = 0

    def __contains__(self, index: int) -> bool:
        return index in self._sizes

    def __len__(self) -> int:
        return len(self._sizes)

    def add(self, index: int, nbytes: int) -> None:
        self.remove(index)
        self._sizes[index] = int(nbytes)
        self.total_bytes += int(nbytes)

    def remove(self, index: int) -> bool:
        size = self._sizes.pop(index, None)
        if size is None:
            return False
        self.total_bytes -= size
        return True

    def touch(self, indices) -> None:
        """Mark as used this frame (most recent last)."""
        for i in indices:
            if i in self._sizes:
                self._sizes.move_to_end(i)

    @property
    def over_budget(self) -> bool:
        return self.total_bytes > self.budget_bytes

    def evict(self, protected: set[int]) -> list[int]:
        """Drop least-recently-used tiles not in `protected` until under budget; returns them."""
        out: list[int] = []
        if not self.over_budget:
            return out
        for index in list(self._sizes):
            if self.total_bytes <= self.budget_bytes:
                break
            if index in protected:
                continue
            self.remove(index)
            out.append(index)
        self.evictions += len(out)
        return out

    def end_frame(self) -> float:
        """After eviction: raise the SSE factor while still over budget, relax it otherwise."""
        if self.over_budget:
            self.sse_factor = min(self.sse_factor * SSE_STEP, MAX_SSE_FACTOR)
        elif self.total_bytes < 0.8 * self.budget_bytes:  # hysteresis: no flicker at the limit
            self.sse_factor = max(1.0, self.sse_factor / SSE_STEP)
        return self.sse_factor
