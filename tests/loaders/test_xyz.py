"""ASCII point clouds: layout sniffing, colours/attributes, sidecar CRS, bad lines and bad files."""
from __future__ import annotations

import time

import numpy as np
import pytest

import loaders
from loaders import LoadCancelled, LoadError, PointCloudData


def _write(path, rows, fmt: str, sep: str = " ", head: str = "") -> None:
    with open(path, "w", newline="") as fh:
        fh.write(head)
        for r in rows:
            fh.write(sep.join(fmt.split()).format(*r) + "\n")


def _load(path, **kw) -> PointCloudData:
    [layer] = loaders.load(path, **kw)
    assert isinstance(layer, PointCloudData) and layer.kind == "pointcloud"
    return layer


def _cloud(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    return np.round(rng.uniform(-500, 500, (n, 3)), 3), rng.integers(0, 256, (n, 3))


def test_whitespace_xyz(tmp_path, rng) -> None:
    xyz, _ = _cloud(rng, 200)
    path = tmp_path / "a.xyz"
    path.write_text("\n".join(f"{a:.3f}\t {b:.3f}  {c:.3f}" for a, b, c in xyz) + "\n")
    layer = _load(path)
    np.testing.assert_allclose(layer.positions, xyz)
    assert layer.positions.dtype == np.float64 and layer.colors is None and not layer.attributes
    assert layer.format == "XYZ" and layer.metadata["delimiter"] in ("whitespace", "tab")
    assert layer.georef.kind == "none" and "no CRS in file; placed at the scene origin" in layer.warnings


def test_csv_with_header(tmp_path, rng) -> None:
    xyz, rgb = _cloud(rng, 300)
    inten, cls = rng.integers(0, 4000, 300), rng.integers(0, 20, 300)
    path = tmp_path / "b.csv"
    rows = [(*p, *c, i, k) for p, c, i, k in zip(xyz, rgb, inten, cls)]
    _write(path, rows, "{:.3f} {:.3f} {:.3f} {} {} {} {} {}", sep=",", head="x,y,z,r,g,b,intensity,classification\r\n")
    layer = _load(path)
    assert layer.format == "CSV" and layer.metadata["delimiter"] == "comma" and layer.metadata["header"]
    np.testing.assert_allclose(layer.positions, xyz)
    np.testing.assert_array_equal(layer.colors, rgb)
    assert layer.colors.dtype == np.uint8
    assert layer.attributes["intensity"].dtype == np.uint16 and layer.attributes["classification"].dtype == np.uint8
    np.testing.assert_array_equal(layer.attributes["intensity"], inten)
    np.testing.assert_array_equal(layer.attributes["classification"], cls)


def test_header_reorders_and_names_extras(tmp_path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("//Easting,Northing,Elevation,Scalar field,Nx,Ny,Nz,Red,Green,Blue\n"
                    "10,20,30,0.5,0,0,1,255,0,0\n11,21,31,0.25,1,0,0,0,255,0\n")
    layer = _load(path)
    np.testing.assert_allclose(layer.positions, [[10, 20, 30], [11, 21, 31]])
    np.testing.assert_array_equal(layer.colors, [[255, 0, 0], [0, 255, 0]])
    assert set(layer.attributes) == {"scalar_field", "nx", "ny", "nz"}
    assert layer.attributes["nx"].dtype == np.float32 and layer.attributes["scalar_field"][1] == 0.25


def test_semicolon_with_comments_and_decimal_comma(tmp_path) -> None:
    path = tmp_path / "d.txt"
    path.write_text("# exported by a scanner\n// units: m\n1.5;2.5;3.5\n# mid comment\n4;5;6\n")
    layer = _load(path)
    np.testing.assert_allclose(layer.positions, [[1.5, 2.5, 3.5], [4, 5, 6]])
    assert layer.metadata["delimiter"] == "semicolon" and not layer.warnings[1:]
    (tmp_path / "e.csv").write_text("X;Y;Z\n1,5;2,25;3\n4;5;6,75\n")
    np.testing.assert_allclose(_load(tmp_path / "e.csv").positions, [[1.5, 2.25, 3], [4, 5, 6.75]])


def test_pts_count_line_irgb(tmp_path, rng) -> None:
    xyz, rgb = _cloud(rng, 100)
    inten = rng.integers(-2048, 2047, 100)
    path = tmp_path / "f.pts"
    rows = [(*p, i, *c) for p, i, c in zip(xyz, inten, rgb)]
    _write(path, rows[:60], "{:.3f} {:.3f} {:.3f} {} {} {} {}", head="60\n")
    with open(path, "a") as fh:  # a second scan with its own count line
        fh.write("40\n")
    _write(tmp_path / "tail", rows[60:], "{:.3f} {:.3f} {:.3f} {} {} {} {}")
    path.write_text(path.read_text() + (tmp_path / "tail").read_text())
    layer = _load(path)
    assert layer.format == "PTS" and layer.metadata["declared_count"] == 60 and len(layer.warnings) == 1
    np.testing.assert_allclose(layer.positions, xyz)
    np.testing.assert_array_equal(layer.colors, rgb)
    np.testing.assert_array_equal(layer.attributes["intensity"], inten)  # negative: kept as float32
    assert layer.attributes["intensity"].dtype == np.float32


def test_16bit_colours_and_extra_intensity(tmp_path, rng) -> None:
    xyz, _ = _cloud(rng, 50)
    rgb16 = rng.integers(0, 65536, (50, 3))
    path = tmp_path / "g.xyz"
    _write(path, [(*p, *c) for p, c in zip(xyz, rgb16)], "{:.3f} {:.3f} {:.3f} {} {} {}")
    layer = _load(path)
    np.testing.assert_array_equal(layer.colors, rgb16 >> 8)
    assert layer.metadata["color_depth"] == 16
    _write(tmp_path / "h.xyz", [(*p, 7) for p in xyz], "{:.3f} {:.3f} {:.3f} {}")
    assert _load(tmp_path / "h.xyz").attributes["intensity"].tolist() == [7] * 50


@pytest.mark.parametrize("sidecar,text", [("k.prj", None), ("k.xyz.crs.txt", "crs: EPSG:4547\n")])
def test_sidecar_crs(tmp_path, sidecar: str, text: str | None) -> None:
    import pyproj

    path = tmp_path / "k.xyz"
    path.write_text("500000.5 3400000.25 12\n500001 3400001 13\n")
    (tmp_path / sidecar).write_text(text or pyproj.CRS.from_epsg(4547).to_wkt())
    layer = _load(path)
    np.testing.assert_allclose(layer.positions, [[500000.5, 3400000.25, 12], [500001, 3400001, 13]])
    assert layer.georef.kind == "crs" and layer.georef.crs_label() == "EPSG:4547" and not layer.warnings


def test_bad_sidecar_warns(tmp_path) -> None:
    (tmp_path / "m.xyz").write_text("1 2 3\n")
    (tmp_path / "m.prj").write_text("NOT WKT[[[")
    layer = _load(tmp_path / "m.xyz")
    assert layer.georef.kind == "none" and "unreadable" in layer.warnings[0]


def test_ragged_lines_skipped(tmp_path, rng) -> None:
    xyz, _ = _cloud(rng, 5000)
    lines = [f"{a} {b} {c}" for a, b, c in xyz]
    for i in (10, 2000, 4000):
        lines[i] = "1 2"
    lines[3000] = "1 2 3 4"
    lines[3500] = "a b c"
    (tmp_path / "r.xyz").write_text("\n".join(lines) + "\n")
    layer = _load(tmp_path / "r.xyz")
    keep = np.ones(5000, bool)
    keep[[10, 2000, 4000, 3000, 3500]] = False
    np.testing.assert_allclose(layer.positions, xyz[keep])
    assert any("skipped 5 malformed line" in w for w in layer.warnings)


def test_nan_rows_dropped(tmp_path) -> None:
    (tmp_path / "n.xyz").write_text("1 2 3\nnan 2 3\n4 inf 6\n7 8 9\n")
    layer = _load(tmp_path / "n.xyz")
    np.testing.assert_allclose(layer.positions, [[1, 2, 3], [7, 8, 9]])
    assert any("dropped 2 row" in w for w in layer.warnings)
    (tmp_path / "all.xyz").write_text("nan 2 3\n4 inf 6\n")
    with pytest.raises(LoadError, match="NaN"):
        loaders.load(tmp_path / "all.xyz")


@pytest.mark.parametrize("name,content,reason", [
    ("empty.xyz", b"", "empty"),
    ("blank.xyz", b"\n \n", "empty"),
    ("bin.xyz", bytes(np.random.default_rng(3).integers(0, 256, 4096, dtype=np.uint8)), "binary"),
    ("two.csv", b"x,y\n1,2\n3,4\n", "numeric column"),
    ("words.txt", b"Hello,\nthis is a readme, not points.\n", "not an ASCII point cloud"),
    ("tasks.csv", b"id,task,start,cost\n1,dig,2024-01-02,10\n2,pour,2024-02-03,20\n", "not an ASCII point cloud"),
    ("many.pts", b"3000000000\n1 2 3\n", "refused"),
    ("header_only.csv", b"x,y,z\n", "not an ASCII point cloud"),
    ("grid.asc", b"ncols 2\nnrows 2\nxllcorner 0\nyllcorner 0\ncellsize 1\n1 2\n3 4\n", "raster"),
    ("huge.xyz", b"1 2 3\n" + b"4" * 200_000, "longer than"),
    ("hugefirst.xyz", b"1 " * 100_000 + b"\n", "longer than"),
])
def test_bad_inputs(tmp_path, name: str, content: bytes, reason: str) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(LoadError) as info:
        loaders.load(tmp_path / name)
    assert reason in info.value.reason and not info.value.reason.startswith("ASCII points:"), info.value.reason


def test_huge_line_mid_file(tmp_path, monkeypatch) -> None:
    import loaders.xyz as xyz

    monkeypatch.setattr(xyz, "BLOCK", 1024)
    path = tmp_path / "mid.xyz"
    path.write_bytes(b"1 2 3\n" * 500 + b"9" * (3 * xyz.MAX_LINE) + b"\n1 2 3\n")
    with pytest.raises(LoadError, match="longer than"):
        loaders.load(path)


def test_progress_and_cancel(tmp_path, rng, monkeypatch) -> None:
    import loaders.xyz as xyz

    monkeypatch.setattr(xyz, "BLOCK", 4096)
    pts, _ = _cloud(rng, 3000)
    path = tmp_path / "p.xyz"
    _write(path, pts, "{:.3f} {:.3f} {:.3f}")
    seen: list[float] = []
    layer = _load(path, progress=lambda f, m: seen.append(f))
    np.testing.assert_allclose(layer.positions, pts)  # block boundaries split no line
    assert len(seen) > 5 and seen == sorted(seen) and seen[-1] == 1.0
    calls = iter([False, False, True])
    with pytest.raises(LoadCancelled):
        loaders.load(path, cancel=lambda: next(calls))


def test_routing(tmp_path) -> None:
    from loaders.registry import find_loader

    for ext in (".xyz", ".txt", ".csv", ".pts", ".asc"):
        (tmp_path / f"r{ext}").write_text("1 2 3\n")
        assert find_loader(tmp_path / f"r{ext}").name == "ASCII points"
        assert loaders.load(tmp_path / f"r{ext}")[0].metadata["loader"] == "ASCII points"


def test_throughput_1m_xyzrgb(tmp_path, rng) -> None:
    n = 1_000_000
    xyz, rgb = _cloud(rng, n)
    path = tmp_path / "big.xyz"
    text = [f"{a:.3f} {b:.3f} {c:.3f} " for a, b, c in xyz[:1000]]
    with open(path, "w") as fh:  # 1000 distinct coordinate rows repeated: fast to write, same parse cost
        for k in range(n // 1000):
            fh.write("".join(f"{t}{r} {g} {b}\n" for t, (r, g, b) in zip(text, rgb[k * 1000:(k + 1) * 1000])))
    t0 = time.perf_counter()
    layer = _load(path)
    dt = time.perf_counter() - t0
    print(f"\nxyz rgb: {n / dt / 1e6:.2f} M points/s ({path.stat().st_size / dt / 1e6:.0f} MB/s)")
    assert len(layer.positions) == n and layer.colors is not None
    np.testing.assert_allclose(layer.positions[:1000], xyz[:1000])
    np.testing.assert_array_equal(layer.colors, rgb.astype(np.uint8))
    assert n / dt > 200_000  # gross floor only; the figure is printed
