"""Sentinel-2 items in every form, read onto one grid; each refusal and its message."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio

from paii_core.errors import FormatError, InputNotFoundError, PaiiWarning
from paii_core.io.s2_items import open_s2_item, open_s2_items
from paii_core.io.s2_load import BGRN, load_scene, load_season
from paii_core.io.s2_mtd import read_mtd
from paii_core.io.s2_scene import Grid, band_code

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_s2_items as m

GRID = Grid(m.CRS_UTM14, m.transform(10), m.SIZE, m.SIZE)
DAY = m.SEASON[3]  # a cloudy date


def _check(scene, *, tol=1e-4):
    loaded = load_scene(scene, GRID)
    truth = m.truth(scene.day)
    for i, b in enumerate(BGRN):
        np.testing.assert_allclose(loaded.reflectance[i], truth[b], atol=tol)
    return loaded


def test_band_codes():
    assert [band_code(n) for n in ("B2", "b02", "B02_10m", "T14SPG_20220604T170901_B8A")] == [
        "B02", "B02", "B02", "B8A",
    ]  # fmt: skip
    assert [band_code(n) for n in ("red", "nir08", "SCL_20m", "visual", "B13")] == [
        "B04", "B8A", "SCL", None, None,
    ]  # fmt: skip


def test_stack_with_descriptions_and_scl(tmp_path):
    path = m.write_stack(tmp_path / "S2_stack.tif", DAY, names=("B08", "B04", "B03", "B02", "SCL"))
    (scene,) = open_s2_item(path)
    assert scene.offset_rule == "PROCESSING_BASELINE 05.10 tag" and scene.day == DAY
    loaded = _check(scene)
    assert loaded.cloud_source == "SCL" and loaded.clouds[m.cloud_mask(DAY)].mean() > 0.95


def test_band_folder_and_stac_agree(tmp_path):
    folder = m.write_band_folder(tmp_path / "bands", DAY, baseline="04.00")
    catalog = m.write_stac(tmp_path / "stac", [DAY])
    (a,) = open_s2_item(folder)
    (b,) = open_s2_item(catalog)
    la, lb = _check(a), _check(b)
    assert b.offset_rule == "s2:processing_baseline 05.00" and b.asset_keys["B04"] == "red"
    np.testing.assert_array_equal(la.reflectance, lb.reflectance)
    np.testing.assert_array_equal(la.clouds, lb.clouds)


@pytest.mark.parametrize("baseline", ["03.01", "04.00"])
def test_safe_l2a(tmp_path, baseline):
    (scene,) = open_s2_item(m.write_safe(tmp_path, DAY, level="L2A", baseline=baseline))
    assert scene.level == "L2A" and scene.tile == "14SPG"
    assert set(scene.offsets.values()) == ({-1000.0} if baseline == "04.00" else {0.0})
    assert _check(scene).cloud_source == "SCL"


@pytest.mark.parametrize("level", ["L2A", "L1C"])
def test_a_zipped_safe_reads_in_place_as_the_folder(tmp_path, level):
    (folder,) = open_s2_item(m.write_safe(tmp_path / "safe", DAY, level=level))
    archive = m.zip_safe(m.write_safe(tmp_path / "zip", DAY, level=level))
    (zipped,) = open_s2_item(archive)
    assert zipped.source.startswith(f"{archive}/S2B_MSI{level}_")  # named inside the zip
    assert zipped.bands["B04"].path.startswith(f"/vsizip/{{{archive}}}/S2B_MSI{level}_")
    for key in ("day", "level", "tile", "offsets", "scale", "offset_rule"):
        assert getattr(zipped, key) == getattr(folder, key), key
    assert sorted(zipped.bands) == sorted(folder.bands) and not list(tmp_path.glob("zip/*.SAFE"))
    a, b = load_scene(folder, GRID), load_scene(zipped, GRID)
    np.testing.assert_array_equal(a.reflectance, b.reflectance)
    np.testing.assert_array_equal(a.clouds, b.clouds)


def test_a_zip_without_a_product_or_not_a_zip_is_refused(tmp_path):
    import zipfile

    other = tmp_path / "photos.zip"
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("holiday/B02.jpg", b"x")
    with pytest.raises(
        FormatError,
        match=r"photos\.zip: holds no Sentinel-2 product \(no "
        r"X\.SAFE/MTD_MSIL1C\.xml",
    ):
        open_s2_item(other)
    broken = tmp_path / "S2A_cut_short.zip"
    broken.write_bytes(b"PK\x03\x04 cut short")
    with pytest.raises(FormatError, match=r"S2A_cut_short\.zip: is not a readable zip"):
        open_s2_item(broken)


def test_safe_l1c_clouds_from_s2cloudless(tmp_path):
    (scene,) = open_s2_item(m.write_safe(tmp_path, DAY, level="L1C"))
    assert scene.level == "L1C" and "RADIO_ADD_OFFSET" in scene.offset_rule
    loaded = _check(scene)
    cloud = m.cloud_mask(DAY)
    assert loaded.cloud_source == "s2cloudless"
    assert loaded.clouds[cloud].mean() > 0.95
    far = np.ones_like(cloud)
    far[:125, :125] = False  # away from the cloud and its dilation ring
    assert loaded.clouds[far & ~m.shadow_mask(DAY)].mean() < 0.05


def test_earth_search_offset_already_applied(tmp_path):
    catalog = m.write_stac(tmp_path / "stac", [DAY], baseline="05.00", applied=True)
    (scene,) = open_s2_item(catalog)
    assert scene.offsets["B02"] == 0.0 and "boa_offset_applied" in scene.offset_rule
    _check(scene)


def test_stac_raster_bands_scale_offset_when_no_baseline(tmp_path):
    catalog = m.write_stac(tmp_path / "stac", [DAY], applied=None)
    item = next(tmp_path.rglob("S2B_*.json"))
    doc = json.loads(item.read_text())
    del doc["properties"]["s2:processing_baseline"]
    item.write_text(json.dumps(doc))
    (scene,) = open_s2_item(catalog)
    assert scene.offset_rule == "raster:bands scale/offset"
    _check(scene)


def test_season_mosaics_one_date_and_orders(tmp_path):
    a = m.write_band_folder(tmp_path / "a", m.SEASON[1])
    b = m.write_band_folder(tmp_path / "b", m.SEASON[0])
    scenes = [s for p in (a, b) for s in open_s2_item(p)]
    assert [s.day for s in load_season(scenes, GRID)] == [m.SEASON[0], m.SEASON[1]]


# --- refusals -------------------------------------------------------------------------


def test_stack_without_descriptions_refused(tmp_path):
    path = m.write_stack(tmp_path / "S2_x.tif", DAY, names=())
    with pytest.raises(FormatError, match=r"S2_x\.tif: has 4 bands without descriptions .*never "
                       r"guesses band order.*Fix: name each band"):  # fmt: skip
        open_s2_item(path)


def test_stack_band_named_twice_refused(tmp_path):
    path = m.write_stack(tmp_path / "S2_x.tif", DAY, names=("B02", "B02", "B04", "B08"))
    with pytest.raises(FormatError, match=r"names band\(s\) B02 twice"):
        open_s2_item(path)


def test_unknown_baseline_refused(tmp_path):
    path = m.write_stack(tmp_path / "S2_x.tif", DAY, tags={"DATE": DAY.isoformat()})
    with pytest.raises(FormatError, match=r"neither its BOA_ADD_OFFSET nor its processing baseline"
                       r".*Fix: tag it: `rio edit-info --tag PROCESSING_BASELINE"):  # fmt: skip
        open_s2_item(path)


def test_bad_tags_refused(tmp_path):
    path = m.write_stack(tmp_path / "S2_x.tif", DAY, tags={"PROCESSING_BASELINE": "new"})
    with pytest.raises(FormatError, match=r"processing baseline 'new' is not like '05.10'"):
        open_s2_item(path)
    path = m.write_stack(
        tmp_path / "S2_y.tif", DAY, tags={"BOA_ADD_OFFSET": "x", "DATE": "2022-06-04"}
    )
    with pytest.raises(FormatError, match="BOA_ADD_OFFSET tag 'x' is not a number"):
        open_s2_item(path)
    path = m.write_stack(tmp_path / "S2_z.tif", DAY, tags={"QUANTIFICATION_VALUE": "0"})
    with pytest.raises(FormatError, match="QUANTIFICATION_VALUE tag '0' is not positive"):
        open_s2_item(path)


def test_no_date_refused(tmp_path):
    path = m.write_stack(tmp_path / "stack.tif", DAY, tags={"PROCESSING_BASELINE": "05.10"})
    with pytest.raises(FormatError, match=r"has no acquisition date.*Fix: tag it"):
        open_s2_item(path)


def test_stac_without_baseline_refused(tmp_path):
    m.write_stac(tmp_path / "stac", [DAY], applied=None)
    item = next(tmp_path.rglob("S2B_*.json"))
    doc = json.loads(item.read_text())
    del doc["properties"]["s2:processing_baseline"]
    for asset in doc["assets"].values():
        asset.pop("raster:bands", None)
    item.write_text(json.dumps(doc))
    with pytest.raises(FormatError, match=r"says neither its processing baseline nor its offset.*"
                       r"Fix: add the property s2:processing_baseline"):  # fmt: skip
        open_s2_item(item)


def test_stac_remote_asset_refused(tmp_path):
    m.write_stac(tmp_path / "stac", [DAY])
    item = next(tmp_path.rglob("S2B_*.json"))
    doc = json.loads(item.read_text())
    doc["assets"]["red"]["href"] = "https://sentinel-cogs.s3.amazonaws.com/B04.tif"
    item.write_text(json.dumps(doc))
    with pytest.raises(FormatError, match=r"not on this machine.*Fix: download the assets"):
        open_s2_item(item)


def test_stac_item_without_geometry_refused(tmp_path):
    m.write_stac(tmp_path / "stac", [DAY])
    item = next(tmp_path.rglob("S2B_*.json"))
    doc = json.loads(item.read_text())
    doc["geometry"], doc["bbox"] = None, None
    del doc["bbox"]
    item.write_text(json.dumps(doc))
    with pytest.raises(FormatError, match="has no geometry, so the area it covers is unknown"):
        open_s2_item(item)


def test_stac_missing_asset_and_bad_json(tmp_path):
    m.write_stac(tmp_path / "stac", [DAY])
    item = next(tmp_path.rglob("S2B_*.json"))
    (item.parent / "B04.tif").unlink()
    with pytest.raises(
        FormatError, match=r"asset 'red' points at .*B04\.tif, which does not exist"
    ):
        open_s2_item(item)
    bad = tmp_path / "bad.json"
    bad.write_text('{"type": "Topology"}')
    with pytest.raises(FormatError, match="has type 'Topology', not a STAC"):
        open_s2_item(bad)
    bad.write_text("{")
    with pytest.raises(FormatError, match="is not readable JSON"):
        open_s2_item(bad)


def test_folder_without_level_refused(tmp_path):
    folder = m.write_band_folder(tmp_path / "bands", DAY)
    (folder / "SCL_20m.tif").unlink()
    for p in folder.glob("*.tif"):
        with rasterio.open(p, "r+") as dst:
            dst.update_tags(PROCESSING_LEVEL="")
    with pytest.raises(FormatError, match=r"does not say whether it is L1C .* or L2A"):
        open_s2_item(folder)


def test_folder_without_bands_and_safe_without_mtd(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(FormatError, match="holds no Sentinel-2 band files"):
        open_s2_item(tmp_path / "empty")
    safe = m.write_safe(tmp_path, DAY)
    next(safe.glob("MTD_*.xml")).unlink()
    with pytest.raises(FormatError, match=r"has no MTD_MSIL1C.xml or MTD_MSIL2A.xml"):
        open_s2_item(safe)
    shutil.rmtree(safe / "GRANULE")
    (safe / "MTD_MSIL2A.xml").write_text("<a><PROCESSING_BASELINE>04.00</PROCESSING_BASELINE></a>")
    with pytest.raises(FormatError, match=r"has no GRANULE/\*/IMG_DATA folder"):
        open_s2_item(safe)
    (safe / "MTD_MSIL2A.xml").write_text("<a><")
    with pytest.raises(FormatError, match="is not readable XML"):
        open_s2_item(safe)


def test_l1c_without_cloud_bands_refused(tmp_path):
    safe = m.write_safe(tmp_path, DAY, level="L1C")
    next(safe.rglob("*_B10.jp2")).unlink()
    (scene,) = open_s2_item(safe)
    with pytest.raises(FormatError, match="is L1C but lacks B10, which the s2cloudless"):
        load_scene(scene, GRID)


def test_missing_bgrn_band_refused(tmp_path):
    folder = m.write_band_folder(tmp_path / "bands", DAY)
    (folder / "B03.tif").unlink()
    (scene,) = open_s2_item(folder)
    with pytest.raises(FormatError, match=r"lacks band\(s\) B03"):
        load_scene(scene, GRID)


def test_missing_and_unknown_items(tmp_path):
    with pytest.raises(InputNotFoundError, match="Sentinel-2 item not found"):
        open_s2_item(tmp_path / "nope.tif")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(FormatError, match="is not a Sentinel-2 item PAII reads"):
        open_s2_item(tmp_path / "notes.txt")


REAL = Path(__file__).resolve().parents[2] / "data" / "real" / "slovenia_s2_l1c_13band"


@pytest.mark.parametrize(("day", "cloudy"), [("20150711", 0), ("20150820", 1), ("20150830", 0)])
def test_real_l1c_clouds_match_eolearn(day, cloudy):
    """Real L1C (eo-learn example data, Slovenia): clouds from the s2cloudless model file
    agree with eo-learn's own s2cloudless masks of the same scenes."""
    path = REAL / f"S2_L1C_{day}_13band.tif"
    (scene,) = open_s2_item(path)
    assert scene.level == "L1C" and scene.offset_rule == "RADIO_ADD_OFFSET tag"
    with rasterio.open(path) as src:
        grid = Grid(src.crs, src.transform, src.width, src.height)
    loaded = load_scene(scene, grid)
    with rasterio.open(REAL / f"CLM_{day}_eolearn.tif") as src:
        reference = src.read(1) > 0
    assert reference.mean() == cloudy
    assert (loaded.clouds == reference).mean() > 0.99


ITALY = Path(__file__).resolve().parents[2] / "data" / "real" / "italy_s2_l2a_openeo"


def test_real_openeo_stack_read_by_its_band_metadata(tmp_path):
    """A real openEO Sentinel-2 L2A GeoTIFF names its bands B04, B03, B02, B08, SCL only in
    each band's DESCRIPTION metadata item (no GDAL band description): read by those names,
    never by position (red would become blue). Without an offset tag it is refused; tagged
    as its provenance says, it reads with plausible vegetation reflectance."""
    src_path = ITALY / "S2_L2A_sample.tif"
    with pytest.raises(FormatError, match=r"S2_L2A_sample\.tif: says neither its BOA_ADD_OFFSET "
                       r"nor its processing baseline.*BOA_ADD_OFFSET=0"):  # fmt: skip
        open_s2_item(src_path)
    path = tmp_path / "S2_L2A_20220612_openeo.tif"
    shutil.copy(src_path, path)
    with rasterio.open(path, "r+") as dst:
        dst.update_tags(BOA_ADD_OFFSET="0", DATE="2022-06-12")  # harmonised by Sentinel Hub
    (scene,) = open_s2_item(path)
    with rasterio.open(path) as src:
        grid = Grid(src.crs, src.transform, src.width, src.height)
    loaded = load_scene(scene, grid)
    blue, _, red, nir = loaded.reflectance
    ndvi = (nir - red) / (nir + red)
    veg = (ndvi > 0.6) & ~loaded.clouds
    assert veg.mean() > 0.2 and loaded.cloud_source == "SCL"
    assert 0.2 < float(np.nanmedian(nir[veg])) < 0.5
    assert float(np.nanmedian(red[veg])) < float(np.nanmedian(nir[veg])) / 5
    assert float(np.nanmedian(blue[veg])) < 0.1


def test_real_esa_mtd(tmp_path):
    """ESA's own MTD_MSIL2A.xml (baseline 05.10, data/real/s2_mtd_esa) drives a .SAFE read:
    level, date and the per-band BOA_ADD_OFFSET come from it."""
    real = Path(__file__).resolve().parents[2] / "data" / "real" / "s2_mtd_esa" / "MTD_MSIL2A.xml"
    meta = read_mtd(real)
    assert (meta.level, meta.start, meta.baseline, meta.scale) == (
        "L2A", "2023-12-17T13:56:59.024Z", 5.10, 10000.0,
    )  # fmt: skip
    assert meta.offset_name == "BOA_ADD_OFFSET" and len(meta.offsets) == 13
    assert set(meta.offsets.values()) == {-1000.0}
    safe = m.write_safe(tmp_path, DAY, level="L2A", baseline="05.10")
    shutil.copy(real, safe / "MTD_MSIL2A.xml")
    (scene,) = open_s2_item(safe)
    assert (
        str(scene.day) == "2023-12-17" and scene.offset_rule == "BOA_ADD_OFFSET in MTD_MSIL2A.xml"
    )
    loaded = load_scene(scene, GRID)  # the generated bands of DAY, scaled by the real offsets
    np.testing.assert_allclose(loaded.reflectance[2], m.truth(DAY)["B04"], atol=1e-4)


def test_undecodable_band_names_name_the_file(tmp_path):
    from paii_core.io import write_geotiff

    from .conftest import ORIGIN, UTM50

    path = write_geotiff(tmp_path / "odd.tif", np.ones((4, 2, 2)), crs=UTM50, transform=ORIGIN,
                         band_names=("B2", "B3", "B4", "B8"))  # fmt: skip
    path.write_bytes(path.read_bytes().replace(b"B8", b"\x8c8"))  # same length
    with pytest.raises(FormatError, match=r"odd\.tif: has band metadata that is not valid UTF-8"):
        open_s2_item(path)


def test_stack_named_in_band_metadata_as_openeo_writes(tmp_path):
    path = m.write_stack(tmp_path / "S2_openeo.tif", DAY, names=())
    with rasterio.open(path, "r+", IGNORE_COG_LAYOUT_BREAK="YES") as dst:
        for i, name in enumerate(("B02", "B03", "B04", "B08"), 1):
            dst.update_tags(i, DESCRIPTION=name)
    (scene,) = open_s2_item(path)
    _check(scene)


@pytest.mark.parametrize(("kind", "level"), [("TOA", "L1C"), ("SURFACE", "L2A")])
def test_reflectance_stack_is_read_as_reflectance_not_dn(tmp_path, kind, level):
    """A BGRN float stack tagged REFLECTANCE (what `paii reflectance` writes; eo-learn's
    Slovenian TOA files carry it too) takes no DN offset; before, it was refused for
    lacking a RADIO_ADD_OFFSET, and an L1C one for lacking the cloud model's bands."""
    truth = m.truth(DAY)
    data = np.stack([truth[b] for b in ("B02", "B03", "B04", "B08")]).astype(np.float32)
    path = tmp_path / "S2_20220604_bgrn.tif"
    profile = dict(driver="GTiff", count=4, dtype="float32", width=m.SIZE, height=m.SIZE,
                   crs=m.CRS_UTM14, transform=m.transform(10))  # fmt: skip
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
        dst.descriptions = ("B2", "B3", "B4", "B8")
        dst.update_tags(REFLECTANCE=kind)
    (scene,) = open_s2_item(path)
    assert (scene.level, scene.scale, set(scene.offsets.values())) == (level, 1.0, {0.0})
    with pytest.warns(PaiiWarning, match="clouds are not masked"):
        loaded = load_scene(scene, GRID)
    np.testing.assert_array_equal(loaded.reflectance, data)
    assert loaded.clouds is None


def _loose(safe: Path, into: Path) -> list[Path]:
    """A .SAFE's band files and MTD XML copied flat into one folder, as a browser uploads
    them (no GRANULE/IMG_DATA/R10m folders, nothing in the folder names)."""
    into.mkdir(parents=True, exist_ok=True)
    files = [p for p in sorted(safe.rglob("*")) if p.suffix == ".jp2" or p.name.startswith("MTD")]
    return [Path(shutil.copy(p, into / p.name)) for p in files]


def test_loose_band_files_with_their_mtd_read_as_the_safe(tmp_path):
    safe = m.write_safe(tmp_path / "safe", DAY, level="L2A", baseline="04.00")
    (whole,) = open_s2_item(safe)
    (loose,) = open_s2_items(_loose(safe, tmp_path / "up"))
    assert (loose.day, loose.level, loose.tile) == (whole.day, whole.level, whole.tile)
    assert loose.offsets == whole.offsets and loose.scale == whole.scale
    assert loose.offset_rule == "BOA_ADD_OFFSET in MTD_MSIL2A.xml"
    assert Path(loose.bands["B02"].path).name.endswith("_B02_10m.jp2")  # the finest of each
    assert loose.scl is not None and "B02_10m.jp2 + " in loose.source
    a, b = load_scene(whole, GRID), load_scene(loose, GRID)
    np.testing.assert_array_equal(a.reflectance, b.reflectance)
    np.testing.assert_array_equal(a.clouds, b.clouds)


def test_loose_files_of_two_dates_each_take_their_own_mtd(tmp_path):
    """Two products' files in one upload: each date's bands go with the MTD of that date
    (baselines 03.01 and 04.00: offsets 0 and -1000), a stack beside them as before."""
    first, second = m.SEASON[1], m.SEASON[2]
    files = []
    for day, baseline in ((first, "03.01"), (second, "04.00")):
        safe = m.write_safe(tmp_path / f"safe{day}", day, level="L1C", baseline=baseline)
        files += _loose(safe, tmp_path / f"up{day}")
    stack = m.write_stack(tmp_path / "S2_stack.tif", DAY, names=("B02", "B03", "B04", "B08"))
    scenes = open_s2_items([*files, stack])
    assert [(s.day, s.level) for s in scenes] == [(DAY, "L2A"), (first, "L1C"), (second, "L1C")]
    assert [set(s.offsets.values()) for s in scenes[1:]] == [{0.0}, {-1000.0}]
    for s in scenes[1:]:
        _check(s)


def test_loose_files_refused_with_what_to_pass(tmp_path):
    safe = m.write_safe(tmp_path / "safe", DAY, level="L2A", baseline="04.00")
    files = _loose(safe, tmp_path / "up")
    bands = [p for p in files if p.suffix == ".jp2"]
    with pytest.raises(FormatError, match=r"processing baseline.*Fix: pass the product's MTD XML"):
        open_s2_items(bands)  # the offset of baseline 04.00 is in the MTD, not the JP2s
    twice = tmp_path / "again" / bands[1].name
    twice.parent.mkdir()
    shutil.copy(bands[1], twice)
    with pytest.raises(FormatError, match=rf"is band B\d\w of {DAY} tile 14SPG, as is"):
        open_s2_items([*files, twice])
    undated = tmp_path / "B04.tif"
    shutil.copy(bands[0], undated)
    with pytest.raises(FormatError, match=r"B04.tif: is a single band file without a date"):
        open_s2_items([undated])
    other = m.write_safe(tmp_path / "other", m.SEASON[0], level="L2A")
    with pytest.raises(
        FormatError,
        match=rf"MTD_MSIL2A.xml: is the metadata of a product of {m.SEASON[0]}, but no band",
    ):
        open_s2_items([*bands, other / "MTD_MSIL2A.xml"])
