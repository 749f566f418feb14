"""County-period XCO2: good soundings per county, 1/sigma^2-weighted means, anomalies."""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from paii_core.carbon.background import LatitudeHistograms
from paii_core.carbon.county_index import CountyIndex
from paii_core.carbon.periods import Freq, period_codes, period_starts, times_ns
from paii_core.errors import ValidationError

__all__ = ["AGGREGATE_COLUMNS", "MIN_SOUNDINGS", "XCO2Accumulator", "aggregate_xco2"]

MIN_SOUNDINGS = 20
"""Fewer good soundings than this in a county-period: the mean is shown but flagged."""

AGGREGATE_COLUMNS: tuple[str, ...] = (
    "county_id",
    "period",
    "n_soundings",
    "xco2_mean",
    "xco2_se",
    "xco2_std",
    "background",
    "xco2_anomaly",
    "low_count",
)
_NEED = ("time", "latitude", "longitude", "xco2", "xco2_uncertainty", "xco2_quality_flag")
_REF = 400.0  # ppm; sums are taken about it so float64 keeps every digit


def _check_counties(counties: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if not isinstance(counties, gpd.GeoDataFrame) or "county_id" not in counties.columns:
        raise ValidationError(
            "counties should be a GeoDataFrame with a county_id column "
            "(paii_core.io.read_boundaries gives one)"
        )
    if counties.empty:
        raise ValidationError("counties is empty; pass at least one county polygon")
    if counties.crs is None:
        raise ValidationError("counties has no CRS; set it, e.g. counties.set_crs(4326)")
    return counties.to_crs(4326).reset_index(drop=True)


class XCO2Accumulator:
    """Streams sounding chunks into per county-period sums; :meth:`result` gives the table.

    Memory is fixed by counties x periods, not by soundings: each chunk is assigned to
    counties (:class:`CountyIndex`), reduced with ``np.bincount`` and dropped.
    """

    def __init__(
        self,
        counties: gpd.GeoDataFrame,
        *,
        freq: Freq = "MS",
        min_soundings: int = MIN_SOUNDINGS,
        index: CountyIndex | None = None,
    ) -> None:
        self.counties = _check_counties(counties)
        period_codes(np.zeros(0, np.int64), freq)  # validates freq
        if min_soundings < 1:
            raise ValidationError(f"min_soundings should be at least 1, not {min_soundings}")
        self.freq: Freq = freq
        self.min_soundings = int(min_soundings)
        self.index = index or CountyIndex(self.counties.geometry.values)
        self._nc = len(self.counties)
        self._sums: dict[int, NDArray[np.float64]] = {}  # period -> (5, counties)
        self._hist = LatitudeHistograms()
        self.n_read = 0
        self.n_good = 0

    def add(self, soundings: pd.DataFrame) -> None:
        """Add a chunk of soundings (columns of :func:`paii_core.carbon.read_oco2_lite`)."""
        missing = [c for c in _NEED if c not in soundings.columns]
        if missing:
            raise ValidationError(
                f"soundings lacks columns {', '.join(missing)}; pass read_oco2_lite output"
            )
        self.n_read += len(soundings)
        x = soundings["xco2"].to_numpy(np.float64)
        u = soundings["xco2_uncertainty"].to_numpy(np.float64)
        good = (soundings["xco2_quality_flag"].to_numpy() == 0) & np.isfinite(x) & (u > 0)
        if not good.any():
            return
        x, u = x[good], u[good]
        lat = soundings["latitude"].to_numpy(np.float64)[good]
        lon = soundings["longitude"].to_numpy(np.float64)[good]
        per = period_codes(times_ns(soundings["time"])[good], self.freq)
        self.n_good += int(good.sum())
        self._hist.add(per, lat, x)
        county = self.index.lookup(lon, lat)
        inside = county >= 0
        county, per, x, u = county[inside], per[inside], x[inside] - _REF, u[inside]
        if county.size == 0:
            return
        w = 1.0 / u**2
        p0 = int(per.min())
        span = int(per.max()) - p0 + 1
        key = (per - p0) * self._nc + county
        size = span * self._nc
        parts = [
            np.bincount(key, minlength=size),
            np.bincount(key, weights=w, minlength=size),
            np.bincount(key, weights=w * x, minlength=size),
            np.bincount(key, weights=x, minlength=size),
            np.bincount(key, weights=x * x, minlength=size),
        ]
        stacked = np.stack(parts).reshape(5, span, self._nc)
        for j in range(span):
            if stacked[0, j].any():
                acc = self._sums.setdefault(p0 + j, np.zeros((5, self._nc)))
                acc += stacked[:, j]

    def result(self) -> pd.DataFrame:
        """One row per county and period seen: :data:`AGGREGATE_COLUMNS`.

        Every county appears in every period; n_soundings 0 gives NaN statistics and
        ``low_count`` True, so missed counties are flagged, not hidden.
        """
        ids = self.counties["county_id"].astype(str).to_numpy()
        cent_lat = shapely.get_y(shapely.point_on_surface(self.counties.geometry.values))
        frames = []
        for code in sorted(self._sums):
            n, sw, swx, sx, sxx = self._sums[code]
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = swx / sw + _REF
                var = (sxx - sx * sx / n) / (n - 1)
                std = np.where(n > 1, np.sqrt(np.maximum(var, 0.0)), np.nan)
                se = 1.0 / np.sqrt(sw)
            mean[n == 0] = np.nan
            se[n == 0] = np.nan
            bg = self._hist.median(code, cent_lat)
            frames.append(
                pd.DataFrame(
                    {
                        "county_id": ids,
                        "period": period_starts(np.full(self._nc, code), self.freq),
                        "n_soundings": n.astype(np.int64),
                        "xco2_mean": mean,
                        "xco2_se": se,
                        "xco2_std": std,
                        "background": bg,
                        "xco2_anomaly": mean - bg,
                        "low_count": n < self.min_soundings,
                    }
                )
            )
        if not frames:
            return pd.DataFrame({c: pd.Series(dtype=float) for c in AGGREGATE_COLUMNS})
        return pd.concat(frames, ignore_index=True)


def aggregate_xco2(
    soundings: pd.DataFrame | Iterable[pd.DataFrame],
    counties: gpd.GeoDataFrame,
    *,
    freq: Freq = "MS",
    min_soundings: int = MIN_SOUNDINGS,
    index: CountyIndex | None = None,
) -> pd.DataFrame:
    """XCO2 per county and period from OCO-2 soundings.

    Only soundings with xco2_quality_flag 0 count. Per county and period: n_soundings,
    xco2_mean weighted by 1/xco2_uncertainty^2 (inverse-variance weighting; Bevington &
    Robinson, 2003, eq. 4.17), xco2_se = 1/sqrt(sum of weights) its standard error,
    xco2_std the spread of the soundings (sample standard deviation), background the
    regional median (:mod:`paii_core.carbon.background`) and xco2_anomaly = mean -
    background. ``low_count`` marks fewer than ``min_soundings`` good soundings.

    Args:
        soundings: one table or an iterable of chunks (streamed; never all in memory).
        counties: GeoDataFrame with county_id and polygons (any CRS, set).
        freq: period: "D", "MS" (months, default), "QS" or "YS".
        min_soundings: the count below which a county-period is flagged.
        index: a prebuilt :class:`CountyIndex` of ``counties`` (reuse across calls).

    Returns:
        DataFrame with :data:`AGGREGATE_COLUMNS`, every county in every period seen.

    Raises:
        ValidationError: counties without county_id / CRS or empty, unknown freq,
            min_soundings < 1, soundings missing columns.
    """
    acc = XCO2Accumulator(counties, freq=freq, min_soundings=min_soundings, index=index)
    chunks = [soundings] if isinstance(soundings, pd.DataFrame) else soundings
    for chunk in chunks:
        acc.add(chunk)
    return acc.result()
