"""A tiny demo world made ready for insurance review tests, without running the models.

The parcels product (normally `map_area`, a minute of model time) is written from the
insurer's parcel registry, so the mapped area of every plot is its true area; the crop map
comes from a saved label set of simulated survey points; county forecasts and flood
impacts are hand-made rows. The engine reads all of them through the store as usual.
"""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from paii_core import io, store
from paii_core.crops import area as crop_area
from paii_core.crops.labelling import parse_classes_tag, survey_points
from paii_core.demo.ingest import ingest_world
from paii_core.insurance import insured_plots
from paii_core.store import crops as crop_store
from paii_core.store import flood as flood_store

AOI = "henan-huaxian"
COUNTY = "410526"
WHEAT = (250.0, 300.0, 350.0)  # p10, p50, p90 kg/mu of the 2020 wheat forecast of 07-01
FLOODED = {"PA-HA-0003": (0.5, date(2020, 5, 20)), "PA-HA-0007": (0.4, date(2020, 3, 1))}
"""policy -> (peak flooded share, peak date): wheat flooded in season, peanut before sowing."""


def add_maps(con, data: Path, aoi_id: str = AOI) -> None:
    """Store a parcels product drawn from the registry and a label set for ``aoi_id``."""
    area = crop_area.load_area(con, aoi_id, data)
    truth = data / "demo" / "truth" / aoi_id
    fine, coarse, _ = insured_plots(con, aoi_id, data)
    fine, coarse = fine.astype(np.float32), coarse.astype(np.float32)
    rel = Path("products") / "crops" / aoi_id / "parcels_registry.tif"
    bands = np.stack([(fine > 0).astype(np.float32), fine, coarse]).astype(np.float32)
    io.write_geotiff(data / rel, bands, crs=area.crs, transform=area.transform)
    crop_store.save_product(
        con,
        aoi_id=aoi_id,
        kind="parcels",
        input_hash=area.input_hash,
        model_version=crop_area.PARCELS_MODEL_VERSION,
        path=rel.as_posix(),
        details={},
        simulated=True,
    )
    crop_type = np.nan_to_num(io.read_geotiff(truth / "crop_type.tif").data[0], nan=-1)
    classes = parse_classes_tag(io.read_geotiff(truth / "crop_type.tif").tags.get("CLASSES"))
    labels = survey_points(
        crop_type.astype(int), fine.astype(np.int32), per_crop=5, seed=1, classes=classes
    )
    crop_store.save_label_set(con, aoi_id, labels, who="Ana Surveyor", simulated=True)


def add_forecast(con) -> None:
    """One 2020 wheat forecast of the county, issued 07-01, in kg/mu."""
    p10, p50, p90 = WHEAT
    row = {
        "region_id": "henan", "county_id": COUNTY, "crop": "wheat", "year": 2020,
        "as_of": "07-01", "trend": p50, "p10": p10, "p50": p50, "p90": p90, "unit": "kg/mu",
        "model_version": "test", "input_hash": "test", "simulated": True,
        "created_at": datetime(2020, 7, 1),
    }  # fmt: skip
    store.write_frame(con, "yield_forecasts", pd.DataFrame([row]))


def add_flood(con) -> None:
    """A flood event over the area that reached two policies."""
    hits = pd.DataFrame(
        [
            {
                "policy_id": pid, "county_id": COUNTY, "declared_crop": "x", "parcel_ha": 1.0,
                "peak_flooded_share": share, "peak_flooded_ha": share, "peak_date": day,
                "days_flooded": 6.0,
            }
            for pid, (share, day) in FLOODED.items()
        ]
    )  # fmt: skip
    event = {
        "event_id": "test-flood", "aoi_id": AOI, "region_id": "henan", "county_id": COUNTY,
        "name": "test flood", "pre_date": None, "first_date": date(2020, 3, 1),
        "last_date": date(2020, 5, 20), "input_hash": "test", "method": "test",
        "simulated": True,
    }  # fmt: skip
    empty = pd.DataFrame()
    flood_store.save_event(con, event, products=empty, policies=hits, counties=empty, crops=empty)


def prepare(source: Path, target: Path, *, maps: bool = True) -> Path:
    """A copy of the tiny world at ``target`` with maps (optional), forecast and flood.

    Only the world's files are copied and ingested into a new database, so what other
    tests stored in the shared tiny world (parcels, label sets, forecasts) is not here."""
    shutil.copytree(source / "demo", target / "demo")
    store.refresh_database(lambda c: ingest_world(c, target), target / "paii.duckdb")
    con = store.connect(target / "paii.duckdb")
    try:
        if maps:
            add_maps(con, target)
        add_forecast(con)
        add_flood(con)
    finally:
        con.close()
    return target
