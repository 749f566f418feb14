"""Blue, green, red and NIR from any multi-band GeoTIFF, by bands the user names.

A GeoTIFF whose bands carry no names (a Landsat stack cut by another tool, a DN export)
cannot be read as BGRN without someone saying which band is which and what its values
mean. :class:`BandSelection` is that statement (``paii sr/dehaze --bands 1,2,3,4
--reflectance toa --scale ... --offset ...``); nothing is guessed: integer DN without a
scale are refused, and so are values that still look like DN after scaling.
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Literal

import numpy as np

from paii_core.errors import FormatError, InputFileError, ValidationError
from paii_core.io.geotiff import Raster, _open_checked, _read_open

__all__ = ["BandSelection", "read_selected_bands"]

_MAX_MEDIAN = 1.5
"""Reflectance whose median is above this is not reflectance (DN without a scale)."""


def _numbers(text: str | None, what: str) -> tuple[float, ...] | None:
    if text is None:
        return None
    try:
        values = tuple(float(v) for v in str(text).split(","))
    except ValueError:
        raise ValidationError(
            f"--{what} {text!r} is not a number or 4 comma-separated numbers; "
            f"e.g. --{what} 0.0001 or --{what} 0.002,0.002,0.0019,0.0015"
        ) from None
    if len(values) not in (1, 4) or not all(np.isfinite(values)):
        raise ValidationError(
            f"--{what} {text!r} should be one finite number (all bands) or four (B, G, R, NIR)"
        )
    if what == "scale" and min(values) <= 0:
        raise ValidationError(
            f"--scale {text!r} should be above 0: reflectance = value * scale + offset, and a "
            "scale of 0 makes every pixel the offset, a negative one turns bright into dark; "
            "e.g. --scale 0.0000275 (Landsat C2 L2) or the REFLECTANCE_MULT of the MTL"
        )
    return values


@dataclass(frozen=True)
class BandSelection:
    """Which bands of a file are blue, green, red and NIR (1-based), which reflectance
    they hold, and how values become reflectance: ``value * scale + offset`` (one number
    for all four bands, or one per band)."""

    bands: tuple[int, int, int, int]
    reflectance: Literal["toa", "surface"]
    scale: tuple[float, ...] | None = None
    offset: tuple[float, ...] | None = None

    @classmethod
    def parse(
        cls,
        bands: str,
        reflectance: str | None,
        scale: str | None = None,
        offset: str | None = None,
    ) -> BandSelection:
        """From the command line's text. Raises ValidationError naming the option (also
        for a --scale of 0 or below)."""
        try:
            idx = tuple(int(b) for b in str(bands).split(","))
        except ValueError:
            idx = ()
        if len(idx) != 4 or min(idx) < 1 or len(set(idx)) != 4:
            raise ValidationError(
                f"--bands {bands!r} should be four different 1-based band numbers of the file "
                "in the order blue, green, red, NIR, e.g. --bands 1,2,3,4 (Landsat 4-7) or "
                "--bands 2,3,4,5 (Landsat 8-9)"
            )
        if reflectance not in ("toa", "surface"):
            raise ValidationError(
                f"--reflectance {reflectance!r}: with --bands, say which reflectance the "
                "bands hold: --reflectance toa (top of atmosphere, Level-1) or surface (Level-2)"
            )
        return cls(idx, reflectance, _numbers(scale, "scale"), _numbers(offset, "offset"))  # type: ignore[arg-type]


def read_selected_bands(path: str | PathLike[str], sel: BandSelection) -> Raster:
    """Read ``sel.bands`` of ``path`` as ``(4, H, W)`` float32 reflectance, NaN where the
    file masks a pixel (its nodata value or mask) in any of the four bands; integer DN
    without a nodata value have DN 0 as no data (Landsat's and Sentinel-2's fill).

    Raises FormatError when a band number exceeds the file's bands, when integer DN come
    without a scale, or when the scaled values are not reflectance (median above 1.5 or
    below 0),
    and InputFileError when every pixel is nodata."""
    p = Path(path)
    with _open_checked(p, "GeoTIFF") as src:
        if max(sel.bands) > src.count:
            raise FormatError(
                p,
                f"has {src.count} bands; --bands {','.join(map(str, sel.bands))} asks for "
                f"band {max(sel.bands)}",
                f"give band numbers from 1 to {src.count} (blue, green, red, NIR)",
            )
        if src.crs is None:
            raise FormatError(p, "has no CRS", "georeference it (gdal_edit.py -a_srs EPSG:...)")
        integer = np.dtype(src.dtypes[sel.bands[0] - 1]).kind in "ui"
        if integer and sel.scale is None:
            raise FormatError(
                p,
                f"holds integer digital numbers ({src.dtypes[0]}); PAII does not guess how "
                "they become reflectance",
                "give --scale and --offset (reflectance = DN * scale + offset, one value or "
                "one per band: e.g. Landsat C2 L2 --scale 0.0000275 --offset -0.2), or pass "
                "the Landsat product's MTL file instead of this file",
            )
        data = _read_open(src, p)[[b - 1 for b in sel.bands]]
        if integer and src.nodata is None:
            # Landsat and Sentinel-2 DN 0 is fill (outside the swath), never a measurement:
            # scaled, it would become a reflectance of --offset (e.g. -0.1, "dark water")
            data[data == 0] = np.nan
        crs, transform, file_tags = src.crs, src.transform, src.tags()
    scale = np.asarray(sel.scale or (1.0,), np.float32).reshape(-1, 1, 1)
    offset = np.asarray(sel.offset or (0.0,), np.float32).reshape(-1, 1, 1)
    data = data * scale + offset
    data[:, np.isnan(data).any(axis=0)] = np.nan
    if np.isnan(data).all():
        raise InputFileError(p, "is all nodata (no valid pixel)", "pass a capture with data")
    median = float(np.nanmedian(data))
    if not 0.0 <= median <= _MAX_MEDIAN:
        raise FormatError(
            p,
            f"gives reflectance with a median of {median:.3g} after --scale/--offset "
            "(reflectance is mostly 0 to 1): its values are not reflectance "
            + ("yet" if median > 0 else "(most pixels below 0: an --offset too negative?)"),
            "give the --scale (and --offset) that turn its values into reflectance",
        )
    # The user's --reflectance is the level: no file tag may contradict it (is_toa).
    dropped = ("AREA_OR_POINT", "PRODUCT_TYPE", "PROCESSING_LEVEL", "PRODUCT_LEVEL")
    tags = {k: v for k, v in file_tags.items() if k.upper() not in dropped}
    tags.update(
        REFLECTANCE="TOA" if sel.reflectance == "toa" else "SURFACE",
        SOURCE_BANDS=",".join(map(str, sel.bands)),
    )
    return Raster(data.astype(np.float32), crs, transform, ("blue", "green", "red", "nir"), tags)
