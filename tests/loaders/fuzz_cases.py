"""Seeded mutations of one valid file per format, and the command-line run that judges them
(issue 10 item 7). Shared by tests/loaders/test_fuzz_cli.py (a few per format, `make test`)
and tests/benchmarks/test_bench_fuzz.py (many, `make bench`).

A mutated input must load (exit 0) or fail with `error:` lines and exit 2, within a time bound
and under an address-space cap, and print nothing else on stderr: no traceback, no Python or
numpy warning, no "internal error". Each case lives in its own folder, so an error line that
names any file of that folder (a tile inside a tileset, the data of a project) is its answer.
"""
from __future__ import annotations

import json
import os
import re
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from tests.conftest import CORPUS, REPO
from tests.fixtures import mutated_copies

ADDRESS_SPACE_BYTES = 3 << 30
MUTATIONS = ("flip", "truncate", "huge", "duplicate", "header")


@dataclass
class Source:
    """A valid original: `folder` is copied per case, `target` (relative) is mutated and
    `entry` (relative) is what the command is given."""

    folder: Path
    target: str
    entry: str


@dataclass
class Case:
    fmt: str
    mutation: str
    folder: Path
    entry: Path


# Little-endian length/count fields worth lying about: (offset, struct format).
LENGTH_FIELDS: dict[str, list[tuple[int, str]]] = {
    "las": [(96, "<I"), (100, "<I"), (105, "<H"), (107, "<I")],
    "laz": [(96, "<I"), (100, "<I"), (105, "<H"), (107, "<I")],
    "copc": [(96, "<I"), (100, "<I"), (107, "<I"), (247, "<Q")],
    "e57": [(16, "<Q"), (24, "<Q"), (32, "<Q"), (40, "<Q")],
    "b3dm": [(8, "<I"), (12, "<I"), (16, "<I"), (20, "<I"), (24, "<I")],
    "i3dm": [(8, "<I"), (12, "<I"), (16, "<I"), (20, "<I"), (24, "<I")],
    "pnts": [(8, "<I"), (12, "<I"), (16, "<I"), (20, "<I"), (24, "<I")],
    "cmpt": [(8, "<I"), (12, "<I"), (24, "<I")],
    "glb": [(8, "<I"), (12, "<I")],
    "subtree": [(8, "<Q"), (16, "<Q")],
}
HUGE = {"<H": 0xFFFF, "<I": 0xFFFFFFF0, "<Q": 2**62}
HUGE_TEXT = (b"99999999999999999999", b"1e999", b"-1e999", b"NaN")  # Python's JSON reads the last three too


# --- originals ------------------------------------------------------------------------------
def _las(folder: Path, name: str) -> Source:
    from tests.fixtures import write_las

    write_las(folder / name, n=2_000)
    return Source(folder, name, name)


def _copc(folder: Path) -> Source:
    corpus = CORPUS / "pointcloud/laspy/simple.copc.laz"
    if corpus.is_file():
        shutil.copy(corpus, folder / "simple.copc.laz")
        return Source(folder, "simple.copc.laz", "simple.copc.laz")
    from tests.loaders.copc_fixture import make_copc

    make_copc(folder, n=20_000)
    return Source(folder, "site.copc.laz", "site.copc.laz")


def _e57(folder: Path) -> Source | None:
    try:
        import pye57
    except ImportError:
        return None
    rng = np.random.default_rng(4)
    n = 1_000
    scan = {"cartesianX": rng.uniform(0, 10, n), "cartesianY": rng.uniform(0, 10, n), "cartesianZ": rng.uniform(0, 3, n),
            "intensity": rng.uniform(0, 1, n), "colorRed": rng.integers(0, 256, n).astype(np.uint8),
            "colorGreen": rng.integers(0, 256, n).astype(np.uint8), "colorBlue": rng.integers(0, 256, n).astype(np.uint8)}
    e57 = pye57.E57(str(folder / "scan.e57"), mode="w")
    e57.write_scan_raw(scan)
    e57.close()
    return Source(folder, "scan.e57", "scan.e57")


def _ply(folder: Path) -> Source:
    rng = np.random.default_rng(6)
    v = rng.uniform(0, 10, (60, 3)).astype("<f4")
    rgb = rng.integers(0, 256, (60, 3)).astype(np.uint8)
    faces = rng.integers(0, 60, (40, 3)).astype("<i4")
    head = ("ply\nformat binary_little_endian 1.0\nelement vertex 60\nproperty float x\nproperty float y\n"
            "property float z\nproperty uchar red\nproperty uchar green\nproperty uchar blue\n"
            "element face 40\nproperty list uchar int vertex_indices\nend_header\n").encode()
    vert = np.zeros(60, dtype=[("p", "<f4", 3), ("c", "u1", 3)])
    vert["p"], vert["c"] = v, rgb
    face = np.zeros(40, dtype=[("n", "u1"), ("i", "<i4", 3)])
    face["n"], face["i"] = 3, faces
    (folder / "mesh.ply").write_bytes(head + vert.tobytes() + face.tobytes())
    return Source(folder, "mesh.ply", "mesh.ply")


def _ifc(folder: Path) -> Source:
    from tests.loaders.builders import make_ifc

    make_ifc(folder / "wall.ifc", georef="site")
    return Source(folder, "wall.ifc", "wall.ifc")


def _tile(folder: Path, fmt: str) -> Source:
    from tests.loaders.builders import box, make_b3dm, make_glb, make_pnts

    v, f = box(10.0)
    data = {
        "b3dm": lambda: make_b3dm(make_glb(v, f, colors=np.full((8, 4), 200, np.uint8), batch_ids=np.zeros(8)),
                                  batch_length=1, batch_table={"height": [12.5]}),
        "glb": lambda: make_glb(v, f, colors=np.full((8, 4), 90, np.uint8)),
        "pnts": lambda: make_pnts(200, quantized=True, rgb565=True)[0],
    }[fmt]()
    (folder / f"tile.{fmt}").write_bytes(data)
    return Source(folder, f"tile.{fmt}", f"tile.{fmt}")


def _corpus_file(folder: Path, relative: str) -> Source | None:
    src = CORPUS / relative
    if not src.is_file():
        return None
    shutil.copy(src, folder / src.name)
    (folder / src.name).chmod(0o644)  # the corpus is read-only; the copy is ours to mutate
    return Source(folder, src.name, src.name)


def _implicit(folder: Path, target: str) -> Source | None:
    src = CORPUS / "3dtiles/cesium-samples/1.1/SparseImplicitQuadtree"
    if not src.is_dir():
        return None
    shutil.copytree(src, folder, dirs_exist_ok=True)
    for path in folder.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)  # the corpus is read-only; the copies are ours
    return Source(folder, target, "tileset.json")


SCHEDULE_XML = "schedule/schependomlaan/planning-2015-02-18.xml"


def schedule_loader_exists() -> bool:
    """MS Project XML is on the issue's list, but no loader reads it before issue 11."""
    from loaders.base import LoadError
    from loaders.registry import find_loader

    try:
        find_loader(str(CORPUS / SCHEDULE_XML))
    except LoadError:
        return False
    return True


def _schedule(folder: Path) -> Source | None:
    return _corpus_file(folder, SCHEDULE_XML) if (CORPUS / SCHEDULE_XML).is_file() and schedule_loader_exists() else None


def _twin(folder: Path) -> Source:
    from tests.fixtures import write_las

    write_las(folder / "scan.las", n=500)
    doc = {"schema_version": 1, "name": "fuzz", "frame": {"origin_lla": [30.59, 114.30, 22.0], "display_crs": "EPSG:4547"},
           "camera": {"position": [120.0, -120.0, 90.0], "focal_point": [50.0, 50.0, 22.0], "view_up": [0, 0, 1], "view_angle": 30},
           "layers": [{"source": {"path": "scan.las", "loader": "LAS/LAZ", "options": {}},
                       "state": {"name": "scan", "opacity": 0.8, "point_size": 4, "hidden_classes": [7]}}],
           "bookmarks": [{"name": "Overview", "camera": {"position": [0, -200, 150], "focal_point": [0, 0, 0]}}]}
    (folder / "site.twin").write_text(json.dumps(doc, indent=1))
    return Source(folder, "site.twin", "site.twin")


ORIGINALS: dict[str, Callable[[Path], Source | None]] = {
    "las": lambda d: _las(d, "scan.las"),
    "laz": lambda d: _las(d, "scan.laz"),
    "copc": _copc,
    "e57": _e57,
    "ply": _ply,
    "ifc": _ifc,
    "b3dm": lambda d: _tile(d, "b3dm"),
    "i3dm": lambda d: _corpus_file(d, "3dtiles/cesium-samples/1.0/TilesetWithTreeBillboards/tree.i3dm"),
    "pnts": lambda d: _tile(d, "pnts"),
    "cmpt": lambda d: _corpus_file(d, "3dtiles/validator-specs/specs/data/tilesets/tiles/cmpt/validWithGlbInfo.cmpt"),
    "glb": lambda d: _tile(d, "glb"),
    "subtree": lambda d: _implicit(d, "subtrees/0.0.0.subtree"),
    "tileset.json": lambda d: _implicit(d, "tileset.json"),
    "twin": _twin,
    "schedule": _schedule,  # left out (unavailable) until a loader reads it: issue 11
}
TEXT_FORMATS = ("ifc", "tileset.json", "twin", "schedule")


# --- mutations ------------------------------------------------------------------------------
def _flip(data: bytes, rng: np.random.Generator, scratch: Path) -> bytes:
    """The shared seeded byte-flip helper, past a random prefix (headers as often as bodies)."""
    skip = int(rng.integers(0, max(1, min(len(data) - 1, 512))))
    scratch.mkdir(parents=True, exist_ok=True)
    [path] = mutated_copies(data, scratch, ".bin", seed=int(rng.integers(2**31)), count=1, skip=skip, max_flips=12)
    out = path.read_bytes()
    path.unlink()
    return out


def _huge(data: bytes, fmt: str, rng: np.random.Generator) -> bytes:
    """A length or count field set huge: header fields for binary formats, a number in the
    text for the others (an IFC entity id, a JSON count or byte length)."""
    buf = bytearray(data)
    fields = LENGTH_FIELDS.get(fmt)
    if fields:
        offset, code = fields[int(rng.integers(len(fields)))]
        if offset + struct.calcsize(code) <= len(buf):
            struct.pack_into(code, buf, offset, HUGE[code])
        return bytes(buf)
    if fmt == "ply":
        return data.replace(b"element vertex 60", b"element vertex 4000000000", 1) if rng.integers(2) else \
            data.replace(b"element face 40", b"element face 2147483647", 1)
    numbers = list(re.finditer(rb"\d+", data))
    if not numbers:
        return data
    m = numbers[int(rng.integers(len(numbers)))]
    value = HUGE_TEXT[int(rng.integers(len(HUGE_TEXT)))]
    return data[:m.start()] + value + data[m.end():]


def mutate(data: bytes, fmt: str, mutation: str, rng: np.random.Generator, scratch: Path) -> bytes:
    if mutation == "flip":
        return _flip(data, rng, scratch)
    if mutation == "header":  # flips in the first KiB only: headers, VLRs, JSON chunks, tables
        return _flip(data[:1024], rng, scratch) + data[1024:]
    if mutation == "truncate":
        return data[: int(rng.integers(0, len(data)))]
    if mutation == "huge":
        return _huge(data, fmt, rng)
    a = int(rng.integers(0, len(data)))  # duplicate: a span copied in again somewhere else
    b = min(len(data), a + int(rng.integers(1, 4096)))
    at = int(rng.integers(0, len(data)))
    return data[:at] + data[a:b] + data[at:]


def make_cases(root: Path, formats: list[str], per_format: int, seed: int) -> tuple[list[Case], list[str]]:
    """Mutated copies, `per_format` of each format (mutations in turn); also the formats left
    out because their original is not available (corpus or optional library absent)."""
    cases: list[Case] = []
    unavailable: list[str] = []
    for n_fmt, fmt in enumerate(formats):
        origin = root / "originals" / fmt.replace(".", "_")
        origin.mkdir(parents=True)
        source = ORIGINALS[fmt](origin)
        if source is None:
            unavailable.append(fmt)
            continue
        data = (origin / source.target).read_bytes()
        rng = np.random.default_rng([seed, n_fmt])
        for i in range(per_format):
            mutation = MUTATIONS[(i + n_fmt) % len(MUTATIONS)]
            folder = root / f"{fmt.replace('.', '_')}-{i}-{mutation}"
            shutil.copytree(origin, folder)
            (folder / source.target).chmod(0o644)
            (folder / source.target).write_bytes(mutate(data, fmt, mutation, rng, root / "scratch"))
            cases.append(Case(fmt, mutation, folder, folder / source.entry))
    return cases, unavailable


# --- running and judging ----------------------------------------------------------------------
def _limit_address_space() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_BYTES, ADDRESS_SPACE_BYTES))


# Warnings in the log that count: RuntimeWarning, UserWarning... Deprecation notices from
# libraries are for developers (the log is where they belong) and do not fail the fuzz test.
_WARNING_LINE = re.compile(r"\b(?!Deprecation|PendingDeprecation|Future)[A-Z]\w*Warning\b")


def run_twinscape(args: list[str], timeout: float, cwd: Path) -> subprocess.CompletedProcess | None:
    """`python -m app ARGS` under the address-space cap; None when it ran past `timeout`.
    Wherever a warning goes (stderr, or the log file when the app captures warnings) it is
    found: warning lines of the log are appended to stderr here, as stray lines."""
    state = Path(tempfile.mkdtemp(prefix="state-", dir=cwd))
    env = {**os.environ, "PYTHONPATH": str(REPO), "TWINSCAPE_CACHE": str(cwd / "cache"), "TWINSCAPE_STATE": str(state),
           "QT_QPA_PLATFORM": "offscreen"}
    env.pop("PYTHONWARNINGS", None)
    try:
        result = subprocess.run([sys.executable, "-m", "app", *args], cwd=cwd, env=env,
                                capture_output=True, text=True, timeout=timeout, preexec_fn=_limit_address_space)
    except subprocess.TimeoutExpired:
        return None
    logged = [line for log in state.rglob("*.log*") for line in log.read_text("utf-8", "replace").splitlines()
              if _WARNING_LINE.search(line)]
    result.stderr += "".join(f"(log) {line}\n" for line in logged)
    return result


def problems(result: subprocess.CompletedProcess | None, cases: list[Case], what: str) -> list[str]:
    """Everything wrong with one batch run: exit status, stderr lines that are not `error:` or
    `warning:`, internal errors, and (for info) a case that neither printed a line nor an error."""
    if result is None:
        return [f"{what}: ran past its time bound"]
    out: list[str] = []
    if result.returncode not in (0, 2):
        out.append(f"{what}: exit {result.returncode}")
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    for line in lines:
        if not line.startswith(("error: ", "warning: ")):
            out.append(f"{what}: stray stderr line: {line[:300]}")
        elif "internal error" in line:
            out.append(f"{what}: {line[:300]}")
    errors = [line for line in lines if line.startswith("error: ")]
    if result.returncode == 2 and not errors:
        out.append(f"{what}: exit 2 without an error line")
    if result.returncode == 0 and errors:
        out.append(f"{what}: error lines but exit 0")
    if what.startswith("info"):
        described = set()
        for line in result.stdout.splitlines():
            try:
                described.add(os.path.dirname(os.path.abspath(json.loads(line)["path"])))
            except (ValueError, KeyError, TypeError):
                out.append(f"{what}: stdout line is not a JSON description: {line[:200]}")
        for case in cases:
            folder = str(case.folder)
            if folder not in described and not any(folder + os.sep in e for e in errors):
                out.append(f"{what}: {case.fmt}/{case.mutation} ({case.entry}) neither loaded nor failed")
    return out


def judge(cases: list[Case], cwd: Path, *, timeout: float = 60.0, render: bool = True,
          batch: int = 40) -> list[str]:
    """`info --deep` and `render` over the cases, `batch` inputs per process."""
    found: list[str] = []
    for start in range(0, len(cases), batch):
        group = cases[start:start + batch]
        paths = [str(c.entry) for c in group]
        found += problems(run_twinscape(["info", "--deep", *paths], timeout, cwd), group, f"info[{start}:]")
        if render:
            png = cwd / f"render{start}.png"
            found += problems(run_twinscape(["render", *paths, "-o", str(png), "--size", "160x120", "--frames", "1"],
                                            timeout, cwd), group, f"render[{start}:]")
    return found
