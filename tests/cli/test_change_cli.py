"""`twinscape change`: real LAS/LAZ files written with scan_sim, a JSON summary and a LAZ with
M3C2 extra dimensions, CRS handling, and bad input as one `error:` line with exit 2."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app.cli import main
from tests import scan_sim

STATIONS = [(2.0, 2.0, 1.5), (8.0, 6.0, 1.5)]
PALLET = scan_sim.BoxElement(8, "Pallet", "IfcBuildingElementProxy", (7.5, 1.5, 0.0), (8.5, 2.5, 0.8))
ORIGIN = (500_000.0, 3_000_000.0, 20.0)          # EPSG:4547 easting/northing near the zone's centre


@pytest.fixture(scope="module")
def scans(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("change")
    site = scan_sim.simple_site()
    later = scan_sim.as_built(site, omit=["Column A"]) + [PALLET]
    s1 = scan_sim.simulate_scan(scan_sim.mesh_from_boxes(site), STATIONS, target_points=25_000, sigma=0.003, seed=1)
    s2 = scan_sim.simulate_scan(scan_sim.mesh_from_boxes(later), STATIONS, target_points=25_000, sigma=0.003, seed=2)
    out = {"before": folder / "e1.laz", "after": folder / "e2.laz", "plain": folder / "plain.las"}
    scan_sim.write_las(out["before"], s1, ORIGIN, epsg=4547)
    scan_sim.write_las(out["after"], s2, ORIGIN, epsg=4547)
    scan_sim.write_las(out["plain"], s2)                       # no CRS
    return out


def _stations() -> list[str]:
    return [f"--station={x + ORIGIN[0]},{y + ORIGIN[1]},{z + ORIGIN[2]}" for x, y, z in STATIONS]


def test_json_summary(scans, tmp_path, capsys) -> None:
    out = tmp_path / "change.json"
    assert main(["change", str(scans["before"]), str(scans["after"]), "-o", str(out), "--lod-reg", "0.01",
                 *_stations()]) == 0
    s = json.loads(out.read_text())
    assert s["crs"] == "EPSG:4547" and s["compared"] > 1000 and s["significant"] > 10
    assert s["new_points"] > 50 and s["removed_points"] > 50 and s["occlusion_checked"]
    assert s["lod_m"]["median"] >= 1.96 * 0.01 and s["settings"]["registration_error"] == 0.01
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["output"] == str(out)


def test_laz_with_m3c2_dimensions(scans, tmp_path) -> None:
    import laspy

    out = tmp_path / "change.laz"
    assert main(["change", str(scans["before"]), str(scans["after"]), "-o", str(out),
                 "--cylinder-radius", "0.12", "--normal-radius", "0.3"]) == 0
    las = laspy.read(out)
    dims = set(las.point_format.extra_dimension_names)
    assert {"m3c2_m", "lod_m", "significant", "change"} <= dims
    assert las.header.parse_crs().to_epsg() == 4547
    assert abs(float(np.mean(las.x)) - ORIGIN[0]) < 20           # in the scans' own coordinates
    core = np.asarray(las.change) == 0
    sig = core & (np.asarray(las.significant) == 1)
    assert sig.sum() > 10 and np.all(np.abs(np.asarray(las.m3c2_m)[sig]) > np.asarray(las.lod_m)[sig])
    assert (np.asarray(las.change) == 1).sum() > 50


def test_scans_in_two_crs_are_reprojected(scans, tmp_path) -> None:
    import laspy
    import pyproj

    las = laspy.read(scans["after"])
    t = pyproj.Transformer.from_crs(4547, 32649, always_xy=True)       # UTM 49N covers 114E
    x, y = t.transform(np.asarray(las.x), np.asarray(las.y))
    header = laspy.LasHeader(point_format=6, version="1.4")
    header.offsets, header.scales = [np.floor(x.min()), np.floor(y.min()), 0.0], [1e-4] * 3
    header.add_crs(pyproj.CRS.from_epsg(32649))
    utm = laspy.LasData(header)
    utm.x, utm.y, utm.z = x, y, np.asarray(las.z)
    path = tmp_path / "utm.las"
    utm.write(path)
    out_utm, out_same = tmp_path / "utm.json", tmp_path / "same.json"
    assert main(["change", str(scans["before"]), str(path), "-o", str(out_utm)]) == 0
    assert main(["change", str(scans["before"]), str(scans["after"]), "-o", str(out_same)]) == 0
    a, b = json.loads(out_utm.read_text()), json.loads(out_same.read_text())
    assert a["significant"] == pytest.approx(b["significant"], rel=0.1)
    assert a["lod_m"]["median"] == pytest.approx(b["lod_m"]["median"], abs=0.002)


def _fails(capsys, args: list[str], path: str, reason: str) -> None:
    assert main(["change", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {path}: "), err
    assert reason in err[0] and "Traceback" not in err[0]


def test_bad_input_exits_2_with_one_error_line(scans, tmp_path, capsys) -> None:
    out = str(tmp_path / "o.json")
    before, after = str(scans["before"]), str(scans["after"])
    empty = tmp_path / "empty.laz"
    empty.write_bytes(b"")
    _fails(capsys, [before, str(empty), "-o", out], str(empty), "empty")
    text = tmp_path / "notes.txt"
    text.write_text("not a scan\n")
    _fails(capsys, [before, str(text), "-o", out], str(text), "")
    _fails(capsys, [before, str(tmp_path / "missing.laz"), "-o", out], str(tmp_path / "missing.laz"), "no such file")
    _fails(capsys, [before, str(scans["plain"]), "-o", out], str(scans["plain"]), "has no CRS")
    _fails(capsys, [before, after, "-o", str(tmp_path / "o.txt")], str(tmp_path / "o.txt"), ".json")
    _fails(capsys, [before, after, "-o", out, "--cylinder-radius", "0"], out, "cylinder radius")
    far = tmp_path / "far.las"
    s = scan_sim.simulate_scan(scan_sim.mesh_from_boxes(scan_sim.simple_site()), STATIONS[:1], target_points=2_000)
    scan_sim.write_las(far, s, (ORIGIN[0] + 500, ORIGIN[1], ORIGIN[2]), epsg=4547)
    _fails(capsys, [before, str(far), "-o", out], str(far), "do not overlap")
    assert not Path(out).exists()


def test_empty_las_file(tmp_path, scans, capsys) -> None:
    import laspy

    header = laspy.LasHeader(point_format=6, version="1.4")
    path = tmp_path / "zero.las"
    laspy.LasData(header).write(path)
    assert main(["change", str(scans["before"]), str(path), "-o", str(tmp_path / "o.json")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: ") and "Traceback" not in err


def _write_e57(path: Path, scan: scan_sim.Scan) -> None:
    """One E57 scan per station, points in the scanner's own frame, placed by its pose."""
    import pye57

    e57 = pye57.E57(str(path), mode="w")
    for i, station in enumerate(STATIONS):
        p = scan.points[scan.station == i] - np.asarray(station)
        e57.write_scan_raw({"cartesianX": p[:, 0], "cartesianY": p[:, 1], "cartesianZ": p[:, 2]},
                           translation=np.asarray(station, dtype=np.float64))
    e57.close()


def test_e57_scan_poses_are_the_stations(tmp_path) -> None:
    site = scan_sim.simple_site()
    later = scan_sim.as_built(site, omit=["Column A"]) + [PALLET]
    s1 = scan_sim.simulate_scan(scan_sim.mesh_from_boxes(site), STATIONS, target_points=20_000, sigma=0.003, seed=1)
    s2 = scan_sim.simulate_scan(scan_sim.mesh_from_boxes(later), STATIONS, target_points=20_000, sigma=0.003, seed=2)
    a, b = tmp_path / "e1.e57", tmp_path / "e2.e57"
    _write_e57(a, s1)
    _write_e57(b, s2)
    out = tmp_path / "change.json"
    assert main(["change", str(a), str(b), "-o", str(out), "--cylinder-radius", "0.25", "--normal-radius", "0.5"]) == 0
    s = json.loads(out.read_text())
    assert s["occlusion_checked"] and s["points_before"] == len(s1) and s["new_points"] > 20
    assert not any("stations unknown" in w for w in s["warnings"])


def test_max_points_bounds_what_is_read(scans, tmp_path) -> None:
    out = tmp_path / "small.json"
    assert main(["change", str(scans["before"]), str(scans["after"]), "-o", str(out), "--max-points", "4000"]) == 0
    s = json.loads(out.read_text())
    assert 3000 < s["points_before"] < 5000 and 3000 < s["points_after"] < 5000   # a seeded sample, read in chunks
