"""Bad input never crashes, hangs or allocates what is not there: it raises LoadError with a reason."""
from __future__ import annotations

import json
import struct
import time

import numpy as np
import pytest

import loaders
from loaders import LoadError
from tests.loaders.builders import box, make_b3dm, make_glb, make_las, make_pnts
from tests.loaders.conftest import corpus_path

LOADER_NAMES = ("LAS/LAZ:", "IFC:", "3D Tiles tile:", "3D Tiles tileset:")


def _load_error(path) -> LoadError:
    with pytest.raises(LoadError) as info:
        loaders.load(path)
    assert info.value.reason and not info.value.reason.startswith(LOADER_NAMES), info.value.reason  # our own reason
    return info.value


@pytest.mark.parametrize("name", ["x.las", "x.laz", "x.ifc", "x.b3dm", "x.pnts", "x.glb", "tileset.json"])
def test_random_bytes(tmp_path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(np.random.default_rng(5).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    _load_error(path)


@pytest.mark.parametrize("name", ["x.las", "x.ifc", "x.b3dm", "tileset.json"])
def test_empty_file(tmp_path, name: str) -> None:
    (tmp_path / name).write_bytes(b"")
    assert "empty" in _load_error(tmp_path / name).reason


@pytest.mark.parametrize("magic", [b"LASF", b"b3dm", b"pnts", b"glTF", b"cmpt", b"ISO-10303-21;"])
def test_magic_then_garbage(tmp_path, magic: bytes) -> None:
    path = tmp_path / "x.bin"
    path.write_bytes(magic + np.random.default_rng(9).integers(0, 256, 2000, dtype=np.uint8).tobytes())
    _load_error(path)


def test_truncated_las_and_lying_header(tmp_path) -> None:
    src = tmp_path / "ok.las"
    make_las(src, 1000)
    data = src.read_bytes()
    (tmp_path / "trunc.las").write_bytes(data[: len(data) // 2])
    assert "header declares 1000 points but the file holds only" in _load_error(tmp_path / "trunc.las").reason
    lying = bytearray(data)
    struct.pack_into("<I", lying, 107, 50_000_000)  # legacy point count of a LAS 1.2 header
    (tmp_path / "lying.las").write_bytes(bytes(lying))
    assert "header declares 50000000 points" in _load_error(tmp_path / "lying.las").reason


def test_truncated_laz(tmp_path) -> None:
    import laspy

    las = laspy.read(corpus_path("pointcloud/laspy/simple.laz"))
    path = tmp_path / "s.laz"
    las.write(str(path))
    data = path.read_bytes()
    (tmp_path / "t.laz").write_bytes(data[: len(data) * 2 // 3])
    _load_error(tmp_path / "t.laz")


def test_tile_headers_claiming_more_than_present(tmp_path) -> None:
    v, f = box()
    good = make_b3dm(make_glb(v, f))
    for name, patched in (
        ("big.b3dm", good[:8] + struct.pack("<I", 4 * 1024**3 - 1) + good[12:]),
        ("bigft.b3dm", good[:12] + struct.pack("<I", 2**31) + good[16:]),
        ("bigglb.glb", make_glb(v, f)[:8] + struct.pack("<I", 2**31) + make_glb(v, f)[12:]),
    ):
        (tmp_path / name).write_bytes(patched)
        assert "bytes" in _load_error(tmp_path / name).reason
    pnts, _ = make_pnts(10)
    ft = json.loads(pnts[28 : 28 + struct.unpack_from("<I", pnts, 12)[0]])
    ft["POINTS_LENGTH"] = 1_000_000_000
    ftj = json.dumps(ft).encode().ljust(struct.unpack_from("<I", pnts, 12)[0])
    bad = pnts[:28] + ftj + pnts[28 + len(ftj) :]
    (tmp_path / "p.pnts").write_bytes(bad)
    _load_error(tmp_path / "p.pnts")


def test_accessor_out_of_range(tmp_path) -> None:
    v, f = box()
    glb = bytearray(make_glb(v, f))
    jlen = struct.unpack_from("<I", glb, 12)[0]
    doc = json.loads(bytes(glb[20 : 20 + jlen]))
    doc["accessors"][0]["count"] = 10_000_000
    js = json.dumps(doc, separators=(",", ":")).encode().ljust(jlen)
    assert len(js) == jlen
    glb[20 : 20 + jlen] = js
    (tmp_path / "a.glb").write_bytes(bytes(glb))
    _load_error(tmp_path / "a.glb")


def test_tileset_json_that_is_not_a_tileset(tmp_path) -> None:
    (tmp_path / "tileset.json").write_text(json.dumps({"type": "FeatureCollection"}))
    assert "not a 3D Tiles tileset" in _load_error(tmp_path / "tileset.json").reason
    (tmp_path / "tileset.json").write_text("{ not json")
    assert "not a 3D Tiles tileset" in _load_error(tmp_path / "tileset.json").reason


def test_ifc_truncated_header(tmp_path) -> None:
    (tmp_path / "x.ifc").write_bytes(b"ISO-10303-21;\nHEADER;\nFILE_DESCRIPTION((''),'2;1');\n")
    assert "IFC" in _load_error(tmp_path / "x.ifc").reason


def test_mutated_tiles_and_las_never_crash(tmp_path) -> None:
    """Seeded byte flips and truncations of valid files: load or LoadError, nothing else, quickly."""
    rng = np.random.default_rng(42)
    v, f = box()
    src = tmp_path / "src.las"
    make_las(src, 200)
    seeds = {
        "b3dm": make_b3dm(make_glb(v, f, colors=np.full((8, 4), 200, np.uint8), batch_ids=np.zeros(8)), batch_length=1, batch_table={"a": [1]}),
        "pnts": make_pnts(50, quantized=True)[0],
        "glb": make_glb(v, f),
        "las": src.read_bytes(),
    }
    start = time.perf_counter()
    for ext, data in seeds.items():
        for i in range(60):
            buf = bytearray(data)
            if i % 3 == 0:
                buf = buf[: int(rng.integers(0, len(buf)))]
            else:
                for pos in rng.integers(0, min(len(buf), 400 if ext == "las" else len(buf)), int(rng.integers(1, 8))):
                    buf[pos] = int(rng.integers(0, 256))
            path = tmp_path / f"m{i}.{ext}"
            path.write_bytes(bytes(buf))
            try:
                loaders.load(path)
            except LoadError:
                pass
    assert time.perf_counter() - start < 30


def test_validator_specs_never_crash_or_hang() -> None:
    root = corpus_path("3dtiles/validator-specs/specs/data")
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".json", ".b3dm", ".glb", ".pnts", ".cmpt", ".i3dm", ".gltf"))
    assert len(files) > 500
    loaded = 0
    start = time.perf_counter()
    for path in files:
        t = time.perf_counter()
        try:
            loaders.load(path)
            loaded += 1
        except LoadError as exc:
            assert exc.reason, path
        assert time.perf_counter() - t < 5, f"{path} took too long"
    assert loaded > 50
    assert time.perf_counter() - start < 30
