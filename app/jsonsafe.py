"""JSON-safe values for reports and CLI output: NaN/inf become null, numpy scalars and arrays plain
Python, tuples lists. One copy for `twinscape info`, `compare` and `change` (json.dumps would
otherwise write NaN, which is not JSON)."""
from __future__ import annotations

import math
from typing import Any


def clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if hasattr(value, "tolist"):
        return clean(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
