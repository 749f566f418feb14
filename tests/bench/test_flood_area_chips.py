"""bench.flood.area_chips: a real development chip through a user's Sentinel-1 area scores
as the command does on the chip's own grid, and the registry row judges the drop."""

from __future__ import annotations

import shutil

from bench.flood import area_chips
from bench.flood.water_dev import DEV
from bench.registry import flood_area


def test_a_real_chip_through_an_area_scores_as_on_its_own_grid(tmp_path):
    for name in ("Nigeria_812045_S1Hand.tif", "Nigeria_812045_LabelHand.tif"):
        shutil.copy(DEV / name, tmp_path / name)
    result = area_chips.run([tmp_path])
    (row,) = result["rows"]
    assert row["crs"] == "EPSG:4326" and row["area grid"].endswith("EPSG:32631")
    assert row["direct"] > 0.8 and abs(row["area"] - row["direct"]) < 0.02, row
    (figures,) = flood_area(result)
    assert figures[-1] is True and figures[3] == "drop <= 0.02 on every chip"
    worse = {**result, "summary": {**result["summary"], "worst drop": 0.05}}
    assert flood_area(worse)[0][-1] is False
