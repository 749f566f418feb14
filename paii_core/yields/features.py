"""Yield-model features per (county, year, crop): as-of selection, checks and anomalies.

A panel has one row per (county_id, year[, crop]) with numeric feature columns and,
for training, the observed target. The forecast features are the demo world's (or the
imagery pipeline's) in-season statistics as of a cut-off date: growing degree days, rain,
heat and drought days, mean Tmax, cropland NDVI peak, integral and green-up day. The
model adds each feature's anomaly against the county's own normal (a drought is a
departure from what is usual there), and the yield trend (see :mod:`.model`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from paii_core.errors import ValidationError

__all__ = [
    "NON_FEATURES",
    "PreparedPanel",
    "add_anomalies",
    "build_panel",
    "prepare_panel",
]

NON_FEATURES: frozenset[str] = frozenset(
    {"county_id", "year", "crop", "unit", "asof", "asof_date", "name", "withheld"}
)
"""Columns that are keys or labels, never model inputs."""


def build_panel(
    features: pd.DataFrame, yields: pd.DataFrame | None = None, *, asof: str | None = None
) -> pd.DataFrame:
    """Join in-season features with observed yields into a model panel.

    Args:
        features: one row per (county_id, year, crop[, asof]); with an ``asof`` column
            ("MM-DD" cut-offs), ``asof`` picks the rows known at that cut-off.
        yields: county_id, year, crop, yield[, unit] (e.g. from :func:`read_yield_csv`);
            years without a yield stay in the panel (they are the ones to forecast).
        asof: "MM-DD" cut-off; required when ``features`` has several.

    Returns:
        One row per (county_id, year, crop): the feature columns, then yield and unit.

    Raises:
        ValidationError: missing key columns, or ``asof`` absent/unknown while the
            features hold several cut-offs.
    """
    need = {"county_id", "year"}
    missing = need - set(features.columns)
    if missing:
        raise ValidationError(f"features lacks column(s) {', '.join(sorted(missing))}")
    frame = features
    if "asof" in frame.columns:
        known = sorted(set(frame["asof"].astype(str)))
        if asof is None and len(known) > 1:
            raise ValidationError(
                f"features hold several as-of dates ({', '.join(known)}); pass asof= one of them"
            )
        pick = asof if asof is not None else known[0]
        if pick not in known:
            raise ValidationError(f"asof {pick!r} is not in the features; use one of {known}")
        frame = frame[frame["asof"].astype(str) == pick]
        if "asof_date" in frame.columns:
            # Each row's cut-off must be its own year's: a row stamped later would leak.
            stamped = pd.to_datetime(frame["asof_date"]).dt.strftime("%m-%d")
            if (stamped != pick).any():
                raise ValidationError(f"features rows of asof {pick} carry other asof_date values")
        frame = frame.drop(columns=[c for c in ("asof", "asof_date") if c in frame.columns])
    frame = frame.copy()
    frame["county_id"] = frame["county_id"].astype(str)
    if yields is None:
        return frame.reset_index(drop=True)
    need_y = {"county_id", "year", "yield"}
    missing = need_y - set(yields.columns)
    if missing:
        raise ValidationError(f"yields lacks column(s) {', '.join(sorted(missing))}")
    y = yields.copy()
    y["county_id"] = y["county_id"].astype(str)
    keys = ["county_id", "year"] + (["crop"] if "crop" in frame.columns else [])
    if "crop" in frame.columns and "crop" not in y.columns:
        raise ValidationError("yields lacks column crop while the features have one")
    cols = [*keys, "yield"] + (["unit"] if "unit" in y.columns else [])
    y = y[cols].drop_duplicates(keys)
    frame = frame.drop(columns=[c for c in ("yield", "unit") if c in frame.columns])
    return frame.merge(y, on=keys, how="left").reset_index(drop=True)


@dataclass
class PreparedPanel:
    """A checked panel: numeric features, a ``crop`` column ("" if none) and notes."""

    frame: pd.DataFrame
    features: list[str]
    notes: list[str] = field(default_factory=list)


def _coerce(col: pd.Series) -> tuple[pd.Series, int, str]:
    """Numbers from a column; (values, count of non-numeric entries, an example)."""
    if pd.api.types.is_bool_dtype(col):
        return col.astype(float), 0, ""
    num = pd.to_numeric(col, errors="coerce")
    bad = num.isna() & col.notna()
    example = str(col[bad].iloc[0]) if bad.any() else ""
    return num.astype(float), int(bad.sum()), example


def prepare_panel(
    panel: pd.DataFrame, *, target: str | None = "yield", keep: tuple[str, ...] = ()
) -> PreparedPanel:
    """Check and clean a panel; problems that leave something usable become notes.

    Non-numeric feature values become missing (LightGBM handles them); a target that is
    not a positive number is treated as unobserved; duplicated keys keep their first row;
    gaps in a county's years and counties with a single year are reported. A column
    without any number is ignored, unless named in ``keep`` (a fitted model's features:
    a cut-off before green-up has none yet, and stays all-missing).

    Raises:
        ValidationError: not a DataFrame, no rows, no county_id/year columns, no usable
            feature column, or (when ``target`` is given) no such column.
    """
    if not isinstance(panel, pd.DataFrame):
        raise ValidationError(f"panel should be a pandas DataFrame, not {type(panel).__name__}")
    if panel.empty:
        raise ValidationError("panel has no rows; pass one row per county and year")
    missing = {"county_id", "year"} - set(panel.columns)
    if missing:
        raise ValidationError(f"panel lacks column(s) {', '.join(sorted(missing))}")
    if target is not None and target not in panel.columns:
        raise ValidationError(f"panel has no target column {target!r}; pass target= its name")
    notes: list[str] = []
    frame = panel.copy()
    frame["county_id"] = frame["county_id"].astype(str)
    if "crop" not in frame.columns:
        frame["crop"] = ""
    frame["crop"] = frame["crop"].astype(str)
    year = pd.to_numeric(frame["year"], errors="coerce")
    if year.isna().any():
        notes.append(f"{int(year.isna().sum())} rows without a numeric year were left out")
        frame = frame[year.notna()]
        year = year[year.notna()]
    frame["year"] = year.astype("int64")
    keys = ["county_id", "year", "crop"]
    dup = frame.duplicated(keys)
    if dup.any():
        notes.append(f"{int(dup.sum())} duplicated county-year rows were dropped (first kept)")
        frame = frame[~dup]

    features = []
    for name in frame.columns:
        if name in NON_FEATURES or name == target:
            continue
        values, n_bad, example = _coerce(frame[name])
        if values.notna().sum() == 0 and name not in keep:
            what = f"no numbers (e.g. {example!r})" if example else "no values"
            notes.append(f"column {name!r} holds {what} and was ignored")
            frame = frame.drop(columns=name)
            continue
        if n_bad:
            notes.append(
                f"column {name!r}: {n_bad} values are not numbers (e.g. {example!r}) and "
                "were treated as missing"
            )
        frame[name] = values
        features.append(name)
    if not features:
        raise ValidationError(
            "panel has no numeric feature column besides county_id, year and the target"
        )
    if target is not None:
        obs, n_bad, example = _coerce(frame[target])
        bad = n_bad + int((obs <= 0).sum())
        if bad:
            notes.append(
                f"{bad} {target} values are not positive numbers"
                + (f" (e.g. {example!r})" if example else "")
                + "; those county-years count as unobserved"
            )
        frame[target] = obs.where(obs > 0)
        notes.extend(_coverage_notes(frame, target))
    return PreparedPanel(frame.reset_index(drop=True), features, notes)


def _coverage_notes(frame: pd.DataFrame, target: str) -> list[str]:
    """Sentences about gaps in the years and counties with a single observed year."""
    seen = frame[frame[target].notna()]
    if seen.empty:
        return [f"no county-year has an observed {target}"]
    out = []
    lo, hi = int(seen["year"].min()), int(seen["year"].max())
    counts = seen.groupby(["crop", "county_id"])["year"].agg(["count", "min", "max"])
    gaps = counts[(counts["max"] - counts["min"] + 1) > counts["count"]]
    short = counts[counts["count"] < (hi - lo + 1)]
    if len(short):
        example = short.index[0]
        out.append(
            f"{len(short)} county-crop series miss some years of {lo}..{hi} "
            f"({len(gaps)} with gaps inside; e.g. {example[1]} {example[0]}: "
            f"{int(short['count'].iloc[0])} years); they are fitted on the years they have"
        )
    single = counts[counts["count"] == 1]
    if len(single):
        ids = ", ".join(f"{c} {k}".strip() for k, c in single.index[:3])
        out.append(
            f"{len(single)} county-crop series have a single observed year ({ids}); their "
            "level leans on the region's"
        )
    return out


def add_anomalies(
    frame: pd.DataFrame, features: list[str], normals: pd.DataFrame, fallback: pd.Series
) -> pd.DataFrame:
    """The model's design matrix: each feature and its departure from the county normal.

    Args:
        frame: rows (N) with county_id and ``features``.
        features: feature names (F).
        normals: county_id-indexed means of ``features`` over the training years.
        fallback: region means, used for counties absent from ``normals``.

    Returns:
        (N, 2F) float frame: the features, then ``<f>_anom`` columns.
    """
    x = frame[features].to_numpy(dtype=float)
    ref = normals.reindex(frame["county_id"])[features].to_numpy(dtype=float)
    ref = np.where(np.isnan(ref), fallback[features].to_numpy(dtype=float)[None, :], ref)
    anom = x - ref
    cols = [*features, *(f"{f}_anom" for f in features)]
    return pd.DataFrame(np.hstack([x, anom]), columns=cols, index=frame.index)
