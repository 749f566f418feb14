"""`paii flood`: map water, flood extent, depth and likelihood from Sentinel-1 (+ DEM)."""

from __future__ import annotations

import argparse
import sys
import warnings
from contextlib import ExitStack

__all__ = ["register"]


def _progress(fraction: float, message: str) -> None:
    print(f"[{100 * fraction:5.1f}%] {message}", file=sys.stderr, flush=True)


STREAM_MIN_PX = 25_000_000
"""Projected scenes of at least this many pixels are mapped window by window from disk."""


def _run(args: argparse.Namespace) -> int:
    import numpy as np
    import rasterio

    from paii_core.flood.files import map_flood_files, write_flood
    from paii_core.flood.stream import map_flood_stream
    from paii_core.flood.water import describe_method
    from paii_core.io import GEOTIFF_SUFFIXES, check_output
    from paii_core.io.dem_tiles import dem_mosaic
    from paii_core.io.s1_items import sentinel1_stack
    from paii_core.io.sentinel1 import SIGMA0_UNITS_READ_TAG

    check_output(
        args.out,
        inputs=(args.post, args.pre, *(args.dem or ())),
        argument="OUT",
        suffixes=GEOTIFF_SUFFIXES,
        overwrite=args.overwrite,
    )
    learned = args.water == "learned"
    with ExitStack() as files:  # a folder or zip of per-polarisation files: one stack each
        post = files.enter_context(sentinel1_stack(args.post))
        pre = files.enter_context(sentinel1_stack(args.pre)) if args.pre else None
        dem = files.enter_context(dem_mosaic(args.dem)) if args.dem else None  # tiles: one DEM
        try:
            with warnings.catch_warnings():  # the reader below says what a file lacks
                warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
                src = rasterio.open(post)
            with src:
                big = src.width * src.height >= STREAM_MIN_PX and not src.crs.is_geographic
        except (rasterio.errors.RasterioError, AttributeError):
            big = False  # the reader below reports what is wrong with the file
        if big:
            s = map_flood_stream(
                post, args.out, dem, pre_path=pre, units=args.units,
                hand_cache=args.hand_cache, progress=_progress, water_model=learned,
                model_dir=args.water_model,
            )  # fmt: skip
            water, flooded, t, method, ter, out = (
                s.water_share, s.flooded_share, s.threshold_db, s.method, s.terrain, s.path
            )  # fmt: skip
            source, units_read = s.water_source, s.units_read
        else:
            flood, like = map_flood_files(
                post, dem, pre_path=pre, units=args.units,
                hand_cache=args.hand_cache, water_model=learned, model_dir=args.water_model,
            )  # fmt: skip
            out = write_flood(args.out, flood, like)
            valid = ~np.isnan(like.data[0])
            water, flooded = flood.water[valid].mean(), flood.flooded[valid].mean()
            t, method, ter = flood.threshold_db, flood.method, flood.terrain
            source, units_read = flood.water_source, like.tags.get(SIGMA0_UNITS_READ_TAG, "")
    split = (
        f"water threshold {t} dB on the VV/VH mean, {describe_method(method)}"
        if t is not None
        else "no water contrast in the scene, so no water threshold"
    )
    water_km2, flooded_km2 = _areas_km2(out)
    print(
        f"Water {water_km2:,.2f} km² ({water:.1%} of the scene), flooded {flooded_km2:,.2f} km² "
        f"({flooded:.1%}) "
        f"({split}; water by the {'learned model' if source == 'learned' else source}; "
        f"terrain: {ter}); {_read_as(args.post, units_read, args.units)}; wrote {out}"
    )
    return 0


def _read_as(post, units_read: str, units: str) -> str:
    """How the post-event SAR was read, as the Flood page says it: linear power is
    converted to dB; ``units`` is what --units asked (``auto``: the tag, else the
    values decided)."""
    from paii_core.io.sentinel1 import read_as

    how = read_as(units_read)
    why = f" (--units {units})" if units != "auto" else ""
    return f"{post} read as {how}{why}"


def _areas_km2(path) -> tuple[float, float]:
    """Water and flooded km² of a written flood GeoTIFF, read block by block (a scene
    mapped window by window need not fit in memory); a grid in degrees is measured on
    the sphere, row by row (:func:`paii_core.flood.area.mask_area_km2`)."""
    import rasterio
    from rasterio.windows import transform as window_transform

    from paii_core.flood.area import mask_area_km2

    water = flooded = 0.0
    with rasterio.open(path) as src:
        for _, win in src.block_windows(1):
            bands = src.read((1, 2), window=win)
            at = window_transform(win, src.transform)
            water += mask_area_km2(bands[0] == 1, at, src.crs)
            flooded += mask_area_km2(bands[1] == 1, at, src.crs)
    return water, flooded


def _event(args: argparse.Namespace) -> int:
    from paii_core import store, workspace
    from paii_core.config import paths
    from paii_core.errors import ValidationError
    from paii_core.flood.event import run_flood_event
    from paii_core.store import flood as flood_store

    con = store.connect()
    try:
        aoi = args.aoi
        if aoi is None:
            areas = workspace.flood_areas(con)
            if not areas:
                raise ValidationError(
                    "no area in the store has a flood event; add one with `paii area add` "
                    "(Sentinel-1 dates of the event) or pass --aoi"
                )
            aoi = areas[0]
        event_id = run_flood_event(con, aoi, data_dir=paths().data, progress=_progress)
        simulated = bool(flood_store.events(con).set_index("event_id").loc[event_id, "simulated"])
    finally:
        con.close()
    print(f"Stored flood event {event_id}" + (" (simulated demo data)" if simulated else ""))
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add `paii flood` and `paii flood-event` to the `paii` parser."""
    p = commands.add_parser(
        "flood", help="water, flood, depth and likelihood GeoTIFF from Sentinel-1 (+ DEM)"
    )
    p.add_argument(
        "--post",
        required=True,
        help="Sentinel-1 after the event: a GeoTIFF of bands described VV and VH (or VV), or "
        "a folder or .zip of one GeoTIFF per polarisation (an ASF HyP3 RTC product)",
    )
    p.add_argument("--pre", help="Sentinel-1 before the event, in the same forms, same grid")
    p.add_argument("--dem", action="append", metavar="DEM",
                   help="DEM in metres, any CRS: a GeoTIFF or an SRTM .hgt (zipped or not); "
                   "repeat --dem for the tiles a scene lies across, mosaicked (optional: "
                   "without it no HAND/slope exclusion and no depth)")  # fmt: skip
    p.add_argument("--units", choices=("auto", "linear", "db"), default="auto",
                   help="sigma0 units of the SAR (default: tag, else the values)")  # fmt: skip
    p.add_argument("--hand-cache", help="folder to keep HAND per DEM (computed once)")
    p.add_argument("--water", choices=("rules", "learned"), default="rules",
                   help="what decides the water band: the threshold rules (default) or the "
                   "learned LightGBM model (models/flood/; the rules wherever it cannot run: "
                   "pixels over 30 m, no water contrast); see bench/BENCHMARKS.md")  # fmt: skip
    p.add_argument("--water-model", metavar="DIR",
                   help="folder with the learned model's files (water_lgbm.txt, "
                   "water_vv_lgbm.txt; default models/flood/), e.g. one retrained by "
                   "bench.flood.train_water --out DIR")  # fmt: skip
    p.add_argument("--reproject-dem", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("out", help="output GeoTIFF: bands water, flooded, depth_m, likelihood")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    p.set_defaults(run=_run)
    e = commands.add_parser("flood-event", help="map an area's flood event into the store")
    e.add_argument("--aoi", help="a stored area with flood dates (default: the first one)")
    e.set_defaults(run=_event)
