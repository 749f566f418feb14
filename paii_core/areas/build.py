"""`paii area add`: a user's Sentinel-2 (and Sentinel-1, DEM) items become an area of interest
written in the demo areas' layout and formats, and registered in the store."""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import uuid
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from os import PathLike
from pathlib import Path

import duckdb
import numpy as np
import shapely

from paii_core import io
from paii_core.areas.grid import area_grid, footprints_grid
from paii_core.areas.inputs import dem_on_grid, s1_footprint, s1_on_grid
from paii_core.areas.plots import plots_on_grid
from paii_core.areas.register import area_county, register_area
from paii_core.config import paths
from paii_core.crops.features import sar_only_note, season_gap
from paii_core.errors import PaiiWarning, ValidationError
from paii_core.io.dem_tiles import dem_mosaic, dem_name, tile_paths
from paii_core.io.s2_items import open_s2_items
from paii_core.io.s2_load import LoadedScene, load_season
from paii_core.io.s2_scene import Grid
from paii_core.text import count

__all__ = ["AREA_WRITER", "AddedArea", "add_area_from_items", "area_folder"]

AREA_WRITER = "paii area add 1"
"""Model version of the products this writes (bump when the file layout changes)."""
_AOI_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-_")
_RESERVED = {"regions": "<data>/workspace/regions holds every region's yield and feature files"}
"""Ids whose area folder would be another folder of the workspace layout."""
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class AddedArea:
    aoi_id: str
    region_id: str
    county_id: str
    folder: Path
    grid: Grid
    dates: list[date]
    n_s1: int
    has_dem: bool
    warnings: list[str] = field(default_factory=list)

    def s2_dates(self) -> str:
        """ "3 Sentinel-2 dates 2022-05-01 .. 2022-07-20", or "no Sentinel-2"."""
        if not self.dates:
            return "no Sentinel-2"
        first, last = self.dates[0], self.dates[-1]
        span = f"{first}" + (f" .. {last}" if last != first else "")
        return f"{count(len(self.dates), 'Sentinel-2 date')} {span}"


def area_folder(aoi_id: str, data_dir: Path | None = None) -> Path:
    """Where an added area's files live: <data>/workspace/<aoi_id>/ (s2/, s1/, dem/, plots/),
    the workspace layout every user area shares."""
    return (Path(data_dir) if data_dir is not None else paths().data) / "workspace" / aoi_id


def _check_id(aoi_id: str) -> str:
    if not aoi_id or set(aoi_id) - _AOI_CHARS or aoi_id[0] in "-_":
        raise ValidationError(
            f"area id {aoi_id!r} should be lower-case letters, digits, '-' and '_' "
            "(e.g. kansas-harvey), starting with a letter or digit"
        )
    if aoi_id in _RESERVED:
        raise ValidationError(
            f"area id {aoi_id!r} is reserved ({_RESERVED[aoi_id]}); choose another id"
        )
    return aoi_id


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _cloud_scl(reflectance: np.ndarray, clouds: np.ndarray) -> np.ndarray:
    """``(H, W)`` uint8 SCL codes of an L1C date from its s2cloudless mask: 9 (cloud) where
    it found cloud, 7 (unclassified: PAII does not classify the ground) elsewhere, 0 where
    no band has data.

    Kept beside the reflectance instead of blanking it: readers that want clear ground
    mask the cloud classes as they do for L2A (:func:`paii_core.crops.area.load_area`),
    while the Imagery page still sees a hazy date that s2cloudless calls cloud (the real
    Slovenian L1C capture of 2015-07-31 is 100 % "cloud" to it) and can dehaze it."""
    codes = np.where(clouds, 9, 7).astype(np.uint8)
    codes[~np.isfinite(reflectance).any(axis=0)] = 0
    return codes


def _write_s2(
    tmp: Path, aoi_id: str, s: LoadedScene, grid: Grid, named: Callable[[object], str]
) -> tuple[str, dict]:
    """One date as the demo's L2A-style stack (+ SCL). An L1C date's s2cloudless clouds go
    into an SCL-coded mask beside it (:func:`_cloud_scl`), its reflectance kept whole."""
    stamp = f"{s.day:%Y%m%d}"
    refl = s.reflectance.copy()
    details: dict = {"level": s.level, "clouds": s.cloud_source, "offset_rule": s.offset_rule}
    details["sources"] = [named(source) for source in s.sources]
    scl = s.scl
    if scl is None and s.clouds is not None:
        scl = _cloud_scl(refl, s.clouds)
    name = f"S2_{aoi_id}_{stamp}_{'L1C' if s.level == 'L1C' else 'L2A'}.tif"
    extra = {"PROCESSING_LEVEL": s.level, "CLOUDS": s.cloud_source, "SOURCE_OFFSET": s.offset_rule}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PaiiWarning)  # out-of-range DN clipped, reported below
        io.write_sentinel2_l2a(
            tmp / "s2" / name,
            refl,
            crs=grid.crs,
            transform=grid.transform,
            date=s.day.isoformat(),
            extra_tags=extra,
        )
    if scl is not None:
        io.write_scl(
            tmp / "s2" / f"S2_{aoi_id}_{stamp}_SCL.tif",
            scl,
            crs=grid.crs,
            transform=grid.transform,
        )
        details["scl"] = f"S2_{aoi_id}_{stamp}_SCL.tif"
    if s.cloud_probability is not None:
        details["cloud_fraction"] = round(float(np.mean(s.clouds)), 4)
    details["valid_fraction"] = round(s.valid_fraction, 4)
    return name, details


def add_area_from_items(
    con: duckdb.DuckDBPyConnection,
    aoi_id: str,
    *,
    region_id: str,
    s2: Sequence[str | PathLike[str]],
    s1: Sequence[str | PathLike[str]] = (),
    dem: str | PathLike[str] | Sequence[str | PathLike[str]] | None = None,
    plots: str | PathLike[str] | None = None,
    bbox: Sequence[float] | None = None,
    county_id: str | None = None,
    flood_dates: Sequence[date] = (),
    replace: bool = False,
    data_dir: Path | None = None,
    progress: Progress | None = None,
    source_names: Mapping[str, str] | None = None,
    source: str = "paii area add",
) -> AddedArea:
    """Read Sentinel-2 items (any form, see :func:`open_s2_item`) onto one 10 m UTM grid,
    with Sentinel-1, a DEM and the insurer's plots when given, write them under
    :func:`area_folder` in the demo areas' formats and register the area and its files in
    the store. Without Sentinel-2 the area is Sentinel-1's alone (a flood area): its grid
    is the 10 m UTM grid over the ground every SAR date covers (or ``bbox``), whatever
    CRS the SAR files are in.

    Files are written to a temporary folder and moved into place only when every item was
    read; the store rows are written in one transaction. Nothing is left half-written.
    ``source_names`` maps an item's path (as given) to what the area's records call it,
    e.g. an uploaded file's own name instead of its temporary copy; ``source`` is what
    the area's row says added it (the Areas table's "source").

    One area id is added by one caller at a time (a lock file beside the area's folder,
    held for the whole build): a second session or process adding the same id meanwhile
    is refused instead of racing the first one's files.

    A too-few-dates notice (:func:`paii_core.crops.features.season_gap`) is among the
    returned warnings but not stored with the area: readers say it from the area's
    dates as they are then (:func:`paii_core.workspace.inventory.region_data`).

    Raises:
        ValidationError: bad id, unknown region, an existing area without ``replace``,
            the same id being added by another session or process at the time,
            neither Sentinel-2 nor Sentinel-1 items, a --flood-date that is no
            Sentinel-1 date, no item with data over the area, no county under the area,
            bad bbox. Fewer dates than a season curve needs
            (``crops.features.SEASON_MIN_DATES``) is an area all the same, with a warning
            that says what its crop maps lack.
        InputNotFoundError, FormatError: an item that cannot be read (see the readers).
    """
    note = progress or (lambda f, m: None)
    names = {str(k): v for k, v in (source_names or {}).items()}

    def named(path: object) -> str:
        return names.get(str(path), str(path))

    def renamed(text: str) -> str:
        for path, name in names.items():
            text = text.replace(path, name)
        return text

    _check_id(aoi_id)
    data = Path(data_dir) if data_dir is not None else paths().data
    with _adding(aoi_id, data):
        if not s2 and not s1:
            raise ValidationError(
                "an area needs imagery: pass --s2 with Sentinel-2 items (imagery and crop "
                "maps) and/or --s1 with Sentinel-1 items (flood maps)"
            )
        exists = con.execute("SELECT count(*) FROM aois WHERE aoi_id = ?", [aoi_id]).fetchone()[0]
        if exists and not replace:
            raise ValidationError(
                f"area {aoi_id!r} already exists; pass --replace to rebuild it, "
                "or choose another id"
            )
        scenes = open_s2_items(s2)
        if scenes:
            grid, footprint = area_grid(scenes, bbox)
            read = count(len(scenes), "Sentinel-2 scene")
        else:  # Sentinel-1 alone: a flood area, its grid over the SAR dates' common ground
            by_day: dict[date, list] = {}
            for item in s1:
                day, outline = s1_footprint(item)
                by_day.setdefault(day, []).append(outline)
            grid, footprint = footprints_grid(by_day, bbox, sensor="Sentinel-1")
            read = count(len(s1), "Sentinel-1 scene")
        county = area_county(con, region_id, footprint.centroid, county_id)
        note(0.1, f"{read} onto {grid.width} x {grid.height} px")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", PaiiWarning)
            season = load_season(scenes, grid) if scenes else []
        told = [renamed(str(w.message)) for w in caught if issubclass(w.category, PaiiWarning)]
        if scenes and not season:
            raise ValidationError(
                f"the Sentinel-2 items ({count(len(scenes), 'scene')}) have no data over the "
                "area; check --bbox, or pass items that cover it"
            )
        # Said, not stored: dates can change. A Sentinel-1 area is a flood area; it is
        # told what Sentinel-2 would add, not that its season is short.
        gap = season_gap(aoi_id, region_id, len(season)) if scenes else sar_only_note(aoi_id)
        final = area_folder(aoi_id, data)
        # A part folder of this id left by a process killed mid-add (a dashboard restart
        # during its background add): the lock says no live add of this id writes it.
        for stale in final.parent.glob(f".{aoi_id}.part-*"):
            shutil.rmtree(stale, ignore_errors=True)
        tmp = final.with_name(f".{aoi_id}.part-{uuid.uuid4().hex[:8]}")
        rel = Path("workspace") / aoi_id
        products: list[dict] = []
        try:
            for i, s in enumerate(season):
                name, details = _write_s2(tmp, aoi_id, s, grid, renamed)
                if "scl" in details:
                    details["scl"] = (rel / "s2" / details["scl"]).as_posix()
                kind = "s2_l1c" if s.level == "L1C" else "s2_l2a"
                products.append(dict(kind=kind, rel=f"s2/{name}", acquired=s.day, details=details))
                note(0.1 + 0.7 * (i + 1) / len(season), f"{s.day} written")
            s1_days: list[date] = []  # in the order given
            for item in s1:
                day, sar = s1_on_grid(item, grid)
                name = f"S1_{aoi_id}_{day:%Y%m%d}_sigma0.tif"
                io.write_sentinel1(
                    tmp / "s1" / name,
                    sar,
                    crs=grid.crs,
                    transform=grid.transform,
                    date=day.isoformat(),
                )
                flood = day in set(flood_dates)
                s1_days.append(day)
                products.append(
                    dict(
                        kind="s1_grd",
                        rel=f"s1/{name}",
                        acquired=day,
                        details={"flood_event": flood, "source": named(item)},
                    )
                )
            unmatched = sorted(set(flood_dates) - set(s1_days))
            if unmatched:
                raise ValidationError(
                    f"--flood-date {', '.join(map(str, unmatched))} is no Sentinel-1 date of "
                    f"the area (its Sentinel-1 dates: {', '.join(map(str, s1_days)) or 'none'}); "
                    "pass the dates of the Sentinel-1 items that show the flood"
                )
            if dem is not None:
                with dem_mosaic(dem) as one:  # several tiles: one DEM
                    z = dem_on_grid(one, grid)
                io.write_dem(
                    tmp / "dem" / f"DEM_{aoi_id}.tif", z, crs=grid.crs, transform=grid.transform
                )
                products.append(
                    dict(
                        kind="dem",
                        rel=f"dem/DEM_{aoi_id}.tif",
                        acquired=None,
                        details={"source": dem_name([named(d) for d in tile_paths(dem)])},
                    )
                )
            if plots is not None:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always", PaiiWarning)
                    registry, n_plots = plots_on_grid(
                        plots, grid, tmp / "plots" / f"{aoi_id}_plots.tif"
                    )
                told += [
                    renamed(str(w.message)) for w in caught if issubclass(w.category, PaiiWarning)
                ]
                details = {"source": named(plots), "n_plots": n_plots}
                products.append(
                    dict(kind="plots", rel=f"plots/{registry.name}", acquired=None, details=details)
                )
            rows = [
                {
                    "product_id": f"{p['kind']}:{(rel / p['rel']).as_posix()}",
                    "kind": p["kind"],
                    "aoi_id": aoi_id,
                    "acquired": p["acquired"],
                    "path": (rel / p["rel"]).as_posix(),
                    "input_hash": _sha(tmp / p["rel"]),
                    "model_version": AREA_WRITER,
                    "simulated": False,
                    "details": json.dumps(
                        {"aoi_id": aoi_id, **p["details"]}, sort_keys=True, default=str
                    ),
                }
                for p in products
            ]
            old = final.with_name(f".{aoi_id}.old-{uuid.uuid4().hex[:8]}")
            if final.exists():
                final.rename(old)
            tmp.rename(final)
            try:
                register_area(
                    con,
                    aoi_id=aoi_id,
                    region_id=region_id,
                    county_id=county,
                    grid=grid,
                    footprint=footprint,
                    products=rows,
                    replace=bool(exists),
                    warnings=told,
                    source=source,
                )
            except Exception:
                shutil.rmtree(final, ignore_errors=True)
                if old.exists():
                    old.rename(final)
                raise
            shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        note(1.0, f"area {aoi_id} registered")
        return AddedArea(
            aoi_id,
            region_id,
            county,
            final,
            grid,
            [s.day for s in season],
            len(s1),
            dem is not None,
            told + ([gap] if gap is not None else []),
        )


@contextmanager
def _adding(aoi_id: str, data: Path) -> Iterator[None]:
    """Hold ``<data>/workspace/.<aoi_id>.adding`` locked (flock: a crashed process leaves
    no lock behind) while an area of that id is built; the file is removed while still
    locked, and a lock taken on a file already removed counts as taken by the other."""
    lock = area_folder(aoi_id, data).with_name(f".{aoi_id}.adding")
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            ours = lock.exists() and lock.samefile(f"/proc/self/fd/{handle.fileno()}")
        except BlockingIOError:
            ours = False
        if not ours:
            raise ValidationError(
                f"area {aoi_id!r} is being added by another session or process right now; "
                "wait until it finishes, then add again with --replace, or choose another id"
            )
        try:
            yield
        finally:
            lock.unlink(missing_ok=True)
            fcntl.flock(handle, fcntl.LOCK_UN)


def footprint_wkt(footprint: shapely.Polygon) -> str:
    return shapely.to_wkt(footprint, rounding_precision=6)
