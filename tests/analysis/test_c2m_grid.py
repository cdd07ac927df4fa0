"""The compiled grid search of C2M (app/analysis/_grid.py): exact against brute force on meshes
with huge and tiny triangles, with points on cell boundaries, far points at several cut-offs,
ties at edges and corners (same face as the numpy fallback), fans of tied faces, and cell sizes
forced very small or large so rings and coarser levels are walked."""
from __future__ import annotations

import numpy as np
import pytest

from app.analysis import _grid_index
from app.analysis._triangles import brute_force, closest_sq_distance
from app.analysis.c2m import DesignIndex
from tests.analysis.test_c2m import box

pytest.importorskip("numba")


def _mixed_mesh(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random triangles from 1 mm to 60 m across, some slivers, plus two boxes."""
    rng = np.random.default_rng(seed)
    n = 400
    centres = rng.uniform(0, 30, (n, 1, 3))
    scale = np.exp(rng.uniform(np.log(0.001), np.log(20.0), (n, 1, 1)))
    tris = centres + rng.normal(0, 1, (n, 3, 3)) * scale
    tris[:20, 2] = tris[:20, 0] + 1e-4 * (tris[:20, 1] - tris[:20, 0]) + [0, 0, 1e-3]    # slivers
    big = np.array([[[-30, -30, 5], [60, -30, 5], [-30, 60, 5.0]], [[60, 60, 25], [-30, 60, 25], [60, -30, 25.0]]])
    v = np.vstack([tris.reshape(-1, 3), big.reshape(-1, 3)])
    f = np.arange(len(v)).reshape(-1, 3)
    for lo, hi in (([3, 3, 3], [4, 9, 5]), ([20, 20, 0], [20.2, 20.2, 30])):
        vb, fb = box(lo, hi)
        f = np.vstack([f, fb + len(v)])
        v = np.vstack([v, vb])
    return v, f


def _canonical(p: np.ndarray, v: np.ndarray, f: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Brute force with the documented tie rule: nearest within 1e-9 relative, then the largest
    |plane distance|, then the smallest face index. Returns distance, face, signed distance."""
    a = v[f[:, 0]]
    ab, ac = v[f[:, 1]] - a, v[f[:, 2]] - a
    n = np.cross(ab, ac)
    n /= np.linalg.norm(n, axis=1)[:, None]
    dist, face, signed = np.empty(len(p)), np.empty(len(p), np.int64), np.empty(len(p))
    for i, q in enumerate(p):
        d2 = closest_sq_distance(np.broadcast_to(q, (len(f), 3)), a, ab, ac)
        pd = np.einsum("ij,ij->i", q - a, n)
        tie = np.flatnonzero(d2 <= d2.min() * (1 + 1e-9) + 1e-18)
        best = tie[np.lexsort((tie, -np.abs(pd[tie])))][0]
        dist[i], face[i] = np.sqrt(d2.min()), best
        signed[i] = -dist[i] if pd[best] < 0 else dist[i]
    return dist, face, signed


@pytest.mark.parametrize("factor", [0.02, 0.3, 1.0, 8.0])
def test_grid_matches_brute_force_on_mixed_triangles(factor: float, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tiny cells (many rings and levels), large cells (long lists): the same exact answers."""
    monkeypatch.setattr(_grid_index, "_CELL_FACTOR", factor)
    v, f = _mixed_mesh(1)
    rng = np.random.default_rng(2)
    p = np.vstack([rng.uniform(-5, 35, (700, 3)), v[f[:50, 0]] + rng.normal(0, 0.002, (50, 3))])
    index = DesignIndex(v, f, np.arange(len(f)))
    assert index.grid is not None
    r = index.query(p, max_distance=50.0)
    want, face = brute_force(p, v, f)
    assert not r.far.any()
    np.testing.assert_allclose(np.abs(r.distance), want, atol=1e-9)
    assert (r.face == face).mean() > 0.99               # exact ties may pick another face...
    _, canon, signed = _canonical(p, v, f)
    np.testing.assert_array_equal(r.face, canon)        # ...but always the documented one
    np.testing.assert_allclose(r.distance, signed, atol=1e-9)


def test_points_on_cell_boundaries_and_corners() -> None:
    v, f = _mixed_mesh(3)
    index = DesignIndex(v, f)
    h = index.grid.h0
    rng = np.random.default_rng(4)
    cells = rng.integers(0, int(30 / h), (400, 3)).astype(float) * h       # exact cell corners
    faces = cells + np.where(rng.random((400, 3)) < 0.5, 0.0, rng.uniform(0, h, (400, 3)))
    p = np.vstack([cells, faces]) + index.origin
    r = index.query(p, max_distance=100.0)
    want, _ = brute_force(p, v, f)
    np.testing.assert_allclose(np.abs(r.distance), want, atol=1e-9)


@pytest.mark.parametrize("maxd", [0.01, 0.3, 1.0, 7.0, 200.0, 5000.0])
def test_far_points_at_any_cut_off(maxd: float) -> None:
    """Points from on the surface to 300 m away: far exactly when the true distance exceeds the
    cut-off, whatever the number of levels the cut-off needs."""
    v, f = _mixed_mesh(5)
    rng = np.random.default_rng(6)
    direction = rng.normal(0, 1, (900, 3))
    direction /= np.linalg.norm(direction, axis=1)[:, None]
    p = rng.uniform(0, 30, (900, 1)) + direction * np.exp(rng.uniform(np.log(1e-3), np.log(300), (900, 1)))
    index = DesignIndex(v, f, np.arange(len(f)))
    r = index.query(p, max_distance=maxd)
    want, _ = brute_force(p, v, f)
    np.testing.assert_array_equal(r.far, want > maxd)
    np.testing.assert_allclose(np.abs(r.distance[~r.far]), want[~r.far], atol=1e-9)
    assert (r.element[r.far] == -1).all() and (r.element[~r.far] >= 0).all()


def test_ties_at_edges_and_corners_pick_the_same_face_as_the_fallback() -> None:
    """Points exactly diagonal off box edges and corners (equal distances and equal |plane
    distances| to two or three faces): both paths pick the same face, outside stays positive."""
    boxes = [box([i * 3.0, 0, 0], [i * 3.0 + 1 + i, 2, 1.5]) for i in range(3)]
    v = np.vstack([b[0] for b in boxes])
    f = np.vstack([b[1] + 8 * i for i, b in enumerate(boxes)])
    e = 0.05
    p = []
    for i in range(3):
        lo, hi = np.array([i * 3.0, 0, 0]), np.array([i * 3.0 + 1 + i, 2, 1.5])
        for corner in np.array([[x, y, z] for x in (0, 1) for y in (0, 1) for z in (0, 1)]):
            c = np.where(corner == 1, hi, lo)
            out = np.where(corner == 1, 1.0, -1.0)
            p += [c + e * out, c - e * out, c + e * out * [1, 1, 0], c + e * out * [0, 1, 1], c]
    p = np.array(p)
    fast = DesignIndex(v, f, np.repeat(np.arange(3), 12)).query(p, max_distance=1.0)
    slow = DesignIndex(v, f, np.repeat(np.arange(3), 12), compiled=False).query(p, max_distance=1.0)
    np.testing.assert_array_equal(fast.face, slow.face)
    np.testing.assert_allclose(fast.distance, slow.distance, atol=1e-12)
    _, canon, signed = _canonical(p, v, f)
    np.testing.assert_array_equal(fast.face, canon)
    np.testing.assert_allclose(fast.distance, signed, atol=1e-12)
    outside = np.tile([True, False, True, True, False], 24)
    assert (fast.distance[outside & (np.abs(fast.distance) > 0)] > 0).all()
    assert (fast.distance[~outside & (np.abs(fast.distance) > 0)] < 0).all()


def test_fan_of_tied_faces_around_a_vertex() -> None:
    """200 faces meeting at one apex (more than the tie buffer): a point above the apex is
    equally near all of them; the distance is exact and the face follows the rule."""
    k = 200
    ang = np.linspace(0, 2 * np.pi, k, endpoint=False)
    rim = np.column_stack([np.cos(ang), np.sin(ang), np.full(k, -0.3)])
    v = np.vstack([[0, 0, 0], rim])
    f = np.column_stack([np.zeros(k, int), 1 + np.arange(k), 1 + (np.arange(k) + 1) % k])
    p = np.array([[0, 0, 0.5], [0, 0, 0.01], [0.001, 0, 0.2], [0, 0, -0.05]])
    r = DesignIndex(v, f).query(p, max_distance=2.0)
    want, canon, signed = _canonical(p, v, f)
    np.testing.assert_allclose(np.abs(r.distance), want, atol=1e-12)
    slow = DesignIndex(v, f, compiled=False).query(p, max_distance=2.0)
    np.testing.assert_allclose(r.distance, slow.distance, atol=1e-12)
    np.testing.assert_allclose(r.distance[[0, 2]], signed[[0, 2]], atol=1e-12)


def test_grid_answers_do_not_depend_on_chunks_or_threads() -> None:
    v, f = _mixed_mesh(7)
    p = np.random.default_rng(8).uniform(-2, 32, (5000, 3))
    one = DesignIndex(v, f, threads=1).query(p, max_distance=3.0, chunk_size=333)
    two = DesignIndex(v, f, threads=2).query(p, max_distance=3.0)
    for x, y in ((one.distance, two.distance), (one.face, two.face), (one.far, two.far)):
        np.testing.assert_array_equal(x, y)


def test_stamp_marks_wrap_around_without_changing_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The per-thread stamps are cleared when the int32 point marks would overflow (forced here
    after 700 points): answers stay those of one uninterrupted run."""
    v, f = _mixed_mesh(9)
    p = np.random.default_rng(10).uniform(-2, 32, (4000, 3))
    whole = DesignIndex(v, f, threads=2).query(p, max_distance=3.0)
    monkeypatch.setattr(_grid_index, "_MARKS", 700)
    monkeypatch.setattr(_grid_index, "_BLOCK", 64)
    wrapped = DesignIndex(v, f, threads=2).query(p, max_distance=3.0, chunk_size=500)
    np.testing.assert_array_equal(whole.distance, wrapped.distance)
    np.testing.assert_array_equal(whole.face, wrapped.face)


def test_crowded_cells_use_exact_sub_cells(monkeypatch: pytest.MonkeyPatch) -> None:
    """A finely tessellated sphere and a long tube in large cells: crowded cells get sub-cell
    lists (every cell here, forced), points near and off them stay exact."""
    from app.analysis import _grid_build
    from tests.benchmarks._design_site import _cylinder, _sphere

    monkeypatch.setattr(_grid_build, "_SUB_MIN", 1)
    monkeypatch.setattr(_grid_index, "_CELL_FACTOR", 6.0)
    vs, fs = _sphere(np.array([1.0, 2.0, 3.0]), 0.7, 24, 36)
    vc, fc = _cylinder(np.array([-2.0, 0, 0]), np.array([4.0, 1, 0.5]), 0.1, 12, 30)
    v, f = np.vstack([vs, vc]), np.vstack([fs, fc + len(vs)])
    rng = np.random.default_rng(11)
    on = v[f[:, 0]] + rng.normal(0, 0.01, (len(f), 3))
    p = np.vstack([on[::3], rng.uniform(-3, 5, (600, 3))])
    index = DesignIndex(v, f)
    assert (index.grid._levels[0][5] >= 0).all()            # every level-0 cell has sub-cells
    r = index.query(p, max_distance=2.0)
    want, _ = brute_force(p, v, f)
    np.testing.assert_array_equal(r.far, want > 2.0)
    np.testing.assert_allclose(np.abs(r.distance[~r.far]), want[~r.far], atol=1e-9)
    _, canon, _ = _canonical(p[~r.far][:300], v, f)
    np.testing.assert_array_equal(r.face[~r.far][:300], canon)


def test_index_pickles_with_the_same_answers() -> None:
    """A DesignIndex sent to a dask worker (pickle) answers as the original."""
    import pickle

    v, f = _mixed_mesh(12)
    p = np.random.default_rng(13).uniform(-2, 32, (1500, 3))
    index = DesignIndex(v, f, np.arange(len(f)))
    before = index.query(p, max_distance=2.0)
    after = pickle.loads(pickle.dumps(index)).query(p, max_distance=2.0)
    np.testing.assert_array_equal(before.distance, after.distance)
    np.testing.assert_array_equal(before.element, after.element)


def test_coplanar_faces_of_two_elements_follow_the_tie_rule() -> None:
    """A wall standing on a slab: the wall's bottom face (normal down) lies exactly on the slab's
    top face (normal up). Points on that patch are equally near both with equal |plane distance|:
    the smaller face index (here the slab's) decides, on both paths and whatever the threads."""
    vs, fs = box([0, 0, 0], [6, 4, 0.3])
    vw, fw = box([1, 1, 0.3], [5, 1.25, 3.0])
    v, f = np.vstack([vs, vw]), np.vstack([fs, fw + 8])
    fe = np.repeat([0, 1], 12)
    rng = np.random.default_rng(14)
    p = np.column_stack([rng.uniform(1.01, 4.99, 300), rng.uniform(1.01, 1.24, 300), 0.3 + rng.normal(0, 0.003, 300)])
    fast = DesignIndex(v, f, fe, threads=2).query(p)
    slow = DesignIndex(v, f, fe, compiled=False).query(p)
    _, canon, signed = _canonical(p, v, f)
    np.testing.assert_array_equal(fast.face, canon)
    np.testing.assert_array_equal(slow.face, canon)
    np.testing.assert_allclose(fast.distance, signed, atol=1e-12)
    assert (fast.element == 0).all()                        # the slab's faces come first
    np.testing.assert_allclose(fast.distance, p[:, 2] - 0.3, atol=1e-12)   # above the slab: positive


def test_centimetre_triangles_on_a_20_km_site_are_kept_and_exact() -> None:
    """A 20 km terrain triangle beside 20,000 centimetre triangles: the small ones are not taken
    for degenerate (they were, below 1e-12 x extent**2 twice-area), the index stays small, answers
    stay exact on both paths."""
    rng = np.random.default_rng(15)
    tiny = rng.uniform(0, 50, (20_000, 1, 3)) + rng.normal(0, 0.01, (20_000, 3, 3))
    big = np.array([[[-10_000, -10_000, -1], [10_000, -10_000, -1], [0, 10_000, -1.0]]])
    tris = np.vstack([tiny, big])
    v, f = tris.reshape(-1, 3), np.arange(3 * len(tris)).reshape(-1, 3)
    p = np.vstack([rng.uniform(0, 50, (300, 3)), rng.uniform(-5000, 5000, (100, 3)) * [1, 1, 0] + [0, 0, -0.5]])
    want, _ = brute_force(p, v, f)
    for compiled in (True, False):
        index = DesignIndex(v, f, compiled=compiled)
        r = index.query(p, max_distance=5.0)
        np.testing.assert_array_equal(r.far, want > 5.0)
        np.testing.assert_allclose(np.abs(r.distance[~r.far]), want[~r.far], atol=1e-9)
    assert len(DesignIndex(v, f).grid._levels[0][3]) < 200_000
