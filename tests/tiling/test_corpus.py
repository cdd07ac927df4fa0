"""Every public LAS/LAZ sample (formats 0-10, extra bytes, EVLRs, waveform, COPC input) tiles
with its header's point count; autzen lands on the Autzen stadium."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app.tiling import tile
from tests.conftest import CORPUS, corpus_file

pytestmark = pytest.mark.corpus
FOLDERS = ("pointcloud/laspy", "pointcloud/pdal")


def _samples() -> list[str]:
    return sorted(str(p.relative_to(CORPUS)) for f in FOLDERS if (CORPUS / f).is_dir()
                  for p in (CORPUS / f).iterdir() if p.suffix.lower() in (".las", ".laz"))


@pytest.mark.parametrize("relative", _samples() or ["pointcloud/laspy/autzen_trim.laz"])
def test_corpus_sample_tiles_to_copc(relative: str, tmp_path: Path) -> None:
    import laspy

    src = corpus_file(relative)
    with laspy.open(str(src)) as reader:
        count = int(reader.header.point_count)
    out = tmp_path / "out.copc.laz"
    assert tile([str(src)], str(out), workers=1, processes=False).points == count
    with laspy.CopcReader.open(str(out)) as reader:
        assert len(reader.query()) == count
    a, b = laspy.read(str(src)), laspy.read(str(out))
    scale = np.asarray(a.header.scales)
    qa, qb = (np.round(np.c_[las.x, las.y, las.z] / scale).astype(np.int64) for las in (a, b))
    assert np.array_equal(qa[np.lexsort(qa.T)], qb[np.lexsort(qb.T)])  # every point, where it was


def test_autzen_tileset_stands_on_the_stadium(tmp_path: Path) -> None:
    from pyproj import Transformer

    src = corpus_file("pointcloud/pdal/autzen_trim.laz")
    tile([str(src)], str(tmp_path / "t"), fmt="3dtiles", workers=1, processes=False)
    m = np.asarray(json.loads((tmp_path / "t" / "tileset.json").read_text())["root"]["transform"]).reshape(4, 4).T
    lon, lat, _ = Transformer.from_crs("EPSG:4978", "EPSG:4979", always_xy=True).transform(*m[:3, 3])
    assert 44.0 < lat < 44.1 and -123.1 < lon < -123.0  # Autzen stadium, Eugene, Oregon
