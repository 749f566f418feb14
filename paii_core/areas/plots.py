"""The insurer's plot registry of a new area: plot and block ids on the area's grid."""

from __future__ import annotations

import warnings
from os import PathLike
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import rasterio
from rasterio.features import rasterize
from rasterio.warp import Resampling

from paii_core import io
from paii_core.errors import FormatError, InputNotFoundError, PaiiWarning
from paii_core.io.geotiff import band_descriptions
from paii_core.io.plots import REGISTRY_BANDS
from paii_core.io.s2_scene import BandRef, Grid, read_band
from paii_core.io.vectors import read_one_layer

__all__ = ["plots_on_grid"]

_VECTOR = (".gpkg", ".geojson", ".json", ".shp", ".zip")
"""Vector forms (``.zip``: a zipped shapefile, read in place)."""


def _ids(values, path: Path, column: str) -> np.ndarray:
    ids = np.asarray(values)
    if ids.dtype.kind not in "iu" and not (
        ids.dtype.kind == "f" and np.all(np.isfinite(ids)) and np.all(ids == np.rint(ids))
    ):
        raise FormatError(path, f"column {column!r} holds non-integer ids", "use whole numbers")
    ids = ids.astype(np.int64)
    if ids.size and (ids.min() < 1 or ids.max() > np.iinfo(np.int32).max):
        raise FormatError(path, f"column {column!r} has ids outside 1..2^31", "renumber from 1")
    return ids


def _check_plots(geometry, plot: np.ndarray, block: np.ndarray, path: Path) -> None:
    """A plot drawn as several polygons (a parcel cut by a road) is one plot; the same
    plot id in two blocks is a contradiction and refused. Plots that overlap each other
    are warned about: each overlapping pixel goes to the plot drawn last."""
    pairs = np.unique(np.stack([plot, block], axis=1), axis=0)
    ids, n_blocks = np.unique(pairs[:, 0], return_counts=True)
    if (n_blocks > 1).any():
        twice = ids[n_blocks > 1]
        shown = ", ".join(str(i) for i in twice[:5]) + (" ..." if twice.size > 5 else "")
        raise FormatError(
            path,
            f"gives {twice.size} plot id(s) more than one block_id (plot_id {shown})",
            "give each plot one block_id (or number the plots of each block apart)",
        )
    if len(geometry) < 2:
        return
    parts = gpd.GeoDataFrame({"plot": plot}, geometry=geometry.make_valid().values)
    parts = parts.dissolve("plot")
    total = float(parts.area.sum())
    union = float(parts.union_all().area)
    if total > union * 1.001:
        warnings.warn(
            f"{path}: plots overlap each other on {(total - union) / 1e4:,.1f} ha "
            f"({(total - union) / union:.1%} of the plots' area); each overlapping pixel is "
            "counted in the plot drawn last. Check the plot boundaries.",
            PaiiWarning,
            stacklevel=3,
        )


def plots_on_grid(item: str | PathLike[str], grid: Grid, out: Path) -> tuple[Path, int]:
    """Write the insurer's plots as a registry GeoTIFF on ``grid`` (bands plot_id, block_id,
    int32, 0 = no plot), the file the insurance evidence reads; returns it and the number
    of plots on the grid.

    ``item`` is a registry raster (2 bands described plot_id, block_id; resampled nearest)
    or polygons (GeoPackage, GeoJSON, shapefile, zipped shapefile) with a ``plot_id``
    column and optionally ``block_id`` (default: the plot id), burnt in at pixel centres.

    Raises:
        InputNotFoundError: no such file. FormatError: missing id columns or bands,
            non-integer ids, no CRS, no plot on the area.
    """
    path = Path(item).expanduser()
    if not path.exists():
        raise InputNotFoundError(f"{path}: plot file not found; check the path")
    shape = (grid.height, grid.width)
    if path.suffix.lower() in _VECTOR:
        try:
            gdf = read_one_layer(path, "the plots", "plots.gpkg")
        except FormatError:  # several layers (a FormatError is a ValueError too)
            raise
        except (pyogrio.errors.DataSourceError, ValueError) as e:
            raise FormatError(path, f"is not a readable vector file ({e})", "re-export it") from e
        if "plot_id" not in gdf.columns:
            raise FormatError(
                path,
                f"has no plot_id column (columns: {', '.join(map(str, gdf.columns))})",
                "name the plot id column plot_id (and the block column block_id)",
            )
        if gdf.crs is None:
            raise FormatError(path, "has no CRS", "save it with its CRS (e.g. EPSG:4326)")
        gdf = gdf.to_crs(grid.crs)
        plot = _ids(gdf["plot_id"], path, "plot_id")
        block = _ids(gdf["block_id"], path, "block_id") if "block_id" in gdf else plot
        _check_plots(gdf.geometry, plot, block, path)
        layers = []
        for ids in (plot, block):
            layers.append(
                rasterize(
                    zip(gdf.geometry, ids.tolist(), strict=True),
                    out_shape=shape,
                    transform=grid.transform,
                    fill=0,
                    dtype="int32",
                )
            )
        bands = np.stack(layers)
    else:
        with rasterio.open(path) as src:
            names = band_descriptions(src)
        if sorted(n for n in names if n in REGISTRY_BANDS) != sorted(REGISTRY_BANDS):
            raise FormatError(
                path,
                f"band descriptions {names} do not name plot_id and block_id",
                "describe the registry's bands plot_id and block_id (or pass plot polygons)",
            )
        bands = np.stack(
            [
                np.nan_to_num(
                    read_band(
                        BandRef(str(path), names.index(b) + 1),
                        grid,
                        resampling=Resampling.nearest,
                        nodata=None,
                    ),
                    nan=0,
                )
                for b in REGISTRY_BANDS
            ]
        ).astype(np.int32)
        bands[bands < 0] = 0
    n = len(np.unique(bands[0][bands[0] > 0]))
    if n == 0:
        raise FormatError(path, "has no plot on the area", "pass the plots of this area")
    out.parent.mkdir(parents=True, exist_ok=True)
    io.write_geotiff(
        out, bands, crs=grid.crs, transform=grid.transform, dtype="int32", nodata=-1,
        band_names=REGISTRY_BANDS,
    )  # fmt: skip
    return out, n
