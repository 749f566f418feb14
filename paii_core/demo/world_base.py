"""What every part of the demo world shares: its sizes, dates, seeded generators and the
writer that records each file for the manifest."""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

__all__ = [
    "HIRES_FACTOR",
    "PIXEL_M",
    "REVISIT_DAYS",
    "SEASON_START",
    "SIZES",
    "SOUNDING_START",
    "WorldSize",
    "Writer",
    "flood_dates",
    "season_dates",
    "seeded_rng",
    "sha256",
]


@dataclass(frozen=True)
class WorldSize:
    """How big a world to build: the full demo or a tiny one for tests."""

    name: str
    aoi_px: int
    """Side of each area of interest in 10 m pixels."""
    n_dates: int
    years: range
    sounding_days: int
    hires_dates: int
    """How many dates keep their 2.5 m truth (the super-resolution target)."""


SIZES: dict[str, WorldSize] = {
    "full": WorldSize(
        "full", aoi_px=400, n_dates=14, years=range(2001, 2021), sounding_days=93, hires_dates=2
    ),
    "tiny": WorldSize(
        "tiny", aoi_px=64, n_dates=12, years=range(2008, 2021), sounding_days=20, hires_dates=1
    ),
}

SEASON_START = date(2020, 3, 5)
REVISIT_DAYS = 16
SOUNDING_START = date(2019, 6, 1)
HIRES_FACTOR = 4
PIXEL_M = 10.0


def season_dates(n: int) -> list[date]:
    """The optical/SAR capture dates of the 2020 season: every 16 days from 5 March."""
    return [SEASON_START + timedelta(days=REVISIT_DAYS * i) for i in range(n)]


def flood_dates() -> list[date]:
    """Sentinel-1 dates around the July 2020 Hubei flood (12-day repeat), peak 20 July."""
    return [date(2020, 6, 26) + timedelta(days=12 * i) for i in range(5)]


def seeded_rng(seed: int, *parts: str) -> np.random.Generator:
    keys = [zlib.crc32(p.encode()) for p in parts]
    return np.random.default_rng(np.random.SeedSequence([seed, *keys]))


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class Writer:
    """Writes files under the world folder and remembers each one for the manifest."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: dict[str, str] = {}

    def path(self, rel: str) -> Path:
        p = self.root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    def done(self, p: Path) -> None:
        self.files[p.relative_to(self.root).as_posix()] = sha256(p)
