"""Twinscape against CesiumJS 1.145 on textured tilesets, same camera (issue 16, Done-when 1).

Writes build/cesium_compare/<name>_twinscape.png, _cesium.png and the side-by-side <name>.png
(`make bench` installs chromium and the npm package; the docs/cesium_side_by_side_*.png images
are copies of these). Points are drawn 1 px on both sides (CesiumJS's default, no attenuation). Checks that CesiumJS drew with Twinscape's camera and that both images show
the tileset's texture in about the same place: the dark texels land in the same place.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.benchmarks.cesium_compare.compare import REPO, cesium_build, chromium, compare
from tests.conftest import corpus_file

OUT = REPO / "build" / "cesium_compare"
CASES = {  # name: (tileset, zoom from the framed iso view towards its centre: close enough for texels)
    "multiplecontents": ("3dtiles/cesium-samples/1.1/MultipleContents/tileset.json", 0.45),
    "treebillboards": ("3dtiles/cesium-samples/1.0/TilesetWithTreeBillboards/tileset.json", 0.2),
}

pytestmark = [
    pytest.mark.skipif(chromium() is None, reason="chromium is not installed (make bench installs it)"),
    pytest.mark.skipif(cesium_build() is None, reason="build/cesium has no cesium npm package (make bench installs it)"),
]


def _drawn(png: Path) -> np.ndarray:
    """Dark pixels: the samples' textures (black plane, dark foliage) against either background
    (Twinscape's light gradient and grid, CesiumJS's grey), less Twinscape's compass and scale
    bar in the lower left."""
    from PIL import Image

    img = np.asarray(Image.open(png).convert("RGB"), dtype=int)
    dark = img.max(axis=2) < 70
    dark[-140:, :240] = False
    return dark


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_view_as_cesiumjs(name: str) -> None:
    relative, zoom = CASES[name]
    tileset = corpus_file(relative)
    OUT.mkdir(parents=True, exist_ok=True)
    camera = compare(str(tileset), str(OUT / name), zoom)
    seen = camera["cesium"]
    assert np.allclose([seen["pos"][k] for k in "xyz"], camera["pos"], atol=1e-6 * max(1.0, np.linalg.norm(camera["pos"])))
    assert np.allclose([seen["dir"][k] for k in "xyz"], camera["dir"], atol=1e-6)
    assert abs(seen["fovy"] - np.radians(camera["fovy"])) < 1e-6
    ours, theirs = _drawn(OUT / f"{name}_twinscape.png"), _drawn(OUT / f"{name}_cesium.png")
    ys, xs = np.nonzero(ours)
    yc, xc = np.nonzero(theirs)
    print(f"\n{name}: Twinscape {ours.sum()} px drawn, centre ({xs.mean():.0f}, {ys.mean():.0f}); "
          f"CesiumJS {theirs.sum()} px, centre ({xc.mean():.0f}, {yc.mean():.0f}); {OUT / name}.png")
    assert theirs.sum() > 500 and ours.sum() > 500
    assert abs(xs.mean() - xc.mean()) < 60 and abs(ys.mean() - yc.mean()) < 60  # the same place on screen
