"""Every file of the 3D Tiles validator's spec data (hundreds of deliberately broken tilesets,
tiles, subtrees and glTFs) either loads or fails with a LoadError / BinaryError reason: no other
exception, no hang, no unbounded allocation. Files run in-process, grouped by folder, each
under a SIGALRM guard so one hanging file fails its group instead of the whole run."""
from __future__ import annotations

import os
import re
import signal
import struct
import tracemalloc
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

import loaders
from loaders._binary import BinaryError, read_file
from loaders.base import LoadError
from loaders.implicit import parse_subtree
from loaders.tiles3d import parse_content
from tests.loaders.conftest import CORPUS

SPECS = CORPUS / "3dtiles" / "validator-specs"
EXTS = {".json", ".b3dm", ".i3dm", ".pnts", ".cmpt", ".glb", ".gltf", ".subtree", ".3tz", ".3dtiles"}
PER_FILE_SECONDS = 20  # a hang guard, not a speed claim (files take milliseconds)
WRAPPED = re.compile(r": [A-Z][A-Za-z]*(Error|Exception)\b")  # the registry's guard wrapping a stray exception


def _groups() -> dict[str, list[Path]]:
    groups: dict[str, list[Path]] = defaultdict(list)
    if SPECS.is_dir():
        for path in sorted(SPECS.rglob("*")):
            if path.is_file() and path.suffix.lower() in EXTS:
                groups[str(path.parent.relative_to(SPECS))].append(path)
    return groups


GROUPS = _groups()


@contextmanager
def _deadline(seconds: int, path: Path):
    def fire(*_):
        raise TimeoutError(f"{path} took more than {seconds} s")

    if not hasattr(signal, "SIGALRM"):
        yield
        return
    old = signal.signal(signal.SIGALRM, fire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _is_subtree(path: Path) -> bool:
    return path.suffix == ".subtree" or (path.suffix == ".json" and "subtrees" in path.parts)


def _check(path: Path) -> str:
    """'ok' or 'error'; anything else raises."""
    if _is_subtree(path):
        try:
            parse_subtree(read_file(str(path)), 3, 4, lambda uri: read_file(str(path.parent / uri)))
        except BinaryError as exc:
            assert str(exc)
            return "error"
        return "ok"
    try:
        layers = loaders.load(path)
    except LoadError as exc:
        assert exc.reason and "Traceback" not in exc.reason
        assert not WRAPPED.search(exc.reason), f"{path}: an unexpected exception was wrapped: {exc.reason}"
        return "error"
    for layer in layers:  # meshes, tilesets or point clouds (a glTF of points)
        verts = getattr(layer, "vertices", getattr(layer, "positions", np.zeros((0, 3))))
        assert np.all(np.isfinite(verts))
        faces = getattr(layer, "faces", np.zeros((0, 3), int))
        if len(faces):
            assert faces.max() < len(verts)
    return "ok"


@pytest.mark.skipif(not GROUPS, reason="validator-specs corpus absent")
@pytest.mark.parametrize("folder", sorted(GROUPS) or ["(absent)"])
def test_every_spec_file_loads_or_fails_cleanly(folder: str) -> None:
    outcomes = defaultdict(int)
    for path in GROUPS[folder]:
        with _deadline(PER_FILE_SECONDS, path):
            outcomes[_check(path)] += 1
    assert sum(outcomes.values()) == len(GROUPS[folder])


@pytest.mark.skipif(not GROUPS, reason="validator-specs corpus absent")
def test_the_valid_samples_load() -> None:
    for rel in ("specs/data/Samples/SparseImplicitQuadtree/tileset.json", "specs/data/tilesets/packages/validTilesetPackage.3tz",
                "specs/data/tilesets/packages/validTilesetPackageZipped.3tz"):
        if (SPECS / rel).is_file():
            [layer] = loaders.load(SPECS / rel)
            assert layer.contents >= 1 and (len(layer.faces) or layer.points is not None)
    st = parse_subtree(read_file(str(SPECS / "specs/data/subtrees/binarySubtreeValid.subtree")), 3, 4)
    assert st.tiles.get(0)


def test_headers_declaring_4_gib_are_refused_before_allocation(tmp_path) -> None:
    big = 2**32 - 1
    cases = {
        "b3dm": struct.pack("<4s6I", b"b3dm", 1, big, 0, 0, 0, 0) + bytes(64),
        "tables": struct.pack("<4s6I", b"b3dm", 1, 92, big - 64, 0, 0, 0) + bytes(64),
        "pnts": struct.pack("<4s6I", b"pnts", 1, 60, 20, big, 0, 0) + b'{"POINTS_LENGTH":1} ' + bytes(12),
        "glb": struct.pack("<4sII", b"glTF", 2, 40) + struct.pack("<I4s", big, b"JSON") + bytes(20),
        "cmpt": struct.pack("<4sIII", b"cmpt", 1, 40, 1) + struct.pack("<4sII", b"b3dm", 1, big) + bytes(12),
        "i3dm": struct.pack("<4s7I", b"i3dm", 1, 64, 32, 0, 0, 0, 1) + b'{"INSTANCES_LENGTH":4294967295} ',
    }
    tracemalloc.start()
    try:
        for name, data in cases.items():
            with pytest.raises(BinaryError):
                parse_content(data, np.eye(4))
        with pytest.raises(BinaryError):
            parse_subtree(b"subt" + struct.pack("<IQQ", 1, 4 * 2**30, 0) + b"{}      ", 3, 4)
        path = tmp_path / "big.b3dm"
        path.write_bytes(cases["b3dm"])
        with pytest.raises(LoadError, match="declares"):
            loaders.load(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024**2  # nothing near the declared sizes was allocated


def test_the_folder_is_walked_whole() -> None:
    if not GROUPS:
        pytest.skip("validator-specs corpus absent")
    total = sum(len(v) for v in GROUPS.values())
    on_disk = sum(1 for p in SPECS.rglob("*") if p.is_file() and p.suffix.lower() in EXTS)
    assert total == on_disk and total > 900
    assert os.path.isdir(SPECS / "specs" / "data" / "subtrees")


def test_mutated_tiles_fail_cleanly() -> None:
    """Seeded byte mutations and truncations of valid b3dm / i3dm / pnts / cmpt / subtree data:
    each parse either succeeds or raises BinaryError (never another exception)."""
    from tests.loaders.builders import box, make_b3dm, make_glb, make_pnts
    from tests.loaders.test_implicit import _subtree
    from tests.loaders.test_tiles3d_formats import _i3dm

    v, f = box(1.0)
    glb = make_glb(v, f, colors=np.full((8, 4), 200), batch_ids=np.zeros(8))
    pnts, _ = make_pnts(50, quantized=True, rtc=[1.0, 2.0, 3.0])
    b3dm = make_b3dm(glb, batch_length=1, batch_table={"h": [1.0]})
    i3dm = _i3dm({"INSTANCES_LENGTH": 2, "POSITION": {"byteOffset": 0}}, np.zeros((2, 3), np.float32).tobytes(), glb)
    cmpt = struct.pack("<4sIII", b"cmpt", 1, 16 + len(b3dm) + len(pnts), 2) + b3dm + pnts
    rng = np.random.default_rng(11)
    outcomes = defaultdict(int)
    for name, good in (("b3dm", b3dm), ("pnts", pnts), ("i3dm", i3dm), ("cmpt", cmpt), ("glb", glb), ("subtree", _subtree([0, 1], [1], [0]))):
        for i in range(120):
            data = bytearray(good)
            if i % 3 == 0:
                data = data[: int(rng.integers(0, len(data)))]
            else:
                for _ in range(int(rng.integers(1, 6))):
                    data[int(rng.integers(0, len(data)))] = int(rng.integers(0, 256))
            try:
                if name == "subtree":
                    parse_subtree(bytes(data), 2, 4)
                else:
                    parse_content(bytes(data), np.eye(4))
                outcomes["ok"] += 1
            except BinaryError:
                outcomes["error"] += 1
    assert outcomes["ok"] > 0 and outcomes["error"] > 0


@pytest.mark.skipif(not GROUPS, reason="validator-specs corpus absent")
def test_info_over_every_spec_file() -> None:
    """`twinscape info` (plain and --deep) takes its own path through tilesets: same promise."""
    from app.info import describe

    for files in GROUPS.values():
        for path in files:
            if _is_subtree(path):
                continue
            for deep in (False, True):
                with _deadline(PER_FILE_SECONDS, path):
                    try:
                        d = describe(str(path), deep=deep)
                    except LoadError as exc:
                        assert exc.reason and not WRAPPED.search(exc.reason), f"{path}: {exc.reason}"
                        continue
                assert d["kind"] and "path" in d
