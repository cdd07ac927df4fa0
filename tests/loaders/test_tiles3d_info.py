"""`twinscape info` on 3D Tiles: summary from tileset.json (cheap), --deep reads every content."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from app.info import describe
from tests.conftest import REPO
from tests.loaders.builders import box, make_b3dm, make_glb, write_tileset
from tests.loaders.conftest import CORPUS, corpus_path

SAMPLES_DIR = CORPUS / "3dtiles" / "cesium-samples"
SAMPLES = sorted(str(p.relative_to(SAMPLES_DIR)) for p in SAMPLES_DIR.rglob("tileset.json")) if SAMPLES_DIR.is_dir() else ["(corpus absent)"]


@pytest.mark.parametrize("name", SAMPLES)
def test_info_on_every_cesium_sample(name: str) -> None:
    path = corpus_path(f"3dtiles/cesium-samples/{name}")
    d = describe(str(path))
    assert d["kind"] == "tileset" and d["tiles"] >= 1 and d["contents"] >= 0 and d["geometric_error"] >= 0
    assert d["bounds"] is not None and d["crs"] in ("EPSG:4978", None)
    assert "triangles" not in d  # not without deep
    deep = describe(str(path), deep=True)
    assert {"points", "triangles", "features"} <= deep.keys()
    if d["contents"]:
        assert deep["points"] + deep["triangles"] > 0


def test_info_cli_on_all_samples_at_once() -> None:
    if not SAMPLES_DIR.is_dir():
        pytest.skip("corpus absent")
    paths = [str(SAMPLES_DIR / n) for n in SAMPLES]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-m", "app", "info", *paths], capture_output=True, text=True, timeout=120, cwd=REPO, env=env)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == len(paths)


def test_info_figures_for_known_samples() -> None:
    d = describe(str(corpus_path("3dtiles/cesium-samples/1.0/TilesetWithRequestVolume/tileset.json")), deep=True)
    assert d["crs"] == "EPSG:4978" and d["bounds_frame"] == "ecef"
    assert d["tiles"] == 9 and d["contents"] == 6 and d["geometric_error"] == 100
    (lat0, lon0, _), (lat1, lon1, h1) = d["bounds_lla"]
    assert 40.03 < lat0 < lat1 < 40.05 and -75.62 < lon0 < lon1 < -75.60 and h1 == pytest.approx(67.01, abs=0.1)
    assert d["points"] == 125000 and d["triangles"] > 60000 and d["features"] > 0
    d = describe(str(corpus_path("3dtiles/cesium-samples/1.1/SparseImplicitQuadtree/tileset.json")))
    assert d["tiles"] == 63 and d["contents"] == 32 and d["crs"] is None and d["bounds_frame"] == "tileset"
    np.testing.assert_allclose(d["bounds"], [[0, 0, 0], [1, 1, 0.0125]], atol=1e-9)


def test_info_without_deep_does_not_read_contents(tmp_path) -> None:
    (tmp_path / "broken.b3dm").write_bytes(b"b3dm" + bytes(40))
    v, f = box(1.0)
    (tmp_path / "good.b3dm").write_bytes(make_b3dm(make_glb(v, f), batch_length=0))
    root = {"boundingVolume": {"sphere": [0, 0, 0, 10]}, "geometricError": 5, "refine": "ADD", "content": {"uri": "good.b3dm"},
            "children": [{"boundingVolume": {"sphere": [0, 0, 0, 10]}, "geometricError": 0, "content": {"uri": "broken.b3dm"}}]}
    path = write_tileset(tmp_path, root)
    d = describe(str(path))
    assert d["tiles"] == 2 and d["contents"] == 2 and "warnings" not in d
    np.testing.assert_allclose(d["bounds"], [[-10, -10, -10], [10, 10, 10]])
    deep = describe(str(path), deep=True)
    assert deep["triangles"] == 12 and any("broken.b3dm" in w for w in deep["warnings"])


def test_single_tile_reports_kind_tile(tmp_path) -> None:
    v, f = box(1.0)
    (tmp_path / "a.b3dm").write_bytes(make_b3dm(make_glb(v, f, batch_ids=np.zeros(8)), batch_length=1, batch_table={"h": [3]}))
    d = describe(str(tmp_path / "a.b3dm"))
    assert d["kind"] == "tile" and d["triangles"] == 12 and d["features"] == 1
    assert json.dumps(d, default=lambda o: o.tolist())
