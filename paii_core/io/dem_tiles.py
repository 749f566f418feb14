"""Several DEM tiles given as one DEM: an area or scene across a tile edge.

DEMs are served in 1-degree tiles (SRTM ``N38W098.hgt``, Copernicus GLO-30
``Copernicus_DSM_COG_10_N38_00_W098_00_DEM.tif``); a 20 km area lies across a tile edge
about one time in three. :func:`dem_mosaic` makes the tiles one DEM for the block: a GDAL
VRT placing each tile on the union of their bounds at the finest tile's pixel size, a
tile's no-data leaving what another tile has there. Every DEM reader then reads the
tiles as one file, nothing copied.
"""

from __future__ import annotations

import math
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from os import PathLike
from pathlib import Path

import rasterio
from affine import Affine
from rasterio.errors import RasterioError

from paii_core.errors import FormatError, InputNotFoundError, PaiiError, name_file_as
from paii_core.io.vrt import add_band, vrt_dataset, write_vrt

__all__ = ["dem_mosaic", "dem_name", "tile_paths"]


def dem_name(items: Sequence[str | PathLike[str]]) -> str:
    """How messages and records name one DEM given as ``items`` (its tiles)."""
    return " + ".join(str(p) for p in items)


def tile_paths(items: Sequence[str | PathLike[str]] | str | PathLike[str]) -> list[Path]:
    """The files of one DEM given as one file or as its tiles."""
    listed = [items] if isinstance(items, str | PathLike) else list(items)
    return [Path(p).expanduser() for p in listed]


def _tile(path: Path) -> dict:
    if not path.exists():
        raise InputNotFoundError(f"{path}: DEM not found; check the path")
    try:
        with rasterio.open(path) as src:
            if src.crs is None:
                raise FormatError(path, "has no CRS", "pass the DEM tile as downloaded")
            if src.count != 1:
                raise FormatError(path, f"has {src.count} bands; a DEM has one (elevation)",
                                  "pass one-band elevation tiles")  # fmt: skip
            return {
                "path": path, "crs": src.crs, "transform": src.transform, "width": src.width,
                "height": src.height, "nodata": src.nodata, "unit": src.units[0] or "",
                "tags": dict(src.tags()),
            }  # fmt: skip
    except RasterioError as e:
        raise FormatError(path, f"is not a readable raster ({e})", "re-download it") from e


def _write_vrt(tiles: list[dict], vrt: Path) -> None:
    first = tiles[0]
    for t in tiles[1:]:
        if t["crs"] != first["crs"]:
            raise FormatError(
                t["path"],
                f"is in {t['crs'].to_string()}, {first['path'].name} in "
                f"{first['crs'].to_string()}; DEM tiles are mosaicked in one CRS",
                "pass tiles of one product (or `gdalwarp -t_srs` them to one CRS first)",
            )
        if t["unit"] != first["unit"]:
            raise FormatError(
                t["path"],
                f"has elevations in {t['unit'] or 'metres (no unit)'!r}, {first['path'].name} "
                f"in {first['unit'] or 'metres (no unit)'!r}",
                "pass tiles of one product, in one unit",
            )
    rx = min(abs(t["transform"].a) for t in tiles)
    ry = min(abs(t["transform"].e) for t in tiles)
    if any(t["transform"].b or t["transform"].d for t in tiles):
        raise FormatError(first["path"], "is a rotated grid", "pass north-up DEM tiles")
    boxes = [rasterio.transform.array_bounds(t["height"], t["width"], t["transform"])
             for t in tiles]  # fmt: skip
    west, south = min(b[0] for b in boxes), min(b[1] for b in boxes)
    east, north = max(b[2] for b in boxes), max(b[3] for b in boxes)
    width, height = math.ceil((east - west) / rx - 1e-6), math.ceil((north - south) / ry - 1e-6)
    grid = Affine(rx, 0.0, west, 0.0, -ry, north)
    root = vrt_dataset(first["crs"], grid, width, height, first["tags"])
    band = add_band(root, "Float32", nodata=float("nan"))
    if first["unit"]:
        ET.SubElement(band, "UnitType").text = first["unit"]
    for t, (w, s, e, n) in zip(tiles, boxes, strict=True):
        source = ET.SubElement(band, "ComplexSource")
        ET.SubElement(source, "SourceFilename", relativeToVRT="0").text = str(t["path"].resolve())
        ET.SubElement(source, "SourceBand").text = "1"
        ET.SubElement(source, "SrcRect", xOff="0", yOff="0", xSize=str(t["width"]),
                      ySize=str(t["height"]))  # fmt: skip
        ET.SubElement(source, "DstRect", xOff=repr((w - west) / rx), yOff=repr((north - n) / ry),
                      xSize=repr((e - w) / rx), ySize=repr((n - s) / ry))  # fmt: skip
        if t["nodata"] is not None:  # a tile's void leaves what another tile has there
            ET.SubElement(source, "NODATA").text = repr(float(t["nodata"]))
    write_vrt(root, vrt)


@contextmanager
def dem_mosaic(items: Sequence[str | PathLike[str]] | str | PathLike[str]) -> Iterator[Path]:
    """The DEM given as ``items`` (one file, or its tiles) as one file, for the block: one
    file as it is; several as a temporary VRT mosaic (named after the tiles). A PaiiError
    raised in the block names the tiles, not the VRT.

    Raises:
        InputNotFoundError: a tile is missing. FormatError: an unreadable tile, tiles in
            different CRSs or units, a tile of several bands or without a CRS.
    """
    paths = tile_paths(items)
    if len(paths) == 1:
        yield paths[0]
        return
    tiles = [_tile(p) for p in paths]
    with tempfile.TemporaryDirectory(prefix="paii-dem-") as tmp:
        more = f"+{len(paths) - 3}" if len(paths) > 3 else ""
        shown = "+".join(p.stem for p in paths[:3]) + more
        vrt = Path(tmp) / f"{shown}.vrt"
        _write_vrt(tiles, vrt)
        try:
            yield vrt
        except PaiiError as e:
            raise name_file_as(e, vrt, dem_name(paths)) from None
