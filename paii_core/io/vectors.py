"""A user's vector file (GeoJSON, GeoPackage, shapefile, zipped shapefile) read as one layer.

Shared by the readers of county boundaries, policies and plots: GDAL reads the first
layer of a file of several without a word, and cannot open a zip whose shapefile lies in
a folder inside it (as boundary and parcel downloads often are).
"""

from __future__ import annotations

import zipfile
from pathlib import Path, PurePosixPath

import geopandas as gpd
import pyogrio

from paii_core.errors import FormatError

__all__ = ["read_one_layer", "vector_source"]


def vector_source(path: Path) -> str | Path:
    """What GDAL opens for ``path``: a zip whose shapefile lies in one folder inside it is
    opened at that folder; anything else as it is."""
    if path.suffix.lower() != ".zip":
        return path
    try:
        with zipfile.ZipFile(path) as archive:
            shapefiles = [n for n in archive.namelist() if n.lower().endswith(".shp")]
    except zipfile.BadZipFile:
        return path  # the reader says it cannot be read
    folders = {str(PurePosixPath(n).parent) for n in shapefiles}
    if len(folders) == 1 and (folder := folders.pop()) != ".":
        return f"/vsizip/{path}/{folder}"
    return path


def read_one_layer(path: Path, holds: str, out_name: str) -> gpd.GeoDataFrame:
    """The one layer of vector file ``path``.

    ``holds`` says what the layer should hold ("the counties"), ``out_name`` the file the
    fix's ogr2ogr line writes ("counties.gpkg"). Errors of GDAL / pyogrio on an unreadable
    file are raised as they are, for the caller to word.

    Raises:
        FormatError: the file holds several layers (which one is meant is not guessed).
    """
    source = vector_source(path)
    layers = [str(name) for name, _ in pyogrio.list_layers(source)]
    if len(layers) > 1:  # GDAL would read the first layer, whatever it holds
        raise FormatError(
            path,
            f"holds {len(layers)} layers ({', '.join(layers)}); which one holds {holds} is "
            "not guessed",
            f"pass a file of that layer alone: `ogr2ogr -f GPKG {out_name} {path.name} LAYER` "
            "with LAYER one of those",
        )
    return gpd.read_file(source)
