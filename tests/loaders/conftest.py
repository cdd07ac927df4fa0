"""Loader test fixtures: the public corpus folder (skipped with a clear reason when absent)."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CORPUS, corpus_file as corpus_path  # noqa: F401 - one corpus helper for all tests


@pytest.fixture
def corpus() -> Path:
    return corpus_path("")
