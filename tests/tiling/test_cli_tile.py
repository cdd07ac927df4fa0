"""`twinscape tile` from the command line: JSON figures on success; bad input is one
`error: PATH: reason` line and exit 2, never a traceback or a hang."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.tiling.helpers import make_cloud


def twinscape(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True, timeout=timeout, cwd=REPO, env=env)


def test_cli_tiles_two_files_with_worker_processes(tmp_path: Path) -> None:
    import laspy

    make_cloud(tmp_path / "a.laz", 20_000, seed=1)
    make_cloud(tmp_path / "b.las", 15_000, seed=2, origin=(500_400.0, 4_000_000.0))
    out = tmp_path / "ab.copc.laz"
    result = twinscape("tile", str(tmp_path / "a.laz"), str(tmp_path / "b.las"), "-o", str(out), "--workers", "2", "--processes")
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["points"] == 35_000 and figures["format"] == "copc" and figures["points_per_second"] > 0
    assert len(laspy.read(str(out)).points) == 35_000
    result = twinscape("tile", str(tmp_path / "a.laz"), "-o", str(tmp_path / "t3d"), "--format", "3dtiles", "--threads")
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "t3d" / "tileset.json").read_text())["extras"]["points"] == 20_000


def _truncated(tmp: Path) -> Path:
    make_cloud(tmp / "whole.laz", 30_000)
    data = (tmp / "whole.laz").read_bytes()
    path = tmp / "truncated.laz"
    path.write_bytes(data[: len(data) * 2 // 3])
    return path


def _not_las(tmp: Path) -> Path:
    path = tmp / "notes.las"
    path.write_text("x,y,z\n1,2,3\n" * 100)
    return path


def _lying_count(tmp: Path) -> Path:
    make_cloud(tmp / "ok.las", 2_000, point_format=1)
    data = bytearray((tmp / "ok.las").read_bytes())
    data[107:111] = (50_000_000).to_bytes(4, "little")  # legacy point count far beyond the file
    path = tmp / "lying.las"
    path.write_bytes(bytes(data))
    return path


def _patched(tmp: Path, name: str, at: int, value: bytes) -> Path:
    make_cloud(tmp / "ok.las", 2_000, point_format=1)
    data = bytearray((tmp / "ok.las").read_bytes())
    data[at:at + len(value)] = value
    path = tmp / name
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("make, reason", [
    (lambda tmp: _patched(tmp, "scale0.las", 131, b"\0" * 8), "scale is zero"),
    (lambda tmp: _patched(tmp, "format11.las", 104, bytes([11])), "unsupported point format 11"),
    (lambda tmp: tmp / "missing.laz", "cannot read"),
    (_not_las, "not a LAS/LAZ file"),
    (_truncated, "LAZ"),
    (_lying_count, "points"),
])
def test_bad_input_is_a_clean_error(tmp_path: Path, make, reason: str) -> None:
    bad = make(tmp_path)
    make_cloud(tmp_path / "good.laz", 1_000)
    result = twinscape("tile", str(tmp_path / "good.laz"), str(bad), "-o", str(tmp_path / "out.copc.laz"), timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith(f"error: {bad}: ") and reason in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out.copc.laz").exists()


def test_truncated_after_a_valid_chunk_table_fails_in_the_worker(tmp_path: Path) -> None:
    """Chunk bytes garbled mid-file (table intact): the decoder fails inside a worker process;
    the error crosses the process boundary and the user still gets one clean line, exit 2."""
    make_cloud(tmp_path / "whole.laz", 30_000, point_format=1)
    data = bytearray((tmp_path / "whole.laz").read_bytes())
    start = int.from_bytes(data[96:100], "little") + 8
    data[start + 200:start + 40_000] = os.urandom(39_800)
    bad = tmp_path / "garbled.laz"
    bad.write_bytes(bytes(data))
    result = twinscape("tile", str(bad), "-o", str(tmp_path / "out.copc.laz"), "--workers", "2", "--processes", timeout=120)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith(f"error: {bad}: point data is corrupt") and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_garbage_crs_record_is_a_warning(tmp_path: Path) -> None:
    """A WKT VLR with garbage: tiled as a cloud without CRS, with a warning on stderr."""
    import laspy
    from laspy.vlrs.known import WktCoordinateSystemVlr

    make_cloud(tmp_path / "a.las", 3_000, epsg=None, point_format=6)
    las = laspy.read(str(tmp_path / "a.las"))
    las.header.vlrs.append(WktCoordinateSystemVlr("PROJCS[this is not a CRS"))
    las.write(str(tmp_path / "garbage_crs.las"))
    result = twinscape("tile", str(tmp_path / "garbage_crs.las"), "-o", str(tmp_path / "t"), "--format", "3dtiles", "--threads")
    assert result.returncode == 0, result.stderr
    assert "warning:" in result.stderr and "CRS" in result.stderr and "Traceback" not in result.stderr
    tileset = json.loads((tmp_path / "t" / "tileset.json").read_text())
    assert "transform" not in tileset["root"] and tileset["extras"]["points"] == 3_000
