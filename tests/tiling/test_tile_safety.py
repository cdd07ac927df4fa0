"""`twinscape tile` under bad output paths, bad options, Ctrl-C and a scheduler that never
answers (issue 10): it never deletes what it did not write, never hangs, never prints a
traceback, and says what happened in one `error: PATH: reason` line (exit 2)."""
from __future__ import annotations

import errno
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from app.cli import main
from app.tiling import tile
from app.tiling.output import MANIFEST, is_twinscape_copc
from loaders.base import LoadError
from tests.conftest import REPO
from tests.tiling.helpers import make_cloud

SMALL = dict(workers=1, processes=False, chunk_points=4_000, max_cell_points=12_000, max_leaf=1_500)


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("safety") / "cloud.laz"
    make_cloud(path, 12_000, seed=21)
    return path


def _tile(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["tile", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part") or p.name.startswith(".twinscape-tile-"))


# --- 1. never delete what Twinscape did not write ---------------------------------------------

def test_3dtiles_refuses_a_folder_with_user_files(cloud: Path, tmp_path: Path, capsys) -> None:
    """The reported bug: `-o d --format 3dtiles` deleted the user's d/tiles/ (exit 0)."""
    out = tmp_path / "d"
    (out / "tiles").mkdir(parents=True)
    (out / "tiles" / "notes.txt").write_text("mine")
    code, stdout, err = _tile(capsys, str(cloud), "-o", str(out), "--format", "3dtiles", "--threads")
    assert code == 2 and stdout == ""
    assert err.startswith(f"error: {out}: the folder holds files Twinscape did not write (tiles/notes.txt)")
    assert "--overwrite" in err and "Traceback" not in err
    assert (out / "tiles" / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in out.rglob("*")) == ["notes.txt", "tiles"]
    assert _leftovers(tmp_path) == []


def test_overwrite_writes_beside_user_files_and_reruns_replace_only_ours(cloud: Path, tmp_path: Path, capsys) -> None:
    """--overwrite writes into the folder but keeps the user's files; the manifest then marks the
    folder as ours, so a rerun needs no flag, and its stale tiles (listed) go, the user's stay."""
    out = tmp_path / "d"
    (out / "tiles" / "0").mkdir(parents=True)
    (out / "tiles" / "notes.txt").write_text("mine")
    (out / "tiles" / "0" / "keep.bin").write_bytes(b"\1\2")
    (out / "README").write_text("the user's")
    tile([str(cloud)], str(out), fmt="3dtiles", overwrite=True, **SMALL)
    first = json.loads((out / MANIFEST).read_text())["files"]
    assert "tileset.json" in first and len(first) > 3  # several tiles at max_leaf=1,500
    assert not {"tiles/notes.txt", "tiles/0/keep.bin", "README"} & set(first)
    small = tmp_path / "small.las"
    make_cloud(small, 500, seed=4)
    code, stdout, err = _tile(capsys, str(small), "-o", str(out), "--format", "3dtiles", "--threads")
    assert code == 0, err
    assert json.loads(stdout)["output"] == str(out)
    second = json.loads((out / MANIFEST).read_text())["files"]
    assert second == ["tiles/0/0_0_0.pnts", "tileset.json"]
    on_disk = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert on_disk == sorted(["README", "tiles/notes.txt", "tiles/0/keep.bin", MANIFEST, *second])
    assert (out / "tiles" / "notes.txt").read_text() == "mine" and (out / "README").read_text() == "the user's"
    assert json.loads((out / "tileset.json").read_text())["extras"]["points"] == 500


def test_foreign_tileset_json_is_never_replaced(cloud: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "site"
    out.mkdir()
    (out / "tileset.json").write_text('{"asset": {"version": "1.0"}, "mine": true}')
    code, _, err = _tile(capsys, str(cloud), "-o", str(out), "--format", "3dtiles", "--threads", "--overwrite")
    assert code == 2 and err.startswith(f"error: {out}: tileset.json was not written by Twinscape")
    assert json.loads((out / "tileset.json").read_text())["mine"] is True
    assert sorted(p.name for p in out.iterdir()) == ["tileset.json"] and _leftovers(tmp_path) == []


def test_a_linked_tiles_folder_is_never_written_through(cloud: Path, tmp_path: Path, capsys) -> None:
    elsewhere = tmp_path / "elsewhere" / "0"
    elsewhere.mkdir(parents=True)
    (elsewhere / "0_0_0.pnts").write_bytes(b"the user's")
    out = tmp_path / "t"
    out.mkdir()
    (out / "tiles").symlink_to(tmp_path / "elsewhere")
    code, _, err = _tile(capsys, str(cloud), "-o", str(out), "--format", "3dtiles", "--threads", "--overwrite")
    assert code == 2 and err.startswith(f"error: {out}: tiles (a link) was not written by Twinscape")
    assert [p.name for p in elsewhere.iterdir()] == ["0_0_0.pnts"] and (elsewhere / "0_0_0.pnts").read_bytes() == b"the user's"


def test_an_edited_manifest_cannot_make_tile_delete_other_files(cloud: Path, tmp_path: Path) -> None:
    out = tmp_path / "t"
    tile([str(cloud)], str(out), fmt="3dtiles", **SMALL)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (out / "notes.txt").write_text("keep me too")
    manifest = json.loads((out / MANIFEST).read_text())
    manifest["files"] += ["../victim.txt", str(victim), "notes.txt", "tiles/../../victim.txt"]
    (out / MANIFEST).write_text(json.dumps(manifest))
    tile([str(cloud)], str(out), fmt="3dtiles", **SMALL)
    assert victim.read_text() == "keep me" and (out / "notes.txt").read_text() == "keep me too"


def test_copc_refuses_to_replace_a_file_it_did_not_write(cloud: Path, tmp_path: Path, capsys) -> None:
    target = tmp_path / "existing.txt"
    target.write_text("the user's notes")
    code, _, err = _tile(capsys, str(cloud), "-o", str(target), "--threads")
    assert code == 2 and err == (f"error: {target}: exists and is not a COPC file Twinscape wrote; "
                                 "pass --overwrite to replace it\n")
    assert target.read_text() == "the user's notes"
    code, stdout, err = _tile(capsys, str(cloud), "-o", str(target), "--threads", "--overwrite")
    assert code == 0, err
    assert json.loads(stdout)["output"] == str(target) and is_twinscape_copc(str(target))
    code, _, err = _tile(capsys, str(cloud), "-o", str(target), "--threads")  # ours now: replaced freely
    assert code == 0, err
    assert _leftovers(tmp_path) == []


def test_copc_into_a_folder_is_refused_before_any_work(cloud: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    """Before: the whole job ran, then 'internal error: IsADirectoryError' and a leftover .part."""
    from app.tiling import pipeline

    def no_work(path: str):
        raise AssertionError("inputs were read before the output was checked")

    monkeypatch.setattr(pipeline, "scan_input", no_work)
    folder = tmp_path / "existingdir"
    folder.mkdir()
    (folder / "a.txt").write_text("x")
    for extra in ([], ["--overwrite"]):
        code, _, err = _tile(capsys, str(cloud), "-o", str(folder), "--threads", *extra)
        assert code == 2 and err.startswith(f"error: {folder}: is a folder; --format copc writes one file")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existingdir"]


@pytest.mark.parametrize("fmt", ["copc", "3dtiles"])
def test_failure_mid_job_removes_the_partial_output(cloud: Path, tmp_path: Path, capsys, monkeypatch, fmt: str) -> None:
    """A full disk while the output is written: a readable reason (not 'internal error'), no
    partial file or folder, and none of the folders made for the output are left."""
    from app.tiling import copc_writer, pnts_writer

    real = copc_writer.write_copc if fmt == "copc" else pnts_writer.write_tileset

    def full_disk(path: str, *args, **kwargs):
        real(path, *args, **kwargs)  # writes the partial output first
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)

    monkeypatch.setattr(copc_writer if fmt == "copc" else pnts_writer, "write_copc" if fmt == "copc" else "write_tileset", full_disk)
    out = tmp_path / "new" / "deeper" / ("out.copc.laz" if fmt == "copc" else "out")
    code, stdout, err = _tile(capsys, str(cloud), "-o", str(out), "--format", fmt, "--threads")
    assert code == 2 and stdout == ""
    assert err == f"error: {out}: cannot write: the disk is full (No space left on device)\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_interrupt_removes_the_partial_tileset(cloud: Path, tmp_path: Path) -> None:
    """Ctrl-C while tiles are being written: the folder that would have been the output is gone."""
    def progress(fraction: float, message: str) -> None:
        if fraction > 0.5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        tile([str(cloud)], str(tmp_path / "out"), fmt="3dtiles", progress=progress, **SMALL)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize("output, reason", [
    ("/proc/twinscape.copc.laz", "cannot write in /proc: "),
    ("{tmp}/file.txt/out.copc.laz", "{tmp}/file.txt is a file, not a folder"),
    ("{tmp}/file.txt", "exists and is not a folder; --format 3dtiles writes a folder"),
    ("", "the output path is empty"),
])
def test_bad_output_paths_are_not_internal_errors(cloud: Path, tmp_path: Path, capsys, monkeypatch, output: str,
                                                 reason: str) -> None:
    monkeypatch.chdir(tmp_path)  # an empty output once meant the current folder
    (tmp_path / "file.txt").write_text("x")
    output, reason = output.format(tmp=tmp_path), reason.format(tmp=tmp_path)
    fmt = "3dtiles" if output.endswith("file.txt") or not output else "copc"
    code, _, err = _tile(capsys, str(cloud), "-o", output, "--format", fmt, "--threads")
    assert code == 2 and err.startswith(f"error: {output}: {reason}"), err
    assert "internal error" not in err and len(err.splitlines()) == 1
    assert (tmp_path / "file.txt").read_text() == "x"


def test_read_only_mount_is_named_as_such(cloud: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    """EROFS when the temporary output is created (a read-only mount; root ignores chmod, so the
    refusal is simulated where the output module opens the file)."""
    from app.tiling import output

    def read_only(path, *args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), path)

    monkeypatch.setattr(output, "open", read_only, raising=False)
    target = tmp_path / "mnt" / "out.copc.laz"
    code, _, err = _tile(capsys, str(cloud), "-o", str(target), "--threads")
    assert code == 2 and err == f"error: {target}: cannot write in {target.parent}: read-only file system\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # the folder made for it is gone again


def test_output_that_is_also_the_input_is_refused(cloud: Path, tmp_path: Path, capsys) -> None:
    copy = tmp_path / "in.laz"
    copy.write_bytes(cloud.read_bytes())
    code, _, err = _tile(capsys, str(copy), "-o", str(copy), "--threads", "--overwrite")
    assert code == 2 and err == f"error: {copy}: is also an input; choose another output\n"
    assert copy.read_bytes() == cloud.read_bytes()


# --- 2. Ctrl-C: workers exit quietly ----------------------------------------------------------

def test_ctrl_c_with_worker_processes_is_quiet(tmp_path: Path) -> None:
    """SIGINT to the whole process group (what a terminal's Ctrl-C does): before, every dask
    worker process printed two tracebacks. Now: exit 130, one line, no partial output."""
    src = tmp_path / "big.laz"
    make_cloud(src, 200_000, seed=8)
    out = tmp_path / "out.copc.laz"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "app", "tile", str(src), "-o", str(out), "--workers", "2",
                             "--processes", "--chunk-points", "10000", "--progress"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO, env=env,
                            start_new_session=True)
    try:
        seen = []
        for line in proc.stderr:  # wait until the worker processes are up and the job has begun
            seen.append(line)
            if "cluster ready" in line or " read " in line:
                break
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
        stdout, rest = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    err = [ln for ln in "".join(seen[:-1]).splitlines() + rest.splitlines() if not ln.lstrip()[:1].isdigit()]
    assert any("cluster ready" in ln or " read " in ln for ln in seen), seen
    assert proc.returncode == 130, (stdout, err)
    assert err == ["interrupted: nothing was written"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.laz"]


# --- 3. a scheduler that accepts and never answers --------------------------------------------

def test_silent_scheduler_is_an_error_not_a_hang(cloud: Path, tmp_path: Path) -> None:
    """A port that accepts TCP and never speaks (an http.server, a proxy): dask waited for the
    handshake forever. The whole handshake is bounded ($TWINSCAPE_SCHEDULER_TIMEOUT, 15 s default)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    address = f"tcp://127.0.0.1:{server.getsockname()[1]}"
    env = {**os.environ, "PYTHONPATH": str(REPO), "TWINSCAPE_SCHEDULER_TIMEOUT": "1.5"}
    try:
        result = subprocess.run([sys.executable, "-m", "app", "tile", str(cloud), "-o", str(tmp_path / "x.copc.laz"),
                                 "--scheduler", address], capture_output=True, text=True, timeout=40, cwd=REPO, env=env)
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        server.close()
    assert held, "the test server saw no connection"
    assert result.returncode == 2, result.stderr
    assert result.stderr == (f"error: {address}: cannot reach the dask scheduler: no answer within 1.5 s "
                             "(is it a dask scheduler?)\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_scheduler_bound_reads_the_environment(monkeypatch) -> None:
    from app.tiling.cluster import SCHEDULER_TIMEOUT_S, scheduler_timeout

    monkeypatch.setenv("TWINSCAPE_SCHEDULER_TIMEOUT", "2.5")
    assert scheduler_timeout() == 2.5 and scheduler_timeout(4) == 4.0
    monkeypatch.setenv("TWINSCAPE_SCHEDULER_TIMEOUT", "nonsense")
    assert scheduler_timeout() == SCHEDULER_TIMEOUT_S == 15.0


# --- 4. numeric options in range ----------------------------------------------------------------

@pytest.mark.parametrize("option, value, message", [
    ("--chunk-points", "0", "--chunk-points must be between 10,000 and 50,000,000, not 0"),
    ("--chunk-points", "-5", "--chunk-points must be between 10,000 and 50,000,000, not -5"),
    ("--chunk-points", "1", "--chunk-points must be between 10,000 and 50,000,000, not 1"),
    ("--chunk-points", "60000000", "not 60,000,000"),
    ("--chunk-points", "lots", "--chunk-points must be a whole number, not 'lots'"),
    ("--workers", "0", "--workers must be between 1 and 1,024, not 0"),
    ("--workers", "-2", "--workers must be between 1 and 1,024, not -2"),
])
def test_numeric_options_are_checked_at_parse_time(cloud: Path, tmp_path: Path, capsys, option: str, value: str,
                                                    message: str) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["tile", str(cloud), "-o", str(tmp_path / "x.copc.laz"), option, value])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and message in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_worker_processes_are_capped_at_the_cores(cloud: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    """`--workers 64 --processes` started 64 processes on 2 cores."""
    import distributed

    from app.tiling import cluster

    asked: list[int] = []

    class Spy(distributed.LocalCluster):
        def __init__(self, *args, **kwargs) -> None:
            asked.append(kwargs["n_workers"])
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(distributed, "LocalCluster", Spy)
    monkeypatch.setattr(cluster, "available_cores", lambda: 1)
    monkeypatch.setattr("app.tiling.pipeline.available_cores", lambda: 1)
    code, stdout, err = _tile(capsys, str(cloud), "-o", str(tmp_path / "x.copc.laz"), "--workers", "64", "--processes")
    assert code == 0, err
    assert asked == [1]
    assert err == "warning: 64 worker processes asked for, but 1 core is available; using 1\n"
    assert json.loads(stdout)["points"] == 12_000


def test_library_refuses_non_positive_sizes(cloud: Path, tmp_path: Path) -> None:
    for bad in (dict(chunk_points=0), dict(workers=0)):
        with pytest.raises(ValueError):
            tile([str(cloud)], str(tmp_path / "x.copc.laz"), **{**SMALL, **bad})
    with pytest.raises(LoadError):  # bad input and output paths stay LoadErrors for the GUI too
        tile([str(cloud)], str(tmp_path), **SMALL)
