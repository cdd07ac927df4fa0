"""C2M engine: exact signed distances against analytic truth and brute force, element indices,
far points, chunking, cancel, precision far from the origin and bad input."""
from __future__ import annotations

import numpy as np
import pytest

from app.analysis import c2m
from app.analysis._triangles import brute_force
from app.analysis.c2m import C2MError, DesignIndex, cloud_to_mesh
from loaders.base import LoadCancelled

# the 12 outward-wound triangles of the unit cube [0,1]^3 (corner index = x + 2y + 4z)
_CUBE_FACES = np.array([
    [0, 2, 1], [1, 2, 3],  # z = 0, normal -z
    [4, 5, 6], [5, 7, 6],  # z = 1, +z
    [0, 1, 4], [1, 5, 4],  # y = 0, -y
    [2, 6, 3], [3, 6, 7],  # y = 1, +y
    [0, 4, 2], [2, 4, 6],  # x = 0, -x
    [1, 3, 5], [3, 7, 5],  # x = 1, +x
])


def box(lo, hi) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    corners = np.array([[(i >> 0) & 1, (i >> 1) & 1, (i >> 2) & 1] for i in range(8)], float)
    return lo + corners * (hi - lo), _CUBE_FACES.copy()


def box_sdf(p: np.ndarray, lo, hi) -> np.ndarray:
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    c, h = (lo + hi) / 2, (hi - lo) / 2
    q = np.abs(p - c) - h
    return np.linalg.norm(np.maximum(q, 0), axis=1) + np.minimum(q.max(axis=1), 0)


def test_cube_winding_is_outward() -> None:
    v, f = box([0, 0, 0], [1, 1, 1])
    n = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
    centre_to_face = v[f].mean(axis=1) - 0.5
    assert (np.einsum("ij,ij->i", n, centre_to_face) > 0).all()


def test_box_distances_match_the_signed_distance_field() -> None:
    lo, hi = [2.0, -1.0, 0.5], [5.0, 1.5, 3.0]
    v, f = box(lo, hi)
    p = np.random.default_rng(1).uniform([1.5, -1.5, 0.0], [5.5, 2.0, 3.5], (5000, 3))
    r = cloud_to_mesh(p, v, f, max_distance=10.0)
    assert not r.far.any()
    np.testing.assert_allclose(r.distance, box_sdf(p, lo, hi), atol=1e-9)
    assert (r.distance < 0).any() and (r.distance > 0).any()


def test_points_near_edges_and_corners_get_sign_and_distance() -> None:
    v, f = box([0, 0, 0], [1, 1, 1])
    e = 0.01
    p = np.array([
        [1 + e, 1 + e, 1 + e],        # off a corner, outside: closest point is the vertex
        [1 + e, 1 + e, 0.5],          # off an edge, outside
        [-e, 0.5, -e],                # off another edge
        [1 - e, 1 - e, 1 - e],        # just inside a corner
        [1 - e, 1 - 2 * e, 0.5],      # just inside near an edge
        [1 + e, 1 - 3 * e, 1 + 2 * e],  # outside, closest point on the top face's edge x = 1
        [1.0, 1.0, 1.0],              # exactly on the corner
    ])
    r = cloud_to_mesh(p, v, f)
    np.testing.assert_allclose(r.distance, box_sdf(p, [0, 0, 0], [1, 1, 1]), atol=1e-12)
    assert list(np.sign(r.distance[:6])) == [1, 1, 1, -1, -1, 1]


def test_slanted_plane() -> None:
    n = np.array([0.3, -0.5, 0.8])
    n /= np.linalg.norm(n)
    u = np.cross(n, [0, 0, 1.0])
    u /= np.linalg.norm(u)
    w = np.cross(n, u)
    o = np.array([10.0, 20.0, 5.0])
    v = np.array([o - 50 * u - 50 * w, o + 50 * u - 50 * w, o + 50 * u + 50 * w, o - 50 * u + 50 * w])
    f = np.array([[0, 1, 2], [0, 2, 3]])
    rng = np.random.default_rng(2)
    s = rng.uniform(-40, 40, (3000, 2))
    h = rng.uniform(-0.9, 0.9, 3000)
    p = o + s[:, :1] * u + s[:, 1:] * w + h[:, None] * n
    r = cloud_to_mesh(p, v, f)
    normal_of_mesh = np.cross(v[1] - v[0], v[2] - v[0])
    sign = np.sign(normal_of_mesh @ n)
    np.testing.assert_allclose(r.distance, sign * h, atol=1e-9)


def test_far_from_the_origin_keeps_float64_precision() -> None:
    off = np.array([10_000.0, -10_000.0, 120.0])
    lo, hi = off + [0, 0, 0], off + [4, 3, 2.5]
    v, f = box(lo, hi)
    p = np.random.default_rng(3).uniform(lo - 0.5, hi + 0.5, (4000, 3))
    r = cloud_to_mesh(p, v, f, max_distance=5.0)
    np.testing.assert_allclose(r.distance, box_sdf(p, lo, hi), atol=1e-9)


def test_two_touching_boxes_give_the_nearer_element() -> None:
    va, fa = box([0, 0, 0], [1, 1, 1])
    vb, fb = box([1, 0, 0], [2, 1, 1])
    v = np.vstack([va, vb])
    f = np.vstack([fa, fb + len(va)])
    fe = np.repeat([0, 1], 12)
    p = np.array([[1.6, 0.5, 1.05], [0.4, 0.5, 1.05], [2.05, 0.5, 0.5], [-0.05, 0.5, 0.5], [1.9, 0.5, 0.5]])
    r = cloud_to_mesh(p, v, f, fe)
    assert list(r.element) == [1, 0, 1, 0, 1]
    np.testing.assert_allclose(np.abs(r.distance), [0.05, 0.05, 0.05, 0.05, 0.1], atol=1e-12)


@pytest.mark.parametrize("k0, kb", [(2, 32), (1, 4), (1, 1), (64, 32)])
def test_random_triangles_match_brute_force(k0: int, kb: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The numpy fallback's kd-tree search: small k forces the radius search and the ball-list
    fallback: still exact."""
    monkeypatch.setattr(c2m, "_K0", k0)
    monkeypatch.setattr(c2m, "_KB", kb)
    rng = np.random.default_rng(4)
    n_tri = 300
    centres = rng.uniform(0, 20, (n_tri, 1, 3))
    tris = centres + rng.normal(0, rng.uniform(0.05, 3.0, (n_tri, 1, 1)), (n_tri, 3, 3))
    v = tris.reshape(-1, 3)
    f = np.arange(len(v)).reshape(-1, 3)
    p = rng.uniform(-2, 22, (600, 3))
    r = DesignIndex(v, f, np.arange(n_tri), compiled=False).query(p, max_distance=100.0)
    want, face = brute_force(p, v, f)
    np.testing.assert_allclose(np.abs(r.distance), want, atol=1e-9)
    same = r.face == face
    assert same.mean() > 0.99      # ties between triangles may pick either
    # the sign is the side of the chosen face's plane
    a = v[f[r.face, 0]]
    nrm = np.cross(v[f[r.face, 1]] - a, v[f[r.face, 2]] - a)
    side = np.einsum("ij,ij->i", p - a, nrm)
    assert (np.sign(r.distance) == np.where(side < 0, -1, 1)).all()


def test_far_points_are_marked_and_left_out() -> None:
    v, f = box([0, 0, 0], [1, 1, 1])
    p = np.array([[0.5, 0.5, 1.5], [0.5, 0.5, 3.0], [50, 50, 50], [1.7, 1.7, 1.7]])
    r = cloud_to_mesh(p, v, f, np.zeros(12), max_distance=1.0)
    assert list(r.far) == [False, True, True, True]
    assert np.isnan(r.distance[1:]).all() and (r.element[1:] == -1).all() and (r.face[1:] == -1).all()
    assert r.distance[0] == pytest.approx(0.5, abs=1e-12) and r.element[0] == 0


@pytest.mark.parametrize("compiled", [True, False])
def test_large_and_small_triangles_together(compiled: bool) -> None:
    """A 200 m slab (two triangles: split by the kd-tree index, listed in every grid cell along its
    plane by the compiled one) beside fine detail stays exact."""
    vs, fs = box([0, 0, 0], [200, 150, 0.3])
    vd, fd = box([10, 10, 0.3], [10.2, 10.2, 3.3])
    v = np.vstack([vs, vd])
    f = np.vstack([fs, fd + len(vs)])
    rng = np.random.default_rng(5)
    p = rng.uniform([-1, -1, -0.5], [201, 151, 1.0], (3000, 3))
    index = DesignIndex(v, f, np.repeat([0, 1], 12), compiled=compiled)
    if not compiled:
        assert index.rmax < 5.0        # the slab's 125 m triangles were split for tight pruning
    r = index.query(p, max_distance=5.0)
    want, face = brute_force(p, v, f)
    np.testing.assert_allclose(np.abs(r.distance), want, atol=1e-9)
    assert (r.element == (face >= 12)).all()     # split triangles still name their element


def test_chunk_size_does_not_change_the_answer() -> None:
    v, f = box([0, 0, 0], [3, 2, 1])
    p = np.random.default_rng(6).uniform(-1.5, 4.5, (2000, 3))
    index = DesignIndex(v, f, np.arange(12))
    whole = index.query(p, chunk_size=10_000)
    calls: list[float] = []
    parts = index.query(p, chunk_size=137, progress=lambda x, m: calls.append(x))
    np.testing.assert_array_equal(whole.distance, parts.distance)
    np.testing.assert_array_equal(whole.element, parts.element)
    np.testing.assert_array_equal(whole.far, parts.far)
    assert calls[-1] == 1.0 and len(calls) == 15 and calls == sorted(calls)


def test_thread_count_does_not_change_the_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(c2m, "_BLOCK", 97)
    v, f = box([0, 0, 0], [3, 2, 1])
    p = np.random.default_rng(8).uniform(-1.5, 4.5, (3000, 3))
    one = DesignIndex(v, f, np.arange(12), threads=1).query(p)
    two = DesignIndex(v, f, np.arange(12), threads=3).query(p)
    np.testing.assert_array_equal(one.distance, two.distance)
    np.testing.assert_array_equal(one.element, two.element)


def test_numpy_fallback_gives_the_same_answers() -> None:
    """Without numba the pure numpy kernel runs: same distances, faces and signs."""
    rng = np.random.default_rng(9)
    tris = rng.uniform(0, 5, (80, 1, 3)) + rng.normal(0, 1.0, (80, 3, 3))
    v, f = tris.reshape(-1, 3), np.arange(240).reshape(-1, 3)
    va, fa = box([6, 6, 6], [7, 8, 9])
    v, f = np.vstack([v, va]), np.vstack([f, fa + len(v)])
    p = np.vstack([rng.uniform(-1, 9, (1500, 3)), [[7.01, 8.01, 9.01], [6.99, 7.99, 8.5]]])
    fast = DesignIndex(v, f, threads=1).query(p, max_distance=3.0)
    slow = DesignIndex(v, f, threads=1, compiled=False).query(p, max_distance=3.0)
    np.testing.assert_allclose(fast.distance, slow.distance, atol=1e-12)
    np.testing.assert_array_equal(fast.face, slow.face)
    np.testing.assert_array_equal(fast.far, slow.far)


def test_cancel_stops_the_comparison() -> None:
    v, f = box([0, 0, 0], [1, 1, 1])
    p = np.random.default_rng(7).uniform(0, 1, (1000, 3))
    seen: list[float] = []
    with pytest.raises(LoadCancelled):
        cloud_to_mesh(p, v, f, chunk_size=100, progress=lambda x, m: seen.append(x),
                      cancel=lambda: len(seen) >= 3)
    assert len(seen) == 3


@pytest.mark.parametrize("points, faces, message", [
    (np.zeros((3, 2)), None, "(N, 3)"),
    (np.array([[0, 0, np.nan]]), None, "NaN"),
    (np.zeros((1, 3)), np.zeros((0, 3), int), "no triangles"),
    (np.zeros((1, 3)), np.array([[0, 1, 99]]), "do not exist"),
    (np.zeros((1, 3)), np.array([[0, 0, 1]]), "degenerate"),
])
def test_bad_input_says_why(points, faces, message) -> None:
    v, f = box([0, 0, 0], [1, 1, 1])
    with pytest.raises(C2MError, match=message.replace("(", r"\(").replace(")", r"\)")):
        cloud_to_mesh(points, v, f if faces is None else faces)


def test_bad_cut_off_is_refused() -> None:
    v, f = box([0, 0, 0], [1, 1, 1])
    with pytest.raises(C2MError, match="positive"):
        cloud_to_mesh(np.zeros((1, 3)), v, f, max_distance=0.0)
