"""E57 scans via pye57: seeded files written with pye57 itself, read back with poses, colours,
intensity, several scans, invalid points; truncated and corrupted files give a clean error."""
from __future__ import annotations

import numpy as np
import pytest

import loaders
from loaders import LoadError
from tests.fixtures import mutated_copies

pye57 = pytest.importorskip("pye57")


def _scan(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    xyz = rng.uniform(-10, 10, (n, 3))
    return {"cartesianX": xyz[:, 0], "cartesianY": xyz[:, 1], "cartesianZ": xyz[:, 2],
            "intensity": rng.uniform(0, 1, n).astype(np.float32),
            "colorRed": rng.integers(0, 256, n).astype(np.uint8), "colorGreen": rng.integers(0, 256, n).astype(np.uint8),
            "colorBlue": rng.integers(0, 256, n).astype(np.uint8)}


@pytest.fixture
def two_scans(tmp_path):
    """Scan 0 (3000 points) rotated 45 degrees about z and moved; scan 1 (500 points) in place."""
    rng = np.random.default_rng(4)
    path = tmp_path / "site.e57"
    scans = [_scan(rng, 3000), _scan(rng, 500)]
    e57 = pye57.E57(str(path), mode="w")
    e57.write_scan_raw(scans[0], rotation=np.array([np.cos(np.pi / 8), 0, 0, np.sin(np.pi / 8)]),
                       translation=np.array([100.0, 200.0, 5.0]))
    e57.write_scan_raw(scans[1])
    e57.close()
    return path, scans


def _xyz(scan) -> np.ndarray:
    return np.c_[scan["cartesianX"], scan["cartesianY"], scan["cartesianZ"]]


def test_scans_are_placed_by_their_pose(two_scans) -> None:
    path, scans = two_scans
    [cloud] = loaders.load(path)
    assert cloud.format == "E57" and cloud.counts() == {"points": 3500} and cloud.metadata["scans"] == 2
    c, s = np.cos(np.pi / 4), np.sin(np.pi / 4)
    rot = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])
    expected0 = _xyz(scans[0]) @ rot.T + [100.0, 200.0, 5.0]
    np.testing.assert_allclose(cloud.positions[:3000], expected0, atol=1e-4)  # pye57 stores float32
    np.testing.assert_allclose(cloud.positions[3000:], _xyz(scans[1]), atol=1e-5)
    assert cloud.attributes["scan"].tolist() == [0] * 3000 + [1] * 500


def test_colours_and_intensity(two_scans) -> None:
    path, scans = two_scans
    [cloud] = loaders.load(path)
    rgb = np.concatenate([np.c_[s["colorRed"], s["colorGreen"], s["colorBlue"]] for s in scans])
    np.testing.assert_array_equal(cloud.colors, rgb)
    np.testing.assert_allclose(cloud.attributes["intensity"], np.concatenate([s["intensity"] for s in scans]), atol=1e-6)
    assert any("no CRS" in w for w in cloud.warnings)


def test_invalid_points_are_left_out(tmp_path) -> None:
    rng = np.random.default_rng(8)
    scan = _scan(rng, 400)
    scan["cartesianInvalidState"] = (np.arange(400) % 4 == 0).astype(np.int8)  # every 4th point: no return
    path = tmp_path / "holes.e57"
    e57 = pye57.E57(str(path), mode="w")
    e57.write_scan_raw(scan)
    e57.close()
    [cloud] = loaders.load(path)
    keep = scan["cartesianInvalidState"] == 0
    np.testing.assert_allclose(cloud.positions, _xyz(scan)[keep], atol=1e-5)


def test_into_the_scene(two_scans) -> None:
    from app.model.scene import Scene

    [cloud] = loaders.load(two_scans[0])
    [layer] = Scene().make_layers(cloud)
    assert layer.counts() == {"points": 3500} and layer.color_mode == "rgb"


def test_truncated_and_corrupted_files_are_clean_errors(two_scans, tmp_path) -> None:
    data = two_scans[0].read_bytes()
    (tmp_path / "cut.e57").write_bytes(data[: len(data) // 2])
    with pytest.raises(LoadError, match="truncated"):
        loaders.load(tmp_path / "cut.e57")
    # libE57 checks every page's CRC: flips are refused, never a crash
    for path in mutated_copies(data, tmp_path, ".e57", seed=2, count=20, skip=48, max_flips=6):
        try:
            loaders.load(path)
        except LoadError as exc:
            assert exc.reason
