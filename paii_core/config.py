"""Paths and settings, resolved from the repository root rather than the cwd."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["REPO_ROOT", "Paths", "make_private_folder", "paths", "torch_device"]

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Paths:
    """Where PAII reads and writes. ``PAII_DATA_DIR`` moves the generated data."""

    root: Path = REPO_ROOT
    data: Path = field(
        default_factory=lambda: Path(os.environ.get("PAII_DATA_DIR", REPO_ROOT / "data"))
    )

    @property
    def boundaries(self) -> Path:
        return REPO_ROOT / "data" / "boundaries"

    @property
    def reference(self) -> Path:
        return REPO_ROOT / "data"

    @property
    def demo(self) -> Path:
        return self.data / "demo"

    @property
    def database(self) -> Path:
        return self.data / "paii.duckdb"

    @property
    def models(self) -> Path:
        return REPO_ROOT / "models"

    @property
    def static(self) -> Path:
        return REPO_ROOT / "static"


def paths() -> Paths:
    """Current paths; read the environment on each call so tests can redirect data."""
    return Paths()


def make_private_folder(folder: Path) -> None:
    """Create ``folder`` (and its parents) if missing, the folder itself owner-only
    (0700): PAII's data folder holds the store (policyholder data, password hashes) and
    its write-ahead log, which DuckDB creates with the umask's mode. An existing folder
    keeps its mode (the dashboard and `paii users list` warn when it is loose)."""
    if not folder.exists():
        folder.mkdir(parents=True, mode=0o700, exist_ok=True)


def torch_device() -> str:
    """``"cuda"`` when a GPU is usable, else ``"cpu"``; ``PAII_DEVICE`` overrides."""
    forced = os.environ.get("PAII_DEVICE")
    if forced:
        return forced
    try:
        import torch
    except ImportError:
        return "cpu"
    return "cuda" if torch.cuda.is_available() else "cpu"
