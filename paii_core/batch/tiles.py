"""Planning a batch: inputs grouped into scenes, scenes cut into windows with halos."""

from __future__ import annotations

import hashlib
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import rasterio
from rasterio.errors import CRSError

from paii_core.batch.spec import check_inputs
from paii_core.errors import FormatError, PaiiWarning, ValidationError
from paii_core.io.geotiff import _open_checked

__all__ = [
    "Scene",
    "Tile",
    "check_inputs",
    "file_hash",
    "plan_tiles",
    "series_groups",
    "with_pre_event",
]

Window4 = tuple[int, int, int, int]
"""``(col_off, row_off, width, height)`` in pixels of the scene."""


@dataclass(frozen=True)
class Scene:
    """One place to process: one file, or the dates of one grid (cropland, parcels)."""

    name: str
    files: tuple[str, ...]
    width: int
    height: int


@dataclass(frozen=True)
class Tile:
    """A unit of work: the ``core`` window is written, ``read`` = core + halo is seen.

    ``core`` and ``read`` are None when the whole scene is one tile (then the engine's
    file functions run on it unchanged).
    """

    key: str
    scene: Scene
    core: Window4 | None
    read: Window4 | None
    input_hash: str


def file_hash(path: str | Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes (hex)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def _size(path: Path, check=None) -> tuple[int, int, tuple]:
    """Width, height and grid key of a raster; ``check(path, crs, res)`` runs on the same
    open (one open per input)."""
    with _open_checked(path, "GeoTIFF") as src:
        if src.crs is None:
            raise FormatError(path, "has no CRS", "georeference it (gdal_edit.py -a_srs)")
        if check is not None:
            check(path, src.crs, src.res)
        return src.width, src.height, (src.crs.to_string(), tuple(src.transform)[:6])


def _stem(path: Path, taken: set[str]) -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", path.stem)
    base, i = name, 1
    while name in taken:
        i += 1
        name = f"{base}-{i}"
    taken.add(name)
    return name


def single_scenes(paths: Sequence[Path]) -> list[Scene]:
    """One scene per file."""
    taken: set[str] = set()
    scenes = []
    for p in paths:
        w, h, _ = _size(p)
        scenes.append(Scene(_stem(p, taken), (str(p),), w, h))
    return scenes


SEASON_PIXEL_M = (8.0, 12.5)
"""The pixel sizes (m) a season for cropland and parcels may have: the models learned
Sentinel-2's 10 m fields, and their neighbourhood features are in pixels."""


def _season_pixel(path: Path, crs, res: tuple[float, float]) -> None:
    lo, hi = SEASON_PIXEL_M
    if crs.is_geographic:
        raise FormatError(
            path,
            "is on a grid in degrees; cropland and parcels are mapped on 10 m pixels",
            "reproject it to its UTM zone at 10 m (gdalwarp -t_srs EPSG:326xx -tr 10 10)",
        )
    try:
        to_m = crs.linear_units_factor[1]  # a State Plane grid in feet: 0.3048
    except CRSError:  # a CRS whose units PROJ cannot name: left to the models
        return
    res = (res[0] * to_m, res[1] * to_m)
    if not (lo <= res[0] <= hi and lo <= res[1] <= hi):
        raise FormatError(
            path,
            f"has {res[0]:.3g} x {res[1]:.3g} m pixels; cropland and parcels need Sentinel-2's "
            f"10 m (their models learned 10 m fields)",
            "pass Sentinel-2 10 m dates (B2, B3, B4, B8), not Landsat or resampled imagery",
        )


def with_pre_event(scenes: list[Scene], pres: Sequence[Path]) -> list[Scene]:
    """Each post-event scene with the pre-event file on its grid (same CRS, transform and
    size) as its second file; a scene with none stays alone (mapped without change
    detection, with a PaiiWarning that says which).

    Raises:
        ValidationError: a pre-event file on no input's grid, or two on one grid.
    """
    grids = {}
    for p in pres:
        w, h, grid = _size(p)
        key = (grid, w, h)
        if key in grids:
            raise ValidationError(
                f"--pre {grids[key]} and {p} are on one grid; which is the pre-event image "
                "is not guessed. Fix: pass one pre-event scene per grid"
            )
        grids[key] = p
    out, used = [], set()
    for s in scenes:
        w, h, grid = _size(Path(s.files[0]))
        pre = grids.get((grid, w, h))
        if pre is not None:
            used.add(pre)
            s = Scene(s.name, (s.files[0], str(pre)), s.width, s.height)
        out.append(s)
    alone = [s.name for s in out if len(s.files) == 1]
    if alone:
        shown = ", ".join(alone[:3]) + (f" and {len(alone) - 3} more" if len(alone) > 3 else "")
        warnings.warn(
            f"{len(alone)} of {len(out)} inputs have no pre-event scene on their grid "
            f"({shown}): mapped without change detection",
            PaiiWarning,
            stacklevel=2,
        )
    unpaired = [str(p) for p in pres if p not in used]
    if unpaired:
        raise ValidationError(
            f"--pre {', '.join(unpaired)}: on the grid of no input (CRS, transform and size "
            "must equal a post-event scene's). Fix: pass the pre-event scene of each input "
            "on its grid, e.g. both from the same RTC processing or gdalwarp to one grid"
        )
    return out


def series_groups(paths: Sequence[Path]) -> list[Scene]:
    """Files on one grid (CRS, transform, size) form one scene: a season of one place.
    Raises FormatError for a file that is not on a 10 m projected grid
    (:data:`SEASON_PIXEL_M`)."""
    groups: dict[tuple, list[Path]] = {}
    sizes: dict[tuple, tuple[int, int]] = {}
    for p in paths:
        w, h, grid = _size(p, check=_season_pixel)
        key = (grid, w, h)
        groups.setdefault(key, []).append(p)
        sizes[key] = (w, h)
    taken: set[str] = set()
    return [
        Scene(_stem(files[0], taken), tuple(str(f) for f in files), *sizes[key])
        for key, files in groups.items()
    ]


def plan_tiles(
    scenes: Sequence[Scene], *, tile: int, halo: int, salt: str, hashes: dict[str, str]
) -> list[Tile]:
    """Cut every scene larger than ``tile`` px into ``tile`` x ``tile`` cores with a
    ``halo`` px context (clipped at the scene's edge). ``salt`` (job and options) and
    the input files' ``hashes`` make each tile's input hash."""
    if tile < 16:
        raise ValidationError(f"--tile {tile} is too small; use 16 px or more (e.g. 2048)")
    tiles = []
    for s in scenes:
        base = hashlib.sha256("|".join([salt, *(hashes[f] for f in s.files)]).encode()).hexdigest()
        # a product's stack (a VRT) is read as window copies, GeoTIFFs the engine reads
        stacked = any(f.lower().endswith(".vrt") for f in s.files)
        if s.width <= tile and s.height <= tile and not stacked:
            tiles.append(Tile(f"{s.name}/whole", s, None, None, base[:32]))
            continue
        for r in range(0, s.height, tile):
            for c in range(0, s.width, tile):
                core = (c, r, min(tile, s.width - c), min(tile, s.height - r))
                c0, r0 = max(c - halo, 0), max(r - halo, 0)
                c1 = min(c + core[2] + halo, s.width)
                r1 = min(r + core[3] + halo, s.height)
                key = f"{s.name}/r{r:06d}_c{c:06d}"
                digest = hashlib.sha256(f"{base}|{core}|{halo}".encode()).hexdigest()[:32]
                tiles.append(Tile(key, s, core, (c0, r0, c1 - c0, r1 - r0), digest))
    return tiles


def window_profile(src: rasterio.DatasetReader, win: Window4) -> dict:
    """The profile of ``src`` cut to ``win`` (same dtype, nodata, tiling)."""
    from rasterio.windows import Window, transform

    profile = dict(src.profile)
    profile.update(width=win[2], height=win[3], transform=transform(Window(*win), src.transform))
    if win[2] < 16 or win[3] < 16 or win[2] % 16 or win[3] % 16:
        profile.pop("blockxsize", None)
        profile.pop("blockysize", None)
        profile["tiled"] = False
    return profile
