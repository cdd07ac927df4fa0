"""The tiling pipeline's promises: memory bounded by the chunk size, an external dask scheduler,
progress and cancel, and no leftovers (work folder, worker threads, processes)."""
from __future__ import annotations

import dataclasses
import os
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from app.tiling import tile
from app.tiling.copc_writer import CopcSpec
from app.tiling.inputs import make_layout, scan_input
from app.tiling.octree_build import build_cell, build_top
from app.tiling.partition import partition_range
from loaders.base import LoadCancelled
from tests.tiling.helpers import make_cloud

N = 120_000


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pipe") / "cloud.laz"
    make_cloud(path, N, point_format=7, seed=11)
    return path


def test_tasks_hold_one_chunk_not_the_cloud(cloud: Path, tmp_path: Path) -> None:
    """Partition streams 5k-point chunks; over-full cells are split on disk and built child by
    child; the peak of every task stays far below the cloud's size."""
    info = scan_input(str(cloud))
    layout, _ = make_layout([info], workers=2, chunk_points=5_000, max_cell_points=6_000, max_leaf=1_000)
    # few, big cells force the on-disk split path; a 16^3 sampling grid keeps what each cell root
    # hands up (at most ~8 x 16^2 points on terrain) small against max_cell_points, as 128^3 is
    # against the default 4M-point cells
    layout = dataclasses.replace(layout, cell_level=1, grid_bits=4)
    for sub in ("cells", "work", "bubbled", "chunks"):
        (tmp_path / sub).mkdir()
    cloud_bytes = N * layout.record_size
    tracemalloc.start()
    try:
        stats = partition_range(str(cloud), 0, N, layout, str(tmp_path), 0)
        partition_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        spec = CopcSpec(layout, str(tmp_path))
        built = [build_cell(c, layout, str(tmp_path), spec) for c in stats.cells]
        cell_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert max(stats.cells.values()) > 2 * layout.max_cell_points  # cells really needed splitting
    top = build_top([b["bubbled"] for b in built], layout, spec)
    entries = [e for b in built for e in b["entries"]] + top["entries"]
    assert sum(e["count"] for e in entries) == N
    assert max(e["key"][0] for e in entries) >= 4
    print(f"\npeaks: partition {partition_peak / 1e6:.1f} MB, cells {cell_peak / 1e6:.1f} MB, cloud {cloud_bytes / 1e6:.1f} MB")
    assert partition_peak < 0.25 * cloud_bytes
    assert cell_peak < 0.35 * cloud_bytes


def test_existing_scheduler_is_used(cloud: Path, tmp_path: Path) -> None:
    """--scheduler: the job runs on a cluster we started (loopback TCP) and leaves it running."""
    import laspy
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, host="127.0.0.1", protocol="tcp",
                      dashboard_address=":0") as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        out = tmp_path / "remote.copc.laz"
        before = cluster.scheduler.transition_counter
        result = tile([str(cloud)], str(out), scheduler=address, chunk_points=20_000, max_leaf=5_000)
        assert result.points == N
        assert cluster.scheduler.transition_counter > before + 10  # the tasks ran there
        with Client(address) as client:
            assert len(client.scheduler_info()["workers"]) == 2  # still up: we only borrowed it
        assert len(laspy.read(str(out)).points) == N
        from app.cli import main

        assert main(["tile", str(cloud), "-o", str(tmp_path / "cli.copc.laz"), "--scheduler", address]) == 0
        assert len(laspy.read(str(tmp_path / "cli.copc.laz")).points) == N


def test_unreachable_scheduler_is_a_clean_error(cloud: Path, tmp_path: Path, capsys) -> None:
    import socket

    from app.cli import main

    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = main(["tile", str(cloud), "-o", str(tmp_path / "x.copc.laz"), "--scheduler", f"tcp://127.0.0.1:{port}"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith(f"error: tcp://127.0.0.1:{port}: cannot reach the dask scheduler")
    assert "Traceback" not in err


def test_progress_and_cancel_leave_nothing_behind(cloud: Path, tmp_path: Path) -> None:
    seen: list[float] = []
    tile([str(cloud)], str(tmp_path / "a.copc.laz"), workers=2, processes=False, chunk_points=20_000,
         progress=lambda f, m: seen.append(f))
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) > 4
    calls = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) > 1  # let the first poll pass, then cancel mid-job

    with pytest.raises(LoadCancelled):
        tile([str(cloud)], str(tmp_path / "b.copc.laz"), workers=1, processes=False, chunk_points=5_000, cancel=cancel)
    assert not (tmp_path / "b.copc.laz").exists()
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".twinscape-tile-")]  # work folder removed


def test_worker_processes_are_closed(cloud: Path, tmp_path: Path) -> None:
    """The default local cluster uses worker processes; they are gone when tile() returns."""
    import multiprocessing

    before = {p.pid for p in multiprocessing.active_children()}
    result = tile([str(cloud)], str(tmp_path / "p.copc.laz"), workers=2, processes=True, chunk_points=30_000)
    assert result.points == N
    assert {p.pid for p in multiprocessing.active_children()} <= before
    assert np.isfinite(result.points_per_second)
