"""Relabel-and-redraw time of the Crop labels page on the demo area, and the one-off
cropland + parcels + recognition-features time of a 1,000 x 1,000 x 12-date area.

    .venv/bin/python -m bench.crops.relabel relabel DATA_DIR   # a built demo world's data dir
    .venv/bin/python -m bench.crops.relabel big                # generated 1,000 px scene
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from paii_core import store
from paii_core.crops.area import load_area, map_area, prepared_for
from paii_core.crops.labelling import (
    heldout_scores,
    interior_points,
    parse_classes_tag,
    survey_points,
)
from paii_core.crops.recognize import recognize_prepared
from paii_core.crops.rollups import parcel_crops, parcel_polygons
from paii_core.crops.view import parcel_geojson
from paii_core.io import read_geotiff


def relabel(data: Path, aoi_id: str = "henan-huaxian") -> None:
    con = store.connect(data / "paii.duckdb")
    area = load_area(con, aoi_id, data)
    parcels = map_area(con, area, data_dir=data)
    prep = prepared_for(area, parcels)
    geo = parcel_polygons(
        parcels.fine, parcels.coarse, transform=area.transform, crs=area.crs, simplify_m=4.0
    )
    pts = interior_points(parcels.fine)
    truth = read_geotiff(data / "demo" / "truth" / aoi_id / "crop_type.tif")
    labels = survey_points(
        np.nan_to_num(truth.data[0], nan=-1).astype(int),
        parcels.fine,
        per_crop=5,
        classes=parse_classes_tag(truth.tags.get("CLASSES")),
    )
    times = []
    for i in range(3):
        t = time.perf_counter()
        labs = [*labels, (int(pts[i, 0]), int(pts[i, 1]), labels[i][2])]
        cmap = recognize_prepared(prep, labs, region=area.region_id)
        heldout_scores(prep, labs, region=area.region_id)
        crops, conf = parcel_crops(parcels.fine, cmap)
        json.dumps(parcel_geojson(geo, crops, conf, pts))
        times.append(time.perf_counter() - t)
    print(
        f"{aoi_id}: {len(pts)} parcels, {len(labels) + 1} labels, relabel+redraw s: "
        + ", ".join(f"{x:.2f}" for x in times)
    )


def big() -> None:
    from paii_core.crops import cropland_probability, delineate_parcels
    from paii_core.crops.recognize import prepare_recognition
    from paii_core.crops.scenes import make_scene

    scene = make_scene("iowa", 203, size_px=1000, n_dates=12, hires_factor=1)
    t = time.perf_counter()
    crop = cropland_probability(scene.series, scene.dates)
    t1 = time.perf_counter()
    fine = delineate_parcels(scene.series, scene.dates, cropland=crop)
    t2 = time.perf_counter()
    prepare_recognition(scene.series, scene.dates, fine, sar=scene.sar, dem=scene.dem)
    t3 = time.perf_counter()
    print(
        f"1000x1000x12: cropland {t1 - t:.1f} s, fine parcels {t2 - t1:.1f} s, "
        f"recognition features {t3 - t2:.1f} s, total {t3 - t:.1f} s"
    )


if __name__ == "__main__":
    relabel(Path(sys.argv[2])) if sys.argv[1] == "relabel" else big()
