"""Flood: a paraboloid bowl floods to the analytic volume within 1% (here and through `twinscape flood`),
the seed keeps the water in its own basin, and levels that flood nothing or everything are clean errors."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from app.analysis.flood import Dem, FloodError, dem_from_points, flood, flood_series, touched, write_depth_geotiff
from app.cli import main

A = 50.0  # bowl z = r^2 / A: water at depth h over the bottom holds V = pi * A * h^2 / 2, over pi * A * h m2
HALF, CELL = 100.0, 0.5


def bowl(cell: float = CELL, half: float = HALF, x0: float = 500000.0, y0: float = 3000000.0, z0: float = 10.0) -> Dem:
    """A paraboloid centred at (x0, y0), bottom at z0, on a north-up grid of `cell` metres."""
    n = int(2 * half / cell)
    transform = (cell, 0.0, x0 - half, 0.0, -cell, y0 + half)
    dem = Dem(np.zeros((n, n)), transform, "EPSG:4547")
    x, y = dem.centres()
    dem.z = z0 + ((x - x0) ** 2 + (y - y0) ** 2) / A
    return dem


def analytic(h: float) -> tuple[float, float]:
    return math.pi * A * h * h / 2.0, math.pi * A * h


def test_bowl_volume_and_area_match_the_paraboloid_within_1_percent() -> None:
    dem = bowl()
    for h in (20.0, 50.0):
        result = flood(dem, 10.0 + h, seed=(500000.0, 3000000.0))
        volume, area = analytic(h)
        assert result.volume_m3 == pytest.approx(volume, rel=0.01)
        assert result.area_m2 == pytest.approx(area, rel=0.01)
        assert float(np.nanmax(result.depth)) == pytest.approx(h, abs=0.05)


def test_seed_keeps_the_water_in_its_basin_and_no_seed_floods_every_basin() -> None:
    dem = bowl(cell=1.0, half=60.0)
    x, _ = dem.centres()
    dem.z = np.where(x < 500000.0, dem.z, dem.z + 0.0)  # two basins: a ridge along x = x0
    dem.z[:, dem.z.shape[1] // 2] = 1000.0
    west = flood(dem, 30.0, seed=(499980.0, 3000000.0))
    everywhere = flood(dem, 30.0)
    assert 0 < west.area_m2 < everywhere.area_m2
    assert everywhere.area_m2 == pytest.approx(2 * west.area_m2, rel=0.05)


@pytest.mark.parametrize("level, words", [(5.0, "below the lowest ground"), (5000.0, "above the highest ground")])
def test_level_below_or_above_the_whole_terrain_is_a_clear_error(level: float, words: str) -> None:
    with pytest.raises(FloodError, match=words):
        flood(bowl(cell=2.0), level)


def test_seed_on_dry_ground_or_outside_the_dem_is_a_clear_error() -> None:
    dem = bowl(cell=2.0)
    with pytest.raises(FloodError, match="at or above the level"):
        flood(dem, 20.0, seed=(500090.0, 3000000.0))
    with pytest.raises(FloodError, match="outside the terrain"):
        flood(dem, 20.0, seed=(0.0, 0.0))


def test_series_rises_and_falls_and_dry_steps_are_not_errors() -> None:
    dem = bowl(cell=2.0)
    steps = flood_series(dem, [9.0, 20.0, 30.0, 20.0], seed=(500000.0, 3000000.0))
    assert [s.wet_cells > 0 for s in steps] == [False, True, True, True]
    assert steps[1].volume_m3 == pytest.approx(steps[3].volume_m3)
    assert steps[2].volume_m3 > steps[1].volume_m3


def test_dem_from_points_samples_a_mesh_terrain() -> None:
    xs, ys = np.meshgrid(np.linspace(-50, 50, 41), np.linspace(-50, 50, 41))
    pts = np.stack([xs.ravel(), ys.ravel(), (xs ** 2 + ys ** 2).ravel() / A], 1)
    dem = dem_from_points(pts, cell=1.0)
    result = flood(dem, 20.0, seed=(0.0, 0.0))
    assert result.volume_m3 == pytest.approx(analytic(20.0)[0], rel=0.02)


def test_buildings_touched_are_those_the_water_reaches() -> None:
    import shapely

    dem = bowl(cell=1.0, half=60.0)
    result = flood(dem, 30.0, seed=(500000.0, 3000000.0))  # wet out to r = sqrt(50 * 20) = 31.6 m
    box = lambda cx, cy: shapely.box(cx - 4, cy - 4, cx + 4, cy + 4)  # noqa: E731
    hits = touched(result.depth, dem, [box(500000.0 + 20, 3000000.0), None, box(500000.0 + 50, 3000000.0)])
    assert hits == [0]


def _write_dem(path, dem: Dem) -> None:
    import rasterio
    from rasterio.transform import Affine

    with rasterio.open(path, "w", driver="GTiff", width=dem.z.shape[1], height=dem.z.shape[0], count=1,
                       dtype="float64", crs=dem.crs, transform=Affine(*dem.transform)) as dst:
        dst.write(dem.z, 1)


def test_cli_floods_the_bowl_to_the_analytic_volume(tmp_path, capsys) -> None:
    dem_path, out = tmp_path / "bowl.tif", tmp_path / "depth.tif"
    _write_dem(dem_path, bowl())
    code = main(["flood", str(dem_path), "--level", "60", "--seed", "500000,3000000", "-o", str(out), "--json"])
    assert code == 0
    figures = json.loads(capsys.readouterr().out)
    volume, area = analytic(50.0)
    assert figures["volume_m3"] == pytest.approx(volume, rel=0.01)
    assert figures["area_m2"] == pytest.approx(area, rel=0.01)
    from loaders.registry import load

    [back] = load(out)  # the depth GeoTIFF opens as a result layer
    depth = back.steps[0]["depth"]
    assert np.nanmax(depth) == pytest.approx(50.0, abs=0.05) and back.georef.crs == "EPSG:4547"


def test_cli_text_output_and_bad_input(tmp_path, capsys) -> None:
    dem_path = tmp_path / "bowl.tif"
    _write_dem(dem_path, bowl(cell=2.0))
    assert main(["flood", str(dem_path), "--level", "30"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("area_m2 ") and "volume_m3 " in text
    assert main(["flood", str(dem_path), "--level", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {dem_path}: level 1 m is at or below the lowest ground") and "Traceback" not in err
    assert main(["flood", str(dem_path), "--level", "1e6"]) == 2
    assert "above the highest ground" in capsys.readouterr().err
    not_tiff = tmp_path / "x.tif"
    not_tiff.write_text("hello")
    assert main(["flood", str(not_tiff), "--level", "3"]) == 2
    assert "not a readable GeoTIFF" in capsys.readouterr().err
    assert main(["flood", str(tmp_path / "none.tif"), "--level", "3"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_depth_geotiff_series_carries_times(tmp_path) -> None:
    from loaders.registry import load

    dem = bowl(cell=4.0)
    floods = flood_series(dem, [15.0, 25.0, 15.0], seed=(500000.0, 3000000.0))
    times = ["2026-12-21T09:00:00+08:00", "2026-12-21T10:00:00+08:00", "2026-12-21T11:00:00+08:00"]
    write_depth_geotiff(str(tmp_path / "s.tif"), dem, floods, times)
    [data] = load(tmp_path / "s.tif")
    assert len(data.steps) == 3 and data.times_absolute
    assert data.times[1] - data.times[0] == 3600.0
    assert data.units == {"depth": "m", "water_level": "m"}
    assert np.nanmax(data.steps[1]["water_level"]) == pytest.approx(25.0)
