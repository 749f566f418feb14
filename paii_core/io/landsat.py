"""Landsat products as BGRN reflectance: Level-1 DN to top-of-atmosphere reflectance, and
Collection 2 Level-2 surface reflectance, calibrated by the product's MTL metadata file.

Sensors: Landsat 4/5 TM and 7 ETM+ (bands 1, 2, 3, 4 are blue, green, red, NIR) and
Landsat 8/9 OLI (bands 2, 3, 4, 5). Metadata: ``*_MTL.txt`` (ODL text: pre-collection,
Collection 1 and 2) or ``*_MTL.json`` (Collection 2).

Calibration, in this order of preference:

- Level-2 surface reflectance (``SR_B*.TIF``): ``rho = DN * mult + add`` with the MTL's
  ``LEVEL2_SURFACE_REFLECTANCE_PARAMETERS`` (2.75e-5 and -0.2 in Collection 2; those
  values when the group is absent).
- Level-1 with ``REFLECTANCE_MULT/ADD_BAND_n``: ``rho = (DN * mult + add) / sin(sun
  elevation)`` (USGS Landsat 8 Data Users Handbook, section 5.2; the coefficients
  already hold the Earth-Sun distance).
- Level-1 with radiance only (older TM/ETM+ products): ``L = (LMAX - LMIN) / (QCALMAX -
  QCALMIN) * (DN - QCALMIN) + LMIN`` (or ``RADIANCE_MULT * DN + RADIANCE_ADD`` when the
  ranges are absent; the ranges come first because pre-collection MTLs round the
  multiplier to 3 decimals), then ``rho = pi L d^2 / (ESUN cos(theta_s))`` with ESUN of
  Chander, Markham & Helder (2009, Remote Sens. Environ. 113, table 11) and the MTL's
  ``EARTH_SUN_DISTANCE``, else ``d = 1 - 0.01672 cos(0.9856 (doy - 4))`` AU.

DN 0 is fill (nodata) in every Landsat product; a pixel that is fill in any of the four
bands, or flagged fill (bit 0) in the product's quality band, is NaN in all four.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from rasterio.errors import RasterioError

from paii_core.errors import FormatError, InputFileError, InputNotFoundError
from paii_core.io.archives import is_member
from paii_core.io.geotiff import Raster, _open_checked
from paii_core.io.landsat_mtl import Mtl, find_mtl, get, is_landsat, read_mtl

__all__ = [
    "LANDSAT_BANDS",
    "Calibration",
    "calibration",
    "find_mtl",
    "is_landsat",
    "read_landsat",
    "read_mtl",
    "reflectance_coefficients",
]

LANDSAT_BANDS = ("blue", "green", "red", "nir")
_TM_ETM_BANDS = (1, 2, 3, 4)
_OLI_BANDS = (2, 3, 4, 5)
# ESUN (W m-2 um-1), bands 1-4: Chander, Markham & Helder (2009), table 11.
_ESUN = {
    4: (1983.0, 1795.0, 1539.0, 1028.0),
    5: (1983.0, 1796.0, 1536.0, 1031.0),
    7: (1997.0, 1812.0, 1533.0, 1039.0),
}
_C2_SR_MULT, _C2_SR_ADD = 2.75e-5, -0.2


@dataclass(frozen=True)
class _Product:
    mtl: Path
    meta: Mtl
    spacecraft: int
    bands: tuple[int, int, int, int]
    surface: bool


def _product(mtl: Path) -> _Product:
    meta = read_mtl(mtl)
    craft = get(meta, "SPACECRAFT_ID") or ""
    sensor = (get(meta, "SENSOR_ID") or "").upper()
    digits = re.sub(r"\D", "", craft)
    number = int(digits) if digits else 0
    if number not in (4, 5, 7, 8, 9):
        raise FormatError(
            mtl,
            f"names spacecraft {craft!r}; PAII reads Landsat 4, 5 (TM), 7 (ETM+), 8 and 9 (OLI)",
            "pass a Landsat 4-9 product (Landsat 1-3 MSS has no blue band)",
        )
    if sensor in ("TIRS", "TIRS2"):
        raise FormatError(
            mtl,
            f"is a thermal-only product (sensor {sensor}): it has no blue, green, red or NIR band",
            "pass the OLI (or combined OLI_TIRS) product of the same scene",
        )
    if number in (4, 5) and "TM" not in sensor:
        raise FormatError(
            mtl,
            f"is a Landsat {number} {sensor or 'unknown-sensor'} product; PAII reads TM only",
            "pass the Landsat TM product of the scene (sensor ID TM)",
        )
    surface = "LEVEL2_SURFACE_REFLECTANCE_PARAMETERS" in meta or bool(
        re.search(r"_SR_B\d", get(meta, "FILE_NAME_BAND_1", "FILE_NAME_BAND_2") or "")
    )
    bands = _OLI_BANDS if number >= 8 else _TM_ETM_BANDS
    return _Product(mtl, meta, number, bands, surface)


def _exists(path: Path) -> bool:
    """A file beside the MTL: on disk, or in the archive the MTL was read from."""
    return is_member(path) if str(path).startswith("/vsi") else path.is_file()


def _band_file(prod: _Product, band: int) -> Path:
    group = "PRODUCT_CONTENTS" if prod.surface and "PRODUCT_CONTENTS" in prod.meta else None
    name = get(prod.meta, f"FILE_NAME_BAND_{band}", f"BAND{band}_FILE_NAME", group=group)
    if name is None:
        raise FormatError(
            prod.mtl,
            f"lists no file for band {band} (FILE_NAME_BAND_{band})",
            "pass the MTL file that came with the product, unedited",
        )
    path = prod.mtl.parent / name
    if not _exists(path):
        raise InputNotFoundError(
            f"{path}: band {band} file of the Landsat product is missing (listed in "
            f"{prod.mtl.name}). Fix: put the product's band {band} GeoTIFF beside its MTL "
            "(PAII reads bands " + ", ".join(str(b) for b in prod.bands) + ")"
        )
    return path


def _num(prod: _Product, *keys: str, group: str | None = None) -> float | None:
    value = get(prod.meta, *keys, group=group)
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not np.isfinite(number):
        raise FormatError(
            prod.mtl, f"has {keys[0]} = {value!r}, not a finite number", "restore the original MTL"
        )
    return number


def _gain_offset(prod: _Product, band: int, sin_elev: float, d_au: float) -> tuple[float, float]:
    """Reflectance = DN * gain + offset for one band, from the MTL."""
    if prod.surface:
        grp = "LEVEL2_SURFACE_REFLECTANCE_PARAMETERS"
        mult = _num(prod, f"REFLECTANCE_MULT_BAND_{band}", group=grp)
        add = _num(prod, f"REFLECTANCE_ADD_BAND_{band}", group=grp)
        if mult is None or add is None:
            return _C2_SR_MULT, _C2_SR_ADD
        return mult, add
    grp = "LEVEL1_RADIOMETRIC_RESCALING" if "LEVEL1_RADIOMETRIC_RESCALING" in prod.meta else None
    mult = _num(prod, f"REFLECTANCE_MULT_BAND_{band}", group=grp)
    add = _num(prod, f"REFLECTANCE_ADD_BAND_{band}", group=grp)
    if mult is not None and add is not None:
        return mult / sin_elev, add / sin_elev
    lmax = _num(prod, f"RADIANCE_MAXIMUM_BAND_{band}", f"LMAX_BAND{band}")
    lmin = _num(prod, f"RADIANCE_MINIMUM_BAND_{band}", f"LMIN_BAND{band}")
    qmax = _num(prod, f"QUANTIZE_CAL_MAX_BAND_{band}", f"QCALMAX_BAND{band}")
    qmin = _num(prod, f"QUANTIZE_CAL_MIN_BAND_{band}", f"QCALMIN_BAND{band}")
    if None not in (lmax, lmin, qmax, qmin) and qmax != qmin:
        rmult = (lmax - lmin) / (qmax - qmin)
        radd = lmin - rmult * qmin
    else:
        rmult = _num(prod, f"RADIANCE_MULT_BAND_{band}", group=grp)
        radd = _num(prod, f"RADIANCE_ADD_BAND_{band}", group=grp)
    if rmult is None or radd is None:
        raise FormatError(
            prod.mtl,
            f"has no calibration for band {band} (neither REFLECTANCE_MULT/ADD, RADIANCE_MULT/"
            "ADD nor RADIANCE_MINIMUM/MAXIMUM with QUANTIZE_CAL_MIN/MAX)",
            "pass the MTL file that came with the product, unedited",
        )
    esun = _ESUN.get(prod.spacecraft)
    if esun is None:  # OLI MTLs always carry reflectance coefficients; this one does not
        raise FormatError(
            prod.mtl,
            f"has radiance but no REFLECTANCE_MULT/ADD for Landsat {prod.spacecraft} band "
            f"{band} (OLI has no ESUN to convert radiance)",
            "pass the MTL file that came with the product, unedited",
        )
    k = np.pi * d_au**2 / (esun[prod.bands.index(band)] * sin_elev)
    return rmult * k, radd * k


def _sun(prod: _Product) -> tuple[float, float, str]:
    """sin(sun elevation), Earth-Sun distance (AU) and acquisition date."""
    elev = _num(prod, "SUN_ELEVATION")
    date = get(prod.meta, "DATE_ACQUIRED", "ACQUISITION_DATE") or ""
    if not prod.surface and (elev is None or not 0.0 < elev <= 90.0):
        raise FormatError(
            prod.mtl,
            f"has no usable SUN_ELEVATION ({elev}); TOA reflectance needs it",
            "pass the MTL file that came with the product, unedited",
        )
    d_au = _num(prod, "EARTH_SUN_DISTANCE")
    if d_au is None:
        try:
            day = np.datetime64(date[:10], "D")
        except ValueError:
            raise FormatError(
                prod.mtl,
                f"has no usable DATE_ACQUIRED ({date!r}) for the Earth-Sun distance",
                "pass the MTL file that came with the product, unedited",
            ) from None
        doy = int((day - day.astype("datetime64[Y]").astype("datetime64[D]")).astype(int)) + 1
        d_au = 1.0 - 0.01672 * np.cos(np.deg2rad(0.9856 * (doy - 4)))
    sin_elev = float(np.sin(np.deg2rad(elev))) if elev is not None else 1.0
    return sin_elev, float(d_au), date[:10]


def _read_band(path: Path) -> tuple[NDArray, dict]:
    with _open_checked(path, "Landsat band GeoTIFF") as src:
        if src.crs is None:
            raise FormatError(path, "has no CRS", "pass the band file as USGS delivered it")
        grid = {"crs": src.crs, "transform": src.transform, "shape": (src.height, src.width)}
        try:
            return src.read(1), grid
        except RasterioError as e:  # a band damaged past its header (a cut download)
            raise FormatError(
                path, f"could not be read to the end ({e})", "download it again"
            ) from e


@dataclass(frozen=True)
class Calibration:
    """What turns a Landsat product's band files into BGRN reflectance: the MTL, the blue,
    green, red and NIR files (paths GDAL opens, archive members included), reflectance =
    DN * ``gains[i]`` + ``offsets[i]`` (DN 0 is fill), and the tags of the reflectance."""

    mtl: Path
    files: tuple[Path, ...]
    gains: tuple[float, ...]
    offsets: tuple[float, ...]
    tags: dict[str, str]


def calibration(path: str | PathLike[str], *, files: bool = True) -> Calibration:
    """The calibration of the Landsat product ``path`` (its MTL, folder, a band file beside
    its MTL, or its archive), from the MTL alone: no pixel is read. ``files=False``: the
    band files are not looked for (``files`` is empty).

    Raises InputNotFoundError (no product, MTL or band file) and FormatError (not an MTL,
    unknown spacecraft, thermal-only product, no calibration or sun elevation, coefficients
    that do not give reflectance)."""
    prod = _product(find_mtl(path))
    found = tuple(_band_file(prod, b) for b in prod.bands) if files else ()
    sin_elev, d_au, date = _sun(prod)
    gains, offsets = [], []
    for band in prod.bands:
        gain, offset = _gain_offset(prod, band, sin_elev, d_au)
        if not (0.0 < gain < 1.0 and abs(offset) < 10.0):  # reflectance per DN is ~1e-5..1e-2
            raise FormatError(
                prod.mtl,
                f"calibrates band {band} to reflectance = DN * {gain:.4g} + {offset:.4g}, "
                "not reflectance (a gain in (0, 1) and an offset within +-10 are)",
                "restore the original MTL (its radiance or reflectance coefficients are wrong)",
            )
        gains.append(gain)
        offsets.append(offset)
    level = "LEVEL-2" if prod.surface else "LEVEL-1"
    tags = {
        "REFLECTANCE": "SURFACE" if prod.surface else "TOA",
        "SPACECRAFT_NAME": f"Landsat-{prod.spacecraft}",
        "SENSOR": get(prod.meta, "SENSOR_ID") or "",
        "DATE": date,
        "PRODUCT_TYPE": get(prod.meta, "PROCESSING_LEVEL", "DATA_TYPE", "PRODUCT_TYPE") or level,
        "PROCESSING_LEVEL": level,
        "LANDSAT_PRODUCT_ID": get(prod.meta, "LANDSAT_PRODUCT_ID", "LANDSAT_SCENE_ID") or "",
        "LANDSAT_BANDS": ",".join(str(b) for b in prod.bands),
        "PAII_CALIBRATION": _describe(prod),
    }
    if prod.surface:  # an L2 MTL also holds its L1 record (PROCESSING_LEVEL = L1TP there)
        tags["PRODUCT_TYPE"] = (
            get(prod.meta, "PROCESSING_LEVEL", group="PRODUCT_CONTENTS") or "L2SP"
        )
    return Calibration(prod.mtl, found, tuple(gains), tuple(offsets), tags)


def read_landsat(path: str | PathLike[str]) -> Raster:
    """Read a Landsat product as ``(4, H, W)`` float32 blue, green, red, NIR reflectance
    with NaN nodata: top-of-atmosphere for Level-1, surface for Collection 2 Level-2.

    ``path``: the MTL file, the product folder, or one band file beside its MTL. Tags:
    ``REFLECTANCE`` (``TOA`` or ``SURFACE``), ``SPACECRAFT_NAME``, ``SENSOR``, ``DATE``,
    ``PRODUCT_TYPE``, ``PROCESSING_LEVEL`` (``LEVEL-1`` / ``LEVEL-2``), ``LANDSAT_PRODUCT_ID``
    and ``PAII_CALIBRATION``.

    Raises InputNotFoundError (no product, MTL or band file), FormatError (not an MTL,
    unknown spacecraft, thermal-only product, no calibration or sun elevation, band grids
    that differ) and InputFileError when every pixel is fill."""
    cal = calibration(path)
    data = np.empty((4, 0, 0), np.float32)
    grid0: dict = {}
    fill = None
    for i, file in enumerate(cal.files):
        dn, grid = _read_band(file)
        if i == 0:
            grid0 = grid
            data = np.empty((4, *dn.shape), np.float32)
            fill = np.zeros(dn.shape, bool)
        elif grid != grid0:
            raise FormatError(
                file,
                f"is not on the grid of {cal.files[0].name} (CRS, transform or size differ: "
                f"{grid['shape']} vs {grid0['shape']})",
                "pass the four band files of one product, unresampled",
            )
        fill |= dn == 0
        data[i] = dn  # in place: no full-scene float temporaries (a scene is 60 MP)
        data[i] *= np.float32(cal.gains[i])
        data[i] += np.float32(cal.offsets[i])
    qa = _quality_fill(_product(cal.mtl), grid0)
    if qa is not None:
        fill |= qa
    data[:, fill] = np.nan
    if fill.all():
        raise InputFileError(
            cal.mtl,
            "is all fill (DN 0) in its blue, green, red and NIR bands",
            "pass a product that covers land or sea (a whole scene, not its fill border)",
        )
    return Raster(data, grid0["crs"], grid0["transform"], LANDSAT_BANDS, cal.tags)


def reflectance_coefficients(
    path: str | PathLike[str],
) -> tuple[NDArray[np.float64], NDArray[np.float64], str]:
    """Per-band ``gain`` and ``offset`` (blue, green, red, NIR) with reflectance = DN *
    gain + offset, and ``"TOA"`` or ``"SURFACE"``, from a product's MTL alone: the
    calibration :func:`read_landsat` applies, for band DN read from elsewhere (a crop
    of the band files that lost their georeferencing). Raises as :func:`read_landsat`
    does for the MTL (InputNotFoundError, FormatError)."""
    cal = calibration(path, files=False)
    gain, offset = np.array(cal.gains, np.float64), np.array(cal.offsets, np.float64)
    return gain, offset, cal.tags["REFLECTANCE"]


def _describe(prod: _Product) -> str:
    if prod.surface:
        return "surface reflectance = DN * mult + add (MTL LEVEL2 parameters)"
    if get(prod.meta, f"REFLECTANCE_MULT_BAND_{prod.bands[0]}") is not None:
        return "TOA reflectance = (DN * REFLECTANCE_MULT + REFLECTANCE_ADD) / sin(SUN_ELEVATION)"
    return "TOA reflectance = pi * radiance * d^2 / (ESUN * sin(SUN_ELEVATION)) (Chander 2009)"


def _quality_fill(prod: _Product, grid: dict) -> NDArray[np.bool_] | None:
    """Fill pixels (bit 0) of the product's quality band, when it is there and on the grid."""
    name = get(prod.meta, "FILE_NAME_QUALITY_L1_PIXEL", "FILE_NAME_BAND_QUALITY")
    if name is None or not _exists(prod.mtl.parent / name):
        return None
    qa, qgrid = _read_band(prod.mtl.parent / name)
    if qgrid != grid:
        return None  # a quality band of another grid says nothing about these pixels
    return (qa.astype(np.int64) & 1).astype(bool)
