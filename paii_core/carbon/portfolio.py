"""A portfolio of counties with weights and its XCO2 exposure."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from paii_core.errors import FormatError, ValidationError

__all__ = ["parse_portfolio", "portfolio_exposure"]


def parse_portfolio(data: bytes, *, name: str = "portfolio.csv") -> pd.DataFrame:
    """Read a CSV with columns county_id and weight into county_id (text), weight (float).

    Raises:
        FormatError: not CSV, columns missing, empty, non-numeric or negative weights.
    """
    try:
        frame = pd.read_csv(io.BytesIO(data), dtype={"county_id": str})
    except (ValueError, UnicodeDecodeError) as e:
        raise FormatError(name, f"is not a readable CSV ({e})", "save it as CSV (UTF-8)") from e
    missing = {"county_id", "weight"} - set(frame.columns)
    if missing:
        raise FormatError(
            name,
            f"lacks columns {', '.join(sorted(missing))}",
            "give it a header line: county_id,weight",
        )
    if frame.empty:
        raise FormatError(name, "has no rows", "list at least one county_id with a weight")
    weight = pd.to_numeric(frame["weight"], errors="coerce")
    if weight.isna().any() or (weight < 0).any() or weight.sum() <= 0:
        raise FormatError(
            name, "has missing, non-numeric or negative weights", "use weights >= 0, not all 0"
        )
    return pd.DataFrame({"county_id": frame["county_id"].str.strip(), "weight": weight})


def portfolio_exposure(frame: pd.DataFrame, portfolio: pd.DataFrame) -> dict[str, float]:
    """Weighted XCO2 and anomaly of a portfolio for one period.

    ``frame``: county_id, xco2, xco2_anomaly, source (from the store). Weights are
    renormalised over the counties that have a value. Returns xco2, xco2_anomaly (ppm),
    share_interpolated (weight share from interpolated values) and coverage (weight share
    with a value at all).

    Raises:
        ValidationError: no county of the portfolio is in ``frame``.
    """
    m = portfolio.merge(frame, on="county_id", how="left")
    if m["xco2"].isna().all() and not m["county_id"].isin(frame["county_id"]).any():
        raise ValidationError(
            "no county of the portfolio is in this region; check the county ids "
            "(as the region's boundary file writes them: zero-padded FIPS, adcodes, NUTS...)"
        )
    has = m["xco2"].notna()
    w = m["weight"].to_numpy(float)
    total = w.sum()
    wv = w[has.to_numpy()]
    if wv.sum() == 0:
        nan = float("nan")
        return {"xco2": nan, "xco2_anomaly": nan, "share_interpolated": nan, "coverage": 0.0}
    return {
        "xco2": float(np.average(m.loc[has, "xco2"], weights=wv)),
        "xco2_anomaly": float(np.average(m.loc[has, "xco2_anomaly"], weights=wv)),
        "share_interpolated": float(
            wv[(m.loc[has, "source"] == "interpolated").to_numpy()].sum() / wv.sum()
        ),
        "coverage": float(wv.sum() / total),
    }
