"""Absolute backscatter levels of open water: the check for a scene with a single mode.

The split-based threshold (:func:`paii_core.flood.water.fit_water`) assumes the scene, or
its tiles, hold both water and land. A window clipped inside a flooded plain has no land
mode, and a window of dry fields no water mode; a two-class split of either cuts one class
in two (on the development windows of the Sen1Floods11 chips, ``bench.flood.water_windows``:
all-water Sri Lanka windows split at -17 dB, water IoU 0.10-0.17 against global Otsu's
0.46-0.52; dry Spain windows split at -13 to -14.5 dB). Where the scene's histogram shows no
valley at the chosen split, the split is inside a mode, and which class that mode is comes
from physically grounded levels instead of the scene's own histogram:

- calm open water in Sentinel-1 IW sigma0 lies below about -15 to -18 dB in VV and about -22
  to -24 dB in VH, land mostly above (Twele et al. 2016, "Sentinel-1-based flood mapping: a
  fully automated processing chain", IJRS 37; Martinis, Kersten & Twele 2015, "A fully
  automated TerraSAR-X based flood service", ISPRS J. 104; the split-based tiles and their
  bimodality tests of Bazi, Bruzzone & Melgani 2005, IEEE TGRS 43, and Chini et al. 2017,
  IEEE TGRS 55, exist because a scene's own split is only meaningful where both classes are
  present). The loosest ends (:data:`VV_WATER_DB`, :data:`VH_WATER_DB`) are used, so the
  levels only overrule a split that lies beyond every published water level;
- VH decides which class the single mode is where the scene has it: wind roughens open water
  in VV far more than in VH (the development Sri Lanka windows: VV median -10 to -11 dB over
  water, VH -26 dB), and VV where the scene has no VH.

A mode of water keeps its whole body: the split is raised to the water level in the water
feature (:func:`feature_water_db`). A mode of land keeps its split: lowering a split that
lies inside a land mode to the level (so dry fields are not split) made the dry development
windows cleaner (Spain: dry land called water 1.7-11.2 % -> 0.8-2.2 %) but, tested once on
the held-out chips, cost the two small-water chips whose tiles split above every published
level (real flood water of mixed 10 m pixels, flooded vegetation or wind is brighter than
calm open water), so it is not done (bench/BENCHMARKS.md, "Flood water, sixth pass").

Known limit: a scene made only of a radar-dark land cover (smooth sand, tarmac: VH below
-22 dB over the whole scene) is taken for a scene of water and mapped as water below -15 dB;
the split-based tiles already called parts of such scenes water. Operational services mask
such ground with an exclusion layer (the Copernicus GFM's), which PAII does not have.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from paii_core.errors import ValidationError

__all__ = [
    "LAND_FEATURE_DB",
    "VH_WATER_DB",
    "VV_WATER_DB",
    "feature_water_db",
    "median_db",
    "mode_class",
]

VV_WATER_DB = -15.0
"""Upper level of calm open water in Sentinel-1 VV sigma0, dB (the loose end of -15 to -18)."""
VH_WATER_DB = -22.0
"""Upper level of calm open water in Sentinel-1 VH sigma0, dB (the loose end of -22 to -24)."""
LAND_FEATURE_DB = (-10.0, 1.5)
"""(mean, sd) of land in the water feature, dB, for a scene with no pixel above its water
threshold (the dry development chips Ghana, Spain and Somalia: medians -9.4 to -10.2 dB)."""


def feature_water_db(cross_pol_offset_db: float, *, vv_only: bool = False) -> float:
    """The water level in the water feature (the mean of VV and VH + offset; VV alone for
    VV-only scenes): -15.0 dB either way with the published levels and a 7 dB offset."""
    if vv_only:
        return VV_WATER_DB
    return 0.5 * (VV_WATER_DB + VH_WATER_DB + cross_pol_offset_db)


def median_db(counts: ArrayLike, centres: ArrayLike) -> float | None:
    """Median (the centre of the bin holding it) of a histogram, None if it is empty."""
    c = np.asarray(counts, dtype=np.float64)
    x = np.asarray(centres, dtype=np.float64)
    if c.shape != x.shape or c.ndim != 1:
        raise ValidationError(
            f"counts {c.shape} and centres {x.shape} should be one histogram and its bin "
            "centres of the same length"
        )
    total = c.sum()
    if total <= 0:
        return None
    k = int(np.searchsorted(np.cumsum(c), 0.5 * total))
    return float(x[min(k, x.size - 1)])


def mode_class(
    feature_counts: ArrayLike, vh_counts: ArrayLike | None, centres: ArrayLike
) -> str | None:
    """``water`` or ``land``: the class of a single-mode scene by its median's level.

    VH decides where at least half as many VH as feature pixels are valid (median below
    :data:`VH_WATER_DB`: water); otherwise the feature, then VV alone, decides against
    :data:`VV_WATER_DB`. None for an empty histogram.
    """
    feat = np.asarray(feature_counts, dtype=np.float64)
    if vh_counts is not None:
        vh = np.asarray(vh_counts, dtype=np.float64)
        if vh.sum() >= 0.5 * feat.sum() > 0:
            m = median_db(vh, centres)
            return None if m is None else ("water" if m < VH_WATER_DB else "land")
    m = median_db(feat, centres)
    return None if m is None else ("water" if m < VV_WATER_DB else "land")
