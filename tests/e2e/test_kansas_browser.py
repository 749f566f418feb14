"""A non-demo region end to end: Kansas built through the real commands in a fresh data
folder (no demo world), served by `streamlit run`, every sidebar page opened in Chromium.

The inputs are public-format files: the US Census county boundaries the project ships
(data/boundaries), a STAC catalog of generated Sentinel-2 COGs over Harvey County
(tests/io/make_s2_items.py), a policy CSV with WKT plots and a Quick Stats CSV export.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from tests.conftest import REPO, TEST_PASSWORD
from tests.e2e.conftest import ARTIFACTS, CHROMIUM_ARGS, serve, sign_in

sys.path.insert(0, str(REPO / "tests" / "io"))
import make_s2_items as items

pytestmark = pytest.mark.e2e

HARVEY, RENO, SEDGWICK = "20079", "20155", "20173"
PAGES = ("Home", "Insurance", "Flood", "Yield", "Carbon", "Imagery", "Crop labels", "Data")
TITLES = {
    "Home": "Kansas (US): county overview",
    "Data": "Data: Kansas (US)",
}
XFAIL: dict[str, str] = {}
"""Pages that do not yet work on a region built from public files: page -> the gap. Strict:
once the page works, the test fails until its entry here is removed."""


def _paii(data_dir: str, *args: str, stdin: str | None = None) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PAII_DATA_DIR": data_dir}
    done = subprocess.run(
        [sys.executable, "-m", "paii_core.cli", *args],
        input=stdin, capture_output=True, text=True, cwd=REPO, env=env, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, f"paii {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"


def _quickstats(path: Path) -> Path:
    """A Quick Stats county export (the columns NASS writes) for three Kansas counties."""
    header = pd.read_csv(REPO / "tests" / "yields" / "data" / "quickstats_arkansas_iowa.csv",
                         nrows=0, dtype=str).columns  # fmt: skip
    rows = []
    counties = {HARVEY: "HARVEY", RENO: "RENO", SEDGWICK: "SEDGWICK"}
    for year in range(2012, 2023):
        for k, (fips, name) in enumerate(counties.items()):
            for crop, unit, base in (("CORN", "BU", 120), ("SOYBEANS", "BU", 35),
                                     ("WHEAT", "BU", 42)):  # fmt: skip
                value = base + (year - 2012) * 0.8 + 3 * k - 6 * (year == 2014)
                rows.append({
                    "Program": "SURVEY", "Year": str(year), "Period": "YEAR",
                    "Geo Level": "COUNTY", "State": "KANSAS", "State ANSI": "20",
                    "Ag District": "SOUTH CENTRAL", "Ag District Code": "80",
                    "County": name, "County ANSI": fips[2:], "watershed_code": "00000000",
                    "Commodity": crop, "Data Item": f"{crop} - YIELD, MEASURED IN {unit} / ACRE",
                    "Domain": "TOTAL", "Domain Category": "NOT SPECIFIED",
                    "Value": f"{value:.1f}",
                })  # fmt: skip
    frame = pd.DataFrame(rows).reindex(columns=header).astype(object).fillna("")
    frame.to_csv(path, index=False, quoting=1)
    return path


def _policies(path: Path) -> Path:
    """Three policies on plots inside the generated Harvey County scene."""
    west, south, east, north = _scene()
    dx, dy = (east - west) / 6, (north - south) / 6
    rows = []
    for i, crop in enumerate(("corn", "soybean", "wheat")):
        plot = box(
            west + dx * (2 * i) + dx * 0.2, south + dy, west + dx * (2 * i + 1), south + 2 * dy
        )
        area = float(gpd.GeoSeries([plot], crs=4326).to_crs(6933).area.iloc[0] / 1e4)
        rows.append({
            "policy_id": f"KS-{i + 1:04d}", "insured": f"Harvey Farm {i + 1}",
            "declared_crop": crop, "declared_area_ha": round(area, 3),
            "coverage_level": "0.75", "guaranteed_yield": "150", "price": "4.10",
            "premium_rate": "0.04", "start_date": "2022-03-15", "end_date": "2022-11-30",
            "county_id": HARVEY, "geometry": plot.wkt,
        })  # fmt: skip
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _scene() -> tuple[float, float, float, float]:
    from rasterio.warp import transform_bounds

    size = items.SIZE * 10
    return transform_bounds(items.CRS_UTM14, "EPSG:4326", items.X0, items.Y0 - size,
                            items.X0 + size, items.Y0)  # fmt: skip


@pytest.fixture(scope="module")
def kansas_data(tmp_path_factory) -> Path:
    """A fresh data folder holding only Kansas, built with the `paii` commands."""
    root = tmp_path_factory.mktemp("paii-kansas")
    data = root / "data"
    data.mkdir()
    db = str(data / "paii.duckdb")
    run = functools.partial(_paii, str(data))
    counties = gpd.read_parquet(REPO / "data" / "boundaries" / "us_counties_all.parquet")
    counties = counties[counties["county_id"].astype(str).str.startswith("20")]
    counties.to_file(root / "kansas_counties.gpkg", driver="GPKG")
    run("region", "add", "kansas", "--counties", str(root / "kansas_counties.gpkg"),
        "--name", "Kansas (US)", "--country", "US", "--yield-unit", "bu/acre",
        "--crops", "corn,soybean,wheat", "--db", db)  # fmt: skip
    catalog = items.write_stac(root / "stac", items.SEASON)
    run("area", "add", "kansas-harvey", "--region", "kansas", "--quiet", "--db", db,
        "--s2", str(catalog))  # fmt: skip
    run("policies", "import", str(_policies(root / "policies.csv")), "--region", "kansas",
        "--db", db)  # fmt: skip
    run("yields", "import", str(_quickstats(root / "quickstats.csv")), "--region", "kansas",
        "--db", db)  # fmt: skip
    run("users", "add", "uw", "--role", "underwriter", "--password-stdin", "--db", db,
        stdin=TEST_PASSWORD + "\n")  # fmt: skip
    assert not (data / "demo").exists() and (data / "workspace" / "kansas-harvey").is_dir()
    return data


@pytest.fixture(scope="module")
def kansas_server(kansas_data):
    """`streamlit run app.py` over the Kansas data folder (own server; the shared one
    serves the tiny demo world)."""
    with serve(kansas_data, "streamlit-kansas.log") as url:
        yield url


@pytest.fixture(scope="module")
def kansas_page(chromium_path, kansas_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        pg = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        pg.set_default_timeout(60_000)
        sign_in(pg, kansas_server, "uw")
        yield pg
        browser.close()


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(reason=XFAIL[n], strict=True)) if n in XFAIL else n
        for n in PAGES
    ],
)
def test_every_page_opens_on_kansas(kansas_page, kansas_server, name):
    page = kansas_page
    page.get_by_test_id("stSidebar").get_by_role("link", name=name, exact=True).click()
    title = TITLES.get(name, name)
    page.get_by_role("heading", name=title).first.wait_for()
    page.wait_for_timeout(3000)  # the rest of the script runs after the title
    page.get_by_test_id("stStatusWidget").wait_for(state="hidden", timeout=120_000)
    page.screenshot(path=str(ARTIFACTS / f"kansas-{name.replace(' ', '-')}.png"), full_page=True)
    errors = page.get_by_test_id("stException")
    assert errors.count() == 0, f"{name} on Kansas raised:\n{errors.first.inner_text()[:2000]}"
    refused = page.get_by_test_id("stAlertContentError")  # a PaiiError shown by show_error
    assert refused.count() == 0, f"{name} on Kansas shows an error:\n{refused.first.inner_text()}"
    main = page.get_by_test_id("stMain").inner_text()
    # Every Kansas input is real-format data imported without --simulated.
    assert "simulated" not in main.lower(), f"{name} on Kansas says simulated:\n{main[:3000]}"
