"""A user's own region (Kansas, no demo world) through the import commands: a Quick Stats
export, a policy file with polygons, the trend forecast, the backtest and the review."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from paii_core import store
from paii_core.cli import main
from paii_core.io import write_nass_quickstats
from tests.conftest import REPO

KANSAS = {"20079": "HARVEY", "20155": "RENO", "20173": "SEDGWICK"}


@pytest.fixture()
def kansas(tmp_path, monkeypatch):
    """(database, data folder) of a fresh store with only Kansas (3 real counties)."""
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("PAII_DATA_DIR", str(data))
    gdf = gpd.read_parquet(REPO / "data" / "boundaries" / "us_counties_all.parquet")
    gdf = gdf[gdf["county_id"].isin(list(KANSAS))].reset_index(drop=True)
    centre = gdf.geometry.representative_point()
    con = store.connect(data / "paii.duckdb")
    region = {"region_id": "kansas", "name": "Kansas (US)", "country": "US", "utm_epsg": 32614}
    store.write_frame(con, "regions", pd.DataFrame([{**region, "yield_unit": "bu/acre"}]))
    counties = {
        "county_id": gdf["county_id"].astype(str), "region_id": "kansas", "name": gdf["name"],
        "parent": "Kansas", "area_km2": gdf.to_crs("EPSG:6933").area / 1e6,
        "centroid_lon": centre.x, "centroid_lat": centre.y,
        "geometry_wkb": shapely.to_wkb(gdf.geometry.to_numpy()),
    }  # fmt: skip
    store.write_frame(con, "counties", pd.DataFrame(counties))
    con.close()
    return data / "paii.duckdb", data, gdf


def _quickstats(path) -> None:
    """Winter wheat (bu/acre) 2008-2020 with a trend, hay (tons/acre), a withheld year."""
    rng = np.random.default_rng(5)
    rows = []
    for cid, name in KANSAS.items():
        for year in range(2008, 2021):
            wheat = 38.0 * np.exp(0.012 * (year - 2008) + 0.06 * rng.standard_normal())
            rows.append((cid, name, year, "WHEAT", "WHEAT, WINTER - YIELD, MEASURED IN BU / ACRE",
                         round(wheat, 1), None))  # fmt: skip
            hay = (np.nan, "(D)") if year == 2012 else (2.1, None)
            rows.append((cid, name, year, "HAY", "HAY - YIELD, MEASURED IN TONS / ACRE", *hay))
    frame = pd.DataFrame(
        rows, columns=["county_id", "county", "year", "commodity", "data_item", "value", "withheld"]
    ).assign(state="KANSAS")
    write_nass_quickstats(path, frame)


def test_a_non_demo_region_runs_through_the_import_commands(kansas, tmp_path, capsys):
    db, data, gdf = kansas
    qs = tmp_path / "kansas_quickstats.csv"
    _quickstats(qs)
    base = ["--db", str(db)]
    assert main(["yields", "import", str(qs), "--region", "kansas", *base]) == 0
    assert "75 rows of yields imported into kansas from 78 read" in capsys.readouterr().out
    forecast = ["yield", "forecast", "--region", "kansas", "--data", str(data), *base]
    assert main([*forecast, "--asof", "09-01", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "forecasts of 2021 (yield-trend-1)" in out and "trend model from yields alone" in out
    assert main(["yield", "backtest", "--region", "kansas", *base, "--quiet"]) == 0
    assert "winter wheat trend" in capsys.readouterr().out

    harvey = gdf.loc[gdf["county_id"] == "20079", "geometry"].iloc[0].representative_point()
    plot = shapely.box(harvey.x - 0.002, harvey.y - 0.0015, harvey.x + 0.002, harvey.y + 0.0015)
    ha = gpd.GeoSeries([plot], crs=4326).to_crs(6933).area.iloc[0] / 1e4
    policy = {
        "policy_id": "KS-1", "insured": "Gary Becker", "declared_crop": "Winter Wheat",
        "declared_area_ha": round(ha, 2), "coverage_level": "75%".rstrip("%"),
        "guaranteed_yield": 35.0, "price": 5.5, "premium_rate": 0.04,
        "start_date": "2020-09-30", "end_date": "2021-07-15", "geometry": plot.wkt,
    }  # fmt: skip
    pol = tmp_path / "kansas_policies.csv"
    pd.DataFrame([policy]).to_csv(pol, index=False)
    assert main(["policies", "import", str(pol), "--region", "kansas", *base]) == 0
    assert "1 row of policies imported into kansas" in capsys.readouterr().out
    review = tmp_path / "review.csv"
    args = ["insurance", "review", "--region", "kansas", "--asof", "2021-10-31"]
    assert main([*args, "--out", str(review), "--data", str(data), *base]) == 0
    table = pd.read_csv(review, dtype={"county_id": str})
    row = table.iloc[0]
    assert row["policy_id"] == "KS-1" and row["county_id"] == "20079"
    assert row["declared_crop"] == "winter wheat" and row["forecast_p50"] > 30  # trend of 2021
    assert not bool(row["simulated"])


def test_own_store_has_no_demo_build_time(kansas):
    """A store `paii demo build` did not build has no build time (Home said 'Data built
    unknown UTC')."""
    from datetime import date

    from paii_core.overview import region_summary

    con = store.connect(kansas[0])
    try:
        assert region_summary(con, "kansas", asof=date(2020, 10, 31)).built_at is None
    finally:
        con.close()
