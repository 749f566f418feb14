"""`paii demo prepare`: compute and store the demo world's products so every page opens full.

Each step calls the engine function its page's button calls and skips what the store
already holds, so a second run does nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

import duckdb
import numpy as np

from paii_core import io, store
from paii_core.demo.classes import CROPS
from paii_core.errors import DemoWorldMissingError

__all__ = [
    "DEMO_ASOF",
    "SURVEY_NOTE",
    "SURVEY_PER_CROP",
    "SURVEY_REVIEWER",
    "PrepareStep",
    "prepare_demo",
]

DEMO_ASOF = date(2020, 10, 31)
"""The dashboard's default as-of date (the sidebar's in ui/common.py): forecasts are
prepared for every cut-off up to it."""

SURVEY_REVIEWER = "PAII demo build"
SURVEY_NOTE = (
    "Simulated field survey (demo): points at interior points of the demo world's truth "
    "fields, crop read from its truth map. SIMULATED, not observed."
)
SURVEY_PER_CROP = 13
"""Survey points per crop found on an area's parcels: about 40 per area (3 crops), the
seed system's labelling density."""

ACTOR = "paii demo prepare"


@dataclass(frozen=True)
class PrepareStep:
    """One step of :func:`prepare_demo`: what it did and how long it took."""

    step: str
    status: Literal["done", "skipped"]
    seconds: float
    detail: str

    def line(self) -> str:
        return f"{self.step:<28} {self.status:<7} {self.seconds:6.1f} s  {self.detail}"


def _timed(step: str, run: Callable[[], tuple[Literal["done", "skipped"], str]]) -> PrepareStep:
    start = time.perf_counter()
    status, detail = run()
    return PrepareStep(step, status, time.perf_counter() - start, detail)


def _crop_steps(
    con: duckdb.DuckDBPyConnection, data: Path, aoi_id: str
) -> tuple[PrepareStep, PrepareStep]:
    """Cropland + parcels, then the survey label set, as the Crop labels page makes them."""
    from paii_core.crops import area as crop_area
    from paii_core.crops.labelling import survey_points
    from paii_core.crops.recognize import recognize_prepared
    from paii_core.store import crops as crop_store

    area = None

    def parcels() -> tuple[Literal["done", "skipped"], str]:
        nonlocal area
        area = crop_area.load_area(con, aoi_id, data)
        mapped = crop_area.map_area(con, area, data_dir=data)
        crop_area.prepared_for(area, mapped)
        n = f"{int(mapped.fine.max())} parcels, {int(mapped.coarse.max())} blocks"
        return ("skipped" if mapped.cached else "done"), n

    parcel_step = _timed(f"parcels {aoi_id}", parcels)

    def labels() -> tuple[Literal["done", "skipped"], str]:
        sets = crop_store.label_sets(con, aoi_id)
        if not sets.empty:
            return "skipped", f"{len(sets)} label set(s) stored, newest by {sets['who'].iloc[0]}"
        mapped = crop_area.map_area(con, area, data_dir=data, compute=False)
        prep = crop_area.prepared_for(area, mapped)
        truth = data / "demo" / "truth" / aoi_id
        crop_type, fields = (
            np.nan_to_num(io.read_geotiff(truth / f"{name}.tif").data[0], nan=-1).astype(np.int64)
            for name in ("crop_type", "fine_parcels")
        )
        points = survey_points(
            crop_type, fields, per_crop=SURVEY_PER_CROP, within=prep.units, seed=0, classes=CROPS
        )
        cmap = recognize_prepared(prep, points, region=area.region_id)
        set_id = crop_area.save_labels(
            con,
            area,
            mapped,
            cmap,
            points,
            who=SURVEY_REVIEWER,
            note=SURVEY_NOTE,
            detail={"simulated_survey": True},
        )
        return "done", f"label set {set_id}: {len(points)} simulated survey points"

    return parcel_step, _timed(f"survey labels {aoi_id}", labels)


def _yield_step(
    con: duckdb.DuckDBPyConnection, data: Path, region_id: str, *, with_backtest: bool
) -> PrepareStep:
    from paii_core.store import yields as ystore
    from paii_core.yields.backtest import ASOF_DATES
    from paii_core.yields.run import run_region

    asofs = [a for a in ASOF_DATES if a <= f"{DEMO_ASOF:%m-%d}"]

    def run() -> tuple[Literal["done", "skipped"], str]:
        stored = set(ystore.yield_runs(con, region_id)["as_of"])
        if set(asofs) <= stored:
            return "skipped", f"forecasts as of {', '.join(asofs)} stored"
        result = run_region(
            con, data, region_id, asofs=asofs, with_backtest=with_backtest, actor=ACTOR
        )
        kind = "with backtests" if with_backtest else "without backtests"
        return "done", f"{len(result.forecasts)} forecasts of {result.year} {kind}"

    return _timed(f"yield forecasts {region_id}", run)


def _flood_step(con: duckdb.DuckDBPyConnection, data: Path, aoi_id: str) -> PrepareStep:
    from paii_core.access import local_operator
    from paii_core.flood.event import run_flood_event
    from paii_core.store import flood as flood_store

    def run() -> tuple[Literal["done", "skipped"], str]:
        events = flood_store.events(con)
        mine = events[events["aoi_id"] == aoi_id]
        if not mine.empty:
            return "skipped", f"event {mine['event_id'].iloc[0]} stored"
        event_id = run_flood_event(con, aoi_id, data_dir=data)
        hits = flood_store.policy_hits(con, event_id, principal=local_operator())
        return "done", f"event {event_id}: {len(hits)} policies hit"

    return _timed(f"flood event {aoi_id}", run)


def _carbon_step(con: duckdb.DuckDBPyConnection, data: Path, regions: list[str]) -> PrepareStep:
    from paii_core.carbon.pipeline import run_carbon
    from paii_core.store import carbon as carbon_store
    from paii_core.workspace.files import sounding_files

    def run() -> tuple[Literal["done", "skipped"], str]:
        # One run aggregates every region; any stored region means it has run.
        if any(carbon_store.carbon_periods(con, r) for r in regions):
            return "skipped", "XCO2 county results stored"
        files, simulated = sounding_files(con, data_dir=data)
        result = run_carbon(con, files, simulated=simulated, actor=ACTOR)
        return "done", f"{sum(result.rows.values())} county-periods from {result.files} files"

    return _timed("carbon XCO2", run)


def prepare_demo(
    data_dir: Path | str,
    *,
    with_backtest: bool = True,
    on_step: Callable[[PrepareStep], None] | None = None,
) -> list[PrepareStep]:
    """Map cropland and parcels, save a simulated survey label set, forecast yields, map
    the flood event and aggregate XCO2 for every area and region of a built demo world,
    storing each in ``data_dir``/paii.duckdb; return the steps (``on_step`` sees each one
    as it ends). Steps whose product is already stored are skipped.

    ``with_backtest`` runs the yield models' leave-one-year-out backtests too, as the
    Yield page's button does (the Track record section); they are most of the time.

    Raises:
        DemoWorldMissingError: no demo world or database under ``data_dir``.
        PaiiError subclasses: from the engine steps (a failed step stores nothing).
    """
    from paii_core import workspace
    from paii_core.store import crops as crop_store

    data = Path(data_dir)
    db, manifest = data / "paii.duckdb", data / "demo" / "MANIFEST.json"
    for path in (manifest, db):
        if not path.is_file():
            raise DemoWorldMissingError(
                f"{path}: no demo world to prepare. Fix: run `paii demo build --out {data}` first"
            )
    steps: list[PrepareStep] = []

    def done(step: PrepareStep) -> None:
        steps.append(step)
        if on_step is not None:
            on_step(step)

    con = store.connect(db)
    try:
        areas = crop_store.aois(con)
        for aoi_id in areas["aoi_id"]:
            for step in _crop_steps(con, data, aoi_id):
                done(step)
        regions = sorted(set(areas["region_id"]))
        for region_id in regions:
            done(_yield_step(con, data, region_id, with_backtest=with_backtest))
        for aoi_id in workspace.flood_areas(con):
            done(_flood_step(con, data, aoi_id))
        done(_carbon_step(con, data, regions))
    finally:
        con.close()
    return steps
