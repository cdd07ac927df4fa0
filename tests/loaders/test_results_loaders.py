"""External results as layers: VTK files, ParaView .pvd and .series, NetCDF grids and UGRID meshes,
GeoTIFF folders and CSV values at points load with their arrays and times; mismatched time steps,
NaN-filled arrays and unknown files are clean LoadErrors."""
from __future__ import annotations

import json

import numpy as np
import pytest

from loaders.base import LoadError
from loaders.registry import load


def _sphere_steps(tmp_path, n: int = 3) -> list[str]:
    import pyvista as pv

    names = []
    for i in range(n):
        s = pv.Sphere(theta_resolution=8, phi_resolution=8).cast_to_unstructured_grid()
        s.point_data["p"] = s.points[:, 2] + i
        names.append(f"s_{i}.vtu")
        s.save(tmp_path / names[-1])
    return names


def test_vtk_files_load_with_point_and_cell_arrays(tmp_path) -> None:
    import pyvista as pv

    vol = pv.ImageData(dimensions=(5, 4, 3), spacing=(2.0, 2.0, 2.0))
    vol.point_data["T"] = np.arange(vol.n_points, dtype=float)
    vol.save(tmp_path / "v.vti")
    mesh = pv.Plane(i_resolution=3, j_resolution=3)
    mesh.cell_data["c"] = np.arange(mesh.n_cells, dtype=float)
    mesh.save(tmp_path / "m.vtp")
    mesh.save(tmp_path / "m.vtk")
    [v] = load(tmp_path / "v.vti")
    assert v.grid_shape == (5, 4, 3) and v.steps[0]["T"][-1] == 59.0 and v.times is None
    for name in ("m.vtp", "m.vtk"):
        [m] = load(tmp_path / name)
        assert m.cell_arrays == {"c"} and len(m.cell_types) == 9 and any("no CRS" in w for w in m.warnings)
    (tmp_path / "m.vtp.georef.json").write_text(json.dumps({"crs": "EPSG:4547"}))
    assert load(tmp_path / "m.vtp")[0].georef.crs == "EPSG:4547"


def test_pvd_and_series_give_time_steps(tmp_path) -> None:
    names = _sphere_steps(tmp_path)
    entries = "".join(f'<DataSet timestep="{10 * i}" part="0" file="{n}"/>' for i, n in enumerate(names))
    (tmp_path / "run.pvd").write_text(f'<?xml version="1.0"?><VTKFile type="Collection" version="0.1">'
                                      f"<Collection>{entries}</Collection></VTKFile>")
    [pvd] = load(tmp_path / "run.pvd")
    assert list(pvd.times) == [0.0, 10.0, 20.0] and not pvd.times_absolute
    assert pvd.steps[2]["p"] == pytest.approx(pvd.steps[0]["p"] + 2)
    (tmp_path / "run.vtu.series").write_text(json.dumps({"file-series-version": "1.0",
                                                         "files": [{"name": n, "time": 5.0 * i} for i, n in enumerate(names)]}))
    [series] = load(tmp_path / "run.vtu.series")
    assert series.format == "ParaView file series" and list(series.times) == [0.0, 5.0, 10.0]


def test_mismatched_steps_nan_and_unknown_files_are_clean_errors(tmp_path) -> None:
    import pyvista as pv

    names = _sphere_steps(tmp_path, 2)
    pv.Cube().cast_to_unstructured_grid().save(tmp_path / "other.vtu")
    (tmp_path / "bad.vtu.series").write_text(json.dumps({"files": [{"name": names[0], "time": 0}, {"name": "other.vtu", "time": 1}]}))
    with pytest.raises(LoadError, match="mismatched time steps: step 2 is on another mesh"):
        load(tmp_path / "bad.vtu.series")
    (tmp_path / "gap.vtu.series").write_text(json.dumps({"files": [{"name": names[0], "time": 0}, {"name": "nope.vtu", "time": 1}]}))
    with pytest.raises(LoadError, match="nope.vtu .* is missing"):
        load(tmp_path / "gap.vtu.series")
    nan = pv.Plane()
    nan.point_data["q"] = np.full(nan.n_points, np.nan)
    nan.save(tmp_path / "some_nan.vtp")
    [some] = load(tmp_path / "some_nan.vtp")  # one empty array among others: left out with a warning
    assert "q" not in some.steps[0] and any("NaN everywhere: q" in w for w in some.warnings)
    nan.clear_data()
    nan.point_data["q"] = np.full(nan.n_points, np.nan)
    nan.save(tmp_path / "nan.vtp")
    with pytest.raises(LoadError, match="every value is NaN"):
        load(tmp_path / "nan.vtp")
    (tmp_path / "junk.vtu").write_bytes(b"\x00\x01 not vtk at all")
    with pytest.raises(LoadError, match="VTK"):
        load(tmp_path / "junk.vtu")
    (tmp_path / "thing.qqq").write_text("what")
    with pytest.raises(LoadError, match="unknown file format"):
        load(tmp_path / "thing.qqq")


def test_netcdf_grid_with_time_and_ugrid_mesh(tmp_path) -> None:
    import pandas as pd
    import xarray as xr

    t = pd.date_range("2026-12-21T01:00", periods=3, freq="h")
    x, y = np.arange(500000.0, 500050.0, 10.0), np.arange(3000000.0, 3000040.0, 10.0)
    depth = np.random.default_rng(3).random((3, len(y), len(x)))
    ds = xr.Dataset({"depth": (("time", "y", "x"), depth, {"units": "m"}),
                     "crs": ((), 0, {"crs_wkt": "EPSG:4547"})}, coords={"time": t, "x": x, "y": y})
    ds["depth"].attrs["grid_mapping"] = "crs"
    ds.to_netcdf(tmp_path / "g.nc")
    [g] = load(tmp_path / "g.nc")
    assert g.grid_shape == (6, 5, 1) and len(g.steps) == 3 and g.times_absolute and g.units["depth"] == "m"
    assert g.times[1] - g.times[0] == 3600.0 and g.georef.crs == "EPSG:4547"
    assert g.steps[1]["depth"].reshape(4, 5)[2, 3] == pytest.approx(depth[1, 2, 3])

    import xugrid as xu

    grid = xu.Ugrid2d(np.array([0.0, 1, 2, 0, 1, 2]), np.array([0.0, 0, 0, 1, 1, 1]), -1,
                      np.array([[0, 1, 4, 3], [1, 2, 5, 4]]))
    uda = xu.UgridDataArray(xr.DataArray(np.array([[1.0, 2.0], [3.0, 4.0]]), dims=("time", grid.face_dimension),
                                         coords={"time": t[:2]}), grid)
    uds = xu.UgridDataset(grids=[grid])
    uds["wl"] = uda
    uds.ugrid.to_netcdf(tmp_path / "u.nc")
    [u] = load(tmp_path / "u.nc")
    assert u.format == "UGRID 2D" and len(u.cell_types) == 2 and "wl" in u.cell_arrays
    assert list(u.steps[1]["wl"]) == [3.0, 4.0]


def test_geotiff_folder_series_and_csv_points(tmp_path) -> None:
    import rasterio
    from rasterio.transform import Affine

    folder = tmp_path / "depths"
    folder.mkdir()
    for i in range(3):
        with rasterio.open(folder / f"depth_2026-12-21T0{i + 1}-00.tif", "w", driver="GTiff", width=4, height=3, count=1,
                           dtype="float32", crs="EPSG:4547", transform=Affine(1, 0, 500000, 0, -1, 3000000)) as dst:
            dst.write(np.full((3, 4), float(i), dtype=np.float32), 1)
    [series] = load(folder)
    assert len(series.steps) == 3 and series.times_absolute and series.times[2] - series.times[0] == 7200.0
    with rasterio.open(folder / "odd.tif", "w", driver="GTiff", width=5, height=3, count=1, dtype="float32",
                       crs="EPSG:4547", transform=Affine(1, 0, 500000, 0, -1, 3000000)) as dst:
        dst.write(np.zeros((3, 5), dtype=np.float32), 1)
    with pytest.raises(LoadError, match="mismatched time steps"):
        load(folder)

    (tmp_path / "no2.csv").write_text("# crs: EPSG:4547\nx,y,time,no2\n500000,3000000,2026-12-21T01:00Z,20\n"
                                      "500100,3000000,2026-12-21T01:00Z,30\n500000,3000000,2026-12-21T02:00Z,25\n"
                                      "500100,3000000,2026-12-21T02:00Z,35\n")
    [pts] = load(tmp_path / "no2.csv")
    assert pts.format == "CSV values at points" and len(pts.points) == 2 and list(pts.steps[1]["no2"]) == [25.0, 35.0]
    (tmp_path / "ragged.csv").write_text("x,y,time,no2\n0,0,0,1\n1,0,0,2\n0,0,60,3\n")
    with pytest.raises(LoadError, match="mismatched time steps"):
        load(tmp_path / "ragged.csv")
