"""4D benchmarks (`make bench`): the per-step state update while scrubbing, and a 50 MB schedule.

Printed for the README's performance table; nothing here is a timed assertion.
"""
from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import numpy as np

from app.model.fourd import FourD
from loaders.schedule import read_schedule
from tests.schedule_fixtures import make_tasks, mspdi_text


def test_scrub_10k_elements_1k_tasks() -> None:
    """10,000 elements linked to 1,000 tasks (1-7 tasks each, mixed types): precompute once, then
    one state update per clock step over the whole schedule."""
    rng = np.random.default_rng(11)
    tasks = make_tasks(1000, seed=11, types=True)
    per = rng.integers(1, 8, size=10_000)
    element = np.repeat(np.arange(10_000), per)
    task = rng.integers(0, 1000, size=len(element))
    t0 = time.perf_counter()
    f = FourD(tasks, element, task, 10_000)
    setup = time.perf_counter() - t0
    start, finish = tasks[0].start, max(t.finish for t in tasks)
    steps = [start + (finish - start) * k / 500 for k in range(501)]
    times = []
    for when in steps:
        a = time.perf_counter()
        f.states(when)
        times.append(time.perf_counter() - a)
    ms = np.array(times) * 1000
    print(f"\n4D scrub: {len(element):,} links, setup {setup * 1000:.1f} ms, per step median {np.median(ms):.2f} ms, "
          f"p95 {np.percentile(ms, 95):.2f} ms, max {ms.max():.2f} ms over {len(steps)} steps")
    assert f.states(finish + timedelta(days=1)).shape == (10_000,)


def test_read_a_50mb_mspdi(tmp_path: Path) -> None:
    """About 100k tasks in a 50 MB MS Project XML: read with the streaming parser (bounded at 64 MiB)."""
    tasks = make_tasks(1000, seed=3)
    text = mspdi_text(tasks)
    head, sep, rest = text.partition("<Task><UID>1</UID>")
    body = sep + rest[: rest.rindex("</Tasks>")]
    copies = int(50e6 // len(body)) + 1
    path = tmp_path / "big.xml"
    with path.open("w", encoding="utf-8") as fh:
        fh.write(head)
        for k in range(copies):
            fh.write(body.replace("<UID>", f"<UID>{k}-"))
        fh.write("</Tasks></Project>\n")
    t0 = time.perf_counter()
    s = read_schedule(str(path))
    dt = time.perf_counter() - t0
    print(f"\n50 MB MSPDI: {path.stat().st_size / 1e6:.0f} MB, {len(s.tasks):,} tasks in {dt:.2f} s")
    assert len(s.tasks) == copies * 1000
