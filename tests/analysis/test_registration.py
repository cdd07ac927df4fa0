"""ICP refinement: a simulated scan moved 2 deg / 0.3 m off its design is brought back to < 1 cm,
near the origin and 3000 km from it, with small_gicp and with the scipy fallback; bad input is a
clear C2MError."""
from __future__ import annotations

import numpy as np
import pytest

from app.analysis.c2m import C2MError
from app.analysis.registration import register, sample_mesh
from loaders.base import LoadCancelled
from tests import scan_sim

CENTRE = np.array([5.0, 4.0, 1.0])


def _offset(points: np.ndarray, deg: float = 2.0, shift=(0.3, -0.1, 0.05)) -> np.ndarray:
    a = np.radians(deg)
    r = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    return (points - CENTRE) @ r.T + CENTRE + np.asarray(shift)


@pytest.fixture(scope="module")
def site():
    mesh = scan_sim.mesh_from_boxes(scan_sim.simple_site())
    scan = scan_sim.simulate_scan(mesh, [(2.0, 2.0, 1.5), (8.0, 6.0, 1.5)], target_points=40_000, sigma=0.003, seed=1)
    return mesh, scan


def _error(result, moved: np.ndarray, truth: np.ndarray, origin: np.ndarray) -> float:
    back = (moved + origin) @ result.transform[:3, :3].T + result.transform[:3, 3] - origin
    return float(np.linalg.norm(back - truth, axis=1).max())


@pytest.mark.parametrize("origin", [(0.0, 0.0, 0.0), (500_000.0, 3_000_000.0, 50.0)])
def test_recovers_a_known_offset_against_the_design(site, origin) -> None:
    mesh, scan = site
    o = np.asarray(origin)
    moved = _offset(scan.points)
    r = register(moved + o, reference_mesh=(mesh.vertices + o, mesh.triangles), max_points=60_000)
    assert r.method == "small_gicp GICP" and r.converged
    assert _error(r, moved, scan.points, o) < 0.01          # every point back within 1 cm
    assert r.rms_before > 0.05 and r.rms_after < 0.005      # 3 mm noise
    assert r.correspondences > 0.9 * len(scan)
    assert r.transform.dtype == np.float64 and r.transform.shape == (4, 4)
    np.testing.assert_allclose(r.transform[:3, :3] @ r.transform[:3, :3].T, np.eye(3), atol=1e-9)


def test_scipy_fallback_recovers_the_offset_too(site) -> None:
    mesh, scan = site
    clutter = np.random.default_rng(4).uniform([0, 0, 0], [10, 8, 3], (300, 3))   # people, dust
    moved = _offset(np.vstack([scan.points, clutter]))
    r = register(moved, reference_mesh=(mesh.vertices, mesh.triangles), method="scipy", max_points=30_000)
    assert r.method == "scipy point-to-plane"
    assert _error(r, moved[: len(scan)], scan.points, np.zeros(3)) < 0.01


def test_fallback_when_small_gicp_fails(site, monkeypatch) -> None:
    import app.analysis.registration as reg

    def broken(*_a, **_k):
        raise RuntimeError("library missing")

    monkeypatch.setattr(reg, "_small_gicp", broken)
    mesh, scan = site
    moved = _offset(scan.points)
    r = register(moved, reference_mesh=(mesh.vertices, mesh.triangles), max_points=20_000)
    assert r.method == "scipy point-to-plane" and "library missing" in r.warnings[0]
    assert _error(r, moved, scan.points, np.zeros(3)) < 0.01


def test_cloud_to_cloud(site) -> None:
    mesh, scan = site
    reference = sample_mesh(mesh.vertices, mesh.triangles, 80_000, seed=3)
    moved = _offset(scan.points, deg=-1.5, shift=(-0.2, 0.15, 0.0))
    r = register(moved, reference_points=reference, max_points=60_000)
    assert _error(r, moved, scan.points, np.zeros(3)) < 0.01
    assert r.rms_after < r.rms_before / 5


def test_bad_input(site) -> None:
    mesh, scan = site
    ref = (mesh.vertices, mesh.triangles)
    with pytest.raises(C2MError, match="at least"):
        register(scan.points[:10], reference_mesh=ref)
    bad = scan.points.copy()
    bad[5] = np.nan
    with pytest.raises(C2MError, match="NaN"):
        register(bad, reference_mesh=ref)
    with pytest.raises(C2MError, match="do not overlap"):
        register(scan.points + [200.0, 0, 0], reference_mesh=ref)
    with pytest.raises(C2MError, match="reference"):
        register(scan.points)
    with pytest.raises(C2MError, match="triangles"):
        register(scan.points, reference_mesh=(mesh.vertices, np.zeros((0, 3), np.int64)))
    with pytest.raises(LoadCancelled):
        register(scan.points, reference_mesh=ref, cancel=lambda: True)


def test_reference_is_cropped_to_the_scan(site) -> None:
    """A campus model: the site plus a 1 km square plaza 2 km away. Sampled whole, the plaza would
    take nearly every reference sample; cropped to the scan's reach, the site keeps them all."""
    mesh, scan = site
    plaza_v = np.array([[2000.0, 0, 0], [3000.0, 0, 0], [3000.0, 1000.0, 0], [2000.0, 1000.0, 0]])
    v = np.vstack([mesh.vertices, plaza_v])
    f = np.vstack([mesh.triangles, np.array([[0, 1, 2], [0, 2, 3]]) + len(mesh.vertices)])
    moved = _offset(scan.points)
    r = register(moved, reference_mesh=(v, f), max_points=20_000)
    assert _error(r, moved, scan.points, np.zeros(3)) < 0.01
    cloud = np.vstack([sample_mesh(mesh.vertices, mesh.triangles, 30_000, seed=2),
                       sample_mesh(plaza_v, np.array([[0, 1, 2], [0, 2, 3]]), 200_000, seed=3)])
    r = register(moved, reference_points=cloud, max_points=30_000)
    assert _error(r, moved, scan.points, np.zeros(3)) < 0.01
