"""Where the embedded demo project lives."""
from __future__ import annotations

from pathlib import Path


def demo_project_path() -> Path:
    return Path(__file__).resolve().parent.parent / "assets" / "demo" / "demo.twin"
