"""The demo world's optical scenes, as the Imagery page and the benchmark use them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from paii_core.config import paths
from paii_core.enhance.files import read_bgrn
from paii_core.enhance.haze_index import haze_index
from paii_core.errors import DemoWorldMissingError, ValidationError
from paii_core.io import Raster, read_sentinel1

__all__ = ["DemoScene", "demo_scenes", "haze_table", "neighbour_dates", "read_scene", "window"]


@dataclass(frozen=True)
class DemoScene:
    """One Sentinel-2 capture of a demo area and the files that go with it."""

    aoi_id: str
    day: date
    tau550: float
    cloudy: bool
    s2: Path
    s1: Path | None
    clear_truth: Path | None
    hires_truth: Path | None
    shift_px: tuple[float, float] = (0.0, 0.0)
    """The capture's simulated sub-pixel offset (dy, dx) from the truth grid, in 10 m px."""


def demo_scenes(data_dir: Path | None = None) -> list[DemoScene]:
    """Every S2 capture listed in the demo MANIFEST.json, by area then date.
    Raises DemoWorldMissingError when the demo world has not been built."""
    demo = (paths().data if data_dir is None else Path(data_dir)) / "demo"
    manifest = demo / "MANIFEST.json"
    if not manifest.is_file():
        raise DemoWorldMissingError(f"{manifest}: no demo world. Fix: run `paii demo build`")
    m = json.loads(manifest.read_text())
    out = []
    for aoi in m["aois"]:
        tag = aoi["aoi_id"]
        for rec in aoi["s2"]:
            stamp = rec["date"].replace("-", "")

            def maybe(rel: str) -> Path | None:
                p = demo / rel
                return p if p.is_file() else None

            out.append(
                DemoScene(
                    tag,
                    date.fromisoformat(rec["date"]),
                    float(rec["haze_tau550"]),
                    bool(rec["cloudy"]),
                    demo / f"{tag}/s2/S2_{tag}_{stamp}_L2A.tif",
                    maybe(f"{tag}/s1/S1_{tag}_{stamp}_sigma0.tif"),
                    maybe(f"truth/{tag}/clear/S2_{tag}_{stamp}_clear.tif"),
                    maybe(f"truth/{tag}/hires/S2_{tag}_{stamp}_2p5m.tif"),
                    tuple(rec.get("shift_px", (0.0, 0.0))),
                )
            )
    return out


def haze_table(scenes: list[DemoScene]) -> pd.DataFrame:
    """Haze index of each scene: columns aoi_id, date, haze_index, tau550, cloudy."""
    rows = [
        {
            "aoi_id": s.aoi_id,
            "date": s.day,
            "haze_index": haze_index(read_bgrn(s.s2).data).level,
            "tau550": s.tau550,
            "cloudy": s.cloudy,
        }
        for s in scenes
    ]
    return pd.DataFrame(rows)


def neighbour_dates(scenes: list[DemoScene], scene: DemoScene, count: int = 2) -> list[DemoScene]:
    """The ``count`` captures of the same area nearest in time to ``scene`` that are
    neither cloudy nor hazy, as other dates for multi-date SR."""
    same = [
        s
        for s in scenes
        if s.aoi_id == scene.aoi_id and s.day != scene.day and not s.cloudy and s.tau550 == 0.0
    ]
    return sorted(same, key=lambda s: abs((s.day - scene.day).days))[:count]


def read_scene(scene: DemoScene) -> tuple[Raster, NDArray[np.float32] | None]:
    """The capture as BGRN reflectance and its same-day SAR (VV, VH dB) if there is one."""
    raster = read_bgrn(scene.s2)
    sar = None if scene.s1 is None else read_sentinel1(scene.s1).data
    return raster, sar


def window(
    data: NDArray, row: int, col: int, size: int | tuple[int, int], scale: int = 1
) -> NDArray:
    """A ``size`` x ``size`` (or ``(rows, cols)``) window at (row, col) of a ``(C, H, W)``
    array, in units of the input grid (``scale`` for an output at a finer grid). Raises
    ValidationError when it does not fit."""
    rows, cols = (size, size) if isinstance(size, int) else size
    h, w = data.shape[-2] // scale, data.shape[-1] // scale
    if not (0 <= row <= h - rows and 0 <= col <= w - cols):
        raise ValidationError(
            f"window {rows} x {cols} px at ({row}, {col}) does not fit in {h} x {w}"
        )
    return data[..., row * scale : (row + rows) * scale, col * scale : (col + cols) * scale]
