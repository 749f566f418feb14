"""Sentinel-1 items as they are downloaded: one file per polarisation, in a folder or a zip.

Analysis-ready Sentinel-1 comes as one GeoTIFF per polarisation: ASF HyP3 RTC products
(a zip of ``S1A_IW_20180927T..._RTC30_..._VV.tif`` and ``..._VH.tif`` with maps and
metadata beside them), Sentinel Hub / openEO exports (``VV.tif``, ``VH.tif``), SNAP
GeoTIFF exports per band. PAII's SAR readers take a stack of bands described VV and VH;
:func:`sentinel1_stack` gives such a stack for a folder or a zip without unpacking it
(a GDAL VRT over the files, read through ``/vsizip/`` for a zip), so every reader, the
windowed full-scene mapper included, reads per-polarisation files as they came.

A raw GRD ``.SAFE`` (uncalibrated amplitude in radar geometry) is refused with how to
get calibrated, terrain-corrected backscatter: PAII does not calibrate or geocode.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from os import PathLike
from pathlib import Path

import rasterio
from rasterio.errors import RasterioError

from paii_core.errors import FormatError, PaiiError, name_file_as
from paii_core.io.archives import archive_members, member_path
from paii_core.io.vrt import add_band, vrt_dataset, write_vrt

__all__ = [
    "is_s1_product",
    "polarisation_files",
    "polarisation_of",
    "s1_stack_vrt",
    "sentinel1_stack",
]

_POL_RE = re.compile(r"(?:^|[^A-Z])(VV|VH|HH|HV)(?:[^A-Z]|$)")
_RASTERS = (".tif", ".tiff")
_GRD_FIX = (
    "PAII reads calibrated, terrain-corrected backscatter (sigma0 or gamma0, dB or linear "
    "power) on a map grid: process the GRD first (SNAP: Apply-Orbit-File, Calibration to "
    "Sigma0, Terrain-Correction, export GeoTIFF), or download the scene as an ASF HyP3 RTC "
    "product and pass its .zip"
)


def _stack_type(dtype: str) -> str:
    return "Float64" if dtype == "float64" else "Float32"


def polarisation_of(name: str) -> str | None:
    """The one polarisation a file name or band description states as a word
    (``..._RTC30_G_gpuned_5A2B_VV`` -> VV, ``Sigma0_VH_db`` -> VH); else None."""
    found = set(_POL_RE.findall(name.upper()))
    return found.pop() if len(found) == 1 else None


def _is_grd_safe(names: list[str]) -> bool:
    return any(n.endswith("manifest.safe") for n in names) and any(
        "/measurement/" in f"/{n}" for n in names
    )


def polarisation_files(item: Path) -> dict[str, str] | None:
    """Polarisation -> the file GDAL opens, for a folder or ``.zip`` of one GeoTIFF per
    polarisation; None for anything else (a single file is read as it is).

    Raises:
        FormatError: a raw GRD .SAFE; no VV file; two files of one polarisation; an
            unreadable zip.
    """
    if item.is_dir():
        paths = sorted(p for p in item.rglob("*") if p.is_file())
        names = [p.relative_to(item).as_posix() for p in paths]
        opened = {n: str(p) for n, p in zip(names, paths, strict=True)}
    elif item.suffix.lower() == ".zip":
        names = list(archive_members(item))
        opened = {n: str(member_path(item, n)) for n in names}
    else:
        return None
    if _is_grd_safe(names):
        raise FormatError(
            item,
            "is a raw Sentinel-1 GRD product (.SAFE: uncalibrated amplitude in radar "
            "geometry, no map grid)",
            _GRD_FIX,
        )
    found: dict[str, list[str]] = {}
    for name in names:
        stem, suffix = Path(name).stem, Path(name).suffix.lower()
        if suffix in _RASTERS and (pol := polarisation_of(stem)) is not None:
            found.setdefault(pol, []).append(name)
    if "VV" not in found:
        held = ", ".join(f"{p}: {', '.join(n)}" for p, n in sorted(found.items())) or "none"
        raise FormatError(
            item,
            f"holds no VV GeoTIFF (a file named ..._VV.tif); polarisation files found: {held}",
            "pass a dual-polarisation VV+VH product (Sentinel-1 IW over land), one GeoTIFF "
            "per polarisation named by it, or a GeoTIFF of bands described VV and VH",
        )
    for pol, files in sorted(found.items()):
        if len(files) > 1:
            raise FormatError(
                item,
                f"holds {len(files)} {pol} files ({', '.join(files)}); which one to read is "
                "not guessed",
                "pass a folder or zip with one GeoTIFF per polarisation",
            )
    return {pol: opened[files[0]] for pol, files in found.items() if pol in ("VV", "VH")}


def _stack_vrt(files: dict[str, str], item: Path, vrt: Path) -> None:
    """A VRT of the VV (then VH) files as bands described VV, VH, with the VV file's tags;
    the files must share one grid."""
    ref = None
    bands = []
    for pol in ("VV", "VH"):
        if pol not in files:
            continue
        try:
            with rasterio.open(files[pol]) as src:
                if src.crs is None:
                    raise FormatError(
                        item, f"has a {pol} file without a CRS ({Path(files[pol]).name})",
                        _GRD_FIX,
                    )  # fmt: skip
                grid = (src.crs, src.transform, src.width, src.height)
                if ref is None:
                    ref = (grid, dict(src.tags()))
                elif grid != ref[0]:
                    raise FormatError(
                        item,
                        f"has VV and VH files on different grids ({Path(files['VV']).name}: "
                        f"{ref[0][2]} x {ref[0][3]} px, {Path(files[pol]).name}: "
                        f"{src.width} x {src.height} px)",
                        "pass the VV and VH files of one product",
                    )
                bands.append((pol, files[pol], src.dtypes[0], src.nodata))
        except (RasterioError, UnicodeDecodeError) as e:  # or tags that are not text
            name = Path(files[pol]).name
            raise FormatError(item, f"has a {pol} file {name} GDAL cannot read ({e})",
                              "download it again") from e  # fmt: skip
    assert ref is not None  # VV is always there
    (crs, transform, width, height), tags = ref
    root = vrt_dataset(crs, transform, width, height, tags)
    for pol, path, dtype, nodata in bands:
        # One type for both bands (rasterio reads a stack of one type): float32 holds
        # any sigma0 file's values, dB, linear power or scaled integers.
        add_band(root, _stack_type(dtype), description=pol, nodata=nodata, source=(path, 1))
    write_vrt(root, vrt)


def is_s1_product(path: Path) -> bool:
    """Whether ``path`` is a folder or ``.zip`` that holds a Sentinel-1 product: GeoTIFFs
    named by their polarisation (``..._VV.tif``), or a raw GRD ``.SAFE`` (which
    :func:`polarisation_files` then refuses with how to process it)."""
    if path.is_dir():
        names = [p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()]
    elif path.suffix.lower() == ".zip" and path.is_file():
        try:
            names = list(archive_members(path))
        except FormatError:
            return False  # not a readable zip: the caller's reader says so
    else:
        return False
    return _is_grd_safe(names) or any(
        Path(n).suffix.lower() in _RASTERS and polarisation_of(Path(n).stem) for n in names
    )


def _stack_name(path: Path) -> str:
    return path.name[: -len(".zip")] if path.suffix.lower() == ".zip" else path.name


def s1_stack_vrt(item: str | PathLike[str], stacks: Path) -> Path:
    """The Sentinel-1 product ``item`` (a folder or ``.zip`` of one GeoTIFF per
    polarisation) as a VRT of bands described VV (and VH) in the folder ``stacks``, named
    after the item; rewritten only if changed (`paii batch` keeps it beside its outputs).

    Raises:
        FormatError: as :func:`polarisation_files`; not such a folder or zip; VV and VH
            files on different grids or without a CRS.
    """
    path = Path(item).expanduser()
    files = polarisation_files(path)
    if files is None:
        raise FormatError(
            path,
            "is not a folder or .zip of Sentinel-1 polarisation GeoTIFFs",
            "pass the product as downloaded (an ASF RTC .zip), or a GeoTIFF of bands VV, VH",
        )
    stacks.mkdir(parents=True, exist_ok=True)
    vrt = stacks / f"{_stack_name(path)}.vrt"
    _stack_vrt(files, path, vrt)
    return vrt


@contextmanager
def sentinel1_stack(item: str | PathLike[str]) -> Iterator[Path]:
    """The Sentinel-1 item at ``item`` as one raster of bands described VV (and VH), for
    the block: a GeoTIFF as it is; a folder or ``.zip`` of one GeoTIFF per polarisation
    as a temporary VRT over them (named after the item, so a date in its name is kept;
    nothing unpacked). A PaiiError raised in the block names ``item``, not the VRT.

    Raises:
        FormatError: as :func:`polarisation_files`; VV and VH files on different grids or
            without a CRS.
    """
    path = Path(item).expanduser()
    files = polarisation_files(path) if path.exists() else None
    if files is None:
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="paii-s1-") as tmp:
        vrt = Path(tmp) / f"{_stack_name(path)}.vrt"
        _stack_vrt(files, path, vrt)
        try:
            yield vrt
        except PaiiError as e:
            raise name_file_as(e, vrt, str(path)) from None
