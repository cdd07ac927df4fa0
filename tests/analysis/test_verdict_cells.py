"""Surface cells and contact cells: the compiled paths against their plain fallbacks, and the
rules they encode (a wall's foot row and a column's head are contact, edge cells lie on the surface)."""
from __future__ import annotations

import numpy as np
import pytest

from app.analysis import _raster
from app.analysis._cells import _contact_by_index, _rasterise, build_grid, contact_cells
from tests.scan_sim import mesh_from_boxes, simple_site


@pytest.fixture(scope="module")
def site():
    m = mesh_from_boxes(simple_site())
    return m, build_grid(m.vertices, m.triangles, m.element, 0.1)


def test_exact_cells_cover_each_face_with_its_true_area(site):
    m, g = site
    _, sums, area = _raster.rasterise_exact(*_local_args(m, g))
    tri = m.vertices[m.triangles]
    true_area = 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1).sum()
    assert area.sum() == pytest.approx(true_area, rel=1e-5)      # less only the dropped slivers
    assert len(g.cell_key) == len(area)
    # wall S (10 x 3 m faces, 0.2 m thick): 100 x 30 cells on each big face, 2 x 30 at each end
    assert np.sum(g.cell_element == 1) == 2 * 3000 + 2 * 60 + 2 * 200
    # every centre lies on its own element's surface
    lo, hi = m.vertices[m.triangles[m.element == 1]].reshape(-1, 3).min(0), m.vertices[
        m.triangles[m.element == 1]].reshape(-1, 3).max(0)
    c = g.cell_centre[g.cell_element == 1]
    assert np.all((c >= lo - 1e-9) & (c <= hi + 1e-9))
    assert np.all(np.min(np.minimum(np.abs(c - lo), np.abs(c - hi)), axis=1) < 1e-9)


def _local_args(m, g):
    origin = m.vertices.min(0)
    v = m.vertices - origin
    fi = np.flatnonzero(g.face_plane >= 0)
    f = m.triangles[fi]
    return (v[f[:, 0]], v[f[:, 1]], v[f[:, 2]], g.face_plane[fi], g.plane_origin - origin, g.plane_u, g.plane_v,
            g.plane_nu, g.plane_nv, g.plane_base, g.cell_size)


def test_sampled_fallback_finds_the_same_cells(site):
    m, g = site
    a, b, c, plane, porig, *_ = _local_args(m, g)
    keys, sums, counts = _rasterise(g, a, b, c, plane, m.vertices.min(0))
    common = np.intersect1d(keys, g.cell_key)
    assert len(common) >= 0.97 * len(g.cell_key)
    i, j = np.searchsorted(keys, common), np.searchsorted(g.cell_key, common)
    centres = sums[i] / counts[i, None] + m.vertices.min(0)
    assert np.median(np.linalg.norm(centres - g.cell_centre[j], axis=1)) < 0.01


def test_contact_cells_are_the_neighbours_touching_faces_and_both_paths_agree(site):
    m, g = site
    fast = contact_cells(m.vertices, m.triangles, m.element, g, 0.1, 0.3)
    slow = _contact_by_index(m.vertices, m.triangles, m.element, g, 0.1, 0.3)
    np.testing.assert_array_equal(fast, slow)
    el, c = g.cell_element, g.cell_centre
    wall_s = el == 1
    foot = wall_s & (c[:, 2] < 0.1) & (np.abs(c[:, 1] - 0.2) < 1e-9) & (c[:, 0] > 0.5) & (c[:, 0] < 9.5)
    assert foot.any() and fast[foot].all()                      # the inner face's foot row
    second = wall_s & (c[:, 2] > 0.1) & (c[:, 2] < 0.2) & (np.abs(c[:, 1] - 0.2) < 1e-9) & (c[:, 0] > 0.5) & (c[:, 0] < 9.5)
    assert second.any() and not fast[second].any()              # the row above is exposed
    col_head = (el == 5) & (np.abs(c[:, 2] - 2.6) < 1e-9)
    assert col_head.any() and fast[col_head].all()              # column A's head under the beam
    slab_top = (el == 0) & (np.abs(c[:, 2]) < 1e-9)
    under_wall = slab_top & (c[:, 1] < 0.2)
    assert fast[under_wall].all() and not fast[slab_top & (np.abs(c[:, 0] - 5) < 1) & (np.abs(c[:, 1] - 2) < 0.5)].any()


def test_occupancy_march_compiled_equals_numpy_and_honours_the_skip():
    from app.analysis._visibility import occupancy_blocked, voxel_keys

    rng = np.random.default_rng(0)
    occ = np.unique(voxel_keys(rng.uniform(0, 10, (2000, 3)), np.zeros(3), 0.2))
    start = rng.uniform(0, 10, (5000, 3))
    d = rng.normal(size=(5000, 3))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    length = rng.uniform(0, 8, 5000)
    fast = occupancy_blocked(start, d, length, occ, np.zeros(3), 0.2, 0.3)
    slow = occupancy_blocked(start, d, length, occ, np.zeros(3), 0.2, 0.3, compiled=False)
    np.testing.assert_array_equal(fast, slow)
    assert 0 < fast.sum() < len(fast)
    # one occupied voxel on the ray: blocked unless it lies within the skip of either end
    one = np.unique(voxel_keys(np.array([[5.1, 0.1, 0.1]]), np.zeros(3), 0.2))
    ray = dict(direction=np.array([[1.0, 0.0, 0.0]]), occupied=one, origin=np.zeros(3), size=0.2, skip=0.3)
    assert occupancy_blocked(np.array([[0.0, 0.1, 0.1]]), length=np.array([10.0]), **ray)[0]
    assert not occupancy_blocked(np.array([[0.0, 0.1, 0.1]]), length=np.array([5.1]), **ray)[0]
