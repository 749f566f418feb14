"""Where a workspace's files live under the data folder (``PAII_DATA_DIR``, default data/).

::

    <data>/paii.duckdb                  the store
    <data>/workspace/<aoi>/s2/          an area's Sentinel-2 files (one GeoTIFF per date)
    <data>/workspace/<aoi>/s1/          its Sentinel-1 files
    <data>/workspace/<aoi>/dem/         its DEM
    <data>/workspace/<aoi>/plots/       the insurer's plot registry on its grid
    <data>/workspace/regions/<region>/  region-wide files (yield CSVs, feature tables)
    <data>/products/<feature>/<aoi>/    what PAII computes (crop maps, flood maps...)
    <data>/demo/                        the demo world, addressed through the same records

Every file is found through the store (an area's ``folder`` and its ``products`` rows),
never by a path written in code; paths inside the data folder are stored relative to it,
so a data folder can be moved whole.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

from paii_core.config import paths

__all__ = [
    "AREA_SUBFOLDERS",
    "WORKSPACE_DIR",
    "area_folder",
    "data_root",
    "region_folder",
    "resolve",
    "stored_path",
]

WORKSPACE_DIR = "workspace"
AREA_SUBFOLDERS: dict[str, str] = {"s2_l2a": "s2", "s1_grd": "s1", "dem": "dem", "plots": "plots"}
"""Input kind -> subfolder of an area's folder."""


def data_root(data_dir: str | PathLike[str] | None = None) -> Path:
    """The data folder: ``data_dir`` or the configured one."""
    return Path(data_dir) if data_dir is not None else paths().data


def area_folder(aoi_id: str, data_dir: str | PathLike[str] | None = None) -> Path:
    """Default folder of a new area's files: ``<data>/workspace/<aoi_id>``."""
    return data_root(data_dir) / WORKSPACE_DIR / aoi_id


def region_folder(region_id: str, data_dir: str | PathLike[str] | None = None) -> Path:
    """Folder of a region's region-wide files: ``<data>/workspace/regions/<region_id>``."""
    return data_root(data_dir) / WORKSPACE_DIR / "regions" / region_id


def stored_path(path: str | PathLike[str], data_dir: str | PathLike[str] | None = None) -> str:
    """How the store records ``path``: relative to the data folder when inside it (POSIX
    separators), else absolute."""
    p = Path(path).absolute()
    root = data_root(data_dir).absolute()
    try:
        return p.relative_to(root).as_posix()
    except ValueError:
        return str(p)


def resolve(stored: str, data_dir: str | PathLike[str] | None = None) -> Path:
    """The file a stored path names (relative ones are under the data folder)."""
    p = Path(stored)
    return p if p.is_absolute() else data_root(data_dir) / p
