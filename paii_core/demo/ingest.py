"""Ingest a demo world into the store through the same readers real data goes through."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from paii_core import io, store, workspace
from paii_core.config import paths
from paii_core.crops.calendars import DEFAULT_CALENDARS
from paii_core.demo.regions import DEMO_REGIONS, DemoRegion
from paii_core.insurance.imports import import_policy_rows
from paii_core.insurance.policy_file import read_policy_file
from paii_core.store.calendars import seed_calendars
from paii_core.workspace.files import add_region_file

__all__ = ["COMMODITY_CROPS", "ingest_world"]

COMMODITY_CROPS = {
    "CORN": "corn",
    "SOYBEANS": "soybean",
    "WHEAT": "wheat",
    "MAIZE": "maize",
    "RICE": "rice",
}
"""NASS commodity names to PAII crop names."""


def _add_region(
    con: duckdb.DuckDBPyConnection, region: DemoRegion, boundary_dir: Path | None
) -> None:
    """The demo region through the same call as `paii region add` (files already WGS84)."""
    workspace.add_region(
        con,
        region.region_id,
        (boundary_dir or paths().boundaries) / region.boundary_file,
        country=region.country,
        yield_unit=region.yield_unit,
        name=region.name,
        source_crs="EPSG:4326",
        yield_crops=region.yield_crops,
        simulated=False,
    )


def _metric_rows(
    frame: pd.DataFrame, metric: str, unit: str, source: str, now: datetime
) -> pd.DataFrame:
    """``frame`` has county_id, crop, year, value: one row per county, crop and year."""
    years = frame["year"].astype(int)
    return pd.DataFrame(
        {
            "county_id": frame["county_id"].astype(str).to_numpy(),
            "metric": metric,
            "crop": frame["crop"].astype(str).to_numpy(),
            "period_start": [date(y, 1, 1) for y in years],
            "period_end": [date(y, 12, 31) for y in years],
            "value": frame["value"].astype(float).to_numpy(),
            "unit": unit,
            "source": source,
            "simulated": True,
            "updated_at": now,
        }
    )


def _ingest_panels(
    con: duckdb.DuckDBPyConnection, data: Path, region: DemoRegion, now: datetime, generator: str
) -> None:
    rid = region.region_id
    demo = data / "demo"
    for kind, name in (
        ("yield_csv", f"{rid}_nass_yield.csv"),
        ("yield_features", f"{rid}_features_asof.parquet"),
        ("county_stats", f"{rid}_county_stats.csv"),
    ):
        add_region_file(
            con,
            rid,
            kind,
            demo / "panels" / name,
            simulated=True,
            model_version=generator,
            data_dir=data,
        )
    nass = io.read_nass_quickstats(demo / f"panels/{rid}_nass_yield.csv")
    yields = nass.assign(crop=nass["commodity"].str.upper().map(COMMODITY_CROPS))
    yields = yields.dropna(subset=["crop"])
    if region.country == "CN":
        yields.loc[yields["crop"] == "corn", "crop"] = "maize"
    for unit, part in yields.groupby("unit"):
        store.write_frame(
            con,
            "county_metrics",
            _metric_rows(part, "yield", unit, "NASS Quick Stats CSV (simulated)", now),
        )
    stats = pd.read_csv(demo / f"panels/{rid}_county_stats.csv", dtype={"county_id": str})
    year = int(stats["year"].max()) if "year" in stats else 2020
    share = pd.DataFrame(
        {
            "county_id": stats["county_id"],
            "crop": "",
            "year": year,
            "value": 100.0 * stats["cropland_share"],
        }
    )
    store.write_frame(
        con,
        "county_metrics",
        _metric_rows(share, "cropland_share", "%", "demo county statistics", now),
    )
    crop_cols = [c for c in stats.columns if c.startswith("share_")]
    for col in crop_cols:
        part = pd.DataFrame(
            {
                "county_id": stats["county_id"],
                "crop": col.removeprefix("share_"),
                "year": year,
                "value": 100.0 * stats[col],
            }
        )
        store.write_frame(
            con,
            "county_metrics",
            _metric_rows(part, "crop_area_share", "% of cropland", "demo county statistics", now),
        )


def _product(
    kind: str, rel: str, manifest: dict, acquired: str | None, details: dict, now: datetime
) -> dict:
    return {
        "product_id": f"{kind}:{rel}",
        "kind": kind,
        "aoi_id": None,
        "acquired": date.fromisoformat(acquired) if acquired else None,
        "path": f"demo/{rel}",
        "input_hash": manifest["files"][rel],
        "model_version": manifest["generator"],
        "simulated": True,
        "created_at": now,
        "details": json.dumps(details, sort_keys=True),
    }


def _add_areas(con: duckdb.DuckDBPyConnection, data: Path, manifest: dict) -> None:
    """Each demo area through :func:`workspace.add_area`, like `paii area add` does."""
    demo = data / "demo"
    files = manifest["files"]
    for rec in manifest["aois"]:
        tag = rec["aoi_id"]
        spec = next(a for a in DEMO_REGIONS[rec["region_id"]].aois if a.aoi_id == tag)

        def item(kind: str, rel: str, day: str | None = None, **details) -> workspace.AreaInput:
            acquired = date.fromisoformat(day) if day else None
            return workspace.AreaInput(kind, demo / rel, acquired, details, files[rel])

        inputs = [item("dem", f"{tag}/dem/DEM_{tag}.tif")]
        io.read_dem(inputs[0].path)
        for s2 in rec["s2"]:
            stamp = s2["date"].replace("-", "")
            rel = f"{tag}/s2/S2_{tag}_{stamp}_L2A.tif"
            scl = f"{tag}/s2/S2_{tag}_{stamp}_SCL.tif"
            image = io.read_sentinel2_l2a(demo / rel, scl=demo / scl)
            valid = float(np.isfinite(image.data).all(axis=0).mean())
            inputs.append(
                item("s2_l2a", rel, s2["date"], valid_fraction=round(valid, 4), scl=f"demo/{scl}")
            )
        for s1 in rec["s1"]:
            rel = f"{tag}/s1/S1_{tag}_{s1['date'].replace('-', '')}_sigma0.tif"
            io.read_sentinel1(demo / rel)
            inputs.append(item("s1_grd", rel, s1["date"], flood_event=s1["flood_event"]))
        plots = f"insurance/{tag}_plots.tif"
        if plots in files:
            inputs.append(item("plots", plots))
        reference = f"truth/{tag}/crop_type.tif"
        if reference in files:
            inputs.append(item("crop_reference", reference, classes=manifest["crops"]))
        workspace.add_area(
            con,
            tag,
            region_id=rec["region_id"],
            inputs=inputs,
            county_id=rec["county_id"],
            crops=spec.crops,
            folder=demo / tag,
            has_flood=spec.has_flood,
            source=f"PAII demo world ({manifest['generator']}, seed {manifest['seed']})",
            simulated=True,
            model_version=manifest["generator"],
            data_dir=data,
        )


def _ingest_soundings(
    con: duckdb.DuckDBPyConnection, demo: Path, manifest: dict, now: datetime
) -> None:
    rows = []
    files = sorted(rel for rel in manifest["files"] if rel.startswith("oco2/"))
    for rel, frame in zip(files, io.iter_oco2_lite([demo / f for f in files]), strict=True):
        day = frame["time"].min().date().isoformat() if len(frame) else None
        good = int((frame["xco2_quality_flag"] == 0).sum())
        rows.append(
            _product(
                "oco2_lite", rel, manifest, day, {"n_soundings": len(frame), "n_good": good}, now
            )
        )
    if rows:
        store.write_frame(con, "products", pd.DataFrame(rows))


def _ingest_policies(con: duckdb.DuckDBPyConnection, demo: Path) -> None:
    """The demo portfolio goes through `paii policies import`'s checks, region by region."""
    path = demo / "insurance/policies.csv"
    raw = read_policy_file(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    for region_id, rows in raw.groupby("region_id", sort=True):
        import_policy_rows(
            con,
            rows.reset_index(drop=True),
            str(region_id),
            source="demo/insurance/policies.csv",
            input_hash=digest,
            simulated=True,
            actor="paii demo build",
        )


def ingest_world(
    con: duckdb.DuckDBPyConnection,
    data_dir: Path,
    *,
    boundary_dir: Path | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> None:
    """Load ``data_dir``/demo into an empty store: counties, metrics, areas, products, policies."""
    demo = Path(data_dir) / "demo"
    manifest = json.loads((demo / "MANIFEST.json").read_text())
    now = datetime.now(UTC).replace(tzinfo=None)
    report = progress or (lambda f, m: None)
    for i, region in enumerate(DEMO_REGIONS.values()):
        report(i / 6, f"ingest {region.name}")
        _add_region(con, region, boundary_dir)
        _ingest_panels(con, Path(data_dir), region, now, manifest["generator"])
    seed_calendars(con, DEFAULT_CALENDARS, who="paii demo build")
    report(0.5, "ingest imagery")
    _add_areas(con, Path(data_dir), manifest)
    report(0.8, "ingest soundings")
    _ingest_soundings(con, demo, manifest, now)
    _ingest_policies(con, demo)
    meta = {
        "built_at": now.strftime("%Y-%m-%d %H:%M"),
        "seed": str(manifest["seed"]),
        "size": manifest["size"],
        "generator": manifest["generator"],
        "simulated": "true",
    }
    store.write_frame(con, "meta", pd.DataFrame({"key": list(meta), "value": list(meta.values())}))
    report(1.0, "ingested")
