"""The compiled C2M search: a stack of sparse cell grids (_grid.py) over the original triangles.

Why these sizes: level 0's cell side is the square root of the design's mean triangle area
(times _CELL_FACTOR): cells then hold a handful of triangles on large faces and stay small enough
in detailed parts (tessellated pipes, equipment) that a point evaluates tens of triangles, not
thousands. Each coarser level has 4x the side; levels are added (once, cached) until one has cells
larger than the far cut-off asked for, so every far point is settled after two rings there.
"""
from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

from app.analysis._grid import query_block
from app.analysis._grid_build import build_level
from loaders.base import LoadCancelled

_CELL_FACTOR = 3.0
_LEVEL_STEP = 4.0
_BLOCK = 4096               # points per worker task
_MARKS = 2 ** 31 - 2        # int32 stamp marks per call before the stamps are cleared


class GridSearch:
    """Exact nearest original triangle for points in the design's local frame (float64)."""

    def __init__(self, rows: np.ndarray, face: np.ndarray, element: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                 mean_area: float, threads: int = 1) -> None:
        """rows: face_rows of the kept faces; lo/hi: a box around them; mean_area: their mean area."""
        self.tri = rows                    # (T, 16): a, b - a, c - a, unit normal, centroid, radius
        self.face, self.element = face, element
        self.threads = max(1, min(threads, numba.config.NUMBA_NUM_THREADS))
        self.lo, self.hi = np.asarray(lo, np.float64), np.asarray(hi, np.float64)
        extent = float(max((self.hi - self.lo).max(), 1e-9))
        h = _CELL_FACTOR * float(np.sqrt(mean_area))
        # at most 2**18 cells a side (the packed keys hold 2**20 either way of the origin). The
        # listings stay near the triangle count: a surface of total area A in cells of side h
        # meets about A / h**2 = T / 9 cells, plus a few per triangle along its edges.
        self.h0 = max(h, extent / 2 ** 18, 1e-6)
        self.eps = 1e-9 * max(extent, self.h0)
        self._levels: list[tuple] = []
        self._packed: dict[int, tuple] = {}
        self._lock = threading.Lock()
        self._levels_for(0.0)

    def _levels_for(self, maxd: float) -> tuple[np.ndarray, ...]:
        """Levels 0..L with the last one's cells larger than maxd, packed for the kernel."""
        with self._lock:
            need = 1
            while self.h0 * _LEVEL_STEP ** (need - 1) <= maxd * 1.01:
                need += 1
            if need in self._packed:
                return self._packed[need]
            numba.set_num_threads(self.threads)
            while len(self._levels) < need:
                h = self.h0 * _LEVEL_STEP ** len(self._levels)
                self._levels.append(build_level(self.tri, h, self.eps))
            lv = self._levels[:need]
            caps = [len(x[0]) for x in lv]
            ncell = [len(x[2]) - 1 for x in lv]
            ntri = [len(x[3]) for x in lv]
            lh = np.array([self.h0 * _LEVEL_STEP ** i for i in range(need)])
            lbase = np.concatenate([[0], np.cumsum(caps)[:-1]]).astype(np.int64)
            lbits = np.array([x[1] for x in lv], np.int64)
            lcell = np.concatenate([[0], np.cumsum(ncell)[:-1]]).astype(np.int64)
            toff = np.concatenate([[0], np.cumsum(ntri)[:-1]]).astype(np.int64)
            cstart = np.concatenate([x[2][:-1] + o for x, o in zip(lv, toff)] + [[sum(ntri)]]).astype(np.int64)
            packed = (lh, lbase, lbits, lcell, np.concatenate([x[0] for x in lv]), cstart,
                      np.concatenate([x[3] for x in lv]), np.concatenate([x[4] for x in lv]),
                      lv[0][5], lv[0][6], lv[0][7])           # sub-cells: level 0 only
            self._packed[need] = packed
            return packed

    def __getstate__(self) -> dict:
        """Picklable (dask workers): without the lock and the packed views (rebuilt on demand)."""
        state = dict(self.__dict__)
        state["_lock"], state["_packed"] = None, {}
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    @property
    def cells(self) -> int:
        """Non-empty level-0 cells (for reports)."""
        return len(self._levels[0][2]) - 1

    def run(self, p: np.ndarray, origin: np.ndarray, maxd: float, out: tuple[np.ndarray, ...],
            progress: Callable[[int], None], cancel: Callable[[], bool] | None, chunk_size: int) -> None:
        """Fill out = (distance, face, element, far) for scene-frame points p (float64, C order).

        Blocks of _BLOCK points go to `threads` worker threads as they free up (the kernel releases
        the GIL), so a core stolen by another process delays one block, not half the work. Chunks
        of chunk_size points are the unit of progress and cancel. Each worker owns a stamp array;
        the marks are point numbers, unique within a call."""
        packed = self._levels_for(maxd)
        n = len(p)
        free: queue.SimpleQueue = queue.SimpleQueue()
        for _ in range(self.threads):
            free.put(np.zeros(len(self.tri), np.int32))
        state = {"base": 0}

        def block(i0: int, i1: int) -> None:
            stamp = free.get()
            try:
                query_block(p, i0, i1, origin, float(maxd), self.lo, self.hi, *packed, self.tri,
                            self.face, self.element, stamp, state["base"], *out)
            finally:
                free.put(stamp)

        with ThreadPoolExecutor(self.threads) as pool:
            for c0 in range(0, n, chunk_size):
                if cancel is not None and cancel():
                    raise LoadCancelled("comparison cancelled")
                c1 = min(n, c0 + chunk_size)
                if state["base"] + c1 >= _MARKS:            # int32 marks: start again from zero
                    stamps = [free.get() for _ in range(self.threads)]
                    for stamp in stamps:
                        stamp[:] = 0
                        free.put(stamp)
                    state["base"] = -c0
                jobs = [pool.submit(block, b0, min(c1, b0 + _BLOCK)) for b0 in range(c0, c1, _BLOCK)]
                for job in jobs:
                    job.result()
                progress(c1)
