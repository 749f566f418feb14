"""Simulated OCO-2 XCO2 soundings: orbit ground tracks, a truth field, noise, clouds, flags.

Orbit facts (Crisp et al., 2017, Atmos. Meas. Tech. 10:59-81; NASA/JPL OCO-2 mission
pages; OCO-2 Data Product User's Guide): sun-synchronous polar orbit at 705 km, inclination
98.2 deg, 233 revolutions per 16-day ground-track repeat cycle (the Landsat WRS-2 grid of the
A-Train), ascending node near 13:36 local time, so the daylit pass is the ascending
(south-to-north) one. The spectrometers take a frame every 0.333 s (about 2.25 km along
track), each frame 8 footprints across a swath of up to about 10 km in nadir mode. The Earth
is taken as a sphere, the orbit as circular and the footprints as nadir; glint-mode geometry
is not simulated.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from paii_core.demo.oco2_orbit import (
    _DAY_NS,
    _EPOCH,
    FOOTPRINT_SPACING_KM,  # noqa: F401 (re-exported)
    FRAMES_PER_S,
    INCLINATION_DEG,  # noqa: F401 (re-exported)
    MAX_SOLAR_ZENITH_DEG,  # noqa: F401 (re-exported)
    N_FOOTPRINTS,  # noqa: F401 (re-exported)
    NODAL_PERIOD_S,  # noqa: F401 (re-exported)
    NODE_LOCAL_TIME_H,  # noqa: F401 (re-exported)
    R_EARTH_KM,  # noqa: F401 (re-exported)
    REPEAT_DAYS,  # noqa: F401 (re-exported)
    REPEAT_ORBITS,  # noqa: F401 (re-exported)
    oco2_ground_tracks,
)
from paii_core.errors import ValidationError

__all__ = [
    "CITIES",
    "county_month_truth",
    "lite_filename",
    "oco2_ground_tracks",
    "simulate_soundings",
    "split_daily",
    "xco2_truth",
]


CITIES: tuple[tuple[str, float, float, float, float, float], ...] = (
    # name, lon, lat, peak enhancement (ppm), downwind azimuth (deg), downwind shift (km)
    ("Zhengzhou", 113.625, 34.747, 2.0, 0.0, 8.0),
    ("Luoyang", 112.454, 34.620, 1.0, 0.0, 6.0),
    ("Wuhan", 114.305, 30.593, 2.5, 10.0, 8.0),
    ("Des Moines", -93.609, 41.600, 1.2, 30.0, 6.0),
    ("Cedar Rapids", -91.666, 41.977, 0.7, 30.0, 5.0),
)
"""City plumes of the truth field. Enhancements of 1-3 ppm over tens of km downwind of large
cities are what OCO-2 resolves (e.g. Kort et al., 2012, GRL 39:L17806 for Los Angeles;
Hakkarainen et al., 2016, GRL 43:11400); the summer monsoon (China) and the south-westerly
flow (Iowa) carry them northward."""

_PLUME_SIGMA_KM = (20.0, 12.0)  # along and across the wind


# ---------------------------------------------------------------- truth field


def _as_ns(time: object) -> np.ndarray:
    """Nanoseconds since 1970 (UTC) of any datetime-like input, in its shape; naive is UTC."""
    if isinstance(time, pd.Series | pd.Index) and pd.api.types.is_datetime64_any_dtype(time):
        idx = pd.DatetimeIndex(time)
        if idx.tz is not None:
            idx = idx.tz_convert("UTC").tz_localize(None)
        return idx.as_unit("ns").asi8.copy()
    arr = np.asarray(time)
    if arr.dtype.kind == "M":
        return arr.astype("datetime64[ns]").astype(np.int64)
    flat = pd.to_datetime(pd.Series(arr.ravel().astype(object)), utc=True)
    return (
        flat.dt.tz_localize(None)
        .astype("datetime64[ns]")
        .astype(np.int64)
        .to_numpy()
        .reshape(arr.shape)
    )


def _harmonics(days_since_epoch: np.ndarray) -> np.ndarray:
    w = 2 * np.pi * np.asarray(days_since_epoch) / 365.2422
    return np.cos(w - 2 * np.pi * 90 / 365.2422) + 0.65 * np.cos(
        2 * (w - 2 * np.pi * 145 / 365.2422)
    )


_SEASON_HALF_RANGE = float(np.ptp(_harmonics(np.linspace(0, 365.2422, 4001)))) / 2


def _season_shape(days_since_epoch: np.ndarray) -> np.ndarray:
    """Seasonal cycle of unit half-range: maximum about 10 May, minimum about 3 September.

    Two harmonics set to the phase of northern mid-latitude column CO2 (TCCON; Wunch et
    al., 2013, ACP 13:9447; Lindqvist et al., 2015, ACP 15:13023): a slow rise from October
    to May and a steep summer drawdown by the growing season's uptake."""
    return _harmonics(days_since_epoch) / _SEASON_HALF_RANGE


def xco2_truth(lon: object, lat: object, time: object) -> np.ndarray:
    """The true column-mean CO2 (ppm) at ``lon``, ``lat`` (degrees) and ``time`` (UTC).

    xco2 = 410 + 2.4 ppm/yr x (t - mid-2019)   (NOAA global growth rate, ~2.4 ppm/yr)
         + 0.025 ppm/deg x latitude              (annual-mean north-south gradient)
         + A(lat) x season(t)                    (A: 0.3 ppm in the tropics rising to 2.7 ppm
                                                  at 45 N; a 3-4 ppm fall from 1 June to
                                                  1 September at 35-42 N)
         + city plumes                            (:data:`CITIES`, Gaussian, 1-3 ppm)
    Smooth in space and time; no synoptic or diurnal variability. Inputs broadcast together.
    """
    lon_a, lat_a = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    shape = np.broadcast_shapes(lon_a.shape, lat_a.shape, np.shape(time))
    t_ns = _as_ns(time).reshape(np.shape(time))
    days = (t_ns - _EPOCH.astype("int64")) / _DAY_NS
    years = (days - 182.5) / 365.2422  # 2019-07-02 is mid-2019
    amp = 0.3 + 2.4 * np.clip((lat_a - 10.0) / 35.0, 0.0, 1.0)
    out = 410.0 + 2.4 * years + 0.025 * lat_a + amp * _season_shape(days)
    out = out + _plumes(lon_a, lat_a)
    return np.broadcast_to(out, shape).astype(float)


def _plumes(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    total = np.zeros(np.broadcast_shapes(lon.shape, lat.shape))
    for _, clon, clat, peak, azimuth, shift in CITIES:
        x = (lon - clon) * 111.32 * np.cos(np.deg2rad(clat))
        y = (lat - clat) * 110.57
        az = np.deg2rad(azimuth)
        along = x * np.sin(az) + y * np.cos(az) - shift
        across = x * np.cos(az) - y * np.sin(az)
        total = total + peak * np.exp(
            -0.5 * ((along / _PLUME_SIGMA_KM[0]) ** 2 + (across / _PLUME_SIGMA_KM[1]) ** 2)
        )
    return total


# ---------------------------------------------------------------- soundings


def simulate_soundings(
    tracks: pd.DataFrame,
    rng: np.random.Generator,
    *,
    cloud_fraction: float = 0.45,
    bad_fraction: float = 0.35,
    cloud_km: float = 30.0,
) -> pd.DataFrame:
    """Soundings on ``tracks`` with retrieval noise, cloudy gaps and quality flags.

    Clouds remove whole stretches of track (mean length ``cloud_km``; each pass draws its
    own cloudiness around ``cloud_fraction``). Of the soundings left, ``bad_fraction``
    get xco2_quality_flag 1, clustered along track and near cloud edges; their errors are
    biased (+1.2 ppm on average, varying by pass) and 2.5 times wider than the reported
    uncertainty. Good soundings have xco2 = truth + N(0, xco2_uncertainty), with
    xco2_uncertainty in 0.4..1.2 ppm. Columns: those of the tracks plus xco2,
    xco2_uncertainty, xco2_quality_flag (int8); sorted by sounding_id. The truth at a
    sounding is ``xco2_truth(longitude, latitude, time)``.
    """
    need = {"sounding_id", "time", "latitude", "longitude", "footprint", "orbit"}
    if not isinstance(tracks, pd.DataFrame) or need - set(tracks.columns):
        raise ValidationError(
            f"tracks should be a DataFrame with columns {', '.join(sorted(need))} "
            "(from oco2_ground_tracks)"
        )
    for name, value in (("cloud_fraction", cloud_fraction), ("bad_fraction", bad_fraction)):
        if not 0.0 <= value < 1.0:
            raise ValidationError(f"{name} should be in [0, 1), not {value}")
    if cloud_km <= 0:
        raise ValidationError(f"cloud_km should be positive, not {cloud_km}")
    tr = tracks.sort_values("sounding_id").reset_index(drop=True)
    # Frame times were floored to whole nanoseconds: round up to recover the frame number.
    since = tr["time"].astype("int64").to_numpy() - _EPOCH.astype(np.int64)
    frame = (since * FRAMES_PER_S + 10**9 - 1) // 10**9
    orbit = tr["orbit"].to_numpy()
    keys = np.unique(np.column_stack([orbit, frame]), axis=0)
    clear, edge_dist, wobble, bias = _cloud_mask(keys, rng, cloud_fraction, cloud_km)
    pos = np.searchsorted(keys[:, 0] * 10**12 + keys[:, 1], orbit * 10**12 + frame)
    keep = clear[pos]
    out = tr.loc[keep].reset_index(drop=True)
    pos = pos[keep]
    n = len(out)
    score = 0.8 * wobble[pos] + 0.6 * rng.standard_normal(n) + 1.2 * np.exp(-edge_dist[pos] / 4.0)
    bad = (
        score > np.quantile(score, 1.0 - bad_fraction)
        if n and bad_fraction > 0
        else np.zeros(n, bool)
    )
    sigma = np.clip(0.6 * np.exp(0.25 * rng.standard_normal(n)), 0.4, 1.2)
    err = np.where(
        bad, bias[pos] + 2.5 * sigma * rng.standard_normal(n), sigma * rng.standard_normal(n)
    )
    truth = xco2_truth(out["longitude"].to_numpy(), out["latitude"].to_numpy(), out["time"])
    out["xco2"] = truth + err
    out["xco2_uncertainty"] = sigma
    out["xco2_quality_flag"] = bad.astype(np.int8)
    return out


def _cloud_mask(
    keys: np.ndarray, rng: np.random.Generator, cloud_fraction: float, cloud_km: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per (orbit, frame): clear?, frames to the nearest cloud, a smooth along-track
    quality wobble and the pass's bias of bad soundings; alternating clear and cloudy runs
    with exponential lengths (a two-state Markov chain along track)."""
    n = len(keys)
    clear, dist = np.ones(n, bool), np.full(n, 1e3)
    wobble, bias = np.zeros(n), np.zeros(n)
    frame_km = 6.75 / FRAMES_PER_S  # ground speed 2 pi R / T = 6.75 km/s
    bounds = np.flatnonzero(np.diff(keys[:, 0])) + 1
    for lo, hi in zip(np.r_[0, bounds], np.r_[bounds, n], strict=True):
        f = keys[lo:hi, 1]
        span = int(f[-1] - f[0] + 1)
        c = float(np.clip(rng.beta(3 * cloud_fraction + 1e-3, 3 * (1 - cloud_fraction)), 0.0, 0.98))
        cloudy = np.zeros(span, bool)
        if c > 0.01:
            mean_cloud = cloud_km / frame_km
            mean_clear = mean_cloud * (1 - c) / c
            state, i = rng.random() < c, 0
            while i < span:
                run = max(1, int(rng.exponential(mean_cloud if state else mean_clear)))
                cloudy[i : i + run] = state
                i, state = i + run, not state
        clear[lo:hi] = ~cloudy[f - f[0]]
        edges = np.flatnonzero(cloudy)
        if edges.size:
            j = np.clip(np.searchsorted(edges, f - f[0]), 1, edges.size) - 1
            near = np.minimum(
                np.abs(edges[j] - (f - f[0])),
                np.abs(edges[np.minimum(j + 1, edges.size - 1)] - (f - f[0])),
            )
            dist[lo:hi] = near
        noise = rng.standard_normal(span)
        smooth = np.convolve(noise, np.ones(30) / np.sqrt(30), mode="same")
        wobble[lo:hi] = smooth[f - f[0]]
        bias[lo:hi] = rng.normal(1.2, 0.8)
    return clear, dist, wobble, bias


def split_daily(soundings: pd.DataFrame) -> dict[date, pd.DataFrame]:
    """One frame per UTC day (one OCO-2 Lite file each), each sorted by sounding_id."""
    if "time" not in soundings.columns:
        raise ValidationError("soundings has no 'time' column; pass the simulate_soundings output")
    days = pd.to_datetime(soundings["time"], utc=True).dt.date
    return {
        day: part.sort_values("sounding_id").reset_index(drop=True)
        for day, part in soundings.groupby(days, sort=True)
    }


def lite_filename(day: date, *, produced: datetime | None = None, build: str = "B11014Ar") -> str:
    """The OCO-2 L2 Lite file name of ``day``: oco2_LtCO2_YYMMDD_<build>_<production stamp>.nc4.

    ``produced`` defaults to a fixed time so that the same world gets the same names."""
    stamp = (produced or datetime(2022, 7, 28, 0, 0, 0)).strftime("%y%m%dT%H%M%SZ")
    return f"oco2_LtCO2_{pd.Timestamp(day):%y%m%d}_{build}_{stamp}.nc4"


# ---------------------------------------------------------------- county-month truth


def _grid_points(geom: shapely.Geometry, grid_km: float) -> tuple[np.ndarray, np.ndarray]:
    """Roughly equal-area grid points (lon, lat) inside a polygon, at least one."""
    x0, y0, x1, y1 = geom.bounds
    dy = grid_km / 110.57
    dx = grid_km / (111.32 * np.cos(np.deg2rad((y0 + y1) / 2)))
    xs, ys = np.meshgrid(np.arange(x0 + dx / 2, x1, dx), np.arange(y0 + dy / 2, y1, dy))
    xs, ys = xs.ravel(), ys.ravel()
    inside = shapely.contains_xy(geom, xs, ys)
    if not inside.any():
        p = geom.representative_point()
        return np.array([p.x]), np.array([p.y])
    return xs[inside], ys[inside]


def county_month_truth(
    counties: gpd.GeoDataFrame,
    months: Iterable[object],
    *,
    grid_km: float = 5.0,
    soundings: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """County-month means of the truth field, for scoring aggregation and gap filling.

    The mean of :func:`xco2_truth` over a ``grid_km`` grid of points inside each county and
    over every day of each month (noon UTC). Returns county_id, period (month start,
    datetime64) and xco2_true. With ``soundings``, also n_good (good soundings inside the
    county that month) and xco2_true_sampled: the 1/uncertainty^2-weighted mean of the truth
    at those soundings, i.e. what a perfect retrieval would give; it differs from xco2_true
    by the sampling (one overpass day against a whole month of seasonal drawdown).
    """
    if not isinstance(counties, gpd.GeoDataFrame) or counties.empty or "county_id" not in counties:
        raise ValidationError("counties should be a non-empty GeoDataFrame with a county_id column")
    if counties.crs is None:
        raise ValidationError("counties has no CRS; set it, e.g. counties.set_crs(4326)")
    if grid_km <= 0:
        raise ValidationError(f"grid_km should be positive, not {grid_km}")
    try:
        periods = sorted({pd.Timestamp(m).to_period("M") for m in months})
    except (TypeError, ValueError):
        raise ValidationError(
            "months should be dates, e.g. pd.date_range('2019-06', periods=3, freq='MS')"
        ) from None
    if not periods:
        raise ValidationError(
            "months is empty; pass e.g. pd.date_range('2019-06-01', '2019-08-01', freq='MS')"
        )
    gdf = counties.to_crs(4326).reset_index(drop=True)
    ids = gdf["county_id"].astype(str).to_numpy()
    pts = [_grid_points(g, grid_km) for g in gdf.geometry]
    owner = np.repeat(np.arange(len(pts)), [len(p[0]) for p in pts])
    lon = np.concatenate([p[0] for p in pts])
    lat = np.concatenate([p[1] for p in pts])
    counts = np.bincount(owner, minlength=len(pts))
    rows = []
    for per in periods:
        days = pd.date_range(per.start_time, per.end_time.normalize(), freq="D") + pd.Timedelta(
            hours=12
        )
        acc = np.zeros(len(lon))
        for day in days:
            acc += xco2_truth(lon, lat, np.full(len(lon), day.to_datetime64()))
        mean = np.bincount(owner, weights=acc / len(days), minlength=len(pts)) / counts
        rows.append(pd.DataFrame({"county_id": ids, "period": per.start_time, "xco2_true": mean}))
    out = pd.concat(rows, ignore_index=True)
    if soundings is not None:
        out = out.merge(_sampled_truth(gdf, soundings), on=["county_id", "period"], how="left")
        out["n_good"] = out["n_good"].fillna(0).astype(np.int64)
    return out


def _sampled_truth(gdf: gpd.GeoDataFrame, soundings: pd.DataFrame) -> pd.DataFrame:
    good = soundings[soundings["xco2_quality_flag"] == 0]
    pts = gpd.GeoDataFrame(
        {
            "w": 1.0 / good["xco2_uncertainty"].to_numpy() ** 2,
            "truth": xco2_truth(
                good["longitude"].to_numpy(), good["latitude"].to_numpy(), good["time"]
            ),
            "period": pd.to_datetime(good["time"], utc=True)
            .dt.tz_localize(None)
            .dt.to_period("M")
            .dt.start_time.to_numpy(),
        },
        geometry=gpd.points_from_xy(good["longitude"], good["latitude"]),
        crs=4326,
    )
    hit = gpd.sjoin(
        pts,
        gdf[["county_id", "geometry"]].assign(county_id=gdf["county_id"].astype(str)),
        predicate="within",
    )
    hit["wt"] = hit["w"] * hit["truth"]
    agg = hit.groupby(["county_id", "period"]).agg(
        n_good=("w", "size"), w=("w", "sum"), wt=("wt", "sum")
    )
    agg["xco2_true_sampled"] = agg["wt"] / agg["w"]
    return agg[["n_good", "xco2_true_sampled"]].reset_index()
