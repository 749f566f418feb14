"""The yield model: a county trend times a LightGBM weather/NDVI response, with a range.

log(yield) = trend (pooled technology slope of the crop + a county level) + anomaly.
The anomaly is learned by gradient-boosted trees (LightGBM; Ke et al., 2017) from the
as-of features and their departures from the county normal: an L2 model gives the P50,
quantile models (Koenker & Bassett, 1978 pinball loss) the P10 and P90. The range is
calibrated by conformalized quantile regression (Romano, Patterson & Candes, 2019): the
quantile models learn on three training years in four and the fourth widens (or narrows)
them until they cover 80% of its outcomes. The trend-only baseline is the same trend
without the anomaly. Explanations are LightGBM's exact
TreeSHAP contributions (Lundberg et al., 2020) of the P50 model, in log points.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import lightgbm as lgb
import numpy as np
import pandas as pd

from paii_core.errors import ValidationError
from paii_core.yields.features import add_anomalies, prepare_panel

__all__ = ["MODEL_VERSION", "QUANTILES", "YieldModel", "fit_yield_model"]

MODEL_VERSION = "yield-lgbm-1"
QUANTILES: dict[str, float] = {"p10": 0.1, "p90": 0.9}
_SHRINK_YEARS = 0.5  # a county level is pulled toward the region's by half a year's weight
_PARAMS = {
    "learning_rate": 0.08,
    "num_leaves": 15,
    "min_data_in_leaf": 20,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "verbose": -1,
    "seed": 0,
    "deterministic": True,
    "force_row_wise": True,
}
_ROUNDS = 150
_CALIBRATION_EVERY = 4  # every 4th training year calibrates the P10..P90 range


@dataclass
class _CropFit:
    """Everything fitted for one crop."""

    slope: float  # log yield per year
    level: float  # region mean of log yield - slope * year
    county_level: pd.Series  # county_id -> shrunk county level
    normals: pd.DataFrame  # county_id -> mean features over the training years
    fallback: pd.Series  # region mean features
    boosters: dict[str, lgb.Booster]
    columns: list[str]
    widen: float  # conformal adjustment of the P10..P90 range, log points

    def trend(self, frame: pd.DataFrame) -> np.ndarray:
        """Log trend yield (N,) of rows with county_id and year."""
        level = self.county_level.reindex(frame["county_id"]).to_numpy(dtype=float)
        level = np.where(np.isnan(level), self.level, level)
        return level + self.slope * frame["year"].to_numpy(dtype=float)


@dataclass
class YieldModel:
    """A fitted yield model; one :class:`_CropFit` per crop ("" for a crop-less panel)."""

    target: str
    features: list[str]
    crops: dict[str, _CropFit]
    notes: list[str] = field(default_factory=list)
    version: str = MODEL_VERSION

    def _rows(self, panel: pd.DataFrame) -> pd.DataFrame:
        prepared = prepare_panel(panel, target=None, keep=tuple(self.features))
        frame = prepared.frame
        missing = [f for f in self.features if f not in frame.columns]
        if missing:
            raise ValidationError(f"panel lacks the model's feature column(s) {', '.join(missing)}")
        unknown = sorted(set(frame["crop"]) - set(self.crops))
        if unknown:
            raise ValidationError(
                f"the model has no fit for crop(s) {unknown}; it knows {sorted(self.crops)}"
            )
        return frame

    def predict(self, panel: pd.DataFrame) -> pd.DataFrame:
        """Forecasts for every row of ``panel`` (its target, if any, is never read).

        Returns:
            county_id, year, crop (when the panel has one), trend, p10, p50, p90 in the
            target's unit; P10 <= P50 <= P90.

        Raises:
            ValidationError: a bad panel (see :func:`prepare_panel`), missing feature
                columns, or a crop the model was not fitted on.
        """
        frame = self._rows(panel)
        parts = []
        for crop, rows in frame.groupby("crop", sort=False):
            fit = self.crops[crop]
            x = add_anomalies(rows, self.features, fit.normals, fit.fallback)
            base = fit.trend(rows)
            mid = fit.boosters["p50"].predict(x)
            # Quantile models can cross the central one; the range is widened to hold it.
            low = np.minimum(fit.boosters["p10"].predict(x) - fit.widen, mid)
            high = np.maximum(fit.boosters["p90"].predict(x) + fit.widen, mid)
            qs = np.column_stack([low, mid, high])
            parts.append(
                pd.DataFrame(
                    {
                        "county_id": rows["county_id"].to_numpy(),
                        "year": rows["year"].to_numpy(),
                        "crop": crop,
                        "trend": np.exp(base),
                        "p10": np.exp(base + qs[:, 0]),
                        "p50": np.exp(base + qs[:, 1]),
                        "p90": np.exp(base + qs[:, 2]),
                    },
                    index=rows.index,
                )
            )
        out = pd.concat(parts).sort_index().reset_index(drop=True)
        return out if "crop" in panel.columns else out.drop(columns="crop")

    def contributions(self, panel: pd.DataFrame) -> pd.DataFrame:
        """Why each P50 forecast departs from its trend: one row per forecast and driver.

        A driver's contribution sums its raw feature's and its anomaly's TreeSHAP values,
        in log points (0.05 is about +5% on the trend yield); the rows of one forecast
        plus the model's mean offset ("baseline") sum to log(p50 / trend).

        Returns:
            county_id, year, crop, driver, contribution (long format).
        """
        frame = self._rows(panel)
        parts = []
        for crop, rows in frame.groupby("crop", sort=False):
            fit = self.crops[crop]
            x = add_anomalies(rows, self.features, fit.normals, fit.fallback)
            shap = fit.boosters["p50"].predict(x, pred_contrib=True)
            n = len(self.features)
            drivers = shap[:, :n] + shap[:, n : 2 * n]
            values = np.column_stack([drivers, shap[:, -1]])
            names = [*self.features, "baseline"]
            wide = pd.DataFrame(values, columns=names)
            wide["county_id"] = rows["county_id"].to_numpy()
            wide["year"] = rows["year"].to_numpy()
            wide["crop"] = crop
            parts.append(
                wide.melt(
                    id_vars=["county_id", "year", "crop"],
                    var_name="driver",
                    value_name="contribution",
                )
            )
        return pd.concat(parts, ignore_index=True)


def _trend_fit(rows: pd.DataFrame, logy: np.ndarray) -> tuple[float, float, pd.Series]:
    """Pooled within-county slope of log yield on year, region level and county levels."""
    t = rows["year"].to_numpy(dtype=float)
    groups = rows["county_id"].to_numpy()
    tc = t - pd.Series(t).groupby(groups).transform("mean").to_numpy()
    yc = logy - pd.Series(logy).groupby(groups).transform("mean").to_numpy()
    denom = float(np.sum(tc * tc))
    slope = float(np.sum(tc * yc) / denom) if denom > 0 else 0.0
    detrended = pd.Series(logy - slope * t, index=rows.index)
    level = float(detrended.mean())
    stats = detrended.groupby(groups).agg(["sum", "count"])
    county = (stats["sum"] + _SHRINK_YEARS * level) / (stats["count"] + _SHRINK_YEARS)
    return slope, level, county


def _fit_crop(rows: pd.DataFrame, features: list[str], target: str, threads: int) -> _CropFit:
    logy = np.log(rows[target].to_numpy(dtype=float))
    slope, level_, county = _trend_fit(rows, logy)
    normals = rows.groupby("county_id")[features].mean()
    fallback = rows[features].mean()
    x = add_anomalies(rows, features, normals, fallback)
    residual = logy - (
        county.reindex(rows["county_id"]).to_numpy() + slope * rows["year"].to_numpy(float)
    )
    params = {**_PARAMS, "num_threads": threads}
    boosters = {
        "p50": lgb.train({**params, "objective": "regression"}, lgb.Dataset(x, residual), _ROUNDS)
    }
    years = np.unique(rows["year"].to_numpy())
    calib = np.isin(rows["year"].to_numpy(), years[_CALIBRATION_EVERY - 1 :: _CALIBRATION_EVERY])
    if not calib.any() or calib.all():
        calib = np.zeros(len(rows), dtype=bool)
    learn = ~calib
    for key, alpha in QUANTILES.items():
        boosters[key] = lgb.train(
            {**params, "objective": "quantile", "alpha": alpha},
            lgb.Dataset(x[learn], residual[learn]),
            _ROUNDS,
        )
    widen = 0.0
    if calib.any():
        score = np.maximum(
            boosters["p10"].predict(x[calib]) - residual[calib],
            residual[calib] - boosters["p90"].predict(x[calib]),
        )
        n = len(score)
        level = min(1.0, np.ceil((n + 1) * (QUANTILES["p90"] - QUANTILES["p10"])) / n)
        widen = float(np.quantile(score, level))
    return _CropFit(slope, level_, county, normals, fallback, boosters, list(x.columns), widen)


def fit_yield_model(panel: pd.DataFrame, *, target: str = "yield", threads: int = 2) -> YieldModel:
    """Fit the trend and the P10/P50/P90 anomaly models on the observed rows of ``panel``.

    Args:
        panel: one row per (county_id, year[, crop]) with numeric feature columns and
            ``target`` (positive; missing where unobserved). Each crop is fitted apart.
        target: the column to forecast.
        threads: LightGBM threads.

    Returns:
        A :class:`YieldModel`; its ``notes`` list what was cleaned or is thin.

    Raises:
        ValidationError: a bad panel (see :func:`prepare_panel`) or a crop with fewer than
            10 observed county-years.
    """
    prepared = prepare_panel(panel, target=target)
    frame = prepared.frame[prepared.frame[target].notna()]
    crops = {}
    for crop, rows in frame.groupby("crop", sort=True):
        if len(rows) < 10:
            raise ValidationError(
                f"crop {crop or '(none)'} has {len(rows)} observed county-years; the model "
                "needs at least 10"
            )
        crops[crop] = _fit_crop(rows, prepared.features, target, threads)
    if not crops:
        raise ValidationError(f"panel has no observed {target}; nothing to learn from")
    return YieldModel(target, prepared.features, crops, prepared.notes)
