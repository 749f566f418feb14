"""Batch tiles joined into Cloud-Optimized GeoTIFF mosaics, one per CRS and pixel size.

Parcel ids across tiles. Each tile numbers its parcels 1..n (``n_labels`` in the
manifest). The mosaic makes them global: tile ``k`` of the run (tiles in key order)
adds the sum of the earlier tiles' ``n``, so ids never repeat; then parcels cut by a
seam between two windows of one scene are joined. A window sees its halo (64 px, more
than a field's width) past its core, so on both sides of a seam the same field is
delineated from the same pixels and the two pieces meet along the seam: pieces ``a``
(last column/row of one core) and ``b`` (first of the next) are one parcel when they
face each other on at least half of the shorter one's seam length (union-find). The
merged ids are renumbered 1..N in order, so the mosaic's ids are compact and stable
for a given input and tiling.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import rasterio
import rasterio.shutil
from rasterio.windows import Window

from paii_core.batch.tiles import Tile
from paii_core.io._atomic import atomic_path

__all__ = [
    "RAW_LIMIT",
    "build_mosaics",
    "mosaic_groups",
    "mosaic_name",
    "parcel_luts",
    "write_mosaic",
]

RAW_LIMIT = 1 << 30
"""Bytes above which a mosaic's intermediate (pre-COG) file is written deflated."""


def _find(parent: np.ndarray, i: int) -> int:
    root = i
    while parent[root] != root:
        root = parent[root]
    while parent[i] != root:
        parent[i], i = root, parent[i]
    return root


def _edge(path: Path, side: str) -> np.ndarray:
    with rasterio.open(path) as src:
        w, h = src.width, src.height
        win = {
            "right": Window(w - 1, 0, 1, h),
            "left": Window(0, 0, 1, h),
            "bottom": Window(0, h - 1, w, 1),
            "top": Window(0, 0, w, 1),
        }[side]
        return src.read(1, window=win).ravel()


def _join(parent, a_edge, b_edge, a_off, b_off) -> None:
    both = (a_edge > 0) & (b_edge > 0)
    if not both.any():
        return
    a = a_edge[both].astype(np.int64) + a_off
    b = b_edge[both].astype(np.int64) + b_off
    pairs, counts = np.unique(np.stack([a, b]), axis=1, return_counts=True)
    len_a = dict(zip(*np.unique(a_edge[a_edge > 0] + a_off, return_counts=True), strict=True))
    len_b = dict(zip(*np.unique(b_edge[b_edge > 0] + b_off, return_counts=True), strict=True))
    for (x, y), n in zip(pairs.T, counts, strict=True):
        if 2 * n >= min(len_a[x], len_b[y]):
            rx, ry = _find(parent, int(x)), _find(parent, int(y))
            if rx != ry:
                parent[max(rx, ry)] = min(rx, ry)


def parcel_luts(
    out_dir: Path, tiles: Sequence[Tile], records: dict[str, dict]
) -> dict[str, np.ndarray]:
    """Per tile key, the lookup ``local id -> global id`` (index 0 stays 0)."""
    done = [t for t in sorted(tiles, key=lambda t: t.key) if t.key in records]
    offsets, total = {}, 0
    for t in done:
        offsets[t.key] = total
        total += int(records[t.key].get("n_labels", 0))
    parent = np.arange(total + 1, dtype=np.int64)
    placed = {(t.scene.name, t.core[0], t.core[1]): t for t in done if t.core is not None}
    for t in done:
        if t.core is None:
            continue
        c, r, w, h = t.core
        for nb_key, a_side, b_side in (
            ((c + w, r), "right", "left"),
            ((c, r + h), "bottom", "top"),
        ):
            nb = placed.get((t.scene.name, *nb_key))
            if nb is None:
                continue
            _join(
                parent,
                _edge(out_dir / records[t.key]["output"], a_side),
                _edge(out_dir / records[nb.key]["output"], b_side),
                offsets[t.key],
                offsets[nb.key],
            )
    roots = np.array([_find(parent, i) for i in range(total + 1)], dtype=np.int64)
    _, final = np.unique(roots, return_inverse=True)  # root 0 (background) -> 0
    luts = {}
    for t in done:
        n = int(records[t.key].get("n_labels", 0))
        lut = final[offsets[t.key] : offsets[t.key] + n + 1].astype(np.int32)
        lut[0] = 0
        luts[t.key] = lut
    return luts


def _grid_key(src: rasterio.DatasetReader) -> tuple:
    return (src.crs.to_string(), round(src.res[0], 9), round(src.res[1], 9))


def mosaic_groups(
    out_dir: Path, job: str, tiles: Sequence[Tile], records: dict[str, dict]
) -> list[tuple[Path, list[tuple[Tile, Path]], dict[str, np.ndarray]]]:
    """The mosaics to write from the finished tiles: ``(target, members, luts)`` per
    CRS and pixel size, ``target`` = ``mosaic/`` :func:`mosaic_name`, ``members`` in the order
    they are laid down, ``luts`` the parcel id tables of the members (parcels only).
    Each is written on its own by :func:`write_mosaic`, so grids can go in parallel."""
    luts = parcel_luts(out_dir, tiles, records) if job == "parcels" else {}
    groups: dict[tuple, list[tuple[Tile, Path]]] = {}
    for t in tiles:
        if t.key not in records:
            continue
        path = out_dir / records[t.key]["output"]
        with rasterio.open(path) as src:
            groups.setdefault(_grid_key(src), []).append((t, path))
    return [
        (
            out_dir / "mosaic" / mosaic_name(members, job),
            members,
            {t.key: luts[t.key] for t, _ in members if t.key in luts},
        )
        for members in groups.values()
    ]


def mosaic_name(members: Sequence[tuple[Tile, Path]], job: str) -> str:
    """``<input>_<job>.tif`` for the mosaic of one input (scene), as a user would name
    the output of `paii <job>`; ``<first input>_and_<k>_more_<job>.tif`` for a grid of
    several. A scene's windows all share one grid, so the first scene names one mosaic."""
    scenes = list(dict.fromkeys(t.scene.name for t, _ in members))
    more = f"_and_{len(scenes) - 1}_more" if len(scenes) > 1 else ""
    return f"{scenes[0]}{more}_{job}.tif"


def build_mosaics(
    out_dir: Path, job: str, tiles: Sequence[Tile], records: dict[str, dict]
) -> list[Path]:
    """Write ``mosaic/<input>_<job>.tif`` COGs (:func:`mosaic_name`; deflate, 256 px
    blocks, overviews) from the finished tiles, one per CRS and pixel size; later tiles
    win where tiles overlap (several dates of one place: a composite, latest input
    last). Returns the paths. (`paii batch` writes the groups of :func:`mosaic_groups`
    on its workers instead.)"""
    return [write_mosaic(*g, job) for g in mosaic_groups(out_dir, job, tiles, records)]


def write_mosaic(
    target: Path, members: list[tuple[Tile, Path]], luts: dict[str, np.ndarray], job: str
) -> Path:
    """Write one mosaic COG (see :func:`build_mosaics`) and return its path."""
    _mosaic(target, members, luts, job)
    return target


def _flag_share(dst, band: int) -> str:
    """The share of flagged pixels (1) among the valid ones (not NaN) of 0-based ``band``
    of the open mosaic, read block by block, as `paii dehaze` tags its THICK_HAZE band."""
    flagged = valid = 0
    for _, win in dst.block_windows(band + 1):
        flag = dst.read(band + 1, window=win)
        valid += int(np.isfinite(flag).sum())
        flagged += int(np.nansum(flag))
    return f"{flagged / max(1, valid):.4f}"


def _read_member(path: Path) -> np.ndarray:
    """Every band of one finished tile."""
    with rasterio.open(path) as src:
        return src.read()


def _mosaic(target: Path, members: list[tuple[Tile, Path]], luts: dict, job: str) -> None:
    bounds, sizes, member_tags = [], [], []
    for _, path in members:
        with rasterio.open(path) as src:
            bounds.append(src.bounds)
            sizes.append((src.width, src.height))
            profile, descriptions = dict(src.profile), src.descriptions
            member_tags.append(src.tags())
            res = src.res
    # What holds for the whole mosaic: tags every member shares (dates of one season
    # differ), and SIMULATED if any member is simulated.
    tags = {k: v for k, v in member_tags[-1].items() if all(t.get(k) == v for t in member_tags)}
    simulated = next((t["SIMULATED"] for t in member_tags if "SIMULATED" in t), None)
    if simulated is not None:
        tags["SIMULATED"] = simulated
    left = min(b.left for b in bounds)
    top = max(b.top for b in bounds)
    width = round((max(b.right for b in bounds) - left) / res[0])
    height = round((top - min(b.bottom for b in bounds)) / res[1])
    profile.update(
        driver="GTiff",
        width=width,
        height=height,
        tiled=True,
        blockxsize=256,
        blockysize=256,
        BIGTIFF="IF_SAFER",
        transform=rasterio.transform.from_origin(left, top, res[0], res[1]),
    )
    # The intermediate file is compressed only when it would be large: compressing it
    # and decompressing it for the COG copy cost 0.05 s per 400 x 400 x 5 float32 tile
    # written, beside 0.09 s for the whole COG copy.
    profile.pop("compress", None)
    if width * height * profile["count"] * np.dtype(profile["dtype"]).itemsize > RAW_LIMIT:
        profile["compress"] = "deflate"
    floating = np.dtype(profile["dtype"]).kind == "f"
    labels = job in ("parcels",)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Hidden, and ``.tmp`` so that a run after a killed one removes it (_clean_partials);
    # the mosaic appears under its name only when complete (atomic_path).
    full = target.with_name(f".{target.stem}.full.tmp")
    try:
        with rasterio.open(full, "w+", **profile) as dst:
            nodata = profile.get("nodata")
            if not (floating and nodata is not None and np.isnan(nodata)):
                # Unwritten blocks read as the nodata value, or 0 without one: start empty.
                empty = np.nan if floating and nodata is None else nodata
                fill = np.full((profile["count"], 256, 256), empty, profile["dtype"])
                for _, win in dst.block_windows(1):
                    dst.write(fill[:, : win.height, : win.width], window=win)
            # Latest member first, each pixel (and band) keeping the first valid value it
            # gets: the last valid one in member order, as documented. A member whose
            # window is already full is not read at all (14 dates of one place whose
            # latest is cloud-free: 1 tile read instead of 14).
            for (t, path), b, (w, h) in zip(
                reversed(members), reversed(bounds), reversed(sizes), strict=True
            ):
                col = round((b.left - left) / res[0])
                row = round((top - b.top) / res[1])
                win = Window(col, row, w, h)
                old = dst.read(window=win)
                hole = np.isnan(old) if floating else old == nodata
                if not hole.any():
                    continue
                data = _read_member(path)
                if labels:
                    data = np.where(data >= 0, luts[t.key][np.clip(data, 0, None)], data)
                dst.write(np.where(hole, data, old), window=win)
            dst.descriptions = descriptions
            if "THICK_HAZE" in descriptions:  # a member's own share is not the mosaic's
                tags["PAII_THICK_HAZE_SHARE"] = _flag_share(dst, descriptions.index("THICK_HAZE"))
            dst.update_tags(**tags)
        levels = max(1, int(math.log2(max(width, height) / 128))) if max(width, height) > 1 else 1
        with atomic_path(target) as tmp:
            rasterio.shutil.copy(
                full,
                tmp,
                driver="COG",
                COMPRESS="DEFLATE",
                BLOCKSIZE=256,
                OVERVIEWS="IGNORE_EXISTING",
                OVERVIEW_COUNT=levels,
                OVERVIEW_RESAMPLING="NEAREST" if labels or not floating else "AVERAGE",
            )
    finally:
        full.unlink(missing_ok=True)
