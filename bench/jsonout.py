"""``--json OUT`` for the benchmark modules: their figures as one JSON file for
``bench.run_all`` (numpy scalars and arrays, tuples, paths and NaN written plainly)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["plain", "write_json"]


def plain(obj: Any) -> Any:
    """``obj`` with numpy values as Python ones and NaN/inf as None (JSON has neither)."""
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return plain(obj.tolist())
    if isinstance(obj, np.generic):
        return plain(obj.item())
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, Path):
        return str(obj)
    return obj


def write_json(path: str | Path | None, obj: Any) -> None:
    """Write ``obj`` to ``path`` (nothing when ``path`` is None), via a temporary file so a
    reader never sees half a file."""
    if path is None:
        return
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(plain(obj), indent=1))
    tmp.replace(path)
