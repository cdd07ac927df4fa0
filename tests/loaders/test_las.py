"""LAS/LAZ loader: corpus files against laspy, generated files with a known CRS."""
from __future__ import annotations

import numpy as np
import pytest

import loaders
from loaders import LoadCancelled, PointCloudData
from tests.loaders.builders import make_las
from tests.loaders.conftest import CORPUS, corpus_path

LASPY_FILES = sorted(p.name for p in (CORPUS / "pointcloud" / "laspy").glob("*.la[sz]")) if CORPUS.is_dir() else ["(corpus absent)"]


@pytest.fixture(scope="module")
def autzen() -> PointCloudData:
    [layer] = loaders.load(corpus_path("pointcloud/pdal/autzen_trim.las"))
    return layer


def test_autzen_matches_laspy(autzen: PointCloudData) -> None:
    import laspy

    las = laspy.read(corpus_path("pointcloud/pdal/autzen_trim.las"))
    assert autzen.kind == "pointcloud" and autzen.format == "LAS 1.2"
    assert autzen.counts() == {"points": 110000}
    assert autzen.positions.dtype == np.float64
    np.testing.assert_allclose(autzen.positions, np.c_[las.x, las.y, las.z])
    assert autzen.colors is not None and autzen.colors.dtype == np.uint8 and autzen.colors.shape == (110000, 3)
    expected = np.c_[las.red, las.green, las.blue]
    expected = expected >> 8 if expected.max() > 255 else expected
    np.testing.assert_array_equal(autzen.colors, expected)
    for name in ("intensity", "classification", "return_number", "number_of_returns", "gps_time", "point_source_id"):
        assert len(autzen.attributes[name]) == 110000, name
    np.testing.assert_array_equal(autzen.attributes["classification"], las.classification)


def test_autzen_crs_and_metadata(autzen: PointCloudData) -> None:
    import pyproj

    assert autzen.georef.kind == "crs"
    crs = pyproj.CRS.from_wkt(autzen.georef.crs)
    assert "Lambert" in crs.name or "Lambert" in autzen.georef.crs
    assert "foot" in crs.axis_info[0].unit_name.lower()
    md = autzen.metadata
    assert md["point_format"] == 3 and md["version"] == "1.2" and len(md["scale"]) == 3 and len(md["offset"]) == 3
    lo, hi = np.array(md["header_bounds"])
    assert np.all(autzen.positions.min(0) >= lo - 0.01) and np.all(autzen.positions.max(0) <= hi + 0.01)


@pytest.mark.parametrize("name", LASPY_FILES)
def test_laspy_corpus_loads_with_header_count(name: str) -> None:
    import laspy

    path = corpus_path(f"pointcloud/laspy/{name}")
    with laspy.open(path) as reader:
        count = reader.header.point_count
    [layer] = loaders.load(path)
    assert len(layer.positions) == count
    assert layer.format.startswith("LAZ" if name.endswith(".laz") else "LAS")
    assert layer.format.endswith("COPC") == name.endswith(".copc.laz")
    assert np.all(np.isfinite(layer.positions))


def test_generated_las_with_crs(tmp_path) -> None:
    path = tmp_path / "small.las"
    xyz = make_las(path, 500)
    seen = []
    [layer] = loaders.load(path, progress=lambda f, m: seen.append(f))
    np.testing.assert_allclose(layer.positions, xyz)
    assert layer.georef.kind == "crs" and layer.georef.crs_label() == "EPSG:4547"
    assert layer.colors.max() > 200 and layer.colors.dtype == np.uint8  # 16-bit scaled down
    assert seen and seen[-1] == 1.0
    assert not layer.warnings


def test_8bit_colors_are_kept(tmp_path) -> None:
    path = tmp_path / "c8.las"
    make_las(path, 50, rgb16=False)
    [layer] = loaders.load(path)
    import laspy

    las = laspy.read(path)
    np.testing.assert_array_equal(layer.colors[:, 0], las.red)


def test_no_crs_warns(tmp_path) -> None:
    path = tmp_path / "nocrs.las"
    make_las(path, 20, epsg=None)
    [layer] = loaders.load(path)
    assert layer.georef.kind == "none"
    assert any("no CRS" in w for w in layer.warnings)


def test_garbage_crs_warns(tmp_path) -> None:
    path = tmp_path / "badcrs.las"
    make_las(path, 20, epsg=None, wkt="THIS IS NOT WKT[[[")
    [layer] = loaders.load(path)
    assert layer.georef.kind == "none" and len(layer.positions) == 20
    assert layer.warnings and "unreadable" in layer.warnings[0]


def test_zero_points(tmp_path) -> None:
    path = tmp_path / "empty.las"
    make_las(path, 0)
    [layer] = loaders.load(path)
    assert layer.counts() == {"points": 0}
    assert any("no points" in w for w in layer.warnings)


def test_cancel(tmp_path) -> None:
    path = tmp_path / "c.las"
    make_las(path, 100)
    with pytest.raises(LoadCancelled):
        loaders.load(path, cancel=lambda: True)


def _laz(path, n: int, fmt: int = 3, seed: int = 1) -> "object":
    """A seeded LAZ of `n` points (laspy writes 50,000-point chunks); returns the LasData."""
    import laspy

    rng = np.random.default_rng(seed)
    header = laspy.LasHeader(point_format=fmt, version="1.4" if fmt >= 6 else "1.2")
    header.scales = [0.01, 0.01, 0.01]
    las = laspy.LasData(header)
    las.x, las.y, las.z = rng.uniform(0, 100, n), rng.uniform(0, 100, n), rng.uniform(0, 10, n)
    las.intensity = rng.integers(0, 60000, n, dtype=np.uint16)
    las.classification = rng.integers(0, 20, n, dtype=np.uint8)
    las.return_number = rng.integers(1, 4, n, dtype=np.uint8)
    las.number_of_returns = np.full(n, 4, np.uint8)
    las.write(str(path))
    return las


def _chunk_table(data: bytes) -> int:
    import struct

    offset = struct.unpack_from("<I", data, 96)[0]
    return struct.unpack_from("<q", data, offset)[0]


@pytest.mark.parametrize("fmt", [3, 7])
def test_multi_chunk_laz_decodes_in_parallel_like_laspy(tmp_path, fmt: int) -> None:
    import laspy

    from loaders.las import _laz_plan

    path = tmp_path / "three_chunks.laz"
    las = _laz(path, 120_000, fmt)
    with laspy.open(path) as reader:
        plan = _laz_plan(str(path), reader.header, path.stat().st_size)
    assert plan is not None and [c.count for c in plan] == [50_000, 50_000, 20_000]  # the parallel path
    [layer] = loaders.load(path)
    np.testing.assert_allclose(layer.positions, np.c_[las.x, las.y, las.z])
    for name in ("intensity", "classification", "return_number", "number_of_returns"):
        np.testing.assert_array_equal(layer.attributes[name], np.asarray(las[name]), err_msg=name)


def test_inconsistent_chunk_table_falls_back_to_sequential(tmp_path) -> None:
    import struct

    src = tmp_path / "ok.laz"
    las = _laz(src, 120_000)
    data = bytearray(src.read_bytes())
    struct.pack_into("<I", data, _chunk_table(data) + 4, 1)  # the table now claims one chunk for 120k points
    bad = tmp_path / "one_chunk_claimed.laz"
    bad.write_bytes(bytes(data))
    [layer] = loaders.load(bad)
    np.testing.assert_allclose(layer.positions, np.c_[las.x, las.y, las.z])


def test_extra_bytes_become_attributes() -> None:
    import laspy

    path = corpus_path("pointcloud/laspy/extrabytes.las")
    las = laspy.read(path)
    [layer] = loaders.load(path)
    assert set(las.point_format.extra_dimension_names) <= set(layer.attributes)
    np.testing.assert_array_equal(layer.attributes["Time"], las["Time"])
    assert layer.attributes["Colors"].shape == (len(las.points), 3)


_MUTATE_LAZ = r"""
import resource, struct, sys, time
import numpy as np
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))  # a runaway allocation aborts the process
import loaders
from loaders import LoadError
rng = np.random.default_rng(int(sys.argv[1]))
start = time.perf_counter()
for i, src in enumerate(sys.argv[2:] * 30):
    data = bytearray(open(src, "rb").read())
    offset = struct.unpack_from("<I", data, 96)[0]
    table = struct.unpack_from("<q", data, offset)[0]
    lo, hi = [(table + 8, len(data)), (offset + 8, offset + 80), (max(offset + 8, table - 2000), len(data))][i % 3]
    for pos in rng.integers(lo, hi, int(rng.integers(1, 5))):
        data[pos] = int(rng.integers(0, 256))
    path = src + f".m{i}.laz"
    open(path, "wb").write(bytes(data))
    try:
        loaders.load(path)
    except LoadError:
        pass
print(f"ok {time.perf_counter() - start:.1f}")
"""


def test_mutated_laz_chunks_never_allocate_or_hang(tmp_path) -> None:
    """Seeded flips in chunk tables and chunk heads (1.2 and layered 1.4 formats), under a 3 GiB
    address-space cap: parallel decoding of a corrupt table once tried to allocate tens of GB."""
    import subprocess
    import sys
    from pathlib import Path

    srcs = []
    for fmt in (3, 7):
        _laz(tmp_path / f"f{fmt}.laz", 60_000, fmt)
        srcs.append(str(tmp_path / f"f{fmt}.laz"))
    repo = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", _MUTATE_LAZ, "1", *srcs], capture_output=True, text=True,
                            timeout=120, cwd=repo)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("ok")


def test_garbage_in_crs_records_never_fails_the_load(tmp_path) -> None:
    """Seeded flips inside GeoTIFF and WKT CRS records: the cloud always loads and enters the
    scene, referenced or with a warning."""
    import struct

    import laspy
    import pyproj

    from app.model.scene import Scene

    rng = np.random.default_rng(11)
    geotiff = tmp_path / "geotiff.las"
    make_las(geotiff, 50)
    header = laspy.LasHeader(point_format=6, version="1.4")
    header.add_crs(pyproj.CRS.from_epsg(32650))
    las = laspy.LasData(header)
    las.x, las.y, las.z = rng.uniform(5e5, 5.001e5, 50), rng.uniform(3e6, 3.0001e6, 50), rng.uniform(0, 9, 50)
    wkt = tmp_path / "wkt.las"
    las.write(str(wkt))
    for src in (geotiff, wkt):
        data = src.read_bytes()
        header_size, _, n_vlrs = struct.unpack_from("<HII", data, 94)
        spans, pos = [], header_size
        for _ in range(n_vlrs):
            length = struct.unpack_from("<H", data, pos + 20)[0]
            spans.append((pos + 54, length))
            pos += 54 + length
        for i in range(30):
            start, length = spans[i % len(spans)]
            buf = bytearray(data)
            for p in rng.integers(start, start + length, int(rng.integers(1, 12))):
                buf[p] = int(rng.integers(0, 256))
            path = tmp_path / f"m{i}.las"
            path.write_bytes(bytes(buf))
            [layer] = loaders.load(path)
            assert len(layer.positions) == 50
            assert layer.georef.kind == "crs" or layer.warnings
            [scene_layer] = Scene().make_layers(layer)
            assert np.isfinite(scene_layer.positions).all()


def test_colours_that_turn_16_bit_late_are_all_scaled() -> None:
    """The 8/16-bit colour decision is made on the first records; later 16-bit values switch
    the whole cloud to 16-bit scaling, as a whole-file maximum would."""
    import laspy

    from loaders._lasdata import PointSink

    header = laspy.LasHeader(point_format=3, version="1.2")
    records = np.zeros(20, header.point_format.dtype())
    records["red"][:10], records["red"][10:] = 200, 60000
    sink = PointSink(header, 20)
    sink.add(records[:10])
    sink.add(records[10:])
    np.testing.assert_array_equal(sink.colors()[:, 0], [200 >> 8] * 10 + [60000 >> 8] * 10)


@pytest.mark.parametrize("field,value", [(131, 0.0), (131, float("nan")), (139, float("inf")), (155, float("nan")),
                                         (163, 1e300)])
def test_corrupt_scale_or_offset_is_a_clean_error(tmp_path, field: int, value: float) -> None:
    """Header bytes 131-154 hold the x/y/z scales, 155-178 the offsets."""
    import struct

    src = tmp_path / "ok.las"
    make_las(src, 50)
    data = bytearray(src.read_bytes())
    struct.pack_into("<d", data, field, value)
    bad = tmp_path / "bad.las"
    bad.write_bytes(bytes(data))
    with pytest.raises(loaders.LoadError, match="corrupt header: coordinate"):
        loaders.load(bad)


@pytest.mark.parametrize("fmt", range(11))
@pytest.mark.parametrize("ext", ["las", "laz"])
def test_every_point_format_round_trips(tmp_path, fmt: int, ext: str) -> None:
    import laspy

    rng = np.random.default_rng(fmt)
    header = laspy.LasHeader(point_format=fmt, version="1.2" if fmt <= 3 else "1.4")
    header.scales = [0.001, 0.001, 0.001]
    header.add_extra_dim(laspy.ExtraBytesParams(name="height", type=np.float32))
    las = laspy.LasData(header)
    n = 300
    las.x, las.y, las.z = rng.uniform(0, 50, n), rng.uniform(0, 50, n), rng.uniform(0, 5, n)
    las.classification = rng.integers(0, 20, n, dtype=np.uint8)
    las.height = rng.uniform(0, 9, n).astype(np.float32)
    path = tmp_path / f"f{fmt}.{ext}"
    las.write(str(path))
    [layer] = loaders.load(path)
    assert layer.metadata["point_format"] == fmt and layer.format.startswith(ext.upper())
    np.testing.assert_allclose(layer.positions, np.c_[las.x, las.y, las.z])
    np.testing.assert_array_equal(layer.attributes["classification"], las.classification)
    np.testing.assert_array_equal(layer.attributes["height"], las.height)
    assert (layer.colors is not None) == ("red" in las.point_format.dimension_names)
