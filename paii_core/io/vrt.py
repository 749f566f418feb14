"""GDAL VRT documents: several files, or files inside an archive, read as one raster without
copying a pixel (the Sentinel-1 polarisations, DEM tiles, a Sentinel-2 product's bands)."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from pathlib import Path

from affine import Affine
from rasterio.crs import CRS

from paii_core.io.archives import container

__all__ = ["add_band", "source_stamp", "vrt_dataset", "write_vrt"]


def vrt_dataset(
    crs: CRS, transform: Affine, width: int, height: int, tags: Mapping[str, object]
) -> ET.Element:
    """The root of a VRT of ``width`` x ``height`` px on the grid (``crs``, ``transform``)
    with dataset metadata ``tags``; add its bands with :func:`add_band`."""
    root = ET.Element("VRTDataset", rasterXSize=str(width), rasterYSize=str(height))
    ET.SubElement(root, "SRS").text = crs.to_wkt()
    ET.SubElement(root, "GeoTransform").text = ", ".join(repr(v) for v in transform.to_gdal())
    meta = ET.SubElement(root, "Metadata")
    for key, value in tags.items():
        ET.SubElement(meta, "MDI", key=key).text = str(value)
    return root


def add_band(
    root: ET.Element,
    data_type: str,
    *,
    description: str | None = None,
    nodata: float | None = None,
    source: tuple[str, int] | None = None,
    scale: tuple[float, float] | None = None,
    source_nodata: float | None = None,
) -> ET.Element:
    """A band of GDAL type ``data_type`` ("UInt16", "Float32") appended to ``root``; with
    ``source`` (a GDAL path, 1-based band), that band of that file, pixel for pixel, or
    with ``scale`` (ratio, offset) each value as ``value * ratio + offset``; source pixels
    equal to ``source_nodata`` are left at the band's ``nodata``."""
    number = len(root.findall("VRTRasterBand")) + 1
    band = ET.SubElement(root, "VRTRasterBand", dataType=data_type, band=str(number))
    if description is not None:
        ET.SubElement(band, "Description").text = description
    if nodata is not None:
        ET.SubElement(band, "NoDataValue").text = repr(float(nodata))
    if source is not None:
        plain = scale is None and source_nodata is None
        src = ET.SubElement(band, "SimpleSource" if plain else "ComplexSource")
        ET.SubElement(src, "SourceFilename", relativeToVRT="0").text = str(source[0])
        ET.SubElement(src, "SourceBand").text = str(source[1])
        if scale is not None:
            ET.SubElement(src, "ScaleOffset").text = repr(float(scale[1]))
            ET.SubElement(src, "ScaleRatio").text = repr(float(scale[0]))
        if source_nodata is not None:
            ET.SubElement(src, "NODATA").text = repr(float(source_nodata))
    return band


def source_stamp(paths: Iterable[str | Path]) -> str:
    """A short hash of the size and modification time of the files a VRT reads (an
    archive stands for its members): a product replaced under the same name changes the
    VRT's text, so `paii batch` (which hashes its inputs) computes it again."""
    held = sorted({container(p) for p in paths})
    stats = [(str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in held if p.exists()]
    return hashlib.sha256(repr(stats).encode()).hexdigest()[:16]


def write_vrt(root: ET.Element, path: Path) -> Path:
    """``root`` written to ``path``, unless ``path`` already holds exactly that document (a
    rerun leaves it untouched, so what was computed from it is not redone)."""
    text = ET.tostring(root, encoding="unicode")
    if not (path.is_file() and path.read_text(encoding="utf-8") == text):
        path.write_text(text, encoding="utf-8")
    return path
