"""`paii area add`: an area of interest from a user's own Sentinel-2 / Sentinel-1 / DEM files."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

__all__ = ["register"]


def _add(args: argparse.Namespace) -> int:
    from paii_core import store
    from paii_core.areas.build import add_area_from_items
    from paii_core.errors import StoreLockedError, ValidationError

    try:
        floods = [date.fromisoformat(d) for d in args.flood_date]
    except ValueError:
        raise ValidationError(
            f"--flood-date {args.flood_date} should be YYYY-MM-DD dates"
        ) from None
    try:
        con = store.connect(args.db)
    except StoreLockedError as e:
        raise StoreLockedError(_locked(args, e.holder), e.holder) from e
    try:
        added = add_area_from_items(
            con,
            args.aoi,
            region_id=args.region,
            s2=args.s2,
            s1=args.s1,
            dem=args.dem,
            plots=args.plots,
            bbox=args.bbox,
            county_id=args.county,
            flood_dates=floods,
            replace=args.replace,
            progress=None if args.quiet else _printer,
        )
    finally:
        con.close()
    g = added.grid
    print(
        f"area {added.aoi_id} (region {added.region_id}, county {added.county_id}): "
        f"{g.width} x {g.height} px at 10 m in {g.crs.to_string()}, {added.s2_dates()}, "
        f"{added.n_s1} Sentinel-1, DEM {'yes' if added.has_dem else 'no'}; files in "
        f"{added.folder}"
    )
    for w in added.warnings:
        print(f"warning: {w}")
    return 0


def _locked(args: argparse.Namespace, holder: str) -> str:
    """What `paii area add` says when another process (the dashboard, most often) holds
    the store: DuckDB lets one process write it, so the two ways out."""
    from paii_core.config import paths

    db = args.db or paths().database
    who = f"another process ({holder})" if holder else "another process"
    return (
        f"{db} is held by {who}, most likely the dashboard: DuckDB lets one process write "
        f"the store at a time, so area {args.aoi} was not added. Fix: either stop that "
        "process (the dashboard) and run this command again, or add the area from the "
        'running dashboard: Data page, "Add an area" (upload the Sentinel-2 files there)'
    )


def _printer(fraction: float, message: str) -> None:
    print(f"[{100 * fraction:3.0f}%] {message}", flush=True)


def register(commands: argparse._SubParsersAction) -> None:
    """Add `paii area add` to the `paii` parser."""
    area = commands.add_parser("area", help="areas of interest from your own imagery")
    sub = area.add_subparsers(dest="area_command", required=True)
    add = sub.add_parser(
        "add",
        help="add an area from Sentinel-2 items (stacked GeoTIFF/COG, folder of band files, "
        ".SAFE folder or its .zip, or local STAC catalog/item/ItemCollection JSON) and/or "
        "Sentinel-1 items (Sentinel-1 alone makes a flood area)",
    )
    add.add_argument("aoi", help="area id, e.g. kansas-harvey")
    add.add_argument("--region", required=True, help="region id (see `paii region list`)")
    # Not required by argparse: an area needs --s2 or --s1 (add_area_from_items says so).
    add.add_argument(
        "--s2",
        nargs="*",
        default=[],
        type=Path,
        metavar="ITEM",
        help="Sentinel-2 items, one or more dates (crop maps need 4 of a season); loose "
        "band files (..._B02_10m.jp2) are grouped by the date in their names, each "
        "product's MTD_MSIL*.xml joined to its date",
    )
    add.add_argument(
        "--s1",
        nargs="*",
        default=[],
        type=Path,
        metavar="ITEM",
        help="Sentinel-1 VV+VH GeoTIFFs (bands described VV, VH) or folders, one per date, "
        "any CRS; alone they make a flood area on a 10 m UTM grid",
    )
    add.add_argument(
        "--dem",
        nargs="+",
        type=Path,
        metavar="DEM",
        help="DEM in metres (or feet, converted): a GeoTIFF, an SRTM .hgt (zipped or not), or "
        "the tiles the area lies across, mosaicked",
    )
    add.add_argument("--plots", type=Path,
                     help="the insurer's plots: polygons with plot_id [block_id] columns "
                     "(GeoPackage, GeoJSON, shapefile) or a plot_id/block_id raster")  # fmt: skip
    add.add_argument("--bbox", nargs=4, type=float, metavar=("WEST", "SOUTH", "EAST", "NORTH"),
                     help="degrees; default: the ground every date covers")  # fmt: skip
    add.add_argument("--county", help="county id (default: the county under the centre)")
    add.add_argument("--flood-date", nargs="*", default=[], metavar="YYYY-MM-DD",
                     help="Sentinel-1 dates that show a flood event")  # fmt: skip
    add.add_argument("--replace", action="store_true", help="rebuild an existing area")
    add.add_argument("--db", type=Path, help="database (default data/paii.duckdb)")
    add.add_argument("--quiet", action="store_true")
    add.set_defaults(run=_add)
