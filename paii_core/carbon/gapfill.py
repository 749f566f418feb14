"""Gap filling: Gaussian-process interpolation of a period's soundings to a grid and counties.

OCO-2's 10 km swath leaves most counties unobserved in a month (adjacent tracks are about
150 km apart at 35 N). Each period's good soundings are averaged into super-observations
(20 km cells per day, error variance 1/sum(w)), a weighted linear trend in east, north and
time is removed (the seasonal drawdown moves XCO2 by about 1 ppm within a summer month), and
the residuals are interpolated by a Gaussian process with a Matern(3/2) covariance plus a
white representativeness term, hyperparameters by maximum marginal likelihood (Rasmussen &
Williams, 2006, ch. 2 and 5; simple kriging with the same covariance is the same predictor,
Cressie, 1993). A county's value is the block mean of the process over points inside it at
the period's mid-point, with its variance from the posterior covariance of those points
plus that of the trend coefficients.

The stated uncertainty of an interpolated value is its 90% interval, ``INTERVAL_Z`` = 1.645
posterior sds either side (the normal quantile; no factor is fitted to the benchmark's data).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy.linalg import solve_triangular
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import ConstantKernel, Kernel, Matern, WhiteKernel

from paii_core.carbon.aggregate import _check_counties
from paii_core.carbon.periods import Freq, period_codes, period_starts, times_ns
from paii_core.errors import ValidationError

__all__ = ["INTERVAL_Z", "GapFill", "gapfill_xco2"]

INTERVAL_Z = 1.645
"""Half-width of the stated 90% interval, in posterior sds (normal 95th percentile)."""

_CELL_KM = 20.0
_MARGIN_DEG = 1.0
_MIN_OBS = 10  # super-observations needed to fit a period
_MIN_DAYS = 3  # overpass days needed to stand for a period longer than a day
_BLOCK_KM = 6.0  # spacing of the points that stand for a county
_MAX_BLOCK = 40
_DAY_NS = 86_400 * 10**9


@dataclass(frozen=True)
class GapFill:
    """Interpolated XCO2 per county and on a grid.

    counties: county_id, period, xco2_interp, xco2_interp_sd (ppm, 1 sigma).
    grid: period, longitude, latitude (cell centres), xco2_interp, xco2_interp_sd.
    """

    counties: pd.DataFrame
    grid: pd.DataFrame


def _local_km(lon: NDArray, lat: NDArray, lon0: float, lat0: float) -> NDArray[np.float64]:
    """(N, 2) east/north km from (lon0, lat0), equirectangular (fine over a province)."""
    return np.column_stack(
        [(lon - lon0) * 111.32 * np.cos(np.deg2rad(lat0)), (lat - lat0) * 110.57]
    )


def _block_points(geom: shapely.Geometry, lon0: float, lat0: float) -> NDArray[np.float64]:
    x0, y0, x1, y1 = geom.bounds
    dy = _BLOCK_KM / 110.57
    dx = _BLOCK_KM / (111.32 * np.cos(np.deg2rad((y0 + y1) / 2)))
    xs, ys = np.meshgrid(np.arange(x0 + dx / 2, x1, dx), np.arange(y0 + dy / 2, y1, dy))
    xs, ys = xs.ravel(), ys.ravel()
    inside = shapely.contains_xy(geom, xs, ys)
    if not inside.any():
        p = shapely.point_on_surface(geom)
        xs, ys = np.array([p.x]), np.array([p.y])
    else:
        xs, ys = xs[inside], ys[inside]
    if xs.size > _MAX_BLOCK:  # evenly thinned, deterministic
        keep = np.linspace(0, xs.size - 1, _MAX_BLOCK).round().astype(int)
        xs, ys = xs[keep], ys[keep]
    return _local_km(xs, ys, lon0, lat0)


def _super_obs(xy: NDArray, t_day: NDArray, x: NDArray, w: NDArray) -> tuple[NDArray, ...]:
    """Average soundings per 10 km cell and day: (xy (M, 2), t (M,), value (M,), var (M,))."""
    cell = np.floor(xy / _CELL_KM).astype(np.int64)
    day = np.floor(t_day).astype(np.int64)
    _, inv = np.unique(np.column_stack([cell, day]), axis=0, return_inverse=True)
    inv = inv.ravel()
    sw = np.bincount(inv, weights=w)

    def mean(v: NDArray) -> NDArray:
        return np.bincount(inv, weights=w * v) / sw

    return np.column_stack([mean(xy[:, 0]), mean(xy[:, 1])]), mean(t_day), mean(x), 1.0 / sw


def _fit_period(
    obs_xy: NDArray,
    obs_t: NDArray,
    obs_x: NDArray,
    obs_var: NDArray,
    *,
    kernel: Kernel | None = None,
) -> tuple[GaussianProcessRegressor, NDArray, NDArray]:
    """Trend coefficients (4,), their covariance (4, 4) and the GP fitted to residuals."""
    # A period seen on one day only has no time lever: its time column is dropped (zeroed).
    t = obs_t / 10.0 if np.ptp(obs_t) >= 2.0 else np.zeros_like(obs_t)
    design = np.column_stack([np.ones(len(obs_x)), obs_xy / 100.0, t, t**2])
    w = 1.0 / obs_var
    gram = design.T @ (design * w[:, None])
    gram_inv = np.linalg.pinv(gram)
    beta = gram_inv @ (design.T @ (w * obs_x))
    resid = obs_x - design @ beta
    fixed = kernel is not None
    if kernel is None:
        kernel = ConstantKernel(0.3, (1e-3, 1e2)) * Matern(100.0, (10.0, 3000.0), nu=1.5) + (
            WhiteKernel(0.05, (1e-4, 2.0))
        )
    gp = GaussianProcessRegressor(
        kernel, alpha=obs_var, optimizer=None if fixed else "fmin_l_bfgs_b", random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gp.fit(obs_xy, resid)
    # Trend coefficients' covariance with the residual scatter folded in (GLS would be
    # exact; the scatter factor keeps the stated uncertainty honest when the GP is not).
    scale = max(float(np.sum(w * resid**2) / max(len(obs_x) - 5, 1)), 1.0)
    return gp, beta, gram_inv * scale


def _cv_extra_variance(
    gp: GaussianProcessRegressor,
    xy: NDArray,
    t: NDArray,
    x: NDArray,
    var: NDArray,
    half_days: float,
) -> tuple[float, float]:
    """Error variance the model does not state, from leave-one-day-out cross-validation.

    Each day's super-observations (one overpass: exactly the situation of a county a
    track missed) are predicted from the other days, kernel fixed; the mean squared error
    beyond the predicted and observation variances is returned (0 if none), and added to
    every estimate's variance so the stated uncertainty covers what the trend and the
    stationary kernel miss (Rasmussen & Williams, 2006, sec. 5.4.2).

    The same folds give the jackknife variance of the period-mean trend at the domain
    centre, (K-1)/K sum_d (m_-d - mean m)^2 over the K days (Efron & Stein, 1981): how much
    the period mean depends on which overpass days happened to be clear, an error the
    per-day residuals cannot show. Returns (excess variance, jackknife variance), ppm^2.
    """
    day = np.floor(t).astype(np.int64)
    excess, centre_means = [], []
    centre = _month_design(np.zeros((1, 2)), 1, half_days)
    for d in np.unique(day):
        test = day == d
        if test.all() or (~test).sum() < _MIN_OBS:
            continue
        fold, beta, _ = _fit_period(xy[~test], t[~test], x[~test], var[~test], kernel=gp.kernel_)
        centre_means.append(float((centre @ beta)[0]))
        tt = t[test] / 10.0 if np.ptp(t[~test]) >= 2.0 else np.zeros(test.sum())
        design = np.column_stack([np.ones(test.sum()), xy[test] / 100.0, tt, tt**2])
        r, r_sd = fold.predict(xy[test], return_std=True)
        err = x[test] - (design @ beta + r)
        excess.append(err**2 - r_sd**2 - var[test])
    if not excess:
        return 0.0, 0.0
    k = len(centre_means)
    jack = (k - 1) / k * float(np.sum((np.array(centre_means) - np.mean(centre_means)) ** 2))
    return max(float(np.mean(np.concatenate(excess))), 0.0), jack


def _month_design(centres: NDArray, n: int, half_days: float) -> NDArray:
    """Trend rows for the period mean: time terms averaged over [-h, h] days (t in 10 days):
    mean t = 0, mean t^2 = h^2 / 3."""
    return np.column_stack(
        [np.ones(n), centres, np.zeros(n), np.full(n, (half_days / 10) ** 2 / 3)]
    )


def _block_estimates(
    gp: GaussianProcessRegressor,
    beta: NDArray,
    beta_cov: NDArray,
    blocks: list[NDArray],
    half_days: float,
) -> tuple[NDArray, NDArray]:
    """Block means and sds (N,) over each county's points, from one triangular solve.

    For a block of k points the posterior variance of their mean is
    mean(K_pp) - |mean_j v_j|^2 with v = L^-1 K(X_train, p) (Rasmussen & Williams, 2006,
    eq. 2.26); the white representativeness term is left out, as it averages away.
    """
    signal = gp.kernel_.k1
    pts = np.vstack(blocks)
    owner = np.repeat(np.arange(len(blocks)), [len(b) for b in blocks])
    resid = gp.predict(pts)
    v = solve_triangular(gp.L_, signal(gp.X_train_, pts), lower=True)  # (n_train, n_pts)
    counts = np.bincount(owner)
    v_mean = np.stack([np.bincount(owner, weights=row) for row in v]) / counts  # (n_train, N)
    prior = np.array([signal(b).mean() for b in blocks])
    post_var = np.maximum(prior - np.sum(v_mean**2, axis=0), 0.0)
    centres = np.stack([b.mean(axis=0) for b in blocks]) / 100.0
    design = _month_design(centres, len(blocks), half_days)
    trend_var = np.einsum("ij,jk,ik->i", design, beta_cov, design)
    mean = design @ beta + np.bincount(owner, weights=resid) / counts
    return mean, np.sqrt(post_var + trend_var)


def gapfill_xco2(
    soundings: pd.DataFrame,
    counties: gpd.GeoDataFrame,
    *,
    freq: Freq = "MS",
    grid_deg: float = 0.1,
) -> GapFill:
    """Interpolate each period's good soundings to every county and to a grid.

    Args:
        soundings: read_oco2_lite columns; only quality flag 0 is used; soundings more than
            1 degree outside the counties' bounds are ignored.
        counties: GeoDataFrame with county_id, one contiguous domain (a province or state;
            call once per region so the trend stays local).
        freq: period, as in :func:`paii_core.carbon.aggregate_xco2`.
        grid_deg: grid cell size, degrees, over the counties' bounds.

    Returns:
        :class:`GapFill`; periods with fewer than 10 super-observations, or seen on fewer
        than 3 days (a month seen on one day says nothing of the rest), give NaN.

    Raises:
        ValidationError: bad counties, unknown freq, grid_deg not positive.
    """
    gdf = _check_counties(counties)
    if not grid_deg > 0:
        raise ValidationError(f"grid_deg should be positive, not {grid_deg}")
    west, south, east, north = gdf.total_bounds
    lon0, lat0 = (west + east) / 2, (south + north) / 2
    blocks = [_block_points(g, lon0, lat0) for g in gdf.geometry.values]
    glon, glat = np.meshgrid(
        np.arange(west + grid_deg / 2, east, grid_deg),
        np.arange(south + grid_deg / 2, north, grid_deg),
    )
    glon, glat = glon.ravel(), glat.ravel()
    grid_xy = _local_km(glon, glat, lon0, lat0)

    s = soundings
    lon, lat = s["longitude"].to_numpy(float), s["latitude"].to_numpy(float)
    x, u = s["xco2"].to_numpy(float), s["xco2_uncertainty"].to_numpy(float)
    keep = (
        (s["xco2_quality_flag"].to_numpy() == 0)
        & np.isfinite(x)
        & (u > 0)
        & (lon >= west - _MARGIN_DEG)
        & (lon <= east + _MARGIN_DEG)
        & (lat >= south - _MARGIN_DEG)
        & (lat <= north + _MARGIN_DEG)
    )
    t_ns = times_ns(s["time"])[keep]
    codes = period_codes(t_ns, freq)
    ids = gdf["county_id"].astype(str).to_numpy()
    xy = _local_km(lon[keep], lat[keep], lon0, lat0)
    x, w = x[keep], 1.0 / u[keep] ** 2
    county_rows, grid_rows = [], []
    for code in np.unique(codes):
        start = period_starts(np.array([code]), freq)[0]
        stop = period_starts(np.array([code + 1]), freq)[0]
        mid_day = (start.value + (stop.value - start.value) / 2) / _DAY_NS
        half_days = (stop.value - start.value) / 2 / _DAY_NS
        sel = codes == code
        obs = _super_obs(xy[sel], t_ns[sel] / _DAY_NS - mid_day, x[sel], w[sel])
        mean = np.full(len(ids), np.nan)
        sd = np.full(len(ids), np.nan)
        g_mean = np.full(len(glon), np.nan)
        g_sd = np.full(len(glon), np.nan)
        n_days = np.unique(np.floor(obs[1])).size
        if len(obs[2]) >= _MIN_OBS and n_days >= min(_MIN_DAYS, 2 * half_days):
            gp, beta, beta_cov = _fit_period(*obs)
            mean, sd = _block_estimates(gp, beta, beta_cov, blocks, half_days)
            extra = sum(_cv_extra_variance(gp, *obs, half_days))
            sd = np.sqrt(sd**2 + extra)
            r, r_sd = gp.predict(grid_xy, return_std=True)
            design = _month_design(grid_xy / 100.0, len(glon), half_days)
            g_mean = design @ beta + r
            g_sd = np.sqrt(r_sd**2 + np.einsum("ij,jk,ik->i", design, beta_cov, design) + extra)
        county_rows.append(
            pd.DataFrame(
                {"county_id": ids, "period": start, "xco2_interp": mean, "xco2_interp_sd": sd}
            )
        )
        grid_rows.append(
            pd.DataFrame(
                {
                    "period": start,
                    "longitude": glon,
                    "latitude": glat,
                    "xco2_interp": g_mean,
                    "xco2_interp_sd": g_sd,
                }
            )
        )
    empty_c = pd.DataFrame(columns=["county_id", "period", "xco2_interp", "xco2_interp_sd"])
    empty_g = pd.DataFrame(
        columns=["period", "longitude", "latitude", "xco2_interp", "xco2_interp_sd"]
    )
    return GapFill(
        counties=pd.concat(county_rows, ignore_index=True) if county_rows else empty_c,
        grid=pd.concat(grid_rows, ignore_index=True) if grid_rows else empty_g,
    )
