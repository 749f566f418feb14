"""Carbon engine: reading many Lite files, point-in-county, weighted county means, portfolio."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from paii_core.carbon import CountyIndex, aggregate_xco2, read_oco2_lite
from paii_core.carbon.portfolio import parse_portfolio, portfolio_exposure
from paii_core.errors import FormatError, InputNotFoundError, PaiiWarning, ValidationError
from paii_core.io.oco2 import write_oco2_lite

SQUARES = gpd.GeoDataFrame(
    {"county_id": ["00001", "00002"]},
    geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)],
    crs=4326,
)


def _soundings(lon, lat, xco2, unc, flag, day="2019-06-10") -> pd.DataFrame:
    n = len(lon)
    return pd.DataFrame(
        {
            "sounding_id": np.arange(n, dtype=np.int64) + 2019061000000000,
            "time": pd.to_datetime([day] * n, utc=True),
            "latitude": np.asarray(lat, np.float32),
            "longitude": np.asarray(lon, np.float32),
            "xco2": np.asarray(xco2, np.float32),
            "xco2_uncertainty": np.asarray(unc, np.float32),
            "xco2_quality_flag": np.asarray(flag, np.int8),
        }
    )


def test_read_skips_a_truncated_file_by_name(tmp_path):
    good = write_oco2_lite(tmp_path / "a.nc4", _soundings([0.5], [0.5], [410], [1], [0]))
    bad = tmp_path / "b.nc4"
    bad.write_bytes(good.read_bytes()[:200])
    with pytest.warns(PaiiWarning, match=r"b\.nc4"):
        df = read_oco2_lite(tmp_path)
    assert len(df) == 1 and df.attrs["files"] == 1
    assert "b.nc4" in df.attrs["skipped"][0]


def test_read_errors(tmp_path):
    with pytest.raises(InputNotFoundError, match="no OCO-2 Lite files"):
        read_oco2_lite(tmp_path)
    (tmp_path / "x.nc4").write_bytes(b"not netcdf")
    with pytest.raises(FormatError, match=r"x\.nc4"), pytest.warns(PaiiWarning):
        read_oco2_lite([tmp_path / "x.nc4"])


def test_index_matches_exact_point_in_polygon():
    boundaries = gpd.read_file("data/boundaries/iowa_counties.geojson")
    geoms = boundaries.geometry.values
    rng = np.random.default_rng(3)
    x, y = rng.uniform(-97, -90, 20000), rng.uniform(40, 44, 20000)
    got = CountyIndex(geoms, cell_deg=0.02).lookup(x, y)
    p, g = shapely.STRtree(geoms).query(shapely.points(x, y), predicate="intersects")
    want = np.full(x.size, -1)
    want[p] = g
    assert np.array_equal(got, want)
    with pytest.raises(ValidationError, match="empty"):
        CountyIndex([])
    with pytest.raises(ValidationError, match="multiple of cell_deg"):
        CountyIndex(geoms, cell_deg=0.03, tile_deg=1.0)


def test_weighted_mean_quality_flag_and_low_count():
    s = _soundings(
        [0.5, 0.5, 0.5, 1.5],
        [0.5] * 4,
        [410.0, 412.0, 500.0, 405.0],
        [1.0, 2.0, 1.0, 1.0],
        [0, 0, 1, 0],
    )
    out = aggregate_xco2(s, SQUARES, min_soundings=2).set_index("county_id")
    # (410/1 + 412/4) / (1 + 1/4) = 410.4; the flagged 500 ppm is left out.
    assert out.loc["00001", "xco2_mean"] == pytest.approx(410.4)
    assert out.loc["00001", "n_soundings"] == 2
    assert out.loc["00001", "xco2_se"] == pytest.approx(1 / np.sqrt(1.25))
    assert out.loc["00001", "xco2_std"] == pytest.approx(np.std([410, 412], ddof=1))
    assert not out.loc["00001", "low_count"] and out.loc["00002", "low_count"]
    bg = out.loc["00001", "background"]
    assert bg == pytest.approx(410.0, abs=0.01)  # median of 405, 410, 412
    assert out.loc["00001", "xco2_anomaly"] == pytest.approx(410.4 - bg)


def test_aggregate_argument_errors():
    s = _soundings([0.5], [0.5], [410], [1], [0])
    with pytest.raises(ValidationError, match="freq 'W' is unknown"):
        aggregate_xco2(s, SQUARES, freq="W")
    with pytest.raises(ValidationError, match="lacks columns xco2"):
        aggregate_xco2(s.drop(columns="xco2"), SQUARES)
    with pytest.raises(ValidationError, match="county_id"):
        aggregate_xco2(s, SQUARES.drop(columns="county_id"))
    with pytest.raises(ValidationError, match="min_soundings"):
        aggregate_xco2(s, SQUARES, min_soundings=0)


def test_portfolio_parse_and_exposure():
    book = parse_portfolio(b"county_id,weight\n00001,3\n00002,1\n")
    frame = pd.DataFrame(
        {
            "county_id": ["00001", "00002"],
            "xco2": [410.0, 414.0],
            "xco2_anomaly": [0.0, 4.0],
            "source": ["measured", "interpolated"],
        }
    )
    exp = portfolio_exposure(frame, book)
    assert exp["xco2"] == pytest.approx(411.0) and exp["share_interpolated"] == 0.25
    with pytest.raises(FormatError, match="lacks columns weight"):
        parse_portfolio(b"county_id\n1\n")
    with pytest.raises(FormatError, match="negative"):
        parse_portfolio(b"county_id,weight\n1,-1\n")
    with pytest.raises(ValidationError, match="no county of the portfolio"):
        portfolio_exposure(frame, parse_portfolio(b"county_id,weight\n99999,1\n"))
