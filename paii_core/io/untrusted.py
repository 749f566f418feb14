"""Files uploaded through the dashboard, checked before any reader opens them.

GDAL and OGR open a file by its content, not its name, and some of their formats are
descriptions of *other* files: a raster VRT (``<VRTDataset>``, whose raw bands read any
file's bytes as pixels), an OGR VRT (``<OGRVRTDataSource>``, any text file as a table), a
WMS or tile-index description (network or files). Uploaded as ``post.tif`` or
``policies.geojson``, such a file would make the server read any file it can (the store,
secrets) into a user's result or error message. GDAL 3.10 has no switch to forbid it
(``GDAL_VRT_ENABLE_RAWRASTERBAND`` is a build option), so uploads are checked here, where
untrusted bytes enter: no XML at all, and rasters (also inside an uploaded zip or tar)
only in formats that hold their own pixels. Files given on the command line are the
user's own and are not checked (PAII writes VRTs of them itself, :mod:`paii_core.io.vrt`).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import rasterio
from rasterio.errors import NotGeoreferencedWarning, RasterioError

from paii_core.errors import FormatError
from paii_core.io.archives import ARCHIVE_RE, archive_members, member_bytes, member_path

__all__ = ["RASTER_DRIVERS", "check_upload"]

RASTER_DRIVERS = frozenset({"GTiff", "JP2OpenJPEG", "SRTMHGT"})
"""GDAL drivers an uploaded raster may be read with: formats that hold their own pixels."""

_RASTER_SUFFIXES = (".tif", ".tiff", ".jp2", ".hgt", ".vrt", ".img")
"""Names of files a PAII reader may hand to GDAL as rasters."""
_VECTOR_SUFFIXES = (".shp", ".dbf", ".shx", ".geojson", ".json", ".gpkg", ".csv", ".fgb")
"""Names of archive members a PAII reader may hand to OGR."""

_WHY = "uploads may not describe other files: the server would read files that are not yours"
_FIX = "upload the data file itself (GeoTIFF, JPEG2000, SRTM .hgt, GeoPackage, GeoJSON, CSV)"


def _is_xml(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def _raster_driver(path: Path) -> str | None:
    """The GDAL driver that opens ``path`` as a raster, None when none does."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(path) as src:
                return src.driver
    except (RasterioError, UnicodeDecodeError, OSError):
        return None


def check_upload(path: Path) -> None:
    """Refuse an uploaded file that GDAL or OGR would read through other files.

    Raises:
        FormatError: the file, or a data member of an uploaded zip/tar, is XML (a VRT, an
            OGR VRT, a WMS description...); or a raster (the file, or a raster-named
            member) that GDAL reads with a driver outside :data:`RASTER_DRIVERS`.
    """
    with open(path, "rb") as f:
        if _is_xml(f.read(4096)):
            raise FormatError(path, f"is an XML file ({_WHY})", _FIX)
    if ARCHIVE_RE.search(path.name):
        for member in archive_members(path):
            _check_member(path, member)
    elif path.suffix.lower() in _RASTER_SUFFIXES:
        _check_driver(path, path, path.name)


def _check_member(archive: Path, member: str) -> None:
    suffix = Path(member).suffix.lower()
    if suffix not in (*_RASTER_SUFFIXES, *_VECTOR_SUFFIXES):
        return  # metadata (MTD XML, manifest.safe, MTL) PAII parses itself, never with GDAL
    inside = member_path(archive, member)
    if _is_xml(member_bytes(inside, 4096)):
        raise FormatError(archive, f"holds {member}, an XML file ({_WHY})", _FIX)
    if suffix in _RASTER_SUFFIXES:
        _check_driver(archive, inside, member)


def _check_driver(where: Path, path: Path, name: str) -> None:
    driver = _raster_driver(path)
    if driver is not None and driver not in RASTER_DRIVERS:
        raise FormatError(where, f"holds {name}, a {driver} raster ({_WHY})", _FIX)
