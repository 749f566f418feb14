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

import json
import re
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from paii_core.errors import FormatError, InputFileError, InputNotFoundError
from paii_core.io.geotiff import Raster, _open_checked

__all__ = ["LANDSAT_BANDS", "find_mtl", "is_landsat", "read_landsat", "read_mtl"]

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
_MTL_GLOBS = ("*_MTL.txt", "*_MTL.json", "*_mtl.txt", "*_mtl.json")
_FIX_MTL = (
    "keep the product's *_MTL.txt (or *_MTL.json) beside its band files, as USGS "
    "EarthExplorer delivers them"
)

Mtl = dict[str, dict[str, str]]
"""An MTL file: group name -> key -> value (innermost group; strings unquoted)."""


@dataclass(frozen=True)
class _Product:
    mtl: Path
    meta: Mtl
    spacecraft: int
    bands: tuple[int, int, int, int]
    surface: bool


def read_mtl(path: str | PathLike[str]) -> Mtl:
    """Parse a Landsat MTL file (ODL text or Collection 2 JSON) into groups of keys.

    Raises InputNotFoundError for a missing file and FormatError for a file that is not
    an MTL (no ``KEY = value`` lines in groups, or JSON without objects)."""
    p = Path(path)
    if not p.is_file():
        raise InputNotFoundError(f"{p}: Landsat MTL file not found. Fix: {_FIX_MTL}")
    text = p.read_bytes().replace(b"\x00", b"").decode("utf-8", errors="replace")
    groups: Mtl = {}
    if text.lstrip().startswith("{"):
        try:
            _json_groups(json.loads(text), "", groups)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
            raise FormatError(p, f"is not valid JSON ({type(exc).__name__})", _FIX_MTL) from None
    else:
        stack = [""]
        for line in text.splitlines():
            key, eq, value = line.partition("=")
            key, value = key.strip(), value.strip().strip('"')
            if not eq:
                continue
            if key == "GROUP":
                stack.append(value)
            elif key == "END_GROUP":
                if len(stack) > 1:
                    stack.pop()
            else:
                groups.setdefault(stack[-1], {})[key] = value
    if not any(groups.values()):
        raise FormatError(p, "is not a Landsat MTL file (no KEY = value metadata found)", _FIX_MTL)
    return groups


def _json_groups(node: object, name: str, out: Mtl) -> None:
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if isinstance(value, dict):
            _json_groups(value, key, out)
        elif not isinstance(value, list):
            out.setdefault(name, {})[key] = "" if value is None else str(value)


def _get(meta: Mtl, *keys: str, group: str | None = None) -> str | None:
    """The first of ``keys`` found: in ``group`` when given, else in any group."""
    scopes = [meta.get(group, {})] if group else list(meta.values())
    for key in keys:
        for scope in scopes:
            if key in scope and scope[key] != "":
                return scope[key]
    return None


def find_mtl(path: str | PathLike[str]) -> Path:
    """The MTL file of ``path``: the MTL itself, the product folder, or a band file with
    its MTL beside it. Raises InputNotFoundError when there is none and FormatError when a
    folder holds several products."""
    p = Path(path)
    if not p.exists():
        raise InputNotFoundError(f"{p}: Landsat product not found; check the path")
    if p.is_file() and re.search(r"\.(tar|tar\.gz|tgz|zip)$", p.name, re.IGNORECASE):
        raise FormatError(
            p,
            "is an archive; PAII reads the extracted product",
            f"extract it (tar -xf {p.name} -C FOLDER) and pass FOLDER or its *_MTL.txt",
        )
    if p.is_file() and re.search(r"_mtl\.(txt|json)$", p.name, re.IGNORECASE):
        return p
    folder = p if p.is_dir() else p.parent
    found = sorted({m for g in _MTL_GLOBS for m in folder.glob(g)})
    if p.is_file():  # a band file: the MTL that lists it by name
        found = [m for m in found if _lists(m, p.name)]
    if not found:
        where = "in this folder" if p.is_dir() else "beside this file"
        raise InputNotFoundError(
            f"{p}: no Landsat MTL metadata file (*_MTL.txt or *_MTL.json) {where}; "
            f"reflectance cannot be computed without it. Fix: {_FIX_MTL}"
        )
    # Collection 2 delivers the same metadata as .txt and .json: one product, one MTL.
    ids = {_product_id(m).upper() for m in found}
    if len(ids) > 1:
        raise FormatError(
            p,
            f"holds {len(ids)} Landsat products' MTL files ({', '.join(m.name for m in found)})",
            "pass the MTL file of the product you mean instead of the folder",
        )
    return next((m for m in found if m.suffix.lower() == ".txt"), found[0])


def _lists(mtl: Path, name: str) -> bool:
    """Whether ``mtl`` names the file ``name`` (a band or quality file of its product)."""
    try:
        meta = read_mtl(mtl)
    except (InputNotFoundError, FormatError):
        return False
    return any(name == v for keys in meta.values() for v in keys.values())


def _product_id(mtl: Path) -> str:
    return re.sub(r"_mtl\.(txt|json)$", "", mtl.name, flags=re.IGNORECASE)


def is_landsat(path: str | PathLike[str]) -> bool:
    """Whether ``path`` is a Landsat MTL file, a folder holding one, or a band file with
    its MTL beside it (nothing is read but file names and MTLs), or a Landsat product's
    archive (``L*.tar``: :func:`read_landsat` then says to extract it)."""
    if re.match(r"L[CTEOM]0?\d.*\.(tar|tar\.gz|tgz|zip)$", Path(path).name, re.IGNORECASE):
        return Path(path).is_file()
    try:
        find_mtl(path)
    except InputNotFoundError:
        return False
    except FormatError:  # MTLs of several products: Landsat, and read_landsat says which
        return True
    return True


def _product(mtl: Path) -> _Product:
    meta = read_mtl(mtl)
    craft = _get(meta, "SPACECRAFT_ID") or ""
    sensor = (_get(meta, "SENSOR_ID") or "").upper()
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
        re.search(r"_SR_B\d", _get(meta, "FILE_NAME_BAND_1", "FILE_NAME_BAND_2") or "")
    )
    bands = _OLI_BANDS if number >= 8 else _TM_ETM_BANDS
    return _Product(mtl, meta, number, bands, surface)


def _band_file(prod: _Product, band: int) -> Path:
    group = "PRODUCT_CONTENTS" if prod.surface and "PRODUCT_CONTENTS" in prod.meta else None
    name = _get(prod.meta, f"FILE_NAME_BAND_{band}", f"BAND{band}_FILE_NAME", group=group)
    if name is None:
        raise FormatError(
            prod.mtl,
            f"lists no file for band {band} (FILE_NAME_BAND_{band})",
            "pass the MTL file that came with the product, unedited",
        )
    path = prod.mtl.parent / name
    if not path.is_file():
        raise InputNotFoundError(
            f"{path}: band {band} file of the Landsat product is missing (listed in "
            f"{prod.mtl.name}). Fix: put the product's band {band} GeoTIFF beside its MTL "
            "(PAII reads bands " + ", ".join(str(b) for b in prod.bands) + ")"
        )
    return path


def _num(prod: _Product, *keys: str, group: str | None = None) -> float | None:
    value = _get(prod.meta, *keys, group=group)
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
    date = _get(prod.meta, "DATE_ACQUIRED", "ACQUISITION_DATE") or ""
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
        return src.read(1), grid


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
    mtl = find_mtl(path)
    prod = _product(mtl)
    files = [_band_file(prod, b) for b in prod.bands]
    sin_elev, d_au, date = _sun(prod)
    data = np.empty((4, 0, 0), np.float32)
    grid0: dict = {}
    fill = None
    for i, (band, file) in enumerate(zip(prod.bands, files, strict=True)):
        dn, grid = _read_band(file)
        if i == 0:
            grid0 = grid
            data = np.empty((4, *dn.shape), np.float32)
            fill = np.zeros(dn.shape, bool)
        elif grid != grid0:
            raise FormatError(
                file,
                f"is not on the grid of {files[0].name} (CRS, transform or size differ: "
                f"{grid['shape']} vs {grid0['shape']})",
                "pass the four band files of one product, unresampled",
            )
        gain, offset = _gain_offset(prod, band, sin_elev, d_au)
        if not (0.0 < gain < 1.0 and abs(offset) < 10.0):  # reflectance per DN is ~1e-5..1e-2
            raise FormatError(
                prod.mtl,
                f"calibrates band {band} to reflectance = DN * {gain:.4g} + {offset:.4g}, "
                "not reflectance (a gain in (0, 1) and an offset within +-10 are)",
                "restore the original MTL (its radiance or reflectance coefficients are wrong)",
            )
        fill |= dn == 0
        data[i] = dn  # in place: no full-scene float temporaries (a scene is 60 MP)
        data[i] *= np.float32(gain)
        data[i] += np.float32(offset)
    qa = _quality_fill(prod, grid0)
    if qa is not None:
        fill |= qa
    data[:, fill] = np.nan
    if fill.all():
        raise InputFileError(
            mtl,
            "is all fill (DN 0) in its blue, green, red and NIR bands",
            "pass a product that covers land or sea (a whole scene, not its fill border)",
        )
    level = "LEVEL-2" if prod.surface else "LEVEL-1"
    tags = {
        "REFLECTANCE": "SURFACE" if prod.surface else "TOA",
        "SPACECRAFT_NAME": f"Landsat-{prod.spacecraft}",
        "SENSOR": _get(prod.meta, "SENSOR_ID") or "",
        "DATE": date,
        "PRODUCT_TYPE": _get(prod.meta, "PROCESSING_LEVEL", "DATA_TYPE", "PRODUCT_TYPE") or level,
        "PROCESSING_LEVEL": level,
        "LANDSAT_PRODUCT_ID": _get(prod.meta, "LANDSAT_PRODUCT_ID", "LANDSAT_SCENE_ID") or "",
        "LANDSAT_BANDS": ",".join(str(b) for b in prod.bands),
        "PAII_CALIBRATION": _describe(prod),
    }
    if prod.surface:  # an L2 MTL also holds its L1 record (PROCESSING_LEVEL = L1TP there)
        tags["PRODUCT_TYPE"] = (
            _get(prod.meta, "PROCESSING_LEVEL", group="PRODUCT_CONTENTS") or "L2SP"
        )
    return Raster(data, grid0["crs"], grid0["transform"], LANDSAT_BANDS, tags)


def _describe(prod: _Product) -> str:
    if prod.surface:
        return "surface reflectance = DN * mult + add (MTL LEVEL2 parameters)"
    if _get(prod.meta, f"REFLECTANCE_MULT_BAND_{prod.bands[0]}") is not None:
        return "TOA reflectance = (DN * REFLECTANCE_MULT + REFLECTANCE_ADD) / sin(SUN_ELEVATION)"
    return "TOA reflectance = pi * radiance * d^2 / (ESUN * sin(SUN_ELEVATION)) (Chander 2009)"


def _quality_fill(prod: _Product, grid: dict) -> NDArray[np.bool_] | None:
    """Fill pixels (bit 0) of the product's quality band, when it is there and on the grid."""
    name = _get(prod.meta, "FILE_NAME_QUALITY_L1_PIXEL", "FILE_NAME_BAND_QUALITY")
    if name is None or not (prod.mtl.parent / name).is_file():
        return None
    qa, qgrid = _read_band(prod.mtl.parent / name)
    if qgrid != grid:
        return None  # a quality band of another grid says nothing about these pixels
    return (qa.astype(np.int64) & 1).astype(bool)
