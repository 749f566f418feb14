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
