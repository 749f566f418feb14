"""A short fuzz run of every reader (the 10-minute run is bench/batch/fuzz.py), and the
crashes earlier runs found, each as a test."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import rasterio

from bench.batch.fuzz import build_seeds, fuzz
from paii_core import io
from paii_core.batch.stac import expand_inputs
from paii_core.errors import FormatError
from paii_core.io import geotiff
from paii_core.io.stac import open_stac


def test_short_fuzz_run_finds_no_crash():
    result = fuzz(seconds=25, max_cases=160, seed=11, memory_gb=1.5, case_timeout=20)
    assert result["cases"] >= 2 * len(result["by_reader"]), result  # every reader, twice
    assert result["findings"] == [], result["findings"]
    assert result["outcomes"].get("paii", 0) > 0
    uploads = {"read_policy_file", "read_policy_file_vector", "parse_portfolio", "read_bgrn",
               "read_yield_csv", "flood_upload_post", "flood_upload_dem"}  # fmt: skip
    assert uploads <= set(result["by_reader"])  # what every page's uploader reads


def test_deeply_nested_json_is_a_format_error(tmp_path):
    p = tmp_path / "deep.json"
    p.write_text("[" * 200_000)
    with pytest.raises(FormatError, match="is not readable JSON"):
        open_stac(p)
    with pytest.raises(FormatError, match="is not readable JSON"):
        expand_inputs([p])


def test_stac_asset_with_an_impossibly_long_name_is_a_format_error(tmp_path):
    seeds = build_seeds(tmp_path)
    item = json.loads(seeds["open_stac"][0].read_text())
    for asset in item["assets"].values():
        asset["href"] = str(tmp_path / ("9" * 5000 + ".tif"))
    p = tmp_path / "long.json"
    p.write_text(json.dumps(item))
    with pytest.raises(FormatError, match="which does not exist"):
        open_stac(p)


def test_nass_year_beyond_int64_is_a_format_error(tmp_path):
    seeds = build_seeds(tmp_path)
    text = seeds["read_nass_quickstats"][0].read_text().replace("2020", "9" * 30, 1)
    p = tmp_path / "year.csv"
    p.write_text(text)
    with pytest.raises(FormatError, match=r"row 1 \(line 2\): Year '9+' is not a year"):
        io.read_nass_quickstats(p)
    assert pd.read_csv(p, dtype=str)["Year"].iloc[0] == "9" * 30


def test_a_huge_declared_raster_is_refused_before_allocation(tmp_path, monkeypatch):
    p = io.write_geotiff(
        tmp_path / "four.tif", np.ones((4, 64, 64)), crs="EPSG:32650",
        transform=rasterio.transform.from_origin(0, 640, 10, 10),
    )  # fmt: skip
    # GDAL decodes one 256 x 256 pixel-interleaved block of all 4 float32 bands: 1 MiB.
    monkeypatch.setattr(geotiff, "MAX_READ_BYTES", 2**20 - 1)
    with pytest.raises(FormatError, match=r"declares 4 x 64 x 64 pixels.*read it in windows"):
        io.read_geotiff(p)
    monkeypatch.setattr(geotiff, "MAX_READ_BYTES", 2**20)
    assert io.read_geotiff(p).data.shape == (4, 64, 64)


def test_band_description_that_is_not_utf8_is_a_format_error(tmp_path):
    p = io.write_geotiff(
        tmp_path / "t.tif", np.ones((1, 8, 8)), crs="EPSG:32650",
        transform=rasterio.transform.from_origin(0, 80, 10, 10), band_names=("ZQZQZQ",),
    )  # fmt: skip
    raw = p.read_bytes()
    assert raw.count(b"ZQZQZQ") == 1
    p.write_bytes(raw.replace(b"ZQZQZQ", b"\xff\xfe\xfd\xfc\xfb\xfa"))
    with pytest.raises(FormatError, match="band descriptions that are not text"):
        io.read_geotiff(p)
