"""`render` and `info` under bad input (issue 10): no traceback, no hang, no lost or misreported
file, and a cost that follows the question. Each test failed on the code before its fix."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from loaders.base import LoadError
from tests.cli.test_cli import twinscape
from tests.conftest import REPO, corpus_file
from tests.fixtures import write_las


def _las(tmp_path: Path, n: int = 2000, name: str = "a.las") -> Path:
    return write_las(tmp_path / name, n)


def _write_laz(path: Path, n: int, seed: int = 5) -> np.ndarray:
    """A compressed (LAZ) EPSG:4547 cloud; returns the scaled positions written."""
    import laspy
    import pyproj

    rng = np.random.default_rng(seed)
    header = laspy.LasHeader(point_format=3, version="1.2")
    header.scales, header.offsets = [0.001] * 3, [529000.0, 3385000.0, 0.0]
    header.add_crs(pyproj.CRS("EPSG:4547"))
    las = laspy.LasData(header)
    las.x, las.y, las.z = (529000 + rng.uniform(0, 300, n), 3385000 + rng.uniform(0, 200, n), rng.uniform(20, 60, n))
    las.write(str(path), do_compress=True)
    return np.c_[np.asarray(las.x), np.asarray(las.y), np.asarray(las.z)]


def _stderr_lines(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


# ------------------------------------------------------------- 1. options and output paths


@pytest.mark.parametrize("option", [["--budget", "-5"], ["--budget", "0"], ["--frames", "0"], ["--frames", "-1"]])
def test_non_positive_budget_and_frames_are_refused(tmp_path: Path, option: list[str]) -> None:
    las = _las(tmp_path)
    out = tmp_path / "x.png"
    result = twinscape("render", str(las), "-o", str(out), *option)
    assert result.returncode == 2, result.stdout
    assert "Traceback" not in result.stderr and f"argument {option[0]}: must be between 1 and" in result.stderr
    assert not out.exists()


def _fail_if_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    import app.render

    def boom(*args, **kwargs):
        raise AssertionError("inputs were loaded before the output was checked")

    monkeypatch.setattr(app.render, "open_paths", boom)


@pytest.mark.parametrize("output, reason", [
    ("/proc/x.png", "cannot write in /proc"),
    ("nosuch/dir/x.png", "does not exist"),
    ("out.txt", "unsupported image type '.txt'"),
    ("adir", "is a directory"),
])
def test_bad_outputs_are_refused_before_anything_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       output: str, reason: str) -> None:
    from app.render import render_offscreen

    monkeypatch.chdir(tmp_path)
    (tmp_path / "adir").mkdir()
    _fail_if_loaded(monkeypatch)
    with pytest.raises(LoadError) as caught:
        render_offscreen([str(_las(tmp_path))], output, frames=1)
    assert caught.value.path == output and reason in caught.value.reason
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.las", "adir"]  # nothing written, not even a probe


def test_output_on_a_read_only_mount_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from app.render import render_offscreen

    if not os.path.isdir("/sys") or os.access("/sys", os.W_OK) and _writable("/sys"):
        pytest.skip("no read-only folder here (/sys is writable)")
    _fail_if_loaded(monkeypatch)
    with pytest.raises(LoadError, match="cannot write in /sys"):
        render_offscreen([str(_las(tmp_path))], "/sys/x.png")


def _writable(folder: str) -> bool:
    try:
        Path(folder, ".twinscape-w").touch()
    except OSError:
        return False
    os.unlink(Path(folder, ".twinscape-w"))
    return True


def test_cli_reports_a_bad_output_as_one_error_line(tmp_path: Path) -> None:
    missing = tmp_path / "missing.las"  # never looked at: the output is checked first
    result = twinscape("render", str(missing), "-o", "/proc/x.png")
    assert result.returncode == 2 and result.stdout == ""
    [line] = _stderr_lines(result)
    assert line.startswith("error: /proc/x.png: cannot write in /proc: ") and "internal error" not in line


def test_output_without_extension_reports_the_file_written(tmp_path: Path) -> None:
    las = _las(tmp_path)
    result = twinscape("render", str(las), "-o", str(tmp_path / "shot"), "--size", "64x48", "--frames", "1")
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout.strip().splitlines()[-1])
    assert stats["output"] == str(tmp_path / "shot.png") and (tmp_path / "shot.png").stat().st_size > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.las", "shot.png"]  # no temporary left behind


# ------------------------------------------------------------- 2. empty files


def test_render_of_an_empty_las_is_a_clean_error(tmp_path: Path) -> None:
    empty = _las(tmp_path, 0, "empty.las")
    out = tmp_path / "e.png"
    result = twinscape("render", str(empty), "-o", str(out))
    assert result.returncode == 2
    assert _stderr_lines(result) == [f"error: {empty}: the file holds no points, triangles or tiles to show"]
    assert not out.exists()


def test_an_empty_cloud_needs_no_origin() -> None:
    from app.model.frame import SceneFrame
    from loaders.base import Georef

    frame = SceneFrame()
    placed = frame.to_local(np.zeros((0, 3)), Georef(kind="crs", crs="EPSG:4547"))
    assert placed.shape == (0, 3) and not frame.is_set


# ------------------------------------------------------------- 3. demo with an unusable cache


def test_demo_with_an_unusable_cache_falls_back_to_a_temporary_one(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    (tmp_path / "tmp").mkdir()
    env = {"TWINSCAPE_CACHE": str(blocker / "cache"), "TMPDIR": str(tmp_path / "tmp")}
    result = _run_with_env(["info", str(REPO / "assets" / "demo" / "demo.twin")], env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["layers"] == 11  # 7 from files and analyses (with the DEM, the flood series and
    # the shadow study's sunlight hours), 4 live sensor layers
    warnings = _stderr_lines(result)
    assert len(warnings) == 1 and warnings[0].startswith(f"warning: {blocker / 'cache'}: cache folder unusable")
    assert list((tmp_path / "tmp").glob("twinscape-cache-*/demo-v*/complete.json"))


def _run_with_env(args: list[str], env: dict[str, str], timeout: float = 240) -> subprocess.CompletedProcess:
    full = {**os.environ, "PYTHONPATH": str(REPO), **env}
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True, timeout=timeout,
                          cwd=REPO, env=full)


def test_no_home_directory_means_a_temporary_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture) -> None:
    import tempfile

    from assets.demo import generate

    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.delenv("TWINSCAPE_CACHE", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(generate, "_WARNED", set())
    root = generate.default_cache_root()
    assert root.parent == tmp_path and root.is_dir()
    assert generate.default_cache_root() == root
    assert capsys.readouterr().err.splitlines() == [
        f"warning: no home folder (HOME unset) and no TWINSCAPE_CACHE; the cache goes to {root}"]


# ------------------------------------------------------------- 4. bounded transforms


def test_chunked_transform_matches_the_whole_array_one(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.model import frame as frame_module
    from app.model.frame import SceneFrame
    from loaders.base import Georef

    rng = np.random.default_rng(11)
    pts = np.c_[529000 + rng.uniform(0, 5000, 10_500), 3385000 + rng.uniform(0, 5000, 10_500), rng.uniform(0, 80, 10_500)]
    georef = Georef(kind="crs", crs="EPSG:4547")
    whole = SceneFrame()
    expected = whole.to_local(pts, georef)  # 10,500 points: one piece at the default size
    monkeypatch.setattr(frame_module, "CHUNK_POINTS", 1000)
    chunked = SceneFrame(origin_lla=whole.origin_lla)
    got = chunked.to_local(pts, georef)
    assert got.dtype == np.float64 and got.shape == pts.shape
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)
    ecef = chunked.enu_to_ecef(got)
    np.testing.assert_allclose(chunked.ecef_to_enu(ecef), got, rtol=0, atol=1e-6)
    monkeypatch.setattr(frame_module, "CHUNK_POINTS", 1 << 30)
    np.testing.assert_allclose(whole.enu_to_ecef(expected), ecef, rtol=0, atol=1e-9)


def test_placing_a_large_cloud_fits_under_an_address_space_limit() -> None:
    """3M points placed from EPSG:4547 with 130 MB of address space to spare: the whole-array
    transform needs about 200 MB (MemoryError at 185 MB); in chunks it needs the 72 MB output plus
    one slice's temporaries (fine at 85 MB)."""
    code = textwrap.dedent("""
        import resource
        import numpy as np
        from app.model import frame as f
        from loaders.base import Georef
        f.CHUNK_POINTS = 250_000
        n = 3_000_000
        pts = np.empty((n, 3))
        pts[:, 0] = np.linspace(529000, 530000, n); pts[:, 1] = np.linspace(3385000, 3386000, n); pts[:, 2] = 30.0
        scene = f.SceneFrame(); scene.to_local(pts[:10], Georef(kind="crs", crs="EPSG:4547"))  # warm pyproj
        vm = int(open("/proc/self/status").read().split("VmSize:")[1].split()[0]) * 1024
        resource.setrlimit(resource.RLIMIT_AS, (vm + 130 * 2**20, resource.RLIM_INFINITY))
        out = scene.to_local(pts, Georef(kind="crs", crs="EPSG:4547"))
        print(out.shape, float(np.abs(out[:, 2]).max()))
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=240, cwd=REPO,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("(3000000, 3)")


# ------------------------------------------------------------- 5. no hang


def test_pipes_devices_and_link_loops_are_refused_without_opening(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.laz"
    os.mkfifo(fifo)
    (tmp_path / "loop1").symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(tmp_path / "loop1")
    result = twinscape("info", str(fifo), "/dev/zero", str(tmp_path / "loop1"), timeout=120)
    assert result.returncode == 2 and result.stdout == ""
    assert _stderr_lines(result) == [f"error: {fifo}: not a regular file (a named pipe)",
                                     "error: /dev/zero: not a regular file (a character device)",
                                     f"error: {tmp_path / 'loop1'}: symbolic link loop"]
    render = twinscape("render", str(fifo), "-o", str(tmp_path / "f.png"), timeout=120)
    assert render.returncode == 2
    assert _stderr_lines(render) == [f"error: {fifo}: not a regular file (a named pipe)"]


def test_a_project_layer_that_is_a_pipe_is_refused(tmp_path: Path) -> None:
    """A COPC name makes the scene peek at the header first (to decide on streaming): that peek
    must not open a named pipe either."""
    fifo = tmp_path / "sub" / "scan.copc.laz"
    fifo.parent.mkdir()
    os.mkfifo(fifo)
    project = _project(tmp_path, [{"source": {"path": "scan.copc.laz"}}])
    result = twinscape("render", str(project), "-o", str(tmp_path / "p.png"), timeout=120)
    assert result.returncode == 2
    assert _stderr_lines(result) == [f"error: {fifo}: not a regular file (a named pipe)"]


# ------------------------------------------------------------- 6. say what happened


def test_truncated_ifc_renders_with_a_warning(tmp_path: Path) -> None:
    ifc = tmp_path / "cut.ifc"
    ifc.write_bytes(corpus_file("ifc/fzk-haus/AC20-FZK-Haus.ifc").read_bytes()[:60_000])
    result = twinscape("render", str(ifc), "-o", str(tmp_path / "t.png"), "--size", "64x48", "--frames", "1")
    assert result.returncode == 0, result.stderr
    assert _stderr_lines(result) == [f"warning: {ifc}: file is truncated (no END-ISO-10303-21 trailer); loaded what was readable"]


def _failing_tileset(folder: Path) -> Path:
    """Two levels of children under a root (so it streams), every content a broken b3dm."""
    from tests.loaders.builders import ENU_TO_ECEF, write_tileset

    folder.mkdir()

    def node(name: str, x: float, w: float, error: float, kids: list | None = None) -> dict:
        (folder / f"{name}.b3dm").write_bytes(b"b3dm" + bytes(range(256)) * 4)
        box = [x + w / 2, w / 2, 5, w / 2, 0, 0, 0, w / 2, 0, 0, 0, 5]
        return {"boundingVolume": {"box": box}, "geometricError": error, "content": {"uri": f"{name}.b3dm"},
                **({"children": kids} if kids else {})}

    kids = [node(f"c{i}", i * 40.0, 40, 10, [node(f"g{i}{j}", i * 40.0 + j * 13, 13, 0) for j in range(3)]) for i in range(2)]
    root = {**node("root", 0, 80, 100, kids), "transform": ENU_TO_ECEF, "refine": "REPLACE"}
    write_tileset(folder, root)
    return folder


def test_a_tileset_whose_tiles_all_fail_is_an_error(tmp_path: Path) -> None:
    tiles = _failing_tileset(tmp_path / "tiles")
    out = tmp_path / "t.png"
    result = twinscape("render", str(tiles), "-o", str(out), "--size", "64x48", "--frames", "1")
    assert result.returncode == 2 and result.stdout == ""
    lines = _stderr_lines(result)
    assert lines[-1].startswith(f"error: {tiles}: nothing could be drawn: none of its tiles loaded")
    assert any(line.startswith(f"warning: {tiles}: tile ") and "b3dm header declares" in line for line in lines[:-1])
    assert not out.exists()


def test_unknown_view_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.render import render_offscreen

    out = tmp_path / "v.png"
    _fail_if_loaded(monkeypatch)  # no project, so no bookmark can make it valid: refused first
    with pytest.raises(LoadError, match=r"unknown view \(use iso, top, north\)"):
        render_offscreen([str(_las(tmp_path))], str(out), view="NOPE")
    assert not out.exists()


def _project(tmp_path: Path, layers: list[dict], bookmarks: list[dict] | None = None) -> Path:
    path = tmp_path / "sub" / "p.twin"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps({"schema_version": 1, "layers": layers, "bookmarks": bookmarks or []}))
    return path


def test_unknown_view_in_a_project_is_refused_before_drawing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import app.render

    las = _las(tmp_path)
    camera = {"position": [0, -100, 50], "focal_point": [0, 0, 0], "view_up": [0, 0, 1]}
    project = _project(tmp_path, [{"source": {"path": str(las)}}], [{"name": "Gate", "camera": camera}])
    monkeypatch.setattr(app.render, "_draw", lambda *a, **k: pytest.fail("drew with an unknown view"))
    out = tmp_path / "v.png"
    with pytest.raises(LoadError, match=r"unknown view \(use iso, top, north, Gate\)"):
        app.render.render_offscreen([str(project)], str(out), view="NOPE")
    assert not out.exists()


def test_a_project_without_layers_says_so(tmp_path: Path) -> None:
    project = _project(tmp_path, [])
    result = twinscape("render", str(project), "-o", str(tmp_path / "n.png"))
    assert result.returncode == 2
    assert _stderr_lines(result) == [f"error: {project}: the project has no layers"]


def test_project_urls_stay_urls(tmp_path: Path) -> None:
    from app.model.project import read_project

    project = _project(tmp_path, [{"source": {"path": "http://127.0.0.1:1/x.laz"}},
                                  {"source": {"path": "https://example.org/t/tileset.json?key=1"}}])
    spec = read_project(project)
    assert [layer.path for layer in spec.layers] == ["http://127.0.0.1:1/x.laz", "https://example.org/t/tileset.json?key=1"]


# ------------------------------------------------------------- 7. cost follows the question


def test_info_reads_the_header_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import app.info
    import loaders.las
    from app.info import describe

    laz = tmp_path / "big.laz"
    xyz = _write_laz(laz, 300_000)

    def no_decoding(*args, **kwargs):
        raise AssertionError("info decoded the points to answer a header question")

    monkeypatch.setattr(loaders.las, "_decode", no_decoding)
    monkeypatch.setattr(app.info, "load", no_decoding)
    d = describe(str(laz))
    assert d["points"] == 300_000 and d["crs"] == "EPSG:4547" and d["format"] == "LAZ 1.2" and d["bounds_from"] == "header"
    np.testing.assert_allclose(np.array(d["bounds"]), [xyz.min(0), xyz.max(0)], atol=1e-3)
    assert 30.5 < d["bounds_lla"][0][0] < 30.7 and 114.2 < d["bounds_lla"][0][1] < 114.4


def test_info_deep_scans_in_bounded_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import loaders.las
    from app.info import describe

    laz = tmp_path / "big.laz"
    xyz = _write_laz(laz, 120_000)
    monkeypatch.setattr(loaders.las, "PointSink", lambda *a, **k: pytest.fail("deep info kept every point"))
    d = describe(str(laz), deep=True)
    assert d["points"] == 120_000 and d["bounds_from"] == "points"
    np.testing.assert_allclose(np.array(d["bounds"]), [xyz.min(0), xyz.max(0)], atol=1e-6)
    cut = tmp_path / "cut.laz"
    cut.write_bytes(laz.read_bytes()[: laz.stat().st_size * 2 // 3])
    with pytest.raises(LoadError):
        describe(str(cut), deep=True)


def test_info_measures_the_points_when_the_header_bounds_are_impossible() -> None:
    from app.info import describe

    d = describe(str(corpus_file("pointcloud/laspy/simple1_3.las")))  # its header holds raw integers
    assert d["bounds_from"] == "points"
    assert -236_000 < d["bounds"][0][0] < -234_000 and 5.7e6 < d["bounds"][0][1] < 5.9e6


def test_running_out_of_memory_is_not_an_internal_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture) -> None:
    import app.info
    from app.cli import main

    def too_big(path: str, deep: bool = False) -> dict:
        raise MemoryError()

    monkeypatch.setattr(app.info, "describe", too_big)
    las = _las(tmp_path)
    assert main(["info", str(las)]) == 2
    assert capsys.readouterr().err.splitlines() == [f"error: {las}: not enough memory for this input"]
