"""Results are layers: a flood computed on a scene's terrain is saved with the project (sidecar, loader
"results"), reopens with every time step and its style without recomputing, and exports as GeoTIFF,
CSV and VTK; GeoTIFF result layers opened from files save as ordinary file layers."""
from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from app.analysis.flood_scene import FloodRun, run_flood
from app.analysis.results_export import ExportError, export_result
from app.model.opening import open_paths
from app.model.project import write_project
from app.model.results import ResultLayer
from app.model.scene import Scene
from loaders.registry import load

T0 = datetime(2026, 12, 21, 1, 0, tzinfo=timezone.utc)


def bowl_points(n: int = 41, half: float = 40.0) -> np.ndarray:
    xs, ys = np.meshgrid(np.linspace(-half, half, n), np.linspace(-half, half, n))
    return np.stack([xs.ravel(), ys.ravel(), (xs ** 2 + ys ** 2).ravel() / 50.0], 1)


def flood_scene() -> tuple[Scene, ResultLayer]:
    scene = Scene()
    scene.frame.origin_lla = (30.59, 114.30, 22.0)
    run = FloodRun(bowl_points(), [4.0, 8.0, 4.0], [T0.timestamp() + 3600 * i for i in range(3)], (0.0, 0.0), 2.0, "Flood test")
    outcome = run_flood(run)
    [layer] = scene.make_layers(outcome.data)
    scene.layers.append(layer)
    return scene, layer  # type: ignore[return-value]


def test_flood_layer_saves_and_reopens_with_its_steps(tmp_path) -> None:
    scene, layer = flood_scene()
    assert layer.time_aware and layer.color_mode == "depth" and layer.height_by == "water_level" and layer.cmap == "water"
    layer.opacity = 0.6
    project = tmp_path / "p.twin"
    write_project(scene, project)
    doc = json.loads(project.read_text())
    [entry] = doc["layers"]
    assert entry["source"]["loader"] == "results" and entry["source"]["options"]["derived"]["analysis"] == "flood"
    errors: list = []
    opened = open_paths(Scene(), [str(project)], on_error=errors.append)
    assert not errors
    [back] = opened
    assert isinstance(back, ResultLayer) and back.opacity == 0.6 and back.info["derived"]["analysis"] == "flood"
    assert len(back.steps) == 3 and back.span() == layer.span()
    mid = T0 + timedelta(hours=1)
    assert np.array_equal(np.nan_to_num(back.values_at(mid)), np.nan_to_num(layer.values_at(mid)))
    assert np.allclose(back.data["vertices"], layer.data["vertices"])


def test_flood_layer_exports_geotiff_csv_and_vtk(tmp_path) -> None:
    import pyvista as pv

    scene, layer = flood_scene()
    scene.clock.set_range(T0, T0 + timedelta(hours=3))
    scene.clock.set_time(T0 + timedelta(hours=1))
    export_result(layer, str(tmp_path / "f.tif"), scene)
    [data] = load(tmp_path / "f.tif")
    assert len(data.steps) == 3 and np.nanmax(data.steps[1]["depth"]) == pytest.approx(8.0, abs=0.6)
    assert "tmerc" in (data.georef.crs or "") or data.georef.kind == "crs"
    export_result(layer, str(tmp_path / "f.csv"), scene)
    rows = list(csv.reader((tmp_path / "f.csv").open()))
    assert rows[1][:6] == ["e_m", "n_m", "u_m", "lat_deg", "lon_deg", "h_m"] and "depth_m" in rows[1]
    depth = [float(r[rows[1].index("depth_m")]) for r in rows[2:]]
    assert len(depth) > 10 and max(depth) == pytest.approx(8.0, abs=0.6)
    export_result(layer, str(tmp_path / "f.vtu"), scene)
    grid = pv.read(tmp_path / "f.vtu")
    assert "depth" in grid.cell_data and grid.n_cells == len(layer.steps[0]["depth"])
    with pytest.raises(ExportError, match="unknown export format"):
        export_result(layer, str(tmp_path / "f.xyz"), scene)


def test_geotiff_layer_from_a_file_saves_as_a_file_layer(tmp_path) -> None:
    from app.analysis.flood import Dem, flood, write_depth_geotiff

    dem = Dem(np.add.outer(np.arange(20.0), np.arange(20.0)), (1.0, 0, 500000.0, 0, -1.0, 3000000.0), "EPSG:4547")
    write_depth_geotiff(str(tmp_path / "d.tif"), dem, [flood(dem, 10.0)])
    scene = Scene()
    layers = open_paths(scene, [str(tmp_path / "d.tif")], on_error=pytest.fail)
    for layer in layers:
        scene.layers.append(layer)
    write_project(scene, tmp_path / "q.twin")
    [entry] = json.loads((tmp_path / "q.twin").read_text())["layers"]
    assert entry["source"]["loader"] == "GeoTIFF" and entry["state"]["height_by"] == "water_level"
    [again] = open_paths(Scene(), [str(tmp_path / "q.twin")], on_error=pytest.fail)
    assert isinstance(again, ResultLayer) and again.color_mode == "depth"


def test_terrain_from_a_point_cloud_takes_its_ground_class() -> None:
    from app.analysis.flood_scene import terrain_points
    from app.model.layers import PointCloudLayer

    pts = bowl_points(21)
    roofs = pts + [0.0, 0.0, 30.0]
    cls = np.r_[np.full(len(pts), 2), np.full(len(roofs), 6)]
    cloud = PointCloudLayer(data={"positions": np.vstack([pts, roofs]), "colors": None, "attributes": {"classification": cls}})
    assert np.array_equal(terrain_points(cloud), pts)  # the roofs (class 6) are not ground


def test_a_dem_raster_is_resampled_without_triangulating(tmp_path) -> None:
    """A GeoTIFF DEM in a projected CRS, flooded in the scene: the bowl's analytic volume within 2%."""
    import math

    from app.analysis.flood import Dem, flood
    from app.analysis.flood_scene import raster_dem
    from tests.analysis.test_flood import _write_dem, bowl

    _write_dem(tmp_path / "bowl.tif", bowl(cell=1.0, half=60.0))
    scene = Scene()
    [layer] = open_paths(scene, [str(tmp_path / "bowl.tif")], on_error=pytest.fail)
    dem = raster_dem(layer)
    assert isinstance(dem, Dem) and dem.transform[0] == pytest.approx(1.0, abs=1e-3)
    low = float(np.nanmin(dem.z))
    result = flood(dem, low + 20.0, seed=(0.0, 0.0))
    assert result.volume_m3 == pytest.approx(math.pi * 50.0 * 20.0 ** 2 / 2, rel=0.02)
