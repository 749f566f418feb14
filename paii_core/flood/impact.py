"""What a flood hits: insured parcels (flooded share, days flooded), crops and counties."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from paii_core.errors import ValidationError

__all__ = ["FLOODED_SHARE_HIT", "county_totals", "crop_totals", "days_flooded", "policy_impacts"]

FLOODED_SHARE_HIT = 0.1
"""A parcel counts as flooded on a date when at least this share of it is under water."""


def _stack(flooded: ArrayLike, dates: Sequence[date]) -> np.ndarray:
    f = np.asarray(flooded, dtype=bool)
    if f.ndim != 3 or f.shape[0] != len(dates) or len(dates) == 0:
        raise ValidationError(
            f"flooded should be (T, H, W) with one plane per date ({len(dates)} dates), "
            f"got shape {f.shape}"
        )
    if list(dates) != sorted(dates):
        raise ValidationError("dates should be in increasing order")
    return f


def days_flooded(hit: np.ndarray, dates: Sequence[date]) -> np.ndarray:
    """(N,) days flooded from (N, T) bool observations at ``dates``.

    Each observation stands for half the gap to the previous date and half to the next
    (nearest-observation rule); the first and last reach out by half their one gap.
    With a single date the interval is one day.
    """
    t = np.array([d.toordinal() for d in dates], dtype=np.float64)
    if t.size == 1:
        span = np.ones(1)
    else:
        gaps = np.diff(t)
        span = np.zeros(t.size)
        span[:-1] += gaps / 2
        span[1:] += gaps / 2
        span[0] += gaps[0] / 2
        span[-1] += gaps[-1] / 2
    return (np.asarray(hit, dtype=np.float64) * span[None, :]).sum(axis=1)


def policy_impacts(
    flooded: ArrayLike,
    dates: Sequence[date],
    policies: pd.DataFrame,
    *,
    fine_parcels: ArrayLike,
    coarse_parcels: ArrayLike,
    pixel_size_m: float,
) -> pd.DataFrame:
    """One row per policy on the grid: parcel size, peak flooded share, days flooded.

    ``policies`` needs policy_id, county_id, declared_crop, parcel_id and coarse_id
    (a policy on a fine parcel has parcel_id, one on a coarse parcel coarse_id). The
    parcel rasters are the insurer's own parcel geometry, ``(H, W)`` int with -1 or 0
    where there is none. Policies whose parcel is not on the grid are left out.

    Returns:
        policy_id, county_id, declared_crop, parcel_ha, peak_flooded_share,
        peak_flooded_ha, peak_date, days_flooded.
    """
    f = _stack(flooded, dates)
    need = {"policy_id", "county_id", "declared_crop", "parcel_id", "coarse_id"}
    missing = need - set(policies.columns)
    if missing:
        raise ValidationError(f"policies lack columns {sorted(missing)}")
    px_ha = pixel_size_m**2 / 1e4
    rows = []
    for level, raster, column in (
        ("fine", fine_parcels, "parcel_id"),
        ("coarse", coarse_parcels, "coarse_id"),
    ):
        labels = np.asarray(raster).astype(np.int64)
        if labels.shape != f.shape[1:]:
            raise ValidationError(
                f"{level} parcels {labels.shape} should be on the flood grid {f.shape[1:]}"
            )
        chosen = policies[policies[column].notna()]
        if chosen.empty:
            continue
        ids = chosen[column].astype(np.int64).to_numpy()
        size = max(int(labels.max()) + 1, int(ids.max()) + 1, 1)
        flat = np.where(labels >= 0, labels, size).ravel()
        area = np.bincount(flat, minlength=size + 1)[:size]
        wet = np.stack([np.bincount(flat, weights=p.ravel(), minlength=size + 1)[:size] for p in f])
        present = area[ids] > 0
        share = wet[:, ids[present]].T / area[ids[present], None]
        sub = chosen[present]
        peak = share.argmax(axis=1)
        rows.append(
            pd.DataFrame(
                {
                    "policy_id": sub["policy_id"].to_numpy(),
                    "county_id": sub["county_id"].astype(str).to_numpy(),
                    "declared_crop": sub["declared_crop"].to_numpy(),
                    "parcel_ha": area[ids[present]] * px_ha,
                    "peak_flooded_share": share.max(axis=1),
                    "peak_flooded_ha": share.max(axis=1) * area[ids[present]] * px_ha,
                    "peak_date": [dates[i] for i in peak],
                    "days_flooded": days_flooded(share >= FLOODED_SHARE_HIT, dates),
                }
            )
        )
    if not rows:
        return pd.DataFrame(
            columns=[
                "policy_id", "county_id", "declared_crop", "parcel_ha",
                "peak_flooded_share", "peak_flooded_ha", "peak_date", "days_flooded",
            ]
        )  # fmt: skip
    return pd.concat(rows, ignore_index=True)


def county_totals(
    flooded: ArrayLike,
    dates: Sequence[date],
    *,
    county_id: str,
    cropland: ArrayLike | None,
    pixel_size_m: float,
) -> pd.DataFrame:
    """Flooded and flooded-cropland area (km2) per date for one county's area.

    ``cropland`` is ``(H, W)`` bool: here the insurer's parcel geometry (any parcel);
    None where it is unknown (an area without one): flooded cropland is then NaN.
    """
    f = _stack(flooded, dates)
    km2 = pixel_size_m**2 / 1e6
    if cropland is None:
        on_crops = np.full(len(dates), np.nan)
    else:
        crop = np.asarray(cropland, dtype=bool)
        if crop.shape != f.shape[1:]:
            raise ValidationError(
                f"cropland {crop.shape} should be on the flood grid {f.shape[1:]}"
            )
        on_crops = (f & crop).sum(axis=(1, 2)) * km2
    return pd.DataFrame(
        {
            "county_id": str(county_id),
            "acquired": list(dates),
            "flooded_km2": f.sum(axis=(1, 2)) * km2,
            "cropland_flooded_km2": on_crops,
        }
    )


def crop_totals(impacts: pd.DataFrame) -> pd.DataFrame:
    """Peak flooded hectares and policies hit per declared crop, from policy_impacts."""
    hit = impacts.assign(hit=impacts["peak_flooded_share"] >= FLOODED_SHARE_HIT)
    out = hit.groupby("declared_crop", as_index=False).agg(
        policies=("policy_id", "count"),
        policies_hit=("hit", "sum"),
        parcel_ha=("parcel_ha", "sum"),
        peak_flooded_ha=("peak_flooded_ha", "sum"),
    )
    return out.rename(columns={"declared_crop": "crop"})
