"""Loader test fixtures: the public corpus folder, skipped with a clear reason when absent."""
from __future__ import annotations

from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"


def corpus_path(relative: str = "") -> Path:
    """A path inside ../shared/corpus, or skip the test saying why."""
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not found at {CORPUS}")
    path = CORPUS / relative
    if not path.exists():
        pytest.skip(f"corpus file missing: {path}")
    return path


@pytest.fixture
def corpus() -> Path:
    return corpus_path()
