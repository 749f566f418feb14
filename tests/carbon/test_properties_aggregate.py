"""Property tests (hypothesis) of the county XCO2 aggregation on any soundings: every good
sounding inside a county counted once, means inside the range of what was averaged, NaN,
zero/negative uncertainty and bad flags left out, chunked input the same as whole."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from paii_core.carbon import aggregate_xco2
from paii_core.errors import ValidationError

FAST = settings(max_examples=30, deadline=None)
COUNTIES = gpd.GeoDataFrame(
    {"county_id": ["A", "B"]},
    geometry=[box(114.0, 30.0, 114.5, 30.5), box(115.0, 30.0, 115.5, 30.5)],
    crs="EPSG:4326",
)


@st.composite
def soundings(draw):
    n = draw(st.integers(0, 60))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    xco2 = rng.normal(410, draw(st.sampled_from([0.1, 2.0, 50.0])), n)
    unc = rng.uniform(0.2, 2.0, n)
    odd = rng.random(n)
    xco2[odd < 0.05] = np.nan
    unc[(odd >= 0.05) & (odd < 0.1)] = draw(st.sampled_from([0.0, -1.0, np.nan]))
    days = rng.integers(0, 120, n)
    return pd.DataFrame(
        {
            "sounding_id": np.arange(n, dtype=np.int64),
            "time": pd.Timestamp("2020-01-01", tz="UTC") + pd.to_timedelta(days, unit="D"),
            "latitude": rng.uniform(29.8, 30.7, n),
            "longitude": rng.uniform(113.8, 115.7, n),
            "xco2": xco2.astype(np.float32),
            "xco2_uncertainty": unc.astype(np.float32),
            "xco2_quality_flag": rng.integers(0, 2, n).astype(np.int8),
        }
    )


def _good_inside(s: pd.DataFrame) -> pd.DataFrame:
    good = s[(s.xco2_quality_flag == 0) & np.isfinite(s.xco2) & (s.xco2_uncertainty > 0)]
    lon, lat = good.longitude, good.latitude
    a = (lon > 114.0) & (lon < 114.5) & (lat > 30.0) & (lat < 30.5)
    b = (lon > 115.0) & (lon < 115.5) & (lat > 30.0) & (lat < 30.5)
    return good.assign(county=np.where(a, "A", np.where(b, "B", None)))[a | b]


@FAST
@given(s=soundings(), cut=st.integers(1, 7))
def test_counts_means_and_chunking(s, cut):
    out = aggregate_xco2(s, COUNTIES)
    inside = _good_inside(s)
    assert out["n_soundings"].sum() == len(inside)
    assert set(out["county_id"]) <= {"A", "B"}
    for (county, period), part in inside.groupby(
        ["county", inside.time.dt.tz_localize(None).dt.to_period("M").dt.start_time]
    ):
        row = out[(out.county_id == county) & (out.period.dt.tz_localize(None) == period)]
        assert len(row) == 1 and row.n_soundings.iloc[0] == len(part)
        mean = row.xco2_mean.iloc[0]
        lo, hi = part.xco2.astype(float).min(), part.xco2.astype(float).max()
        assert lo - 1e-3 <= mean <= hi + 1e-3
        assert row.xco2_se.iloc[0] > 0
    empty = out[out.n_soundings == 0]
    assert empty.xco2_mean.isna().all() and empty.low_count.all()
    chunks = [s.iloc[i : i + cut] for i in range(0, len(s), cut)]
    chunked = aggregate_xco2(iter(chunks), COUNTIES)
    pd.testing.assert_frame_equal(chunked, out, check_exact=False, rtol=1e-9)


@FAST
@given(drop=st.sampled_from(["xco2", "latitude", "time", "xco2_quality_flag"]))
def test_soundings_without_a_column_are_a_validation_error(drop):
    s = pd.DataFrame(
        {
            "sounding_id": [1],
            "time": pd.to_datetime(["2020-01-05"], utc=True),
            "latitude": [30.2],
            "longitude": [114.2],
            "xco2": np.float32([410.0]),
            "xco2_uncertainty": np.float32([0.5]),
            "xco2_quality_flag": np.int8([0]),
        }
    )
    with pytest.raises(ValidationError, match=f"soundings lacks columns {drop}"):
        aggregate_xco2(s.drop(columns=drop), COUNTIES)


def test_points_just_outside_a_county_on_its_edge_cells_are_outside():
    """Found by the property test above: soundings whose index cell straddles a county's
    border but which all miss it crashed the lookup (IndexError) instead of giving -1."""
    from paii_core.carbon.county_index import CountyIndex

    index = CountyIndex(COUNTIES.geometry.values)
    lon, lat = np.array([114.5000001, 113.9999999]), np.array([30.25, 30.1])
    np.testing.assert_array_equal(index.lookup(lon, lat), [-1, -1])
    np.testing.assert_array_equal(index.lookup(lon - [0.0000002, -0.0000002], lat), [0, 0])
