"""The larger fuzz set (issue 10 item 7), for `make bench`: TWINSCAPE_BENCH_FUZZ_PER_FORMAT
seeded mutations (default 24) of one real file per format through `twinscape info --deep` and
`twinscape render`, under a 3 GiB address-space cap, 60 s per batch of 40 inputs. The same
rules as tests/loaders/test_fuzz_cli.py; prints how many loaded and how many failed cleanly.
TWINSCAPE_BENCH_FUZZ_SEED picks another seed (the default is fixed, so a failure reproduces)."""
from __future__ import annotations

import os
import time
from pathlib import Path

from tests.loaders.fuzz_cases import ORIGINALS, judge, make_cases, run_twinscape

PER_FORMAT = int(os.environ.get("TWINSCAPE_BENCH_FUZZ_PER_FORMAT", 24))
SEED = int(os.environ.get("TWINSCAPE_BENCH_FUZZ_SEED", 2026))


def test_bench_fuzz_every_format(tmp_path: Path) -> None:
    start = time.perf_counter()
    cases, unavailable = make_cases(tmp_path, list(ORIGINALS), PER_FORMAT, seed=SEED)
    found = judge(cases, tmp_path, timeout=60.0, batch=40)
    seconds = time.perf_counter() - start
    loaded = 0
    for i in range(0, len(cases), 40):  # how many of the mutants still load (for the table only)
        result = run_twinscape(["info", *[str(c.entry) for c in cases[i:i + 40]]], 60.0, tmp_path)
        loaded += len(result.stdout.splitlines()) if result is not None else 0
    print(f"\n| fuzz: {len(cases)} mutated files ({PER_FORMAT} per format, {len(ORIGINALS) - len(unavailable)} formats), "
          f"info --deep + render | {seconds:.1f} s | {loaded} load, {len(cases) - loaded} fail cleanly; "
          f"{len(found)} problems{'; not available: ' + ', '.join(unavailable) if unavailable else ''} |")
    assert not found, "\n".join(found)
