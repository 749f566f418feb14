"""(hazy, clear) training pairs from an archive of captures, as the seed's PAII-Haze built.

Two captures pair when they cover the same footprint (same CRS, transform and size),
were taken within ``max_days`` of each other (the surface barely changes in 5 days;
Sentinel-2A/B revisit every 5 days) and the first is hazier than the second by at least
``min_gap`` on the Dark Channel Prior haze index. Each hazy capture is paired with the
clearest capture in its window. Works on real L2A archives and on the demo world.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from os import PathLike
from pathlib import Path

from paii_core.enhance.haze_index import haze_index
from paii_core.errors import InputFileError, ValidationError
from paii_core.io import Raster

__all__ = ["CaptureRecord", "HazePair", "build_pairs", "index_captures"]

_DATE_IN_NAME = re.compile(r"(?<!\d)(20\d{2})(\d{2})(\d{2})(?!\d)")


@dataclass(frozen=True)
class CaptureRecord:
    """One capture: where it lies, when, and how hazy it is."""

    path: str
    day: date
    footprint: tuple
    """(crs text, transform a..f, height, width): equal tuples mean the same pixels."""
    haze: float
    """Dark Channel Prior haze index, 0..255."""


@dataclass(frozen=True)
class HazePair:
    """A hazy capture and the clearer capture of the same place used as its target."""

    hazy: CaptureRecord
    clear: CaptureRecord

    @property
    def days_apart(self) -> int:
        return abs((self.hazy.day - self.clear.day).days)

    @property
    def haze_gap(self) -> float:
        return self.hazy.haze - self.clear.haze


def _capture_date(raster: Raster, path: Path) -> date:
    for key in ("DATATAKE_SENSING_START", "DATE", "TIFFTAG_DATETIME"):
        text = raster.tags.get(key, "")
        try:
            return date.fromisoformat(text[:10].replace(":", "-"))
        except ValueError:
            continue
    m = _DATE_IN_NAME.search(path.name)
    if m:
        return date(int(m[1]), int(m[2]), int(m[3]))
    raise InputFileError(
        path,
        "has no capture date (no DATE/DATATAKE_SENSING_START tag, no YYYYMMDD in name)",
        "add a DATE tag (gdal_edit.py -mo DATE=2020-07-27 FILE) or put the date in the name",
    )


def index_captures(
    paths: Iterable[str | PathLike[str]], reader: Callable[[Path], Raster]
) -> list[CaptureRecord]:
    """Read each BGRN capture with ``reader`` and record its footprint, date and haze."""
    records = []
    for p in map(Path, paths):
        raster = reader(p)
        footprint = (
            str(raster.crs),
            tuple(round(v, 6) for v in tuple(raster.transform)[:6]),
            *raster.data.shape[1:],
        )
        level = haze_index(raster.data).level
        records.append(CaptureRecord(str(p), _capture_date(raster, p), footprint, level))
    return records


def build_pairs(
    records: Sequence[CaptureRecord], *, max_days: int = 5, min_gap: float = 10.0
) -> list[HazePair]:
    """Pair every capture with the clearest capture of the same footprint within
    ``max_days`` whose haze index is at least ``min_gap`` lower; pairs are returned
    hazy-first, sorted by footprint then date. Raises ValidationError for a negative
    window or gap."""
    if max_days < 0 or min_gap < 0:
        raise ValidationError(f"max_days and min_gap must be >= 0, got {max_days}, {min_gap}")
    groups: dict[tuple, list[CaptureRecord]] = defaultdict(list)
    for r in records:
        groups[r.footprint].append(r)
    pairs = []
    for key in sorted(groups, key=str):
        group = sorted(groups[key], key=lambda r: (r.day, r.path))
        for hazy in group:
            near = [
                c
                for c in group
                if c is not hazy
                and abs((c.day - hazy.day).days) <= max_days
                and hazy.haze - c.haze >= min_gap
            ]
            if near:
                best = min(near, key=lambda c: (c.haze, abs((c.day - hazy.day).days)))
                pairs.append(HazePair(hazy, best))
    return pairs
