"""Faults the fuzz test (test_fuzz_cli.py) found, each pinned by a small hand-made input: a NaN
where a colour or an id is cast to integers (numpy's "invalid value encountered in cast" reached
the terminal), libE57's debug dump inside the error message, and a COPC header claiming four
billion VLRs that made `render` loop."""
from __future__ import annotations

import json
import struct
import warnings
from pathlib import Path

import numpy as np
import pytest

import loaders
from loaders import LoadError
from tests.loaders.builders import _pad, box, make_glb
from tests.loaders.fuzz_cases import run_twinscape


def _load_without_warnings(path: Path) -> list | None:
    """Load or LoadError; any warning (numpy's RuntimeWarning above all) fails the test. Warnings
    are recorded, not raised: the registry would turn a raised one into a LoadError."""
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        try:
            out = loaders.load(path)
        except LoadError:
            out = None
    assert not seen, [f"{w.category.__name__}: {w.message} ({w.filename}:{w.lineno})" for w in seen]
    return out


def _feature_table_tile(magic: bytes, ft: dict, ft_bin: bytes, tail: bytes = b"", extra: tuple = ()) -> bytes:
    js = _pad(json.dumps(ft).encode())
    fb = _pad(ft_bin, b"\0")
    head = 28 + 4 * len(extra)
    total = head + len(js) + len(fb) + len(tail)
    return struct.pack(f"<4sIIIIII{len(extra)}I", magic, 1, total, len(js), len(fb), 0, 0, *extra) + js + fb + tail


POSITIONS = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], np.float32)
NAN3 = np.full(3, np.nan, np.float32)


@pytest.mark.parametrize("ft,body", [
    ({"CONSTANT_RGBA": [float("nan"), 0, 0, 255]}, b""),
    ({"RGB": {"byteOffset": 36, "componentType": "FLOAT"}}, np.tile(NAN3, 3).tobytes()),
    ({"RGB565": {"byteOffset": 36, "componentType": "FLOAT"}}, NAN3.tobytes()),
    ({"BATCH_ID": {"byteOffset": 36, "componentType": "FLOAT"}, "BATCH_LENGTH": 1}, NAN3.tobytes()),
    ({"BATCH_ID": {"byteOffset": 36, "componentType": "DOUBLE"}}, np.array([1e300, -5, 2], np.float64).tobytes()),
], ids=["constant-rgba", "rgb-float", "rgb565-float", "batch-id-float", "batch-id-huge"])
def test_pnts_with_nan_colours_or_ids(tmp_path: Path, ft: dict, body: bytes) -> None:
    path = tmp_path / "t.pnts"
    path.write_bytes(_feature_table_tile(b"pnts", {"POINTS_LENGTH": 3, "POSITION": {"byteOffset": 0}, **ft},
                                         POSITIONS.tobytes() + body))
    _load_without_warnings(path)


def test_i3dm_with_nan_batch_ids(tmp_path: Path) -> None:
    v, f = box()
    ft = {"INSTANCES_LENGTH": 2, "POSITION": {"byteOffset": 0}, "BATCH_ID": {"byteOffset": 24, "componentType": "FLOAT"}}
    body = np.zeros((2, 3), np.float32).tobytes() + np.full(2, np.nan, np.float32).tobytes()
    path = tmp_path / "t.i3dm"
    path.write_bytes(_feature_table_tile(b"i3dm", ft, body, make_glb(v, f), extra=(1,)))
    _load_without_warnings(path)


def _float_colour_glb(colours: np.ndarray, factor: list | None = None) -> bytes:
    """make_glb's layout with COLOR_0 as FLOAT (allowed by glTF) instead of normalised bytes."""
    v, f = box()
    glb = make_glb(v, f, colors=np.zeros((8, 4), np.uint8))
    js_len = struct.unpack_from("<I", glb, 12)[0]
    doc = json.loads(glb[20:20 + js_len])
    binary = glb[20 + js_len + 8:]
    col = np.asarray(colours, np.float32).tobytes()
    acc = doc["accessors"][doc["meshes"][0]["primitives"][0]["attributes"]["COLOR_0"]]
    doc["bufferViews"].append({"buffer": 0, "byteOffset": len(binary), "byteLength": len(col)})
    acc.update(bufferView=len(doc["bufferViews"]) - 1, componentType=5126, normalized=False)
    binary += col
    doc["buffers"][0]["byteLength"] = len(binary)
    if factor is not None:
        del doc["meshes"][0]["primitives"][0]["attributes"]["COLOR_0"]
        doc["materials"] = [{"pbrMetallicRoughness": {"baseColorFactor": factor}}]
        doc["meshes"][0]["primitives"][0]["material"] = 0
    js = _pad(json.dumps(doc).encode())
    total = 12 + 8 + len(js) + 8 + len(binary)
    return struct.pack("<4sII", b"glTF", 2, total) + struct.pack("<I4s", len(js), b"JSON") + js + \
        struct.pack("<I4s", len(binary), b"BIN\0") + binary


@pytest.mark.parametrize("colours,factor", [
    (np.full((8, 4), np.nan), None),
    (np.full((8, 4), np.inf), None),
    (np.zeros((8, 4)), [float("nan"), 1, 1, 1]),
], ids=["nan", "inf", "factor-nan"])
def test_glb_with_nan_float_colours(tmp_path: Path, colours: np.ndarray, factor: list | None) -> None:
    path = tmp_path / "t.glb"
    path.write_bytes(_float_colour_glb(colours, factor))
    _load_without_warnings(path)


def test_e57_error_is_one_line(tmp_path: Path) -> None:
    """libE57's exception text carries a multi-line debug dump (source files, line numbers)."""
    pye57 = pytest.importorskip("pye57")
    from tests.fixtures import mutated_copies

    rng = np.random.default_rng(4)
    path = tmp_path / "scan.e57"
    e57 = pye57.E57(str(path), mode="w")
    e57.write_scan_raw({"cartesianX": rng.uniform(0, 1, 2000), "cartesianY": rng.uniform(0, 1, 2000),
                        "cartesianZ": rng.uniform(0, 1, 2000)})
    e57.close()
    reasons = []
    bad_files = list(mutated_copies(path.read_bytes(), tmp_path, ".e57", seed=3, count=12, skip=48, max_flips=6))
    for bad in bad_files:
        try:
            loaders.load(bad)
        except LoadError as exc:
            reasons.append(exc.reason)
    assert reasons and all("\n" not in r and "Debug info" not in r and ".cpp" not in r for r in reasons), reasons
    # and the CLI's error lines are one line each
    result = run_twinscape(["info", *map(str, bad_files)], 60.0, tmp_path)
    assert result is not None and "e57 exception" not in result.stdout + result.stderr


def test_copc_claiming_four_billion_vlrs_fails_fast(tmp_path: Path) -> None:
    from app.model.opening import build_layers
    from app.model.scene import Scene
    from tests.fixtures import write_las

    src = write_las(tmp_path / "scan.las", n=100)
    data = bytearray(src.read_bytes())
    struct.pack_into("<I", data, 100, 0xFFFFFFF0)
    bad = tmp_path / "bad.copc.laz"
    bad.write_bytes(bytes(data))
    with pytest.raises(LoadError, match="VLRs cannot fit"):
        build_layers(Scene(), str(bad), stream_tiles=True)  # the COPC streaming check looped over every VLR


def test_glb_with_a_signalling_nan_position(tmp_path: Path) -> None:
    """A flipped exponent byte can make a signalling NaN: widening it to float64 raises numpy's
    "invalid value encountered in cast" before the NaN check could refuse the accessor."""
    v, f = box()
    pos = np.asarray(v, np.float32).copy()
    pos.view(np.uint32)[0, 0] = 0x7F800001  # signalling NaN
    with np.errstate(invalid="ignore"):
        data = make_glb(pos, f)
    path = tmp_path / "t.glb"
    path.write_bytes(data)
    _load_without_warnings(path)


@pytest.mark.parametrize("bad", [np.nan, np.inf, 1e30], ids=["nan", "inf", "huge"])
def test_ply_with_non_finite_or_huge_vertices(tmp_path: Path, bad: float) -> None:
    """trimesh merges vertices by rounding them to int64: a flipped exponent (1e30) overflowed
    that cast with numpy's "invalid value encountered in cast"."""
    v = np.random.default_rng(1).uniform(0, 10, (20, 3)).astype("<f4")
    v[3] = bad
    faces = np.c_[np.arange(18), np.arange(1, 19), np.arange(2, 20)].astype("<i4")
    head = ("ply\nformat binary_little_endian 1.0\nelement vertex 20\nproperty float x\nproperty float y\n"
            f"property float z\nelement face {len(faces)}\nproperty list uchar int vertex_indices\nend_header\n").encode()
    face = np.zeros(len(faces), dtype=[("n", "u1"), ("i", "<i4", 3)])
    face["n"], face["i"] = 3, faces
    path = tmp_path / "m.ply"
    path.write_bytes(head + v.tobytes() + face.tobytes())
    _load_without_warnings(path)


@pytest.mark.parametrize("count", ["1e999", "NaN", "-1e999"])
def test_non_finite_json_count_is_a_plain_error(tmp_path: Path, count: str) -> None:
    """Python's JSON reads 1e999 as inf and NaN as NaN; an integer field holding one gave
    "OverflowError: cannot convert float infinity to integer" as the reason."""
    ft = json.dumps({"POINTS_LENGTH": 3, "POSITION": {"byteOffset": 0}}).replace("3,", count + ",", 1)
    js, fb = _pad(ft.encode()), _pad(POSITIONS.tobytes(), b"\0")
    path = tmp_path / "t.pnts"
    path.write_bytes(struct.pack("<4sIIIIII", b"pnts", 1, 28 + len(js) + len(fb), len(js), len(fb), 0, 0) + js + fb)
    with pytest.raises(LoadError, match="POINTS_LENGTH is not an integer"):
        loaders.load(path)


def test_laz_whose_item_sizes_disagree_with_the_header(tmp_path: Path) -> None:
    """One flipped byte in the LAZ VLR's item list (20 -> 207 bytes): lazrs panicked in Rust
    ("mid > len", a PanicException that `except Exception` does not catch, so a traceback)."""
    from tests.fixtures import write_las

    src = write_las(tmp_path / "scan.laz", n=2_000)
    data = bytearray(src.read_bytes())
    vlr = data.find(b"laszip encoded") - 2 + 54  # the VLR's body follows its 54-byte header
    first_item = vlr + 34
    assert struct.unpack_from("<HHH", data, first_item)[1] == 20  # POINT10
    struct.pack_into("<H", data, first_item + 2, 207)
    bad = tmp_path / "bad.laz"
    bad.write_bytes(bytes(data))
    with pytest.raises(LoadError, match="corrupt LAZ VLR: its items take 221 bytes per point"):
        loaders.load(bad)


def test_copc_whose_item_sizes_disagree_with_the_header(tmp_path: Path) -> None:
    """The same flipped item size in a COPC file, read node by node (loaders.copc)."""
    from tests.conftest import corpus_file

    data = bytearray(corpus_file("pointcloud/laspy/simple.copc.laz").read_bytes())
    vlr = data.find(b"laszip encoded") - 2 + 54
    n_items = struct.unpack_from("<H", data, vlr + 32)[0]
    item = vlr + 34 + 6 * (n_items - 1)  # the last item (RGB14 or BYTE14): grow it by 100 bytes
    kind, size, version = struct.unpack_from("<HHH", data, item)
    struct.pack_into("<H", data, item + 2, size + 100)
    bad = tmp_path / "bad.copc.laz"
    bad.write_bytes(bytes(data))
    with pytest.raises(LoadError, match="corrupt LAZ VLR: its items take"):  # was a Rust panic
        loaders.load(bad)
    from app.model.opening import build_layers
    from app.model.scene import Scene

    with pytest.raises(LoadError, match="corrupt LAZ VLR: its items take"):  # the streamed COPC tree too
        build_layers(Scene(), str(bad), loader="COPC (streamed)", stream_tiles=True)


def test_refused_copc_leaves_no_file_open(tmp_path: Path) -> None:
    """laspy's CopcReader.open kept its file open when it refused the header (no LAZ VLR): a
    ResourceWarning in the log for every such file, and a leaked handle in a long session."""
    from tests.conftest import corpus_file

    data = bytearray(corpus_file("pointcloud/laspy/simple.copc.laz").read_bytes())
    at = data.find(b"laszip encoded")
    data[at:at + 6] = b"lasZIP"  # the LAZ VLR's user id no longer matches
    bad = tmp_path / "bad.copc.laz"
    bad.write_bytes(bytes(data))
    import gc

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with pytest.raises(LoadError):
            loaders.load(bad)
        gc.collect()
    assert not [w for w in seen if issubclass(w.category, ResourceWarning)], [str(w.message) for w in seen]


def test_laz_point_count_larger_than_its_chunk_table(tmp_path: Path) -> None:
    """A flipped byte of the LAS 1.4 point count (1,065 -> 1,442,857) with a variable-chunk table
    that still tiles the data: the sequential decoder trusted the header, lazrs asked for 3.7 GB
    and, under the fuzz test's 3 GiB cap, aborted the process (exit -6, a Rust backtrace)."""
    from tests.conftest import corpus_file

    data = bytearray(corpus_file("pointcloud/laspy/simple.copc.laz").read_bytes())
    assert struct.unpack_from("<Q", data, 247)[0] == 1065
    struct.pack_into("<Q", data, 247, 1_442_857)
    bad = tmp_path / "count.copc.laz"
    bad.write_bytes(bytes(data))
    result = run_twinscape(["info", "--deep", str(bad)], 60.0, tmp_path)
    assert result is not None and result.returncode == 2, result and result.stderr[-500:]
    assert result.stderr.strip() == f"error: {bad}: header declares 1,442,857 points but the LAZ chunk table holds 1,065"


@pytest.mark.parametrize("deep", [False, True])
def test_info_on_points_its_crs_cannot_place(tmp_path: Path, deep: bool) -> None:
    """One point 20,000 km east in a Gauss-Kruger CRS: `info` said "internal error: ValueError"."""
    import laspy
    import pyproj

    from app.info import describe

    header = laspy.LasHeader(point_format=3, version="1.2")
    header.scales, header.offsets = [0.01, 0.01, 0.01], [529000.0, 3385000.0, 0.0]
    header.add_crs(pyproj.CRS("EPSG:4547"))
    las = laspy.LasData(header)
    las.x, las.y, las.z = np.array([529000.0, 529000.0 + 2e7]), np.array([3385000.0, 3385000.0]), np.zeros(2)
    las.write(str(tmp_path / "far.las"))
    out = describe(str(tmp_path / "far.las"), deep=deep)
    assert out["points"] == 2 and out["bounds_lla"] is None
    assert any("no lat/lon bounds" in w for w in out["warnings"])
