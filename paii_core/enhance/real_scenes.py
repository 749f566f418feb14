"""Real scenes of the enhancement development set (data/real/), with their splits.

Four real captures, each read from its file in the project (see PROVENANCE.txt beside
it): a Sentinel-2 L2A crop in South Tyrol (surface reflectance, 10 m), five Sentinel-2
L1C dates in Slovenia (top of atmosphere, real thin haze on one date), a Landsat-7
ETM+ crop at Olinda (top of atmosphere, 28.5 m) and a Landsat-5 TM crop in Para, Brazil
(top of atmosphere, 30 m). Only the south of the Italian crop and the Landsat-5 crop
(:func:`landsat5_toa`, a development scene for TOA choices) may be used for training or
tuning (:func:`italy_l2a` ``part="train"``); everything else is held out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import rasterio
from numpy.typing import NDArray

from paii_core.config import paths
from paii_core.errors import InputNotFoundError, ValidationError
from paii_core.io import read_geotiff, read_landsat

__all__ = [
    "SLOVENIA_DATES",
    "RealScene",
    "italy_l2a",
    "landsat5_toa",
    "landsat7_toa",
    "real_dir",
    "slovenia_cloud_share",
    "slovenia_l1c",
]

SLOVENIA_DATES: dict[str, str] = {
    "2015-07-11": "clear",
    "2015-07-31": "haze",
    "2015-08-20": "thick cloud",
    "2015-08-30": "clear",
    "2015-09-09": "clear",
}
ITALY_ROWS = {"bench": (0, 320), "train": (384, 704)}
"""Row ranges of the Italian crop: the north is held out, the south may train."""

# Landsat-7 ETM+ high-gain rescaling (LMIN, LMAX in W m-2 sr-1 um-1) and ESUN
# (W m-2 um-1) for bands 1-4 (Chander, Markham & Helder 2009, tables 1 and 11).
_ETM_LMIN = np.array([-6.2, -6.4, -5.0, -5.1])
_ETM_LMAX = np.array([191.6, 196.5, 152.9, 157.4])
_ETM_ESUN = np.array([1997.0, 1812.0, 1533.0, 1039.0])
_ASSUMED_SUN_ELEVATION_DEG = 55.0


@dataclass(frozen=True)
class RealScene:
    """One real BGRN capture: ``image`` ``(4, H, W)`` float32 reflectance (NaN nodata)."""

    name: str
    sensor: str
    level: Literal["L2A", "TOA"]
    date: str
    pixel_m: float
    image: NDArray[np.float32]


def real_dir() -> Path:
    """The folder of the real development set: ``data/real`` in the repository."""
    return paths().reference / "real"


def _file(*parts: str) -> Path:
    path = real_dir().joinpath(*parts)
    if not path.is_file():
        raise InputNotFoundError(
            f"{path}: real scene missing. Fix: restore data/real/ from the repository "
            "(git checkout -- data/real)"
        )
    return path


def italy_l2a(part: Literal["bench", "train", "all"] = "bench") -> RealScene:
    """The Sentinel-2 L2A crop (2022-06-12): rows 0..319 (``"bench"``, held out), 384..703
    (``"train"``) or all 704 rows; 932 columns (a multiple of 4).
    Raises ValidationError for another part."""
    if part not in (*ITALY_ROWS, "all"):
        raise ValidationError(f"part must be 'bench', 'train' or 'all', got {part!r}")
    path = _file("italy_s2_l2a_openeo", "S2_L2A_sample.tif")
    with rasterio.open(path) as src:
        # The file names its bands in per-band DESCRIPTION tags (B04, B03, B02, B08, SCL).
        index = {src.tags(i).get("DESCRIPTION"): i for i in range(1, src.count + 1)}
        dn = src.read([index[b] for b in ("B02", "B03", "B04", "B08")]).astype(np.float32)
    # Sentinel Hub delivers harmonised L2A (no BOA_ADD_OFFSET to apply): see PROVENANCE.
    data = np.where(dn == 0, np.nan, dn / np.float32(10_000.0)).astype(np.float32)
    r0, r1 = ITALY_ROWS.get(part, (0, 704))
    return RealScene(
        f"italy_l2a_{part}", "Sentinel-2", "L2A", "2022-06-12", 10.0, data[:, r0:r1, :932]
    )


def slovenia_l1c(date: str) -> RealScene:
    """One Sentinel-2 L1C date of the Slovenian patch, cropped to 100 x 100 px (TOA).
    Raises ValidationError for a date not in :data:`SLOVENIA_DATES`."""
    if date not in SLOVENIA_DATES:
        raise ValidationError(f"date must be one of {sorted(SLOVENIA_DATES)}, got {date!r}")
    path = _file("slovenia_s2_l1c_eolearn", f"S2_L1C_TOA_{date.replace('-', '')}.tif")
    data = read_geotiff(path, expected_bands=4).data[:, :100, :100]
    return RealScene(f"slovenia_l1c_{date}", "Sentinel-2", "TOA", date, 10.0, data)


def slovenia_cloud_share(date: str) -> float:
    """Share of the Slovenian crop (the 100 x 100 px of :func:`slovenia_l1c`) that
    eo-learn's s2cloudless mask (``CLM``, Sentinel Hub's run) marks as cloud on ``date``.
    Raises ValidationError for a date not in :data:`SLOVENIA_DATES`."""
    if date not in SLOVENIA_DATES:
        raise ValidationError(f"date must be one of {sorted(SLOVENIA_DATES)}, got {date!r}")
    path = _file("slovenia_s2_l1c_13band", f"CLM_{date.replace('-', '')}_eolearn.tif")
    with rasterio.open(path) as src:
        return float(np.mean(src.read(1)[:100, :100] > 0))


def etm_toa(dn: np.ndarray, sun_elevation_deg: float) -> np.ndarray:
    """Landsat-7 ETM+ DN ``(4, H, W)`` of bands 1-4 to TOA reflectance by the high-gain
    rescaling (radiance = LMIN + (LMAX - LMIN) / 254 (DN - 1)) and the solar irradiance
    of each band; DN 0 in all four bands (fill) is NaN."""
    radiance = (_ETM_LMAX - _ETM_LMIN)[:, None, None] / 254.0 * (dn - 1.0)
    radiance += _ETM_LMIN[:, None, None]
    cos_sz = np.cos(np.deg2rad(90.0 - sun_elevation_deg))
    toa = np.pi * radiance / (_ETM_ESUN[:, None, None] * cos_sz)
    toa[:, (dn == 0).all(axis=0)] = np.nan
    return toa


def landsat7_toa() -> RealScene:
    """The Landsat-7 ETM+ crop as approximate TOA reflectance ``(4, 352, 348)``: DN to
    radiance by the high-gain rescaling, to reflectance with an assumed sun elevation of
    55 degrees (the file has no acquisition metadata; see PROVENANCE.txt)."""
    path = _file("olinda_landsat7_stars", "L7_ETMs.tif")
    with rasterio.open(path) as src:
        dn = src.read([1, 2, 3, 4]).astype(np.float64)[:, :352, :348]
    toa = etm_toa(dn, _ASSUMED_SUN_ELEVATION_DEG)
    name = "landsat7_olinda_toa"
    return RealScene(name, "Landsat-7 ETM+", "TOA", "unknown", 28.5, toa.astype(np.float32))


_LANDSAT5_ID = "LT52240631988227CUB02"


def landsat5_toa() -> RealScene:
    """The Landsat-5 TM crop (Para, Brazil, 1988-08-14) as TOA reflectance ``(4, 310, 287)``
    calibrated by its MTL file (radiance range, sun elevation, Earth-Sun distance of the
    day) through the product reader :func:`paii_core.io.read_landsat`, as `paii dehaze`
    reads it. A development scene: TOA choices may be tuned on it, never judged on it."""
    product = read_landsat(_file("rstoolbox_landsat5_tm", f"{_LANDSAT5_ID}_MTL.txt"))
    toa, date = product.data, product.tags["DATE"]
    return RealScene("landsat5_para_toa", "Landsat-5 TM", "TOA", date, 30.0, toa.astype(np.float32))
