"""A seeded COPC file of a few hundred thousand points and several levels, written by our own
`twinscape tile --format copc` (app.tiling), for the COPC streaming tests."""
from __future__ import annotations

from pathlib import Path

from tests.tiling.helpers import UTM33, make_cloud


def make_copc(folder: Path, n: int = 300_000, *, epsg: int | None = UTM33, seed: int = 3) -> Path:
    """folder/site.copc.laz: a 400 m x 400 m terrain with 16-bit RGB, 4 levels (1.5 s for 300k)."""
    from app.tiling import tile

    folder.mkdir(parents=True, exist_ok=True)
    src = folder / "site.laz"
    make_cloud(src, n, seed=seed, point_format=3, epsg=epsg)
    out = folder / "site.copc.laz"
    tile([str(src)], str(out), workers=1, processes=False, chunk_points=100_000, max_cell_points=400_000,
         max_leaf=20_000)
    src.unlink()
    return out


def corrupt_node(src: Path, dst: Path, level: int, which: int = 0) -> tuple:
    """A copy of `src` with seeded garbage in one node's coordinates (point format 7: the first
    layer of its chunk); returns the node's key and point count."""
    import laspy
    import numpy as np

    with laspy.CopcReader.open(str(src)) as reader:
        entries = sorted((e for e in reader.root_page.entries.values() if e.point_count > 0 and e.key.level == level),
                         key=lambda e: (e.key.x, e.key.y, e.key.z))
    victim = entries[which]
    data = bytearray(src.read_bytes())
    rng = np.random.default_rng(5)
    with laspy.open(str(src)) as fh:
        size = fh.header.point_format.size
    mid = victim.offset + size + 4 + 4 * 10 + 16  # into the first (x, y) layer of a LAZ 1.4 chunk
    data[mid:mid + 64] = rng.integers(0, 256, 64, dtype=np.uint8).tobytes()
    dst.write_bytes(bytes(data))
    return (victim.key.level, victim.key.x, victim.key.y, victim.key.z), victim.point_count
