"""`twinscape tile`: LAS/LAZ -> COPC or 3D Tiles pnts on dask.distributed, in bounded memory.

Passes: partition (stream chunks, bucket points into cells on disk) -> one task per cell builds
its subtree -> a task builds the coarse levels from points bubbled up by the cells -> the
writer assembles the file or tileset. No Qt, no VTK (import-linter contract).
"""
from app.tiling.pipeline import FORMATS, TileResult, tile

__all__ = ["FORMATS", "TileResult", "tile"]
