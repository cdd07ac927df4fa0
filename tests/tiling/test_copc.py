"""`tile` to COPC: real LAZ 1.4 read back by laspy (whole file) and CopcReader (queries)."""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from app.tiling import tile
from tests.tiling.helpers import make_cloud, quantised

SMALL = dict(workers=2, processes=False, chunk_points=4_000, max_cell_points=12_000, max_leaf=1_500)


@pytest.fixture(scope="module")
def copc(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, np.ndarray]:
    d = tmp_path_factory.mktemp("copc")
    src = d / "site.laz"
    xyz = make_cloud(src, 40_000, point_format=3)
    out = d / "site.copc.laz"
    result = tile([str(src)], str(out), **SMALL)
    assert result.points == 40_000 and result.cells > 1
    return src, out, xyz


def test_copc_round_trip_keeps_every_point(copc) -> None:
    import laspy

    src, out, xyz = copc
    back = laspy.read(str(out))
    orig = laspy.read(str(src))
    assert back.header.version.major == 1 and back.header.version.minor == 4
    assert back.header.point_format.id == 7 and len(back.points) == 40_000
    assert np.array_equal(quantised(np.c_[back.x, back.y, back.z]), quantised(xyz))
    for name in ("classification", "intensity", "return_number", "number_of_returns", "red"):
        assert np.array_equal(np.sort(np.asarray(back[name])), np.sort(np.asarray(orig[name]))), name
    assert np.allclose(back.header.mins, xyz.min(axis=0), atol=0.01)
    assert np.allclose(back.header.maxs, xyz.max(axis=0), atol=0.01)
    assert back.header.parse_crs().to_epsg() == 32633


def test_copc_layout_is_real_copc(copc) -> None:
    """copc info VLR first, a variable-chunk LAZ VLR, the hierarchy EVLR; chunks of many sizes."""
    from laspy import CopcReader

    _, out, _ = copc
    raw = out.read_bytes()
    assert raw[:4] == b"LASF" and raw[24:26] == bytes([1, 4]) and raw[104] & 0x3F == 7 and raw[104] & 0x80
    first_vlr_user = raw[375 + 2:375 + 18].rstrip(b"\0")
    assert first_vlr_user == b"copc" and struct.unpack_from("<H", raw, 375 + 18)[0] == 1
    with CopcReader.open(str(out)) as reader:
        assert reader.laszip_vlr.record_data[12:16] == b"\xff\xff\xff\xff"  # chunk size: variable
        entries = list(reader.root_page.entries.values())
        counts = [e.point_count for e in entries if e.point_count > 0]
        assert sum(counts) == 40_000
        assert len(set(counts)) > 3 and max(e.key.level for e in entries) >= 2
        evlr_at = reader.header.start_of_first_evlr
        assert reader.copc_info.hierarchy_root_offset == evlr_at + 60
        assert raw[evlr_at + 2:evlr_at + 18].rstrip(b"\0") == b"copc"


def test_copc_queries_by_bounds_and_resolution(copc) -> None:
    from laspy import CopcReader
    from laspy.copc import Bounds

    _, out, xyz = copc
    with CopcReader.open(str(out)) as reader:
        assert len(reader.query()) == 40_000
        scale, offset = reader.header.scales, reader.header.offsets
        q = np.round((xyz - offset) / scale).astype(np.int64)
        rng = np.random.default_rng(5)
        lo_all, hi_all = xyz.min(axis=0), xyz.max(axis=0)
        for _ in range(4):
            lo = lo_all + (hi_all - lo_all) * rng.uniform(0.0, 0.6, 3)
            hi = lo + (hi_all - lo_all) * rng.uniform(0.1, 0.4, 3)
            got = reader.query(Bounds(lo, hi))
            qlo, qhi = np.round((lo - offset) / scale), np.round((hi - offset) / scale)  # the reader's rule
            expected = int(np.all((q >= qlo) & (q <= qhi), axis=1).sum())
            assert len(got) == expected > 0
        by_level: dict[int, int] = {}
        for e in reader.root_page.entries.values():
            by_level[e.key.level] = by_level.get(e.key.level, 0) + max(0, e.point_count)
        sizes = []
        for res in (reader.copc_info.spacing, reader.copc_info.spacing / 4, 0.001):
            levels = max(1, int(np.ceil(np.log2(reader.copc_info.spacing / res))) + 1)
            got = len(reader.query(resolution=res))
            assert got == sum(n for lvl, n in by_level.items() if lvl < levels)
            sizes.append(got)
        assert sizes[0] < sizes[1] < sizes[2] == 40_000
        coarse = reader.query(level=0)
        # the root's sample covers the site evenly: every quarter of the extent has points
        cx, cy = (lo_all[:2] + hi_all[:2]) / 2
        x, y = np.asarray(coarse.x), np.asarray(coarse.y)
        quarters = [((x < cx) & (y < cy)).sum(), ((x >= cx) & (y < cy)).sum(), ((x < cx) & (y >= cy)).sum(), ((x >= cx) & (y >= cy)).sum()]
        assert min(quarters) > 0.15 * len(coarse)


def test_multiple_inputs_and_formats_merge(tmp_path: Path) -> None:
    """A LAS without colour (format 1) and a LAZ with colour (format 7) make one format-7 COPC."""
    import laspy

    a = make_cloud(tmp_path / "a.las", 9_000, seed=1, point_format=1)
    b = make_cloud(tmp_path / "b.laz", 11_000, seed=2, point_format=7, origin=(500_300.0, 4_000_200.0))
    out = tmp_path / "ab.copc.laz"
    result = tile([str(tmp_path / "a.las"), str(tmp_path / "b.laz")], str(out), **SMALL)
    assert result.points == 20_000
    back = laspy.read(str(out))
    assert back.header.point_format.id == 7
    assert np.array_equal(quantised(np.c_[back.x, back.y, back.z]), quantised(np.r_[a, b]))


def test_input_without_crs(tmp_path: Path) -> None:
    import laspy

    xyz = make_cloud(tmp_path / "local.laz", 6_000, epsg=None, point_format=6, origin=(0.0, 0.0))
    out = tmp_path / "local.copc.laz"
    assert tile([str(tmp_path / "local.laz")], str(out), **SMALL).points == 6_000
    back = laspy.read(str(out))
    assert back.header.parse_crs() is None and back.header.point_format.id == 6
    assert np.array_equal(quantised(np.c_[back.x, back.y, back.z]), quantised(xyz))


def test_inputs_in_different_crs_are_refused(tmp_path: Path) -> None:
    from loaders.base import LoadError

    make_cloud(tmp_path / "utm33.laz", 2_000)
    make_cloud(tmp_path / "utm32.laz", 2_000, epsg=32632)
    with pytest.raises(LoadError) as err:
        tile([str(tmp_path / "utm33.laz"), str(tmp_path / "utm32.laz")], str(tmp_path / "x.copc.laz"), **SMALL)
    assert err.value.path == str(tmp_path / "utm32.laz") and "CRS differs" in err.value.reason


def test_header_bounds_that_lie_keep_every_point_with_a_warning(tmp_path: Path) -> None:
    import laspy

    xyz = make_cloud(tmp_path / "ok.las", 5_000, point_format=1)
    data = bytearray((tmp_path / "ok.las").read_bytes())
    for max_at in (179, 195, 211):  # max X, Y, Z: 10 m past the minimum, far inside the real extent
        struct.pack_into("<d", data, max_at, struct.unpack_from("<d", data, max_at + 8)[0] + 10.0)
    (tmp_path / "lying.las").write_bytes(bytes(data))
    result = tile([str(tmp_path / "lying.las")], str(tmp_path / "out.copc.laz"), **SMALL)
    assert result.points == 5_000 and any("outside the bounds" in w for w in result.warnings)
    back = laspy.read(str(tmp_path / "out.copc.laz"))
    assert np.array_equal(quantised(np.c_[back.x, back.y, back.z]), quantised(xyz))


def test_every_point_lies_inside_its_node(copc) -> None:
    """What copclib's ValidateSpatialBounds checks: each node's points within the node's cube
    (walls from the copc info centre and halfsize, as readers compute them)."""
    import lazrs
    from laspy import CopcReader
    from laspy.copc import Bounds

    _, out, _ = copc
    raw = out.read_bytes()
    with CopcReader.open(str(out)) as reader:
        info, header, vlr = reader.copc_info, reader.header, reader.laszip_vlr.record_data
        root = Bounds(info.center - info.halfsize, info.center + info.halfsize)
        checked = 0
        for entry in reader.root_page.entries.values():
            if entry.point_count <= 0:
                continue
            buf = np.zeros(entry.point_count * header.point_format.size, np.uint8)
            lazrs.decompress_points_with_chunk_table(raw[entry.offset:entry.offset + entry.byte_size], vlr, buf,
                                                     [(entry.point_count, entry.byte_size)])
            pts = buf.view(header.point_format.dtype())
            xyz = np.c_[pts["X"], pts["Y"], pts["Z"]] * header.scales + header.offsets
            box = entry.key.bounds(root)
            assert np.all((xyz >= box.mins) & (xyz <= box.maxs)), entry.key
            checked += entry.point_count
        assert checked == 40_000
