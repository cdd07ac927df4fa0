"""The comparison engine (app.analysis.compare): in-memory path, settings, bad input, reports,
chunked reading of LAS/COPC/E57, chunked == unchunked, dask == serial, georeferencing."""
from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest

from app.analysis.c2m import C2MError
from app.analysis.compare import CompareSettings, SettingError, compare_arrays, compare_files
from app.analysis.design import DesignModel
from app.analysis.report import ReportError, write_report
from loaders.base import ElementInfo, LoadError, MeshData
from tests import scan_sim as ss

ORIGIN = (500000.0, 2500000.0, 10.0)  # EPSG:4547 (CGCS2000 / 3-degree Gauss-Kruger CM 114E)
STATIONS = [(2.0, 2.0, 1.5), (8.0, 6.0, 1.5)]


def _design(site) -> DesignModel:
    m = ss.mesh_from_boxes(site)
    els = [ElementInfo(id=f"G{i}", ifc_class=c, name=n, storey="Level 0") for i, (n, c) in enumerate(zip(m.names, m.classes))]
    mesh = MeshData(name="d", kind="bim", format="test", vertices=m.vertices, faces=m.triangles, face_element=m.element,
                    elements=els)
    return DesignModel.from_meshes([(mesh, m.vertices)])


def _by_name(result) -> dict[str, str]:
    return {result.design.elements[v.index].name: v.status for v in result.verdicts}


@pytest.fixture(scope="module")
def site_scan():
    site = ss.simple_site()
    built = ss.mesh_from_boxes(ss.as_built(site, omit=["Column B"], shift={"Column A": (0.12, 0, 0)}))
    scan = ss.simulate_scan(built, STATIONS, h_step_deg=1.0, v_step_deg=1.0, n_floating=200, seed=1)
    return site, scan


@pytest.fixture(scope="module")
def result(site_scan):
    site, scan = site_scan
    return compare_arrays(_design(site), scan.points, CompareSettings(), stations=np.array(STATIONS))


@pytest.fixture(scope="module")
def files(tmp_path_factory, site_scan):
    """The simple site as a millimetre IFC with IfcMapConversion and its scan as LAZ in EPSG:4547."""
    site, scan = site_scan
    d = tmp_path_factory.mktemp("cmp")
    ss.write_site_ifc(d / "site.ifc", site, unit="MILLIMETRE", map_origin=ORIGIN, epsg=4547)
    ss.write_las(d / "scan.laz", scan, origin=ORIGIN, epsg=4547)
    return d


def test_arrays_verdicts_summary_and_per_point(result, site_scan) -> None:
    site, scan = site_scan
    names = {result.design.elements[v.index].name: v.status for v in result.verdicts}
    assert names["Column B"] == "missing" and names["Column A"] == "deviating" and names["Wall S"] == "built"
    s = result.summary
    assert s["points_total"] == len(scan) and s["points_used"] + s["far_points"] == len(scan)
    assert s["far_points"] > 0  # the floating clutter
    assert sum(s["elements_by_status"].values()) == len(site)
    assert set(s["progress"]) >= {"overall", "by_storey", "by_class"} and "Level 0" in s["progress"]["by_storey"]
    assert s["tolerance"] == 0.05 and s["settings"]["verdict"]["tolerance"] == 0.05
    edges, counts = result.histogram
    assert len(edges) == CompareSettings().histogram_bins + 1 and counts.sum() == s["points_used"]
    assert result.distance.dtype == np.float32 and len(result.distance) == len(scan)
    assert np.isnan(result.distance).sum() == s["far_points"] and (result.element[~np.isnan(result.distance)] >= 0).all()


@pytest.mark.parametrize("kw, option", [({"tolerance": 0.0}, "tolerance"), ({"tolerance": -0.01}, "tolerance"),
                                        ({"tolerance": math.nan}, "tolerance"), ({"max_distance": 0.03}, "max-distance"),
                                        ({"histogram_bins": 0}, "histogram-bins")])
def test_bad_settings_are_refused_by_name(kw, option) -> None:
    with pytest.raises(SettingError) as err:
        CompareSettings(**kw).validate()
    assert err.value.option == option and isinstance(err.value, C2MError)


def test_bad_points_are_refused(site_scan) -> None:
    site, scan = site_scan
    design = _design(site)
    bad = scan.points[:1000].copy()
    bad[5] = np.nan
    with pytest.raises(C2MError, match="NaN"):
        compare_arrays(design, bad, CompareSettings())
    with pytest.raises(C2MError, match="absurd"):
        compare_arrays(design, scan.points[:1000] + 1e12, CompareSettings())
    with pytest.raises(C2MError, match="no points"):
        compare_arrays(design, np.zeros((0, 3)), CompareSettings())
    with pytest.raises(C2MError, match=r"do not overlap.*scan extent x 100\d.*design extent x 0\.000\.\.10\.000"):
        compare_arrays(design, scan.points[:1000] + [1000.0, 0, 0], CompareSettings())


def test_json_csv_html_reports(result, tmp_path) -> None:
    write_report(result, tmp_path / "r.json")
    text = (tmp_path / "r.json").read_text()
    assert "NaN" not in text and "Infinity" not in text
    report = json.loads(text)
    assert set(report) >= {"summary", "elements"} and len(report["elements"]) == len(result.verdicts)
    missing = next(e for e in report["elements"] if e["name"] == "Column B")
    assert set(missing) >= {"guid", "ifc_class", "name", "storey", "status", "coverage", "mean_distance", "max_distance",
                            "points", "offset"}
    assert missing["status"] == "missing" and missing["mean_distance"] is None and missing["guid"] == "G6"
    write_report(result, tmp_path / "r.csv")
    with (tmp_path / "r.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(result.verdicts) and rows[6]["name"] == "Column B" and rows[6]["mean_distance"] == ""
    shifted = next(r for r in rows if r["name"] == "Column A")
    assert shifted["status"] == "deviating" and float(shifted["offset_x"]) == pytest.approx(0.12, abs=0.03)
    write_report(result, tmp_path / "r.html", {"scan": b"\x89PNG-scan", "model": b"\x89PNG-model"})
    page = (tmp_path / "r.html").read_text()
    assert page.count("data:image/png;base64,") == 3  # scan, model, histogram
    assert "Progress by storey" in page and "Level 0" in page and "Column B" in page and "G6" in page
    assert "http://" not in page and "https://" not in page and "<script" not in page  # self-contained
    with pytest.raises(ReportError, match="unknown report type"):
        write_report(result, tmp_path / "r.txt")
    with pytest.raises(ReportError, match="does not exist"):
        write_report(result, tmp_path / "nowhere" / "r.json")


def test_chunked_equals_unchunked_and_keeps_a_sample(files) -> None:
    one = compare_files(files / "site.ifc", files / "scan.laz", CompareSettings(chunk_points=10_000_000))
    many = compare_files(files / "site.ifc", files / "scan.laz", CompareSettings(chunk_points=7_000))
    assert many.summary["scan"]["pieces"] > 5 and one.summary["scan"]["pieces"] == 1
    assert [v.status for v in one.verdicts] == [v.status for v in many.verdicts]
    for a, b in zip(one.verdicts, many.verdicts):
        assert a.points == b.points and a.coverage == pytest.approx(b.coverage)
        assert a.mean_distance == pytest.approx(b.mean_distance, abs=1e-12, nan_ok=True)
    assert np.array_equal(one.histogram[1], many.histogram[1])
    assert one.summary["points_used"] == many.summary["points_used"] and one.summary["far_points"] == many.summary["far_points"]
    assert one.distance is None and one.sample is not None and len(one.sample[0]) == len(one.sample[1]) > 1000


def test_dask_local_cluster_equals_serial(files) -> None:
    settings = CompareSettings(chunk_points=10_000)
    serial = compare_files(files / "site.ifc", files / "scan.laz", settings)
    dask = compare_files(files / "site.ifc", files / "scan.laz", settings, scheduler="local", workers=2, processes=False)
    a, b = serial.report(), dask.report()
    assert a["elements"] == b["elements"] and a["summary"] == b["summary"]
    assert np.array_equal(serial.histogram[1], dask.histogram[1])


def test_georeferenced_files_match_the_in_memory_comparison(files, result) -> None:
    """Millimetre IFC + IfcMapConversion and a LAZ in EPSG:4547 meet in one frame: same verdicts."""
    r = compare_files([files / "site.ifc"], files / "scan.laz", CompareSettings())
    assert _by_name(r) == _by_name(result)
    assert r.summary["design"]["crs"] == "EPSG:4547" and r.summary["scan"]["crs"] == "EPSG:4547"
    assert r.summary["points_used"] == pytest.approx(result.summary["points_used"], rel=0.002)


def test_map_conversion_without_scale_takes_the_map_unit(files, tmp_path, result) -> None:
    """A millimetre model whose IfcMapConversion leaves Scale out (MapUnit metre): not 1000x too big."""
    import ifcopenshell

    f = ifcopenshell.open(str(files / "site.ifc"))
    f.by_type("IfcMapConversion")[0].Scale = None
    f.write(str(tmp_path / "noscale.ifc"))
    r = compare_files(tmp_path / "noscale.ifc", files / "scan.laz", CompareSettings())
    assert _by_name(r) == _by_name(result)


def test_scan_in_another_crs_is_reprojected(files, site_scan, tmp_path, result) -> None:
    """The same scan written in UTM 49N (EPSG:32649): reprojected into the design's frame."""
    import laspy
    import pyproj

    las = laspy.read(str(files / "scan.laz"))
    t = pyproj.Transformer.from_crs("EPSG:4547", "EPSG:32649", always_xy=True)
    x, y = t.transform(np.asarray(las.x), np.asarray(las.y))
    header = laspy.LasHeader(point_format=6, version="1.4")
    header.offsets, header.scales = np.floor([x.min(), y.min(), 0]), np.full(3, 1e-4)
    header.add_crs(pyproj.CRS.from_epsg(32649))
    out = laspy.LasData(header)
    out.x, out.y, out.z = x, y, np.asarray(las.z)
    out.write(str(tmp_path / "utm.las"))
    r = compare_files(files / "site.ifc", tmp_path / "utm.las", CompareSettings())
    assert any("differs from the design's" in w for w in r.summary["warnings"])
    assert _by_name(r) == _by_name(result)


def test_scan_without_crs_needs_scan_crs(files, site_scan, tmp_path, result) -> None:
    site, scan = site_scan
    ss.write_las(tmp_path / "nocrs.las", scan, origin=ORIGIN, epsg=None)
    with pytest.raises(LoadError, match="no CRS.*--scan-crs"):
        compare_files(files / "site.ifc", tmp_path / "nocrs.las", CompareSettings())
    r = compare_files(files / "site.ifc", tmp_path / "nocrs.las", CompareSettings(), scan_crs="EPSG:4547")
    assert _by_name(r) == _by_name(result)


def test_scan_far_from_design_names_both_extents(files, site_scan, tmp_path) -> None:
    site, scan = site_scan
    ss.write_las(tmp_path / "far.las", scan, origin=(ORIGIN[0] + 5000, ORIGIN[1], ORIGIN[2]), epsg=4547)
    with pytest.raises(LoadError, match=r"do not overlap: scan extent x 50500.*\(EPSG:4547\); design extent x 500000"):
        compare_files(files / "site.ifc", tmp_path / "far.las", CompareSettings())


def test_copc_and_e57_are_read_piece_by_piece(files, site_scan, tmp_path) -> None:
    import pye57

    from app.analysis.scan_chunks import open_scan, read_piece
    from app.tiling import tile
    from loaders.e57 import read_e57

    tile([str(files / "scan.laz")], str(tmp_path / "scan.copc.laz"), workers=1, processes=False, max_leaf=4_000)
    src = open_scan(str(tmp_path / "scan.copc.laz"), chunk_points=5_000)
    assert src.format.endswith("COPC") and len(src.pieces) > 3
    pts = np.vstack([c for p in src.pieces for c in read_piece(p)])
    import laspy

    ref = laspy.read(str(files / "scan.laz"))
    assert len(pts) == len(ref.points) == src.count
    assert np.allclose(np.sort(pts[:, 0]), np.sort(np.asarray(ref.x)))
    site, scan = site_scan
    e57 = pye57.E57(str(tmp_path / "s.e57"), mode="w")
    for k in range(2):  # two scans, each in its scanner frame with a pose
        rows = scan.station == k
        local = scan.points[rows] - STATIONS[k]
        e57.write_scan_raw({"cartesianX": local[:, 0], "cartesianY": local[:, 1], "cartesianZ": local[:, 2]},
                           rotation=np.array([1.0, 0, 0, 0]), translation=np.array(STATIONS[k]))
    e57.close()
    src = open_scan(str(tmp_path / "s.e57"), chunk_points=4_000)
    assert len(src.pieces) == 2 and np.allclose(src.stations, STATIONS)
    chunks = [c for p in src.pieces for c in read_piece(p, chunk_points=4_000)]
    assert max(len(c) for c in chunks) <= 4_000
    assert np.allclose(np.vstack(chunks), read_e57(str(tmp_path / "s.e57"))[0].positions)


def test_copc_and_e57_scans_compare_like_the_laz(files, site_scan, tmp_path, result) -> None:
    """COPC read node run by node run; E57 scan by scan with its poses as the stations (--scan-crs:
    E57 files rarely carry a CRS)."""
    import pye57

    from app.tiling import tile

    tile([str(files / "scan.laz")], str(tmp_path / "s.copc.laz"), workers=1, processes=False, max_leaf=4_000)
    r = compare_files(files / "site.ifc", tmp_path / "s.copc.laz", CompareSettings(chunk_points=10_000))
    assert _by_name(r) == _by_name(result) and r.summary["points_total"] == len(site_scan[1])
    site, scan = site_scan
    e57 = pye57.E57(str(tmp_path / "s.e57"), mode="w")
    for k in range(2):
        rows = scan.station == k
        local = scan.points[rows] - STATIONS[k]
        e57.write_scan_raw({"cartesianX": local[:, 0], "cartesianY": local[:, 1], "cartesianZ": local[:, 2]},
                           rotation=np.array([1.0, 0, 0, 0]), translation=np.array(STATIONS[k]) + ORIGIN)
    e57.close()
    with pytest.raises(LoadError, match="no CRS"):
        compare_files(files / "site.ifc", tmp_path / "s.e57", CompareSettings())
    r = compare_files(files / "site.ifc", tmp_path / "s.e57", CompareSettings(), scan_crs="EPSG:4547")
    assert r.summary["stations"] == 2 and r.summary["scan"]["format"] == "E57"
    assert _by_name(r) == _by_name(result)


def test_two_design_files_are_one_design(files, site_scan, tmp_path, result) -> None:
    """Columns and beam in a second IFC without georeferencing: it shares the first's coordinates."""
    site, _ = site_scan
    frame = [e for e in site if e.ifc_class in ("IfcColumn", "IfcBeam")]
    ss.write_site_ifc(tmp_path / "shell.ifc", [e for e in site if e not in frame], unit="MILLIMETRE", map_origin=ORIGIN)
    ss.write_site_ifc(tmp_path / "frame.ifc", frame, unit="MILLIMETRE", seed=1)
    r = compare_files([tmp_path / "shell.ifc", tmp_path / "frame.ifc"], files / "scan.laz", CompareSettings())
    assert _by_name(r) == _by_name(result) and len(r.verdicts) == len(site)
    assert any("frame.ifc: no georeferencing; taken to share the coordinates of" in w for w in r.summary["warnings"])


def test_cancel_stops_the_reader_and_the_comparison(files) -> None:
    import threading

    from loaders.base import LoadCancelled

    calls = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) > 3

    before = threading.active_count()
    with pytest.raises(LoadCancelled):
        compare_files(files / "site.ifc", files / "scan.laz", CompareSettings(chunk_points=10_000), cancel=cancel)
    assert threading.active_count() == before  # the read-ahead thread is gone


def test_points_without_coordinates_are_left_out_and_counted(files, monkeypatch, result) -> None:
    """A reader that yields NaN rows (E57 files can): left out with a warning, the rest compared."""
    from app.analysis import _compare_files
    from app.analysis.scan_chunks import read_piece

    def with_nan(piece, chunk_points=2_000_000, cancel=None):
        for xyz in read_piece(piece, chunk_points, cancel):
            yield np.vstack([xyz, np.full((7, 3), np.nan)])

    monkeypatch.setattr(_compare_files, "read_piece", with_nan)
    warned: list[str] = []
    r = compare_files(files / "site.ifc", files / "scan.laz", CompareSettings(), warn=warned.append)
    assert any("7 points with NaN or infinite coordinates left out" in w for w in warned + r.summary["warnings"])
    assert _by_name(r) == _by_name(result) and r.summary["points_total"] == result.summary["points_total"]


def test_copc_with_a_broken_hierarchy_is_read_as_plain_laz(files, tmp_path) -> None:
    import struct

    from app.analysis.scan_chunks import open_scan, read_piece
    from app.tiling import tile

    tile([str(files / "scan.laz")], str(tmp_path / "s.copc.laz"), workers=1, processes=False, max_leaf=4_000)
    src = open_scan(str(tmp_path / "s.copc.laz"))
    data = bytearray((tmp_path / "s.copc.laz").read_bytes())
    vlr = data.index(b"copc")  # the COPC info VLR: its root hierarchy offset moved past the end of the file
    info = vlr + 16 + 2 + 2 + 32  # user id, record id, length, description; then centre xyz, halfsize, spacing
    struct.pack_into("<Q", data, info + 40, len(data) + 10_000)
    (tmp_path / "broken.copc.laz").write_bytes(bytes(data))
    broken = open_scan(str(tmp_path / "broken.copc.laz"), chunk_points=20_000)
    assert any("read as plain LAZ" in w for w in broken.warnings) and {p.kind for p in broken.pieces} == {"las"}
    assert sum(len(c) for p in broken.pieces for c in read_piece(p)) == src.count
