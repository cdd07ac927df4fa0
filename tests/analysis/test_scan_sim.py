"""The simulated scanner behaves like a real one: occlusion, noise along the ray, truth kept."""

from __future__ import annotations

import numpy as np
import pytest

from tests.scan_sim import (
    BoxElement,
    as_built,
    mesh_from_boxes,
    simple_site,
    simulate_scan,
)

STATIONS = [(2.0, 2.0, 1.6), (8.0, 6.0, 1.6)]


def _box(i: int, name: str, lo, hi) -> BoxElement:
    return BoxElement(i, name, "IfcWall", tuple(map(float, lo)), tuple(map(float, hi)))


def _surface_distance(p: np.ndarray, lo, hi) -> np.ndarray:
    """Distance of points to the surface of box [lo, hi] (exact for points on or near it)."""
    lo, hi = np.asarray(lo), np.asarray(hi)
    outside = np.linalg.norm(np.maximum(np.maximum(lo - p, p - hi), 0.0), axis=1)
    inside = np.minimum(p - lo, hi - p).min(axis=1)
    return np.where(outside > 0, outside, np.abs(inside))


def test_same_seed_same_scan_other_seed_other_noise():
    mesh = mesh_from_boxes(simple_site())
    a = simulate_scan(mesh, STATIONS, target_points=20000, n_floating=10, seed=7)
    b = simulate_scan(mesh, STATIONS, target_points=20000, n_floating=10, seed=7)
    c = simulate_scan(mesh, STATIONS, target_points=20000, n_floating=10, seed=8)
    np.testing.assert_array_equal(a.points, b.points)
    np.testing.assert_array_equal(a.element, b.element)
    assert len(a) > 10000
    assert len(a) != len(c) or not np.array_equal(a.points, c.points)


def test_box_behind_wall_is_hidden_until_a_station_sees_it():
    wall = _box(0, "wall", (0, -5, 0), (0.2, 5, 3))
    hidden = _box(1, "box", (2, -0.5, 0), (3, 0.5, 1))
    mesh = mesh_from_boxes([wall, hidden])
    front = (-5.0, 0.0, 1.6)
    one = simulate_scan(mesh, [front], h_step_deg=0.5, v_step_deg=0.5)
    assert (one.element == 0).sum() > 1000
    assert (one.element == 1).sum() == 0
    two = simulate_scan(mesh, [front, (6.0, 0.0, 1.6)], h_step_deg=0.5, v_step_deg=0.5)
    seen = two.element == 1
    assert seen.sum() > 100
    assert set(two.station[seen]) == {1}


def test_true_points_lie_on_their_elements_surface():
    design = simple_site()
    scan = simulate_scan(mesh_from_boxes(design), STATIONS, target_points=30000, seed=3)
    assert set(scan.element) == {e.index for e in design}  # every element seen
    for e in design:
        mine = scan.element == e.index
        d = _surface_distance(scan.true_points[mine], e.lo, e.hi)
        assert d.max() < 1e-6, e.name


def test_faces_hidden_from_all_stations_get_no_points():
    design = simple_site()
    scan = simulate_scan(mesh_from_boxes(design), STATIONS, target_points=30000)
    # the outside faces of the walls and the slab's underside face away from every station
    p = scan.true_points
    assert not np.any(p[:, 0] < 0.2 - 1e-6)  # west wall's outer face x=0
    assert not np.any(p[:, 1] < 0.2 - 1e-6)  # south wall's outer face y=0
    assert not np.any(p[:, 2] < -1e-6)  # slab underside and sides
    slab = scan.element == 0
    assert np.all(np.abs(p[slab, 2]) < 1e-6)  # only the slab's top is seen


def test_noise_is_along_the_ray_with_the_given_sigma():
    wall = _box(0, "wall", (5, -20, -10), (5.2, 20, 10))
    sigma = 0.003
    scan = simulate_scan(mesh_from_boxes([wall]), [(0.0, 0.0, 0.0)], h_step_deg=0.25,
                         v_step_deg=0.25, sigma=sigma, seed=1)
    ray = scan.true_points - np.array([0.0, 0.0, 0.0])
    ray /= np.linalg.norm(ray, axis=1, keepdims=True)
    err = scan.points - scan.true_points
    along = np.einsum("ij,ij->i", err, ray)
    across = np.linalg.norm(err - along[:, None] * ray, axis=1)
    assert len(scan) > 20000
    assert abs(along.std() - sigma) < 0.05 * sigma
    assert abs(along.mean()) < 0.1 * sigma
    assert across.max() < 1e-9


def test_zero_noise_and_range_and_incidence_limits():
    wall = _box(0, "wall", (5, -20, -10), (5.2, 20, 10))
    mesh = mesh_from_boxes([wall])
    exact = simulate_scan(mesh, [(0, 0, 0)], h_step_deg=1, v_step_deg=1, sigma=0.0)
    np.testing.assert_array_equal(exact.points, exact.true_points)
    near = simulate_scan(mesh, [(0, 0, 0)], h_step_deg=1, v_step_deg=1, max_range=8.0)
    assert np.linalg.norm(near.true_points, axis=1).max() <= 8.0
    assert len(near) < len(exact)
    steep = simulate_scan(mesh, [(0, 0, 0)], h_step_deg=1, v_step_deg=1, max_incidence_deg=45)
    cos_inc = np.abs(steep.true_points[:, 0]) / np.linalg.norm(steep.true_points, axis=1)
    assert cos_inc.min() >= np.cos(np.deg2rad(45)) - 1e-9
    assert len(steep) < len(exact)


def test_clutter_is_flagged_and_occludes_the_design():
    wall = _box(0, "wall", (5, -5, 0), (5.2, 5, 3))
    person = ((3.0, -0.3, 0.0), (3.4, 0.3, 1.8))
    station = [(0.0, 0.0, 1.6)]
    clean = simulate_scan(mesh_from_boxes([wall]), station, h_step_deg=0.5, v_step_deg=0.5)
    busy = simulate_scan(mesh_from_boxes([wall], clutter=[person]), station,
                         h_step_deg=0.5, v_step_deg=0.5, n_floating=25)
    on_person = busy.clutter & (busy.triangle >= 0)
    assert on_person.sum() > 50
    assert _surface_distance(busy.true_points[on_person], *person).max() < 1e-6
    assert (busy.clutter & (busy.triangle < 0)).sum() == 25  # floating points
    assert np.all(busy.element[busy.clutter] == -1)
    assert np.all(busy.element[~busy.clutter] == 0)
    assert (busy.element == 0).sum() < (clean.element == 0).sum()  # shadow behind the person


def test_unbuilt_variants_show_in_the_scan():
    design = simple_site()
    built = as_built(design, omit=["Column B"], cut={"Wall N": 0.4},
                     shift={"Column A": (0.12, 0.0, 0.0)})
    scan = simulate_scan(mesh_from_boxes(built), STATIONS, target_points=30000)
    names = {e.name: e for e in design}
    assert (scan.element == names["Column B"].index).sum() == 0
    wall_n = scan.element == names["Wall N"].index
    assert wall_n.sum() > 500
    assert scan.true_points[wall_n, 2].max() <= 0.4 * 3.0 + 1e-6
    col = names["Column A"]
    col_pts = scan.true_points[scan.element == col.index]
    assert len(col_pts) > 200
    moved = np.array(col.lo) + (0.12, 0, 0), np.array(col.hi) + (0.12, 0, 0)
    assert _surface_distance(col_pts, *moved).max() < 1e-6
    assert _surface_distance(col_pts, col.lo, col.hi).max() > 0.1  # not on the design


def test_slab_poured_along_half_its_length_gets_points_only_there():
    design = simple_site()
    built = as_built(design, cut={"Slab": ("x", 0.5)})
    scan = simulate_scan(mesh_from_boxes(built), STATIONS, target_points=20000)
    slab = scan.true_points[scan.element == 0]
    assert len(slab) > 1000
    assert slab[:, 0].max() <= 5.0 + 1e-6
    assert slab[:, 0].min() < 1.0
    with pytest.raises(ValueError, match="cut axis"):
        as_built(design, cut={"Slab": ("w", 0.5)})


def test_bad_input_gets_clear_messages():
    mesh = mesh_from_boxes(simple_site())
    with pytest.raises(ValueError, match="stations"):
        simulate_scan(mesh, [])
    with pytest.raises(ValueError, match="angular steps"):
        simulate_scan(mesh, STATIONS, h_step_deg=0)
    with pytest.raises(ValueError, match="unknown element"):
        as_built(simple_site(), omit=["Nope"])
    with pytest.raises(ValueError, match="cut fraction"):
        as_built(simple_site(), cut={"Wall N": 1.5})
    with pytest.raises(ValueError, match="lo < hi"):
        mesh_from_boxes([_box(0, "flat", (0, 0, 0), (1, 1, 0))])


def test_malformed_mesh_is_refused_with_a_message():
    good = mesh_from_boxes(simple_site())
    bad = mesh_from_boxes(simple_site())
    bad.element = bad.element[:-1]
    with pytest.raises(ValueError, match="one element index per triangle"):
        simulate_scan(bad, STATIONS)
    bad = mesh_from_boxes(simple_site())
    bad.triangles = bad.triangles.copy()
    bad.triangles[0, 0] = len(bad.vertices)
    with pytest.raises(ValueError, match="missing vertices"):
        simulate_scan(bad, STATIONS)
    assert len(simulate_scan(good, STATIONS, target_points=2000)) > 500


def test_scan_written_as_laz_keeps_points_crs_and_truth(tmp_path):
    import laspy

    from tests.scan_sim import write_las

    scan = simulate_scan(mesh_from_boxes(simple_site(), clutter=[((4, 1, 0), (4.5, 1.5, 1.8))]),
                         STATIONS, target_points=5000, n_floating=5)
    origin = (500123.25, 2500456.5, 12.0)
    path = tmp_path / "scan.laz"
    write_las(path, scan, origin=origin, epsg=4547)
    las = laspy.read(str(path))
    xyz = np.column_stack([las.x, las.y, las.z]) - np.array(origin)
    assert np.abs(xyz - scan.points).max() <= 0.5e-4 + 1e-9
    np.testing.assert_array_equal(np.asarray(las.truth_element), scan.element)
    np.testing.assert_array_equal(np.asarray(las.clutter).astype(bool), scan.clutter)
    np.testing.assert_array_equal(np.asarray(las.station), scan.station)
    assert las.header.parse_crs().to_epsg() == 4547


@pytest.mark.parametrize("unit", ["METRE", "MILLIMETRE"])
def test_site_ifc_has_the_boxes_in_metres_and_the_map_conversion(tmp_path, unit):
    import ifcopenshell
    import ifcopenshell.geom
    import ifcopenshell.util.geolocation as geo

    from tests.scan_sim import write_site_ifc

    design = simple_site()
    path = tmp_path / "site.ifc"
    ids = write_site_ifc(path, design, unit=unit, map_origin=(500100.0, 2500200.0, 30.0))
    f = ifcopenshell.open(str(path))
    settings = ifcopenshell.geom.settings()
    settings.set("use-world-coords", True)
    by_guid = {e.GlobalId: e for e in f.by_type("IfcElement")}
    assert set(ids.values()) == set(by_guid)
    for el in design:
        shape = ifcopenshell.geom.create_shape(settings, by_guid[ids[el.index]])
        v = np.asarray(shape.geometry.verts).reshape(-1, 3)  # SI metres
        np.testing.assert_allclose(v.min(0), el.lo, atol=1e-9)
        np.testing.assert_allclose(v.max(0), el.hi, atol=1e-9)
        assert by_guid[ids[el.index]].is_a(el.ifc_class)
    conv = f.by_type("IfcMapConversion")[0]
    assert conv.Scale == pytest.approx(0.001 if unit == "MILLIMETRE" else 1.0)
    assert conv.TargetCRS.Name == "EPSG:4547"
    k = 1000.0 if unit == "MILLIMETRE" else 1.0
    e, n, h = geo.auto_xyz2enh(f, 10.0 * k, 8.0 * k, 3.0 * k)
    assert (e, n, h) == pytest.approx((500110.0, 2500208.0, 33.0))


def test_written_ifc_scans_like_the_boxes(tmp_path):
    from tests.scan_sim import mesh_from_ifc, write_site_ifc

    design = simple_site()
    ids = write_site_ifc(tmp_path / "site.ifc", design, unit="MILLIMETRE")
    mesh, guids = mesh_from_ifc(tmp_path / "site.ifc")
    scan = simulate_scan(mesh, STATIONS, target_points=20000, seed=2)
    by_guid = {ids[e.index]: e for e in design}
    for i, g in enumerate(guids):
        e = by_guid[g]
        pts = scan.true_points[scan.element == i]
        assert len(pts) > 50, e.name
        assert _surface_distance(pts, e.lo, e.hi).max() < 1e-6, e.name


def test_fzk_haus_scanned_from_outside():
    from tests.conftest import corpus_file
    from tests.scan_sim import mesh_from_ifc

    mesh, guids = mesh_from_ifc(corpus_file("ifc/fzk-haus/AC20-FZK-Haus.ifc"))
    lo, hi = mesh.vertices.min(0), mesh.vertices.max(0)
    mid = (lo + hi) / 2
    stations = [(lo[0] - 8, mid[1], lo[2] + 1.6), (hi[0] + 8, mid[1], lo[2] + 1.6)]
    scan = simulate_scan(mesh, stations, target_points=40000)
    seen = set(scan.element.tolist())
    assert len(scan) > 2000  # a small house 8 m away fills a small part of the sphere
    assert "IfcOpeningElement" not in mesh.classes
    assert 5 < len(seen) < len(guids)  # outside stations cannot see interior elements
    assert {"IfcWallStandardCase", "IfcSlab"} <= {mesh.classes[i] for i in seen}


def test_without_embree_the_scanner_says_what_to_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "trimesh.ray.ray_pyembree", None)
    with pytest.raises(RuntimeError, match="embreex"):
        simulate_scan(mesh_from_boxes(simple_site()), STATIONS, target_points=1000)


def test_missing_wall_footprint_holds_slab_points_built_wall_foot_holds_none():
    design = simple_site()
    foot = (0.5, 0.0, -0.01), (9.5, 0.199, 0.01)  # the slab top under Wall S (not its inner face)

    def in_foot(scan):
        p = scan.true_points
        return np.all((p >= foot[0]) & (p <= foot[1]), axis=1)

    built = simulate_scan(mesh_from_boxes(design), STATIONS, target_points=40000)
    assert in_foot(built).sum() == 0
    gone = simulate_scan(mesh_from_boxes(as_built(design, omit=["Wall S"])), STATIONS, target_points=40000)
    assert in_foot(gone).sum() > 20
    assert set(gone.element[in_foot(gone)]) == {0}  # the slab's, never the missing wall's
    assert (gone.element == 1).sum() == 0
