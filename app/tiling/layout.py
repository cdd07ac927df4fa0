"""The shared frame of one tiling job: output point format, quantisation, the octree cube and
the Morton codes that place every point in it.

Every task (partition, cell build, top build) gets the same frozen `Layout`, so they agree on
cells and node keys without talking to each other. Keys follow COPC's VoxelKey convention
(level, x, y, z with bit 0 = x, 1 = y, 2 = z of the child index).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

DEPTH = 21  # bits per axis of a Morton code (63 bits in a uint64)
GRID_BITS = 7  # a node keeps one point per cell of a 128^3 grid over its cube (PotreeConverter's 128)
MAX_LEVEL = DEPTH - GRID_BITS  # deepest node: its grid cells are still whole Morton cells
CHUNK_POINTS = 250_000  # 9 MB of records: each pass over a chunk stays in cache (18% less CPU than 1M)


@dataclass(frozen=True)
class Layout:
    """Everything a worker needs to place, quantise and key points."""

    point_format: int  # 6, 7 or 8 (COPC allows only these)
    scales: tuple[float, float, float]
    offsets: tuple[float, float, float]
    center: tuple[float, float, float]  # cube centre, real coordinates
    halfsize: float  # half the cube side
    cell_level: int  # level of the partition cells that become independent tasks
    total_points: int
    crs_wkt: str | None = None
    max_leaf: int = 100_000  # a node with at most this many points holds them all
    max_cell_points: int = 4_000_000  # a cell with more is split again, streaming from disk
    chunk_points: int = CHUNK_POINTS  # points read (and held) at once
    grid_bits: int = GRID_BITS  # sampling grid 2^grid_bits per axis; a cell's root bubbles up at most ~8*4^grid_bits points (2.5D)
    # Node walls on the quantisation grid's half steps (see `aligned_cube`): origin K (integer
    # coordinates, cube_min = offset + (K - 0.5) * scale), grid steps per cube side, per axis.
    grid_origin: tuple[int, int, int] | None = None
    grid_steps: tuple[int, int, int] | None = None
    data_center: tuple[float, float, float] | None = None  # centre of the inputs' bounds (3D Tiles frame origin)

    @property
    def dtype(self) -> np.dtype:
        import laspy

        return laspy.PointFormat(self.point_format).dtype()

    @property
    def record_size(self) -> int:
        return int(self.dtype.itemsize)

    @property
    def cube_min(self) -> np.ndarray:
        return np.asarray(self.center, np.float64) - self.halfsize

    def spacing(self, level: int) -> float:
        """Distance between points of a node at `level` (grid cell size)."""
        return 2.0 * self.halfsize / (1 << self.grid_bits) / (1 << level)

    def _cube_units(self, records: np.ndarray, bits: int, dtype) -> list[np.ndarray]:
        """Per axis, floor of the position in units of cube side / 2^bits, clipped into the cube.

        With an aligned cube this is exact integer-grid arithmetic ((X - K + 1/2) / steps), so a
        point never lands in a node whose walls (as readers compute them) exclude it."""
        n = 1 << bits
        out = []
        for i, name in enumerate("XYZ"):
            if self.grid_origin is not None:
                v = (records[name].astype(np.float64) - (self.grid_origin[i] - 0.5)) * (n / self.grid_steps[i])
            else:
                v = (records[name].astype(np.float64) * self.scales[i] + (self.offsets[i] - self.cube_min[i])) * (n / (2.0 * self.halfsize))
            out.append(np.clip(v, 0, n - 1).astype(dtype))
        return out

    def cells(self, records: np.ndarray) -> np.ndarray:
        """Partition cell of each record: equal to prefix(codes(records), cell_level) but
        computed at that level only (a cheaper pass over every point)."""
        if self.cell_level == 0:
            return np.zeros(len(records), np.uint32)
        q = self._cube_units(records, self.cell_level, np.uint32)
        return _spread_small(q[0]) | (_spread_small(q[1]) << np.uint32(1)) | (_spread_small(q[2]) << np.uint32(2))

    def node_bounds(self, level: int, x: int, y: int, z: int) -> tuple[np.ndarray, np.ndarray]:
        side = 2.0 * self.halfsize / (1 << level)
        lo = self.cube_min + np.array([x, y, z], np.float64) * side
        return lo, lo + side

    def codes(self, records: np.ndarray) -> np.ndarray:
        """Morton code (uint64, DEPTH levels) of each record's quantised position."""
        q = self._cube_units(records, DEPTH, np.uint64)
        return _spread(q[0]) | (_spread(q[1]) << np.uint64(1)) | (_spread(q[2]) << np.uint64(2))


def rows(records: np.ndarray) -> np.ndarray:
    """The records as opaque fixed-size rows: numpy gathers and copies these several times
    faster than a structured dtype (which it moves field by field)."""
    return records.view(np.dtype((np.void, records.dtype.itemsize)))


def take(records: np.ndarray, index: np.ndarray) -> np.ndarray:
    return rows(records)[index].view(records.dtype)


def _spread(v: np.ndarray) -> np.ndarray:
    """Put two zero bits between the 21 low bits of v (Morton interleave)."""
    v = v & np.uint64(0x1FFFFF)
    v = (v | (v << np.uint64(32))) & np.uint64(0x1F00000000FFFF)
    v = (v | (v << np.uint64(16))) & np.uint64(0x1F0000FF0000FF)
    v = (v | (v << np.uint64(8))) & np.uint64(0x100F00F00F00F00F)
    v = (v | (v << np.uint64(4))) & np.uint64(0x10C30C30C30C30C3)
    v = (v | (v << np.uint64(2))) & np.uint64(0x1249249249249249)
    return v


_SPREAD_SMALL = None


def _spread_small(q: np.ndarray) -> np.ndarray:
    """_spread for values below 128 through a lookup table (partition cells)."""
    global _SPREAD_SMALL
    if _SPREAD_SMALL is None:
        _SPREAD_SMALL = _spread(np.arange(128, dtype=np.uint64)).astype(np.uint32)
    return _SPREAD_SMALL[q]


def _compact(v: np.ndarray) -> np.ndarray:
    v = v & np.uint64(0x1249249249249249)
    v = (v | (v >> np.uint64(2))) & np.uint64(0x10C30C30C30C30C3)
    v = (v | (v >> np.uint64(4))) & np.uint64(0x100F00F00F00F00F)
    v = (v | (v >> np.uint64(8))) & np.uint64(0x1F0000FF0000FF)
    v = (v | (v >> np.uint64(16))) & np.uint64(0x1F00000000FFFF)
    v = (v | (v >> np.uint64(32))) & np.uint64(0x1FFFFF)
    return v


def prefix(codes: np.ndarray | int, level: int) -> np.ndarray | int:
    """Morton code of the level-`level` node holding each code."""
    shift = 3 * (DEPTH - level)
    if isinstance(codes, (int, np.integer)):
        return int(codes) >> shift
    return codes >> np.uint64(shift)


def key_of(level: int, node_code: int) -> tuple[int, int, int, int]:
    """(level, x, y, z) of a node from its Morton prefix."""
    c = np.array([node_code], np.uint64)
    return (level, int(_compact(c)[0]), int(_compact(c >> np.uint64(1))[0]), int(_compact(c >> np.uint64(2))[0]))


class TaskInputError(Exception):
    """Bad input found inside a worker; pickles across processes (LoadError does not),
    and the pipeline turns it back into a LoadError."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason

    def __reduce__(self):
        return (TaskInputError, (self.path, self.reason))


def aligned_cube(mins: np.ndarray, maxs: np.ndarray, scales: np.ndarray, offsets: np.ndarray) -> dict | None:
    """A cube whose node walls, down to the level where a node is one quantisation step wide,
    lie half-way between grid positions, so no point sits on a wall and float rounding cannot
    put it on the wrong side (copclib's ValidateSpatialBounds flagged ~1 in 60k points before).
    None when the axis scales are not whole multiples of one another."""
    step = float(scales.max())
    ratios = step / scales
    if np.any(np.abs(ratios - np.round(ratios)) > 1e-9):
        return None
    ratios = np.round(ratios).astype(np.int64)
    origin = np.floor((mins - offsets) / scales + 1e-9).astype(np.int64)
    need = float(np.max((maxs - mins) / step + 2.0 / ratios))  # cube side in `step` units
    bits = int(min(MAX_LEVEL, max(0, math.ceil(math.log2(max(need, 1.0))))))
    m = max(1, math.ceil(need / (1 << bits)))
    steps = m * (1 << bits) * ratios
    cube_min = offsets + (origin - 0.5) * scales
    halfsize = float(steps[0] * scales[0] / 2)
    return {"grid_origin": tuple(int(v) for v in origin), "grid_steps": tuple(int(v) for v in steps),
            "center": tuple(float(v) for v in cube_min + halfsize), "halfsize": halfsize}
