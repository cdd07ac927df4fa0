"""Sunlight hours as layers: saved with the project (sidecar), reopened coloured; CSV, VTK, GeoTIFF exports."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from app.analysis.sun_layers import ExportError, export_points, ground_grid, style_layer, sunlight_layer_data
from app.analysis.sunlight import HOURS_ATTR, SunlightParams, compute_sunlight
from app.model.layers import PointCloudLayer
from app.model.opening import open_paths
from app.model.project import write_project
from app.model.scene import Scene
from loaders.base import Georef
from tests.analysis.test_sunlight import box, ground


@pytest.fixture(scope="module")
def result():
    parts = [box(-5, -5, 5, 5, 40), box(-10, 15, 10, 19, 12), ground(40)]
    return compute_sunlight(parts, SunlightParams(day=date(2026, 12, 22), step_minutes=60, grid_m=2.0, area=(-30, -30, 30, 40)))


def test_result_layers_are_saved_and_reopen_coloured_by_hours(result, tmp_path: Path) -> None:
    scene = Scene()
    datas = sunlight_layer_data(result, Georef())
    assert [d.metadata["derived"]["analysis"] for d in datas] == ["sunlight_hours", "sunlight_below_min"]
    for data in datas:
        for layer in scene.make_layers(data):
            style_layer(layer)
            scene.layers.append(layer)
    heat = scene.layers[0]
    assert heat.color_mode == HOURS_ATTR and heat.color_limits[HOURS_ATTR] == (0.0, 8.0)
    path = tmp_path / "p.twin"
    write_project(scene, path)
    back = open_paths(Scene(), [str(path)], on_error=lambda e: pytest.fail(str(e)))
    assert [type(l) for l in back] == [PointCloudLayer, PointCloudLayer]
    assert back[0].color_mode == HOURS_ATTR and back[0].info["derived"]["params"]["day"] == "2026-12-22"
    np.testing.assert_allclose(back[0].data["attributes"][HOURS_ATTR], result.hours)
    assert back[1].color_mode == "rgb" and len(back[1].positions) == result.summary["facade_points_below_min"] > 0


def test_exports_csv_vtk_geotiff(result, tmp_path: Path) -> None:
    attrs = {HOURS_ATTR: result.hours, "facade": result.facade.astype(np.uint8)}
    csv_path = export_points(tmp_path / "s.csv", result.points, attrs)
    lines = Path(csv_path).read_text(encoding="utf-8").splitlines()
    assert lines[0] == f"x_m,y_m,z_m,{HOURS_ATTR},facade" and len(lines) == len(result.points) + 1
    import pyvista as pv

    mesh = pv.read(export_points(tmp_path / "s.vtp", result.points, attrs))
    np.testing.assert_allclose(mesh.point_data[HOURS_ATTR], result.hours)
    grid = ground_grid(result.points, result.hours, result.facade, 2.0)
    assert grid["raster"].shape == (35, 30)
    import rasterio

    with rasterio.open(export_points(tmp_path / "s.tif", result.points, attrs, grid=grid)) as src:
        band = src.read(1)
        assert band.shape == (35, 30) and src.transform.a == 2.0
        assert np.nanmax(band) == pytest.approx(8.0) and np.nanmin(band) < 8.0  # the towers' shadows
    with pytest.raises(ExportError, match="unknown export type"):
        export_points(tmp_path / "s.xyz", result.points, attrs)
    with pytest.raises(ExportError, match="cannot write"):
        export_points(tmp_path / "missing" / "s.csv", result.points, attrs)


def test_demo_shadow_study_is_on_the_solstice_with_its_sunlight_layer() -> None:
    """The demo opens on the 2026 winter solstice (the flood series and the tour use that day) with
    the Block C site's sunlight hours, computed by assets/demo/_sun.py with the demo data, as a hidden layer."""
    from app.demo import demo_project_path
    from app.model.derived import build_derived_layers
    from app.model.project import read_project
    from app.analysis.sun import reference_day

    from assets.demo.generate import ensure_demo_data

    ensure_demo_data()  # the study is generated with the demo data (about 5 s), never kept in git
    spec = read_project(demo_project_path())
    assert spec.clock["start"] == "2026-12-21T08:00:00+08:00" and spec.clock["end"] == "2026-12-21T16:00:00+08:00"
    assert abs((reference_day("winter solstice", 2026, "UTC") - date(2026, 12, 21)).days) == 0
    entry = next(e for e in spec.layers if e.loader == "derived" and e.state["name"].startswith("Sunlight hours"))
    assert not entry.missing and entry.state["visible"] is False
    scene = Scene()
    layer = build_derived_layers(scene, entry, spec.frame.origin_lla)[0]
    hours = layer.data["attributes"][HOURS_ATTR]
    facade = layer.data["attributes"]["facade"].astype(bool)
    params = entry.options["derived"]["params"]
    assert (params["start"], params["end"], params["solar_time"]) == ("09:00", "15:00", True)  # GB 50180's solstice window
    assert entry.state["color_limits"]["sun_hours (h)"] == [0.0, 6.0]
    assert hours.min() >= 0 and hours.max() == pytest.approx(6.0) and 0 < hours[~facade].mean() < 6
    below = entry.options["derived"]["params"]["summary"]["facade_points_below_min"]  # as computed when the project was made
    assert abs(int((facade & (hours < 2.0)).sum()) - below) <= 0.01 * below
