"""Element verdicts against the truth the test chose: simulated multi-station scans (occlusion,
noise, clutter, hidden faces) of sites whose as-built state omits, cuts and shifts elements."""
from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

from app.analysis.c2m import C2MError
from app.analysis.design import DesignModel
from app.analysis.verdicts import (
    STATUSES,
    ElementVerdict,
    VerdictAccumulator,
    VerdictSettings,
    progress_summary,
)
from loaders.base import ElementInfo, MeshData
from tests.scan_sim import (
    FRAME_CLUTTER,
    FRAME_STATIONS,
    as_built,
    mesh_from_boxes,
    simple_site,
    simulate_scan,
    two_storey_frame,
)

SIMPLE_STATIONS = [(2.0, 2.0, 1.6), (8.0, 6.0, 1.6)]


def design_from_boxes(boxes, storey_height: float = 3.25) -> DesignModel:
    """DesignModel of box elements (element index = box index), storeys by base height."""
    m = mesh_from_boxes(boxes)
    els = [ElementInfo(id=f"G{b.index:03d}", ifc_class=b.ifc_class, name=b.name,
                       storey=f"Level {max(0, int(b.lo[2] // storey_height + 1e-9))}") for b in boxes]
    mesh = MeshData(name="design", kind="bim", format="test", vertices=m.vertices, faces=m.triangles,
                    face_element=m.element, elements=els)
    return DesignModel.from_meshes([(mesh, m.vertices)])


def verdicts_for(design: DesignModel, scan, stations=None, settings: VerdictSettings | None = None):
    acc = VerdictAccumulator(design, settings or VerdictSettings(), stations=stations)
    acc.add(scan.points, design.index().query(scan.points, max_distance=1.0))
    return acc, {design.elements[v.index].name: v for v in acc.finish()}


def truth_of(design_boxes, omit=(), cut=None, shift=None) -> dict[str, str]:
    t = {b.name: "built" for b in design_boxes}
    t.update({n: "missing" for n in omit})
    t.update({n: "partial" for n in (cut or {})})
    t.update({n: "deviating" for n in (shift or {})})
    return t


# --------------------------------------------------------------------------- the simple site

SIMPLE_CASE = dict(omit=["Wall N"], cut={"Wall E": 0.4}, shift={"Column A": (0.12, 0.0, 0.0)})
SIMPLE_CLUTTER = [((4.5, 1.0, 0.0), (5.5, 1.6, 1.5))]       # a crate in front of Wall S


@pytest.fixture(scope="module")
def simple():
    boxes = simple_site()
    design = design_from_boxes(boxes)
    built = as_built(boxes, **SIMPLE_CASE)
    scan = simulate_scan(mesh_from_boxes(built, clutter=SIMPLE_CLUTTER), SIMPLE_STATIONS,
                         target_points=80_000, seed=1, n_floating=50)
    c2m = design.index().query(scan.points, max_distance=1.0)
    return design, scan, c2m, truth_of(boxes, **SIMPLE_CASE)


@pytest.mark.parametrize("with_stations", [True, False], ids=["stations", "no-stations"])
def test_simple_site_verdicts_equal_the_truth(simple, with_stations):
    design, scan, c2m, truth = simple
    acc = VerdictAccumulator(design, VerdictSettings(), np.array(SIMPLE_STATIONS) if with_stations else None)
    acc.add(scan.points, c2m)
    got = {design.elements[v.index].name: v for v in acc.finish()}
    assert {n: v.status for n, v in got.items()} == truth
    col = got["Column A"].offset
    assert col[0] == pytest.approx(0.12, abs=0.01) and abs(col[1]) < 0.03 and abs(col[2]) < 0.01
    assert got["Wall N"].points == 0                    # the slab under it lends it nothing
    assert got["Wall E"].coverage == pytest.approx(0.4, abs=0.1)
    wall_s = got["Wall S"]                              # the crate's shadow does not make it partial
    assert wall_s.coverage > 0.9 and abs(wall_s.mean_distance) < 0.003 and wall_s.max_distance <= 0.05


def test_fully_built_site_with_hidden_faces_is_all_built():
    """Outer wall faces, the slab's underside and the column feet hold no points: still built."""
    boxes = simple_site()
    design = design_from_boxes(boxes)
    scan = simulate_scan(mesh_from_boxes(boxes), SIMPLE_STATIONS, target_points=40_000, seed=2)
    for stations in (np.array(SIMPLE_STATIONS), None):
        _, got = verdicts_for(design, scan, stations)
        assert {v.status for v in got.values()} == {"built"}, {n: v.status for n, v in got.items()}
        for v in got.values():
            assert np.linalg.norm(v.offset) < 0.01


def test_slab_poured_along_half_its_length_is_partial():
    boxes = simple_site()
    design = design_from_boxes(boxes)
    built = as_built(boxes, cut={"Slab": ("x", 0.5)}, omit=["Wall E"])
    scan = simulate_scan(mesh_from_boxes(built), SIMPLE_STATIONS, target_points=40_000, seed=3)
    for stations in (np.array(SIMPLE_STATIONS), None):
        _, got = verdicts_for(design, scan, stations)
        assert got["Slab"].status == "partial"
        assert got["Slab"].coverage == pytest.approx(0.5, abs=0.12)
        assert got["Wall E"].status == "missing"
        assert got["Wall S"].status == "built" and got["Wall W"].status == "built"


def test_wall_hidden_behind_a_crate_from_the_only_station_is_not_partial():
    """A crate stands between the single station and the lower half of a wall: the hidden half is
    not observable (scan occupancy blocks the rays), so the wall stays built."""
    boxes = simple_site()
    design = design_from_boxes(boxes)
    crate = ((3.0, 0.6, 0.0), (7.0, 1.2, 1.6))
    station = [(5.0, 4.0, 1.4)]
    scan = simulate_scan(mesh_from_boxes(boxes, clutter=[crate]), station, target_points=60_000, seed=4)
    _, got = verdicts_for(design, scan, np.array(station))
    assert got["Wall S"].status == "built"
    # the same crate in front of a wall cut to 40%: the standing part is hidden, the empty upper
    # part is observable and empty: partial, not built
    cut = as_built(boxes, cut={"Wall S": 0.4})
    scan = simulate_scan(mesh_from_boxes(cut, clutter=[crate]), station, target_points=60_000, seed=4)
    _, got = verdicts_for(design, scan, np.array(station))
    assert got["Wall S"].status == "partial"


# --------------------------------------------------------------------------- chunks and merge


def _state(acc: VerdictAccumulator) -> dict:
    return {k: v for k, v in vars(acc).items() if isinstance(v, np.ndarray)}


def test_chunked_and_merged_equal_one_pass(simple):
    design, scan, c2m, _ = simple
    stations = np.array(SIMPLE_STATIONS)
    one = VerdictAccumulator(design, VerdictSettings(), stations)
    one.add(scan.points, c2m)
    chunked = VerdictAccumulator(design, VerdictSettings(), stations)
    parts = []
    rng = np.random.default_rng(0)
    cuts = np.sort(rng.choice(len(scan.points), 6, replace=False))
    for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, len(scan.points)]):
        sub = type(c2m)(c2m.distance[lo:hi], c2m.element[lo:hi], c2m.face[lo:hi], c2m.far[lo:hi])
        chunked.add(scan.points[lo:hi], sub)
        part = pickle.loads(pickle.dumps(VerdictAccumulator(design, VerdictSettings(), stations)))
        part.add(scan.points[lo:hi], sub)
        parts.append(part)
    merged = parts[3]
    for p in parts[:3] + parts[4:][::-1]:                  # any order
        merged.merge(p)
    ref = _state(one)
    for acc in (chunked, merged):
        for k, v in _state(acc).items():
            np.testing.assert_array_equal(v, ref[k], err_msg=k)
        assert acc.finish() == one.finish()


def test_merge_refuses_other_settings_or_stations(simple):
    design = simple[0]
    a = VerdictAccumulator(design, VerdictSettings())
    with pytest.raises(C2MError, match="other settings"):
        a.merge(VerdictAccumulator(design, VerdictSettings(tolerance=0.02)))
    with pytest.raises(C2MError, match="stations"):
        a.merge(VerdictAccumulator(design, VerdictSettings(), np.array(SIMPLE_STATIONS)))


# --------------------------------------------------------------------------- a two-storey frame

FRAME_CASE = dict(omit=["Column L0 11", "Beam L1 x01", "Wall W", "Column L1 20"],
                  cut={"Wall E": 0.4, "Slab L2": ("x", 0.5)}, shift={"Column L0 21": (0.12, 0.0, 0.0)})


@pytest.fixture(scope="module")
def frame():
    boxes = two_storey_frame()
    design = design_from_boxes(boxes)
    built = as_built(boxes, **FRAME_CASE)
    scan = simulate_scan(mesh_from_boxes(built, clutter=FRAME_CLUTTER), FRAME_STATIONS,
                         target_points=120_000, seed=1, n_floating=200)
    c2m = design.index().query(scan.points, max_distance=1.0)
    return design, scan, c2m, truth_of(boxes, **FRAME_CASE)


@pytest.mark.parametrize("with_stations", [True, False], ids=["stations", "no-stations"])
def test_two_storey_frame_verdicts(frame, with_stations):
    design, scan, c2m, truth = frame
    assert len(design.elements) == 49
    acc = VerdictAccumulator(design, VerdictSettings(), np.array(FRAME_STATIONS) if with_stations else None)
    acc.add(scan.points, c2m)
    verdicts = acc.finish()
    got = {design.elements[v.index].name: v.status for v in verdicts}
    right = sum(got[n] == t for n, t in truth.items())
    assert right >= 0.95 * len(truth), {n: (t, got[n]) for n, t in truth.items() if got[n] != t}
    for name, status in truth.items():                  # the key cases exactly
        if status != "built":
            assert got[name] == status, name
    summary = progress_summary(design, verdicts)
    assert summary["overall"]["elements"] == 49
    assert sum(summary["overall"][k] for k in STATUSES) == 49
    assert set(summary["by_storey"]) == {"Level 0", "Level 1"}
    assert summary["by_class"]["IfcWall"]["missing"] == 1


# --------------------------------------------------------------------------- summary and records


def test_progress_summary_counts_partial_by_coverage():
    boxes = simple_site()
    design = design_from_boxes(boxes)
    statuses = ["built", "deviating", "missing", "partial", "built", "built", "missing", "partial"]
    vs = [ElementVerdict(i, s, 0.5 if s == "partial" else (1.0 if s != "missing" else 0.0), 10,
                         0.0, 0.01, (0.0, 0.0, 0.0)) for i, s in enumerate(statuses)]
    out = progress_summary(design, vs)
    assert out["overall"] == {"elements": 8, "built": 3, "partial": 2, "missing": 2, "deviating": 1,
                              "progress_pct": pytest.approx(100 * 5 / 8)}
    assert out["by_class"]["IfcWall"]["elements"] == 4
    assert out["by_class"]["IfcWall"]["progress_pct"] == pytest.approx(100 * (0.5 + 1 + 1 + 0.0) / 4)
    d = vs[3].to_dict(design)
    assert d["guid"] == "G003" and d["ifc_class"] == "IfcWall" and d["status"] == "partial"
    assert set(d) >= {"guid", "ifc_class", "name", "storey", "status", "coverage", "mean_distance",
                      "max_distance", "points", "offset"}
    none = ElementVerdict(2, "missing", 0.0, 0, math.nan, math.nan, (0.0, 0.0, 0.0)).to_dict(design)
    assert none["mean_distance"] is None and none["max_distance"] is None   # JSON has no NaN


def test_settings_round_trip_and_derived_defaults_follow_the_tolerance():
    s = VerdictSettings(tolerance=0.03, built_coverage=0.7)
    s.validate()
    assert VerdictSettings(**s.to_dict()) == s
    assert s.to_dict()["tolerance"] == 0.03
    assert (s.band(), s.margin(), s.threshold()) == (0.30, 0.05 + 0.03, 0.03)
    acc = VerdictAccumulator(design_from_boxes(simple_site()[:2]),
                             VerdictSettings(**{**s.to_dict(), "gap_fill_cells": 1.0, "min_points": 3.0}))
    assert acc.finish()[0].status == "missing"          # whole numbers given as floats (JSON) work
    wide = VerdictSettings(tolerance=0.5)               # a coarse check still validates
    wide.validate()
    assert wide.band() == 2.0


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("kwargs, message", [
    (dict(tolerance=0.0), "tolerance must be greater than 0"),
    (dict(tolerance=-0.01), "tolerance must be greater than 0"),
    (dict(tolerance=math.nan), "tolerance must be a finite number"),
    (dict(cell_size=math.inf), "cell_size must be a finite number"),
    (dict(built_coverage=1.5), "built_coverage must be between 0 and 1"),
    (dict(deviation_band=0.04), "deviation_band"),
    (dict(min_points=0), "min_points must be a whole number"),
    (dict(max_incidence_deg=120), "max_incidence_deg"),
    (dict(contact_margin=-1.0), "contact_margin must be greater than 0"),
    (dict(missing_coverage=0.9, built_coverage=0.5), "missing_coverage"),
])
def test_bad_settings_raise_a_clear_error(kwargs, message, simple):
    s = VerdictSettings(**kwargs)
    with pytest.raises(C2MError, match=message):
        s.validate()
    with pytest.raises(C2MError, match=message):
        VerdictAccumulator(simple[0], s)


def test_design_without_geometry_raises():
    spaces = MeshData(name="spaces", kind="bim", format="test", vertices=np.eye(3), faces=np.array([[0, 1, 2]]),
                      face_element=np.array([0]), elements=[ElementInfo("S1", "IfcSpace", hidden_by_default=True)])
    empty = MeshData(name="empty", kind="bim", format="test")
    for meshes in ([], [(empty, empty.vertices)], [(spaces, spaces.vertices)]):
        with pytest.raises(C2MError, match="the design has no elements with geometry"):
            DesignModel.from_meshes(meshes)


def test_bad_stations_and_mismatched_rows_raise(simple):
    design, scan, c2m, _ = simple
    with pytest.raises(C2MError, match="stations"):
        VerdictAccumulator(design, VerdictSettings(), np.array([[0.0, np.nan, 1.0]]))
    acc = VerdictAccumulator(design, VerdictSettings())
    with pytest.raises(C2MError, match="rows do not match"):
        acc.add(scan.points[:10], c2m)
    other = type(c2m)(c2m.distance[:5], c2m.element[:5], np.full(5, len(design.faces)), c2m.far[:5])
    with pytest.raises(C2MError, match="faces the design does not have"):
        acc.add(scan.points[:5], other)


def test_from_meshes_drops_spaces_and_faces_without_element_and_keeps_layers():
    boxes = simple_site()
    m = mesh_from_boxes(boxes[:2])
    els = [ElementInfo("A", "IfcSlab"), ElementInfo("B", "IfcWall"), ElementInfo("R", "IfcSpace", hidden_by_default=True)]
    fe = m.element.copy()
    fe[:2] = -1                                         # two faces without an element
    fe[2:4] = 2                                         # two faces of a space
    one = MeshData(name="a", kind="bim", format="t", vertices=m.vertices, faces=m.triangles, face_element=fe,
                   elements=els)
    m2 = mesh_from_boxes([boxes[5]])
    two = MeshData(name="b", kind="bim", format="t", vertices=m2.vertices, faces=m2.triangles,
                   face_element=np.zeros(len(m2.triangles), np.int64), elements=[ElementInfo("C", "IfcColumn")])
    d = DesignModel.from_meshes([(one, m.vertices), (two, m2.vertices + 100.0)])
    assert [e.id for e in d.elements] == ["A", "B", "C"]
    assert d.layer_of_element.tolist() == [0, 0, 1]
    assert len(d.faces) == len(m.triangles) - 4 + len(m2.triangles)
    assert d.vertices[d.faces[d.face_element == 2]][..., 0].min() == pytest.approx(103.0)
    assert d.index() is d.index()                       # cached
    clone = pickle.loads(pickle.dumps(d))                # dask ships it: the index is rebuilt there
    assert clone.elements == d.elements and np.array_equal(clone.faces, d.faces)
    assert clone.index().n_faces == d.index().n_faces


def test_thin_railing_posts_are_built_from_sparse_points_and_merge_exactly():
    """Posts 3 cm square hold about one point per several cells of their faces: narrow faces take
    support from the element's points nearby, so they are built; missing posts stay missing."""
    from tests.scan_sim import BoxElement, sample_surface

    boxes = [BoxElement(0, "Slab", "IfcSlab", (0.0, 0.0, -0.2), (4.0, 2.0, 0.0))]
    boxes += [BoxElement(i, f"Post {i}", "IfcRailing", (0.4 * i, 1.0, 0.0), (0.4 * i + 0.03, 1.03, 1.1))
              for i in range(1, 9)]
    design = design_from_boxes(boxes)
    built = mesh_from_boxes([b for b in boxes if b.name not in ("Post 3", "Post 6")])
    points, _ = sample_surface(built.vertices, built.triangles, 0.08, seed=3, sigma=0.002)
    c2m = design.index().query(points, max_distance=1.0)
    one = VerdictAccumulator(design, VerdictSettings())
    one.add(points, c2m)
    verdicts = {design.elements[v.index].name: v for v in one.finish()}
    assert {n: v.status for n, v in verdicts.items()} == {
        b.name: ("missing" if b.name in ("Post 3", "Post 6") else "built") for b in boxes}
    assert min(v.coverage for n, v in verdicts.items() if n.startswith("Post") and v.status == "built") > 0.9
    half = len(points) // 2
    a, b = VerdictAccumulator(design, VerdictSettings()), VerdictAccumulator(design, VerdictSettings())
    for acc, sl in ((a, slice(None, half)), (b, slice(half, None))):
        acc.add(points[sl], type(c2m)(c2m.distance[sl], c2m.element[sl], c2m.face[sl], c2m.far[sl]))
    b.merge(a)
    for k, v in _state(one).items():
        np.testing.assert_array_equal(_state(b)[k], v, err_msg=k)
    assert b.finish() == one.finish()


def test_sparse_scan_merges_cells_before_judging_coverage():
    """About 1.6 degree steps: built faces hold under one point per cell, so fine cells are empty
    by chance; coverage is judged on blocks sized to the estimated sampling density."""
    boxes = two_storey_frame()
    design = design_from_boxes(boxes)
    scan = simulate_scan(mesh_from_boxes(as_built(boxes, **FRAME_CASE), clutter=FRAME_CLUTTER), FRAME_STATIONS,
                         target_points=20_000, seed=3)
    _, got = verdicts_for(design, scan, np.array(FRAME_STATIONS))
    truth = truth_of(boxes, **FRAME_CASE)
    assert {n: v.status for n, v in got.items()} == truth


def test_same_verdicts_far_from_the_origin(simple):
    """Projected coordinates (500 km, 3400 km): cells, rays, voxels and contacts work in local
    offsets, so nothing changes but the frame."""
    design, scan, _, truth = simple
    shift = np.array([500_000.0, 3_400_000.0, 50.0])
    far = DesignModel(design.vertices + shift, design.faces, design.face_element, design.elements,
                      design.layer_of_element)
    points = scan.points + shift
    for stations in (np.array(SIMPLE_STATIONS) + shift, None):
        acc = VerdictAccumulator(far, VerdictSettings(), stations)
        acc.add(points, far.index().query(points, max_distance=1.0))
        got = {far.elements[v.index].name: v for v in acc.finish()}
        assert {n: v.status for n, v in got.items()} == truth
        assert got["Column A"].offset[0] == pytest.approx(0.12, abs=0.01)


@pytest.mark.parametrize("station", [(1.0, 1.0, 1.6), (9.0, 7.0, 1.6), (5.0, 4.0, 1.6)],
                         ids=["corner", "far-corner", "under-the-beam"])
def test_one_station_anywhere_in_a_built_site_gives_no_false_partial(station):
    """From one station the beam's sides are seen edge-on (under-the-beam) and far walls at steep
    angles: sparse, fading support is judged on coarser blocks, never as a missing part."""
    boxes = simple_site()
    design = design_from_boxes(boxes)
    scan = simulate_scan(mesh_from_boxes(boxes), [station], target_points=80_000, seed=7)
    for stations in (np.array([station]), None):
        _, got = verdicts_for(design, scan, stations)
        assert {n: v.status for n, v in got.items()} == {b.name: "built" for b in boxes}


def test_far_columns_seen_between_others_are_not_partial():
    """A 12 x 12 grid of columns scanned from two stations: far columns get a few points through
    the gaps. An empty cell counts only where the stations should have put points on it (angular
    sampling calibrated on the supported cells, occlusion by standing columns), so sparse far
    columns stay built; columns hidden from both stations have no observable cell at all."""
    from tests.scan_sim import BoxElement

    boxes = [BoxElement(0, "Slab", "IfcSlab", (0.0, 0.0, -0.3), (36.0, 36.0, 0.0))]
    for i in range(12):
        for j in range(12):
            lo = (3.0 * i + 1.3, 3.0 * j + 1.3, 0.0)
            boxes.append(BoxElement(len(boxes), f"C{i}_{j}", "IfcColumn", lo, (lo[0] + 0.4, lo[1] + 0.4, 3.0)))
    design = design_from_boxes(boxes)
    stations = [(0.5, 0.5, 1.6), (35.5, 20.0, 1.6)]
    scan = simulate_scan(mesh_from_boxes(boxes), stations, target_points=100_000, seed=2)
    _, got = verdicts_for(design, scan, np.array(stations))
    seen = [v for v in got.values() if v.observable_cells > 0]
    assert len(seen) > 60
    assert sum(v.status != "built" for v in seen) <= 0.05 * len(seen)
    assert all(v.points == 0 for v in got.values() if v.observable_cells == 0)


def test_without_stations_a_room_nobody_stood_in_does_not_make_its_walls_partial():
    """A partition with a door splits the site; the only scanner stands in the west room and
    sees the east room through the door. Without stations given, scanner positions are guessed
    from the floor's point density, so the unseen east halves of the long walls and the east wall
    glimpsed through the door are not taken as empty."""
    from tests.scan_sim import BoxElement

    site = simple_site()[:5]
    boxes = site + [BoxElement(5, "Partition a", "IfcWall", (5.0, 0.2, 0.0), (5.1, 3.5, 3.0)),
                    BoxElement(6, "Partition b", "IfcWall", (5.0, 4.5, 0.0), (5.1, 7.8, 3.0))]
    design = design_from_boxes(boxes)
    scan = simulate_scan(mesh_from_boxes(boxes), [(2.5, 4.0, 1.6)], target_points=150_000, seed=1)
    _, got = verdicts_for(design, scan, None)
    assert {n: v.status for n, v in got.items()} == {b.name: "built" for b in boxes}
    _, blind = verdicts_for(design, scan, None, VerdictSettings(pseudo_stations=False))
    assert blind["Wall N"].status == "partial"          # what the guess avoids
