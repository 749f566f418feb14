"""The readers' rarer refusals: each message and its fix."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio

from paii_core.errors import FormatError, InputNotFoundError, ValidationError
from paii_core.io import s2cloud
from paii_core.io.s2_items import open_s2_item
from paii_core.io.s2_load import load_scene
from paii_core.io.s2_mtd import read_mtd
from paii_core.io.s2_scene import BandRef, Grid, read_band

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_s2_items as m

GRID = Grid(m.CRS_UTM14, m.transform(10), m.SIZE, m.SIZE)
DAY = m.SEASON[3]


def _item(tmp_path):
    m.write_stac(tmp_path / "stac", [DAY])
    item = next(tmp_path.rglob("S2B_*.json"))
    return item, json.loads(item.read_text())


def test_stac_item_refusals(tmp_path):
    item, doc = _item(tmp_path)
    for key in ("s2:product_type",):
        doc["properties"].pop(key)
    doc["id"] = "scene-1"
    doc["assets"].pop("scl")
    item.write_text(json.dumps(doc))
    with pytest.raises(FormatError, match="item scene-1 does not say whether it is L1C or L2A"):
        open_s2_item(item)
    doc["assets"] = {"thumbnail": doc["assets"]["thumbnail"]}
    item.write_text(json.dumps(doc))
    with pytest.raises(FormatError, match="item scene-1 has no asset naming a Sentinel-2 band"):
        open_s2_item(item)


def test_stac_empty_and_invalid(tmp_path):
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    with pytest.raises(FormatError, match="holds no STAC items"):
        open_s2_item(empty)
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"type": "Feature", "id": "x"}))
    with pytest.raises(FormatError, match="is not valid STAC"):
        open_s2_item(broken)


def test_stac_bad_baseline(tmp_path):
    item, doc = _item(tmp_path)
    doc["properties"]["s2:processing_baseline"] = "v5"
    doc["properties"].pop("earthsearch:boa_offset_applied")
    item.write_text(json.dumps(doc))
    with pytest.raises(FormatError, match=r"processing baseline 'v5' is not like '05\.10'"):
        open_s2_item(item)


def test_mtd_refusals(tmp_path):
    bad = tmp_path / "MTD_MSIL2A.xml"
    bad.write_text('<a><BOA_ADD_OFFSET band_id="13">-1000</BOA_ADD_OFFSET></a>')
    with pytest.raises(
        FormatError, match="BOA_ADD_OFFSET band_id='13' value '-1000' is not a band"
    ):
        read_mtd(bad)
    bad.write_text("<a><BOA_QUANTIFICATION_VALUE>zero</BOA_QUANTIFICATION_VALUE></a>")
    with pytest.raises(FormatError, match="quantification value 'zero' is not positive"):
        read_mtd(bad)


def test_safe_without_band_files(tmp_path):
    safe = m.write_safe(tmp_path, DAY, level="L1C")
    for p in safe.rglob("*.jp2"):
        p.unlink()
    with pytest.raises(FormatError, match="IMG_DATA: holds no band files"):
        open_s2_item(safe)


def test_scl_out_of_range(tmp_path):
    folder = m.write_band_folder(tmp_path / "bands", DAY)
    with rasterio.open(folder / "SCL_20m.tif", "r+") as dst:
        dst.write(np.full((90, 90), 40, np.uint8), 1)
    (scene,) = open_s2_item(folder)
    with pytest.raises(FormatError, match="SCL values reach 40, above 11"):
        load_scene(scene, GRID)


def test_read_band_refusals(tmp_path):
    with pytest.raises(InputNotFoundError, match="band file not found"):
        read_band(BandRef(str(tmp_path / "nope.tif")), GRID)
    junk = tmp_path / "junk.tif"
    junk.write_bytes(b"not a tiff")
    with pytest.raises(FormatError, match="is not a readable raster"):
        read_band(BandRef(str(junk)), GRID)
    folder = m.write_band_folder(tmp_path / "bands", DAY)
    with pytest.raises(FormatError, match="has 1 bands, no band 3"):
        read_band(BandRef(str(folder / "B02.tif"), 3), GRID)
    plain = tmp_path / "plain.tif"
    with rasterio.open(plain, "w", driver="GTiff", width=4, height=4, count=1, dtype="uint16") as d:
        d.write(np.ones((4, 4), np.uint16), 1)
    with pytest.raises(FormatError, match="has no CRS"):
        read_band(BandRef(str(plain)), GRID)


def test_cloud_model_checks(monkeypatch):
    with pytest.raises(ValidationError, match=r"toa should be \(10, H, W\)"):
        s2cloud.cloud_probability(np.zeros((4, 2, 2)))
    monkeypatch.setattr(s2cloud.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(InputNotFoundError, match=r"s2cloudless package .* is not installed"):
        s2cloud.cloud_model_file()
