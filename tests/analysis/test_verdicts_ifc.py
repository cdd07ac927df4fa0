"""Verdicts through real files: a millimetre IFC with IfcMapConversion read by loaders.ifc and a
scan in EPSG:4547 meet in the scene frame; the corpus FZK-Haus against points sampled from itself."""
from __future__ import annotations

import collections

import numpy as np

from app.analysis.design import DesignModel
from app.analysis.verdicts import VerdictAccumulator, VerdictSettings, progress_summary
from app.model.frame import SceneFrame
from loaders.base import Georef
from loaders.ifc import read_ifc
from loaders.las import read_las
from tests.conftest import corpus_file
from tests.scan_sim import as_built, mesh_from_boxes, sample_surface, simple_site, simulate_scan, write_las, write_site_ifc

MAP_ORIGIN = (500_250.0, 3_400_120.0, 42.0)       # EPSG:4547 (CGCS2000 / 3-degree GK CM 114E)


def test_millimetre_ifc_with_map_conversion_and_a_georeferenced_scan(tmp_path):
    boxes = simple_site()
    ids = write_site_ifc(tmp_path / "site.ifc", boxes, unit="MILLIMETRE", map_origin=MAP_ORIGIN, epsg=4547)
    case = dict(omit=["Wall N", "Column B"], cut={"Wall E": 0.4}, shift={"Column A": (0.0, -0.12, 0.0)})
    stations = np.array([(2.0, 2.0, 1.6), (8.0, 6.0, 1.6)])
    scan = simulate_scan(mesh_from_boxes(as_built(boxes, **case), clutter=[((4.5, 1.0, 0.0), (5.5, 1.6, 1.5))]),
                         stations, target_points=60_000, seed=5)
    write_las(tmp_path / "scan.laz", scan, origin=MAP_ORIGIN, epsg=4547)

    frame = SceneFrame()
    mesh = read_ifc(str(tmp_path / "site.ifc"))[0]
    design = DesignModel.from_meshes([(mesh, frame.to_local(mesh.vertices, mesh.georef))])
    cloud = read_las(str(tmp_path / "scan.laz"))[0]
    points = frame.to_local(cloud.positions, cloud.georef)
    world_stations = frame.to_local(stations + np.asarray(MAP_ORIGIN), Georef(kind="crs", crs="EPSG:4547"))
    c2m = design.index().query(points, max_distance=1.0)
    assert np.nanmedian(np.abs(c2m.distance)) < 0.005          # both placed through their georeferencing

    truth = {ids[b.index]: "built" for b in boxes}
    truth.update({ids[b.index]: "missing" for b in boxes if b.name in case["omit"]})
    truth.update({ids[b.index]: "partial" for b in boxes if b.name in case["cut"]})
    truth.update({ids[b.index]: "deviating" for b in boxes if b.name in case["shift"]})
    for st in (world_stations, None):
        acc = VerdictAccumulator(design, VerdictSettings(), st)
        acc.add(points, c2m)
        verdicts = acc.finish()
        assert {design.elements[v.index].id: v.status for v in verdicts} == truth
        col = next(v for v in verdicts if design.elements[v.index].name == "Column A")
        assert np.linalg.norm(np.asarray(col.offset) - (0.0, -0.12, 0.0)) < 0.02   # ENU ~ grid here
        summary = progress_summary(design, verdicts)
        assert summary["by_storey"]["Level 0"]["elements"] == 8
        assert summary["overall"]["missing"] == 2


def test_fzk_haus_against_points_sampled_from_itself_is_all_built():
    path = corpus_file("ifc/fzk-haus/AC20-FZK-Haus.ifc")
    mesh = read_ifc(str(path))[0]
    design = DesignModel.from_meshes([(mesh, SceneFrame().to_local(mesh.vertices, mesh.georef))])
    assert len(design.elements) > 60 and not any(e.ifc_class in ("IfcSpace", "IfcOpeningElement")
                                                 for e in design.elements)
    points, _ = sample_surface(design.vertices, design.faces, 0.06, seed=0, sigma=0.002)
    c2m = design.index().query(points, max_distance=1.0)
    acc = VerdictAccumulator(design, VerdictSettings())
    acc.add(points, c2m)
    verdicts = acc.finish()
    status = collections.Counter(v.status for v in verdicts)
    assert status == {"built": len(design.elements)}, [
        (design.elements[v.index].ifc_class, design.elements[v.index].name, v.status, v.coverage)
        for v in verdicts if v.status != "built"]
    assert progress_summary(design, verdicts)["overall"]["progress_pct"] == 100.0
