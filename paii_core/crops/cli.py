"""`paii crops ...`: train the crop models, map an area's cropland and parcels, list and
extend the crop calendars."""

from __future__ import annotations

import argparse
import getpass
from pathlib import Path

__all__ = ["register"]


def _train(args: argparse.Namespace) -> int:
    from paii_core.crops.train import train_boundary, train_cropland
    from paii_core.progress import progress_printer

    report = None if args.quiet else progress_printer
    if args.model in ("cropland", "all"):
        path = train_cropland(progress=report)
        print(f"cropland model written to {path}")
    if args.model in ("boundary", "all"):
        fine, coarse = train_boundary(progress=report)
        print(f"parcel boundary models written to {fine} and {coarse}")
        fine, coarse = train_boundary(sharp=True, progress=report)
        print(f"parcel boundary models for sharp inputs written to {fine} and {coarse}")
        (small,) = train_boundary(small=True, progress=report)
        print(f"parcel boundary model for small-field scenes written to {small}")
    return 0


def _map(args: argparse.Namespace) -> int:
    from paii_core import store
    from paii_core.crops.area import load_area, map_area
    from paii_core.progress import progress_printer

    con = store.connect(args.db)
    try:
        area = load_area(con, args.aoi, data_dir=args.data)
        done = map_area(
            con, area, data_dir=args.data, progress=None if args.quiet else progress_printer
        )
    finally:
        con.close()
    if done is None:  # map_area computes whatever is not stored: never None here
        raise RuntimeError(f"cropland and parcels of {args.aoi} were not mapped")
    kind = "already stored" if done.cached else "mapped and stored"
    print(
        f"{args.aoi}: cropland and parcels {kind} ({int(done.fine.max())} fine, "
        f"{int(done.coarse.max())} coarse parcels, cropland share "
        f"{float((done.cropland > 0.5).mean()):.0%}); {done.path}"
        + (" (simulated demo data)" if area.simulated else "")
    )
    return 0


def _calendar_add(args: argparse.Namespace) -> int:
    from paii_core import store
    from paii_core.crops.calendars import CropCalendar, parse_month_day
    from paii_core.store.calendars import add_calendar

    parse_month_day(args.sow, argument="--sow")
    parse_month_day(args.harvest, argument="--harvest")
    who = args.who or getpass.getuser()
    cal = CropCalendar(args.region, args.crop.strip(), args.sow, args.harvest, source="user")
    con = store.connect(args.db)
    try:
        add_calendar(con, cal, who=who)
    finally:
        con.close()
    sow, _harvest = cal.season_days
    winter = " (sown the year before harvest)" if sow < 0 else ""
    print(f"{cal.region_id}: {cal.crop} sown {cal.sow}, harvested {cal.harvest}{winter}; stored")
    return 0


def _calendar_list(args: argparse.Namespace) -> int:
    from paii_core import store
    from paii_core.store.calendars import calendar_rows

    con = store.connect(args.db, read_only=True)
    try:
        rows = calendar_rows(con, args.region)
    finally:
        con.close()
    if rows.empty:
        where = f"region {args.region!r}" if args.region else "the store"
        print(f"no crop calendars in {where}; add one with `paii crops calendar add`")
        return 0
    print(f"{'region':<12} {'crop':<20} {'sow':<6} {'harvest':<8} source")
    for r in rows.itertuples():
        print(f"{r.region_id:<12} {r.crop:<20} {r.sow:<6} {r.harvest:<8} {r.source}")
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add `paii crops train` and `paii crops calendar add|list` to the `paii` parser."""
    crops = commands.add_parser("crops", help="cropland, parcels and crop types")
    sub = crops.add_subparsers(dest="crops_command", required=True)
    train = sub.add_parser(
        "train", help="train the cropland and parcel-boundary models on generated scenes (CPU)"
    )
    train.add_argument("model", nargs="?", choices=("all", "cropland", "boundary"), default="all")
    train.add_argument("--quiet", action="store_true", help="no progress output")
    train.set_defaults(run=_train)

    mp = sub.add_parser(
        "map", help="map an area's cropland and parcels into the store (as the Crop labels page)"
    )
    mp.add_argument("aoi", help="area id (see `paii region list`)")
    mp.add_argument("--db", default=None, help="database file (default data/paii.duckdb)")
    mp.add_argument("--data", type=Path, default=None, help="data folder (default data/)")
    mp.add_argument("--quiet", action="store_true", help="no progress output")
    mp.set_defaults(run=_map)

    cal = sub.add_parser("calendar", help="crop calendars: the optional prior of recognition")
    cal_sub = cal.add_subparsers(dest="calendar_command", required=True)
    add = cal_sub.add_parser("add", help="add or replace a crop's calendar in a region")
    add.add_argument("crop", help="crop name, any (e.g. sorghum, 'winter barley')")
    add.add_argument("--region", required=True, help="region id in the store")
    add.add_argument("--sow", required=True, help="sowing date MM-DD")
    add.add_argument("--harvest", required=True, help="harvest date MM-DD")
    add.add_argument("--who", default="", help="who adds it (default: the login name)")
    add.add_argument("--db", default=None, help="database file (default data/paii.duckdb)")
    add.set_defaults(run=_calendar_add)
    lst = cal_sub.add_parser("list", help="list the stored crop calendars")
    lst.add_argument("--region", default=None, help="only this region")
    lst.add_argument("--db", default=None, help="database file (default data/paii.duckdb)")
    lst.set_defaults(run=_calendar_list)
