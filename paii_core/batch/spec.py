"""What `paii batch` accepts, checked before anything heavy is imported or started.

Kept free of torch, rasterio and the engine so that `paii batch` can refuse bad
arguments and start its workers within a second; the engine's own lists are checked
against these by tests/batch/test_units.py.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from paii_core.errors import InputNotFoundError, ValidationError

__all__ = [
    "DEVICES",
    "HALO",
    "JOBS",
    "METHODS",
    "check_inputs",
    "check_options",
    "model_version",
]

JOBS: tuple[str, ...] = ("dehaze", "sr", "cropland", "parcels", "flood")
HALO: dict[str, int] = {"dehaze": 64, "sr": 32, "cropland": 16, "parcels": 64, "flood": 128}
"""Context px around each core. SR: its 32 px margin, over the network's ~25 px field,
so windows join exactly; cropland: twice the model's 8 px feature halo; parcels: a
field's width (fields are ~5-40 px across); dehaze and flood see further (a ~100 px
network field, image-wide water thresholds), so their windows are close, not exact."""
DEVICES: tuple[str, ...] = ("auto", "cpu", "cuda")
METHODS: dict[str, tuple[str, ...]] = {
    "dehaze": ("model", "dcp", "path"),
    "sr": ("model", "bicubic"),
}
"""`--method` of the enhancement jobs (paii_core.enhance.api's DEHAZE_METHODS, SR_METHODS)."""
WEIGHTS_FILE = "weights.pt"
BOX_SPECIALIST = "box"
"""The SR box specialist's sub-folder (``paii_core.enhance.api.BOX_SPECIALIST``; the client
never imports torch, so the name is repeated here and a test keeps the two equal)."""


def check_options(job: str, method: str, dem: str | Path | None, device: str) -> None:
    """Raise ValidationError for an unknown job, method or device (``dem`` is optional for
    flood, as for `paii flood`: without it there is no HAND/slope exclusion)."""
    if job not in JOBS:
        raise ValidationError(f"job {job!r} is unknown; use one of {', '.join(JOBS)}")
    if job in METHODS and method not in METHODS[job]:
        raise ValidationError(
            f"--method {method!r} is unknown for {job}; use one of {', '.join(METHODS[job])}"
        )
    if device not in DEVICES:
        raise ValidationError(f"--device {device!r} is unknown; use one of {', '.join(DEVICES)}")


def check_inputs(paths: Sequence[str | Path]) -> list[Path]:
    """Existing input files, in the order given; raises InputNotFoundError for a missing
    one, ValidationError for a folder."""
    if not paths:
        raise ValidationError("--inputs is empty; pass one or more GeoTIFFs or STAC items")
    out = []
    for p in map(Path, paths):
        try:
            exists = p.is_file()
        except OSError:  # e.g. a name too long for the file system
            exists = False
        if not exists and p.is_dir():
            raise ValidationError(
                f"--inputs {p}: is a folder, not a file. Fix: pass its rasters, e.g. "
                f"--inputs {p / '*.tif'} (the shell expands the pattern), or STAC items"
            )
        if not exists:
            raise InputNotFoundError(f"--inputs {p}: no such file; check the path")
        out.append(p)
    return out


def model_version(job: str, method: str = "model") -> str:
    """Version of what computes ``job``: the weights' hash for the networks (as
    :func:`paii_core.enhance.weights.model_version` gives it), the model files' hash for
    the LightGBM crop models, the engine's source hash for classical methods and flood
    mapping. Reads files only: the client never imports torch."""
    from paii_core.config import paths

    if job in METHODS:
        if method != "model":
            return f"{method}-{_code_version('enhance')}"
        weights = paths().models / job / WEIGHTS_FILE
        if not weights.is_file():
            raise InputNotFoundError(f"{weights}: no trained weights. Fix: run `paii train {job}`")
        version = hashlib.sha256(weights.read_bytes()).hexdigest()[:12]
        box = weights.parent / BOX_SPECIALIST / WEIGHTS_FILE
        if job == "sr" and box.is_file():  # as api.load_model names main + box weights
            version += f"+box.{hashlib.sha256(box.read_bytes()).hexdigest()[:12]}"
        return version
    if job in ("cropland", "parcels"):
        folders = ["cropland"] + (["parcels"] if job == "parcels" else [])
        h = hashlib.sha256()
        for name in folders:
            for f in sorted((paths().models / name).glob("*.txt")):
                h.update(f.read_bytes())
        return h.hexdigest()[:12]
    return f"flood-{_code_version('flood')}"


def _code_version(package: str) -> str:
    """Hash of a classical method's source: a code change reruns its tiles."""
    h = hashlib.sha256()
    for f in sorted((Path(__file__).parent.parent / package).glob("*.py")):
        h.update(f.read_bytes())
    return h.hexdigest()[:12]
