"""Optical scenes of any stored area (demo or added with `paii area add`), for the Imagery page.

The scene list comes from the store's area records (:func:`workspace.area_files`), so a
user's own area has its dates like a demo area. Figures only the demo world's truth knows
(its simulated haze optical depth τ550, cloud-free and 2.5 m truth images) are attached
when the area is simulated and the demo MANIFEST lists the same file; otherwise they are
None and the computed haze index stands alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from os import PathLike
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from paii_core import workspace
from paii_core.enhance import demo_scenes as ds
from paii_core.enhance.files import read_bgrn
from paii_core.enhance.haze_index import haze_index
from paii_core.errors import DemoWorldMissingError, FormatError, InputFileError

__all__ = [
    "CLOUDY_BELOW",
    "AreaScene",
    "area_scenes",
    "clear_neighbours",
    "haze_table",
    "with_pixels",
]

CLOUDY_BELOW = 0.9
"""A date with less than this fraction of valid (cloud-free) pixels counts as cloudy."""


@dataclass(frozen=True)
class AreaScene:
    """One Sentinel-2 date of a stored area and the files that go with it."""

    aoi_id: str
    day: date
    s2: Path
    s1: Path | None
    simulated: bool
    valid_fraction: float | None
    """Share of cloud-free pixels recorded when the area was added (None if unknown)."""
    tau550: float | None = None
    """Simulated haze optical depth: demo areas only."""
    clear_truth: Path | None = None
    hires_truth: Path | None = None

    @property
    def cloudy(self) -> bool:
        return self.valid_fraction is not None and self.valid_fraction < CLOUDY_BELOW


def _demo_truth(data_dir: str | PathLike[str] | None) -> dict[Path, ds.DemoScene]:
    try:
        scenes = ds.demo_scenes(None if data_dir is None else Path(data_dir))
    except DemoWorldMissingError:
        return {}
    return {s.s2.resolve(): s for s in scenes}


def area_scenes(
    con: duckdb.DuckDBPyConnection, aoi_id: str, *, data_dir: str | PathLike[str] | None = None
) -> list[AreaScene]:
    """The area's Sentinel-2 L2A dates (L1C when it has no L2A), by date, each with its
    same-day Sentinel-1 file if any. Raises ValidationError for an area not in the store."""
    record = workspace.get_area(con, aoi_id)
    s2 = workspace.area_files(con, aoi_id, "s2_l2a", data_dir=data_dir)
    if s2.empty:
        s2 = workspace.area_files(con, aoi_id, "s2_l1c", data_dir=data_dir)
    s1 = workspace.area_files(con, aoi_id, "s1_grd", data_dir=data_dir)
    sar = {_day(a): Path(p) for a, p in zip(s1["acquired"], s1["path"], strict=True)}
    truth = _demo_truth(data_dir) if record.simulated else {}
    out = []
    for row in s2.sort_values("acquired").to_dict("records"):
        path, day = Path(row["path"]), _day(row["acquired"])
        valid = row["details"].get("valid_fraction")
        demo = truth.get(path.resolve())
        out.append(
            AreaScene(
                aoi_id,
                day,
                path,
                sar.get(day),
                bool(row["simulated"]),
                None if valid is None else float(valid),
                None if demo is None else demo.tau550,
                None if demo is None else demo.clear_truth,
                None if demo is None else demo.hires_truth,
            )
        )
    return out


def _day(value: object) -> date:
    return value.date() if hasattr(value, "date") else value  # type: ignore[return-value]


def _haze_level(path: Path) -> float:
    """The haze index of one date; NaN when no pixel of it is valid (clouds masked)."""
    try:
        return haze_index(read_bgrn(path).data).level
    except InputFileError as e:
        if isinstance(e, FormatError):
            raise
        return float("nan")  # all nodata: an L1C date masked whole by its clouds


def haze_table(scenes: list[AreaScene]) -> pd.DataFrame:
    """Haze index of each scene: columns date, haze_index (NaN for a date without a valid
    pixel), valid_fraction, cloudy and tau550 (NaN where the simulated truth is not known)."""
    rows = [
        {
            "date": s.day,
            "haze_index": _haze_level(s.s2),
            "valid_fraction": np.nan if s.valid_fraction is None else s.valid_fraction,
            "cloudy": s.cloudy,
            "tau550": np.nan if s.tau550 is None else s.tau550,
        }
        for s in scenes
    ]
    return pd.DataFrame(rows, columns=["date", "haze_index", "valid_fraction", "cloudy", "tau550"])


def with_pixels(
    scenes: list[AreaScene], table: pd.DataFrame
) -> tuple[list[AreaScene], pd.DataFrame]:
    """The scenes (and their :func:`haze_table` rows) that have a valid pixel: a date
    masked whole by clouds cannot be shown or enhanced."""
    keep = table["haze_index"].notna().to_numpy()
    return [s for s, k in zip(scenes, keep, strict=True) if k], table[keep].reset_index(drop=True)


def clear_neighbours(
    scenes: list[AreaScene], table: pd.DataFrame, scene: AreaScene, count: int = 2
) -> list[AreaScene]:
    """The ``count`` other dates nearest in time to ``scene`` that are neither cloudy nor
    hazy, as other dates for multi-date SR. Hazy: simulated τ550 above 0 where the demo
    truth knows it, else a haze index above the area's median."""
    median = float(np.nanmedian(table["haze_index"])) if len(table) else 0.0

    def clear(i: int, s: AreaScene) -> bool:
        if s.cloudy:
            return False
        if s.tau550 is not None:
            return s.tau550 == 0.0
        return float(table["haze_index"].iloc[i]) <= median

    same = [s for i, s in enumerate(scenes) if s.day != scene.day and clear(i, s)]
    return sorted(same, key=lambda s: abs((s.day - scene.day).days))[:count]
