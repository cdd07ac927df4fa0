"""The CLI contract: JSON lines, exit codes, clean `error: PATH: reason` lines, no tracebacks."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import REPO, corpus_file

INFO_KEYS = {"path", "kind", "format", "crs", "bounds"}


def twinscape(*args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True, timeout=timeout, cwd=REPO, env=env)


def test_info_on_the_three_data_kinds() -> None:
    files = [corpus_file("pointcloud/pdal/autzen_trim.las"), corpus_file("ifc/fzk-haus/AC20-FZK-Haus.ifc"),
             corpus_file("3dtiles/cesium-samples/1.1/MultipleContents/tileset.json")]
    result = twinscape("info", "--deep", *map(str, files))  # --deep: tileset contents are read (triangles)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [d["kind"] for d in lines] == ["pointcloud", "bim", "tileset"]
    for d in lines:
        assert INFO_KEYS <= d.keys()
    assert lines[0]["points"] == 110000 and lines[0]["crs"]
    assert lines[1]["elements"] >= 80 and lines[1]["triangles"] > 0 and lines[1]["format"].startswith("IFC4")
    assert lines[2]["tiles"] >= 1 and lines[2]["triangles"] > 0
    lat_lon = lines[0]["bounds_lla"][0]
    assert 44.0 < lat_lon[0] < 44.1 and -123.1 < lat_lon[1] < -123.0  # Autzen stadium, Eugene, Oregon


def _bad_inputs(tmp: Path) -> dict[str, Path]:
    rng = np.random.default_rng(7)
    files = {
        "random_las": tmp / "x.las", "random_ifc": tmp / "x.ifc", "random_b3dm": tmp / "x.b3dm",
        "random_tileset": tmp / "tileset.json", "empty": tmp / "empty.laz", "directory": tmp / "folder",
        "missing": tmp / "missing.las", "unknown": tmp / "notes.xyz123",
    }
    for key in ("random_las", "random_ifc", "random_b3dm", "random_tileset", "unknown"):
        files[key].write_bytes(rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())
    files["empty"].write_bytes(b"")
    files["directory"].mkdir()
    # a LAS whose header lies about its point count, a truncated LAS, an IFC with no geometry
    import struct

    import ifcopenshell
    import ifcopenshell.api

    from tests.loaders.builders import make_las

    good = tmp / "good.las"
    make_las(good, 2000)
    data = bytearray(good.read_bytes())
    struct.pack_into("<I", data, 107, 9_000_000)  # legacy point count of a LAS 1.2 header
    files["lying_las"] = tmp / "lying.las"
    files["lying_las"].write_bytes(bytes(data))
    files["truncated_las"] = tmp / "truncated.las"
    files["truncated_las"].write_bytes(good.read_bytes()[: len(data) // 2])
    model = ifcopenshell.file(schema="IFC4")
    ifcopenshell.api.run("root.create_entity", model, ifc_class="IfcProject", name="Empty")
    files["no_geometry_ifc"] = tmp / "empty_project.ifc"
    model.write(str(files["no_geometry_ifc"]))
    return files


def test_bad_input_gives_exit_2_and_one_error_line_each(tmp_path: Path) -> None:
    files = _bad_inputs(tmp_path)
    result = twinscape("info", *map(str, files.values()))
    assert result.returncode == 2
    assert result.stdout == ""
    errors = result.stderr.strip().splitlines()
    assert len(errors) == len(files), result.stderr
    for line, path in zip(errors, files.values()):
        assert line.startswith(f"error: {path}: "), line
        assert len(line) > len(f"error: {path}: ") + 3
    reasons = dict(zip(files, errors))
    assert "header declares 9000000 points" in reasons["lying_las"]
    assert "no geometry" in reasons["no_geometry_ifc"]
    assert "no such file" in reasons["missing"] and "directory" in reasons["directory"] and "empty" in reasons["empty"]
    assert "Traceback" not in result.stderr


def test_good_and_bad_inputs_together(tmp_path: Path) -> None:
    bad = tmp_path / "x.las"
    bad.write_bytes(b"LASF" + bytes(300))
    good = corpus_file("pointcloud/laspy/simple.las")
    result = twinscape("info", str(good), str(bad))
    assert result.returncode == 2
    assert json.loads(result.stdout.splitlines()[0])["kind"] == "pointcloud"
    assert result.stderr.startswith(f"error: {bad}: ") and "Traceback" not in result.stderr


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "x.las"
    bad.write_bytes(b"garbage" * 50)
    result = twinscape("info", "--debug", str(bad))
    assert result.returncode == 2 and "Traceback" in result.stderr


def test_render_demo_gives_a_non_blank_png(tmp_path: Path) -> None:
    out = tmp_path / "demo.png"
    result = twinscape("render", "--demo", "-o", str(out), "--size", "400x300", "--frames", "2")
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout.strip().splitlines()[-1])
    assert {"frame_ms", "points_drawn", "triangles_drawn", "tiles_drawn"} <= stats.keys()
    assert stats["points_drawn"] > 0 and stats["triangles_drawn"] > 0 and stats["tiles_drawn"] > 0
    import pyvista as pv

    img = pv.read(str(out))
    rgb = np.asarray(img.point_data[img.point_data.keys()[0]])[:, :3].astype(float)
    assert img.dimensions[:2] == (400, 300)
    assert rgb.std(axis=0).mean() > 10  # not a flat colour
    assert len(np.unique(rgb[::7], axis=0)) > 200


def test_render_budget_caps_points(tmp_path: Path) -> None:
    las = corpus_file("pointcloud/pdal/autzen_trim.las")
    result = twinscape("render", str(las), "-o", str(tmp_path / "a.png"), "--size", "320x240", "--budget", "20000", "--frames", "1")
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout.strip().splitlines()[-1])
    assert stats["points_drawn"] == 20000 and stats["triangles_drawn"] == 0


def test_render_bad_input(tmp_path: Path) -> None:
    bad = tmp_path / "x.las"
    bad.write_bytes(b"\x00" * 500)
    result = twinscape("render", str(bad), "-o", str(tmp_path / "x.png"))
    assert result.returncode == 2 and result.stderr.startswith(f"error: {bad}: ")
    assert "Traceback" not in result.stderr and not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("args", [["render", "x.las"], ["render", "-o", "o.png", "--size", "huge"]])
def test_usage_errors_exit_2(args: list[str]) -> None:
    result = twinscape(*args)
    assert result.returncode == 2 and "usage:" in result.stderr


def test_render_fzk_haus_is_not_blank(tmp_path: Path) -> None:
    ifc = corpus_file("ifc/fzk-haus/AC20-FZK-Haus.ifc")
    out = tmp_path / "fzk.png"
    result = twinscape("render", str(ifc), "-o", str(out), "--size", "400x300", "--frames", "1")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])["triangles_drawn"] > 10_000
    import pyvista as pv

    img = pv.read(str(out))
    rgb = np.asarray(img.point_data[img.point_data.keys()[0]])[:, :3].astype(int)
    sky_free = rgb[(np.abs(rgb[:, 0] - rgb[:, 2]) < 40) & (rgb[:, 0] > 150) | (rgb[:, 0] > rgb[:, 2] + 30)]
    assert len(sky_free) > 2000  # the house's walls and roof, not only sky and grid
