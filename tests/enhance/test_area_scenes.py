"""Scenes of stored areas: the demo's from its area records match its MANIFEST."""

from __future__ import annotations

from paii_core import store
from paii_core.enhance import area_scenes as sc
from paii_core.enhance import demo_scenes as ds


def test_demo_area_scenes_match_the_manifest_and_carry_its_truth(tiny_world):
    demo = [s for s in ds.demo_scenes(tiny_world) if s.aoi_id.startswith("henan")]
    aoi = demo[0].aoi_id
    con = store.connect(tiny_world / "paii.duckdb")
    try:
        scenes = sc.area_scenes(con, aoi, data_dir=tiny_world)
    finally:
        con.close()
    mine = [s for s in demo if s.aoi_id == aoi]
    assert [s.day for s in scenes] == [s.day for s in mine]
    assert all(s.simulated for s in scenes)
    assert [s.tau550 for s in scenes] == [s.tau550 for s in mine]
    assert [s.clear_truth for s in scenes] == [s.clear_truth for s in mine]
    table = sc.haze_table(scenes)
    hazy = scenes[int(table["haze_index"].to_numpy().argmax())]
    assert hazy.tau550 > 0
    others = sc.clear_neighbours(scenes, table, hazy)
    assert others and all(o.tau550 == 0.0 and not o.cloudy and o.day != hazy.day for o in others)


def test_a_date_masked_whole_is_left_out_not_an_error(tiny_world, tmp_path):
    """An L1C area's date that its cloud mask removed whole (the real Slovenian
    2015-07-31 capture) made the Imagery page show 'is all nodata' instead of the area."""
    from dataclasses import replace

    import numpy as np
    import pytest

    from paii_core.errors import FormatError
    from paii_core.io import read_geotiff, write_geotiff

    con = store.connect(tiny_world / "paii.duckdb")
    try:
        aoi = next(s.aoi_id for s in ds.demo_scenes(tiny_world) if s.aoi_id.startswith("henan"))
        scenes = sc.area_scenes(con, aoi, data_dir=tiny_world)[:3]
    finally:
        con.close()
    src = read_geotiff(scenes[1].s2)
    masked = write_geotiff(
        tmp_path / "masked.tif", np.full_like(src.data, np.nan), crs=src.crs,
        transform=src.transform, band_names=src.band_names, tags=src.tags,
    )  # fmt: skip
    scenes[1] = replace(scenes[1], s2=masked)
    table = sc.haze_table(scenes)
    assert np.isnan(table["haze_index"].iloc[1]) and table["haze_index"].notna().sum() == 2
    kept, rows = sc.with_pixels(scenes, table)
    assert [s.day for s in kept] == [scenes[0].day, scenes[2].day] == rows["date"].tolist()
    (tmp_path / "junk.tif").write_bytes(b"not a tiff")
    with pytest.raises(FormatError, match=r"junk\.tif: is not a readable"):
        sc.haze_table([replace(scenes[0], s2=tmp_path / "junk.tif")])
