"""`paii flood`: map flood extent and depth from Sentinel-1 and DEM GeoTIFFs."""

from __future__ import annotations

import argparse

__all__ = ["register"]


def _run(args: argparse.Namespace) -> int:
    from paii_core.flood.files import map_flood_files, write_flood

    flood, like = map_flood_files(
        args.post, args.dem, pre_path=args.pre, allow_crs_change=args.reproject_dem
    )
    out = write_flood(args.out, flood, like)
    area = flood.flooded.sum() * abs(like.transform.a * like.transform.e) / 1e6
    print(f"Flooded {area:.3f} km2 (threshold {flood.threshold_db} dB VV); wrote {out}")
    return 0


def _event(args: argparse.Namespace) -> int:
    from paii_core import store
    from paii_core.config import paths
    from paii_core.demo.cli import progress_printer
    from paii_core.flood.event import run_demo_event

    con = store.connect()
    try:
        event_id = run_demo_event(con, paths().data, args.aoi, progress=progress_printer)
    finally:
        con.close()
    print(f"Stored flood event {event_id} (simulated demo data)")
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add `paii flood` and `paii flood-event` to the `paii` parser."""
    p = commands.add_parser("flood", help="flood mask and depth GeoTIFF from Sentinel-1 + DEM")
    p.add_argument("--post", required=True, help="Sentinel-1 VV/VH GeoTIFF after the event")
    p.add_argument("--dem", required=True, help="DEM GeoTIFF in metres")
    p.add_argument("--pre", help="Sentinel-1 GeoTIFF before the event, same grid")
    p.add_argument(
        "--reproject-dem", action="store_true", help="resample a DEM in another CRS to the SAR"
    )
    p.add_argument("out", help="output GeoTIFF: bands flooded (0/1) and depth_m")
    p.set_defaults(run=_run)
    e = commands.add_parser("flood-event", help="map the demo world's flood event into the store")
    e.add_argument("--aoi", default="hubei-jianli", help="area of the demo world")
    e.set_defaults(run=_event)
