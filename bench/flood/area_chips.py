"""Flood water through a user's Sentinel-1 area, on the real DEV chips (never the held-out
ones): what the workspace's path costs against `paii flood --post CHIP` on the chip's grid.

Each development chip (Sen1Floods11 and STAC Overflow layouts, EPSG:4326 and UTM) becomes
an area of its own as a claims analyst would make it: a region whose one county is the
chip's outline, `paii area add AOI --s1 CHIP --flood-date D` (no Sentinel-2, no DEM, no
plots; the chip carries no date, so the copy is tagged one) onto the area's 10 m UTM grid,
and its flood event mapped (:func:`paii_core.flood.event.run_flood_event`). The event's
``water`` band is scored against the chip's hand labels moved onto the area's grid
(nearest neighbour; unlabelled -1 left out), beside the ``water`` band of
:func:`bench.flood.water_dev.map_chip` (the command's own path) scored on the chip's grid. Both
are the same rules; the gap is what reprojection to the area's grid costs (resampled
speckle, label edges moved by half a pixel).

Run: ``PYTHONPATH=. .venv/bin/python -m bench.flood.area_chips [--json OUT]``.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import warnings
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
import shapely
from rasterio.warp import Resampling, reproject, transform_bounds

from bench.flood.water_dev import DEV_FOLDERS, chips_of, map_chip, score
from bench.jsonout import write_json

DAY = date(2020, 1, 1)
"""The date tagged on each chip's copy (an area's Sentinel-1 needs one; the chips have
none, and the rules never read it)."""


def area_water(chip: Path, folder: Path) -> dict:
    """Score the flood event of an area made from ``chip`` alone in a fresh store under
    ``folder`` (see the module docstring)."""
    from paii_core import store, workspace
    from paii_core.areas import add_area_from_items
    from paii_core.flood.event import run_flood_event
    from paii_core.store import flood as flood_store

    copy = folder / chip.name
    shutil.copy(chip, copy)
    with rasterio.open(copy, "r+") as dst:
        dst.update_tags(DATE=DAY.isoformat())
        outline = shapely.box(*transform_bounds(dst.crs, "EPSG:4326", *dst.bounds))
    gpd.GeoDataFrame(
        {"county_id": ["C1"], "name": [chip.stem]}, geometry=[outline], crs="EPSG:4326"
    ).to_file(folder / "region.geojson")
    con = store.connect(folder / "paii.duckdb")
    try:
        workspace.add_region(con, "r", folder / "region.geojson", country="XX", yield_unit="t/ha")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            added = add_area_from_items(con, "chip", region_id="r", s2=[], s1=[copy],
                                        flood_dates=[DAY], data_dir=folder)  # fmt: skip
            event = run_flood_event(con, "chip", data_dir=folder)
        product = flood_store.event_frame(con, "flood_products", event)["path"].iloc[0]
    finally:
        con.close()
    with rasterio.open(product) as src:
        water = src.read(src.descriptions.index("water") + 1)
    label = np.full(water.shape, -1, np.int16)
    with rasterio.open(chip.with_name(chip.name.replace("_S1Hand", "_LabelHand"))) as src:
        reproject(rasterio.band(src, 1), label, dst_transform=added.grid.transform,
                  dst_crs=added.grid.crs, resampling=Resampling.nearest, src_nodata=-1,
                  dst_nodata=-1)  # fmt: skip
    valid = (label >= 0) & np.isfinite(water)
    out = score(water == 1, label, valid)
    out["grid"] = f"{added.grid.width} x {added.grid.height} px, {added.grid.crs.to_string()}"
    return out


def run(folders=DEV_FOLDERS) -> dict:
    rows = []
    for chip in chips_of(folders):
        with rasterio.open(chip) as src:
            crs = src.crs.to_string()
        direct = map_chip(chip)
        with tempfile.TemporaryDirectory() as tmp:
            area = area_water(chip, Path(tmp))
        rows.append(
            {
                "chip": chip.name.replace("_S1Hand.tif", ""),
                "crs": crs,
                "direct": direct["iou"],
                "area": area["iou"],
                "direct counts": direct["counts"],
                "area counts": area["counts"],
                "area grid": area["grid"],
            }
        )
    scored = [r for r in rows if r["direct counts"][1] > 0]

    def pooled(key: str) -> float:
        inter = sum(r[key][0] for r in scored)
        return inter / max(1, sum(r[key][1] for r in scored))

    summary = {
        "chips": len(scored),
        "direct mean": float(np.mean([r["direct"] for r in scored])),
        "area mean": float(np.mean([r["area"] for r in scored])),
        "direct pooled": pooled("direct counts"),
        "area pooled": pooled("area counts"),
        "worst drop": float(max(r["direct"] - r["area"] for r in scored)),
    }
    return {"rows": rows, "summary": summary}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    result = run()
    print("| chip | CRS | direct (chip grid) | through an area (10 m UTM) | area grid |")
    print("| --- | --- | --- | --- | --- |")
    for r in result["rows"]:
        print(f"| {r['chip']} | {r['crs']} | {r['direct']:.3f} | {r['area']:.3f} | "
              f"{r['area grid']} |")  # fmt: skip
    s = result["summary"]
    print(
        f"{s['chips']} chips scored (water labelled or called): mean IoU direct "
        f"{s['direct mean']:.3f} vs area {s['area mean']:.3f}; pooled "
        f"{s['direct pooled']:.3f} vs {s['area pooled']:.3f}; largest drop {s['worst drop']:.3f}"
    )
    write_json(args.json, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
