"""OCO-2 L2 Lite (v10/v11) NetCDF4 files of XCO2 soundings: read, iterate, write."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from os import PathLike
from pathlib import Path
from typing import Literal

import h5netcdf
import numpy as np
import pandas as pd
import xarray as xr

from paii_core.errors import FormatError, InputNotFoundError, PaiiError, ValidationError
from paii_core.io._atomic import atomic_path

__all__ = [
    "OCO2_COLUMNS",
    "iter_oco2_lite",
    "read_oco2_lite_file",
    "write_oco2_lite",
]

OCO2_COLUMNS: tuple[str, ...] = (
    "sounding_id",
    "time",
    "latitude",
    "longitude",
    "xco2",
    "xco2_uncertainty",
    "xco2_quality_flag",
)
"""Columns of the DataFrames returned, in order."""

DIM = "sounding_id"
EPOCH_DIM = "epoch_dimension"
FILL_VALUE = np.float32(-999999.0)  # the Lite products' fill for float variables
TIME_UNITS = "seconds since 1970-01-01 00:00:00"

# name -> (dtype, attributes); the layout of the Lite files' sounding variables.
_VARIABLES: dict[str, tuple[str, dict[str, str]]] = {
    "sounding_id": (
        "int64",
        {"long_name": "sounding id", "comment": "YYYYMMDDhhmmss, tenths of s, footprint"},
    ),
    "latitude": ("float32", {"long_name": "latitude", "units": "degrees_north"}),
    "longitude": ("float32", {"long_name": "longitude", "units": "degrees_east"}),
    "time": (
        "float64",
        {"long_name": "time", "standard_name": "time", "units": TIME_UNITS},
    ),
    "xco2": (
        "float32",
        {
            "long_name": "column-averaged dry-air mole fraction of CO2 (bias-corrected)",
            "units": "ppm",
        },
    ),
    "xco2_uncertainty": (
        "float32",
        {"long_name": "XCO2 posterior uncertainty", "units": "ppm"},
    ),
    "xco2_quality_flag": (
        "int8",
        {"long_name": "XCO2 quality flag", "comment": "0 = good, 1 = bad"},
    ),
}
_DATE_ATTRS = {
    "long_name": "sounding date and time (UTC)",
    "comment": "year, month, day, hour, minute, second, millisecond",
}


def _fail(path: Path, problem: str) -> FormatError:
    return FormatError(
        path, problem, "pass an OCO-2 L2 Lite file (oco2_LtCO2_*.nc4, v10 or v11); re-download it"
    )


def _column(ds: xr.Dataset, name: str, path: Path) -> np.ndarray:
    if name not in ds.variables:
        raise _fail(path, f"has no variable {name!r}")
    var = ds.variables[name]
    if var.dims != (DIM,):
        raise _fail(path, f"variable {name!r} has dimensions {var.dims}, expected ({DIM!r},)")
    values = np.asarray(var.values)
    if values.dtype.kind == "f":
        values = values.copy()
        for key in ("_FillValue", "missing_value"):
            fill = var.attrs.get(key, var.encoding.get(key))
            if fill is not None:
                values[values == np.asarray(fill, dtype=values.dtype)] = np.nan
    return values


def read_oco2_lite_file(path: str | PathLike[str]) -> pd.DataFrame:
    """Read the soundings of one OCO-2 L2 Lite NetCDF4 file.

    Returns:
        DataFrame with :data:`OCO2_COLUMNS`: sounding_id int64, time datetime64[ns, UTC]
        (from seconds since 1970-01-01, rounded to the millisecond), latitude and
        longitude float32 degrees, xco2 and xco2_uncertainty float32 ppm (fill values
        as NaN), xco2_quality_flag int8 (0 = good). ``df.attrs["source_file"]`` is the
        path. A file with no soundings gives an empty frame.

    Raises:
        InputNotFoundError: no such file.
        FormatError: not NetCDF4/HDF5 or truncated; no ``sounding_id`` dimension; a
            missing variable (named) or one on other dimensions; time units other than
            seconds since 1970-01-01; latitude or longitude out of range.
    """
    p = Path(path)
    if not p.exists():
        raise InputNotFoundError(f"{p}: OCO-2 Lite file not found; check the path")
    try:
        with xr.open_dataset(p, engine="h5netcdf", decode_times=False, mask_and_scale=False) as ds:
            if DIM not in ds.dims:
                raise _fail(p, f"has no {DIM!r} dimension (dimensions: {', '.join(ds.dims)})")
            cols = {name: _column(ds, name, p) for name in _VARIABLES}
            time_units = str(ds.variables["time"].attrs.get("units", TIME_UNITS))
    except PaiiError:
        raise
    except (OSError, ValueError, RuntimeError, KeyError) as e:
        raise _fail(p, f"is not a readable NetCDF4 file, or it is truncated ({e})") from e
    if not time_units.startswith("seconds since 1970-01-01"):
        raise _fail(p, f"time units are {time_units!r}, not {TIME_UNITS!r}")
    lat, lon = cols["latitude"], cols["longitude"]
    if np.any(np.abs(lat[np.isfinite(lat)]) > 90) or np.any(np.abs(lon[np.isfinite(lon)]) > 180):
        raise _fail(p, "has latitude beyond +-90 or longitude beyond +-180 degrees")

    ms = np.rint(cols["time"].astype(np.float64) * 1000.0).astype(np.int64)
    df = pd.DataFrame(
        {
            "sounding_id": cols["sounding_id"].astype(np.int64),
            "time": pd.to_datetime(ms, unit="ms", utc=True).astype("datetime64[ns, UTC]"),
            "latitude": lat.astype(np.float32),
            "longitude": lon.astype(np.float32),
            "xco2": cols["xco2"].astype(np.float32),
            "xco2_uncertainty": cols["xco2_uncertainty"].astype(np.float32),
            "xco2_quality_flag": cols["xco2_quality_flag"].astype(np.int8),
        },
        columns=list(OCO2_COLUMNS),
    )
    df.attrs["source_file"] = str(p)
    return df


def iter_oco2_lite(
    paths: str | PathLike[str] | Iterable[str | PathLike[str]],
    *,
    on_error: Literal["raise", "skip"] = "raise",
    errors: list[PaiiError] | None = None,
) -> Iterator[pd.DataFrame]:
    """Yield one DataFrame per Lite file (see :func:`read_oco2_lite_file`), in order.

    Args:
        paths: one path or many.
        on_error: ``"raise"`` stops at the first bad file; ``"skip"`` goes on.
        errors: with ``"skip"``, each skipped file's :class:`PaiiError` is appended here.

    Raises:
        ValidationError: unknown ``on_error``.
        InputNotFoundError, FormatError: a bad file, when ``on_error="raise"``.
    """
    if on_error not in ("raise", "skip"):
        raise ValidationError(f"on_error {on_error!r} is unknown; use 'raise' or 'skip'")
    items = [paths] if isinstance(paths, str | PathLike) else list(paths)
    for path in items:
        try:
            df = read_oco2_lite_file(path)
        except PaiiError as e:
            if on_error == "raise":
                raise
            if errors is not None:
                errors.append(e)
            continue
        yield df


def _time_ns(values: pd.Series) -> np.ndarray:
    """Times as int64 ns since the epoch, UTC (naive times are taken as UTC)."""
    t = pd.to_datetime(values)
    if t.dt.tz is not None:
        t = t.dt.tz_convert("UTC").dt.tz_localize(None)
    return t.astype("datetime64[ns]").to_numpy().view(np.int64)


def write_oco2_lite(
    path: str | PathLike[str],
    df: pd.DataFrame,
    *,
    attrs: Mapping[str, object] | None = None,
) -> Path:
    """Write soundings in the OCO-2 L2 Lite NetCDF4 layout, atomically.

    Variables on dimension ``sounding_id``: sounding_id (int64), latitude, longitude
    (float32 degrees), time (float64 seconds since 1970-01-01), xco2, xco2_uncertainty
    (float32 ppm, NaN written as the fill value -999999), xco2_quality_flag (int8), and
    date (int16, ``(sounding_id, epoch_dimension=7)``: year .. millisecond), gzip level
    4, CF attributes (units, long_name, _FillValue).

    Args:
        path: output ``.nc4``; Lite names look like ``oco2_LtCO2_190601_B11014Ar_<stamp>.nc4``.
        df: columns :data:`OCO2_COLUMNS`; time as datetime (naive = UTC).
        attrs: extra global attributes.

    Returns:
        The output path.

    Raises:
        ValidationError: missing columns, NaN in sounding_id, time or quality flag.
    """
    missing = [c for c in OCO2_COLUMNS if c not in df.columns]
    if missing:
        raise ValidationError(
            f"df lacks columns {', '.join(missing)}; "
            f"write_oco2_lite needs {', '.join(OCO2_COLUMNS)}"
        )
    for c in ("sounding_id", "time", "xco2_quality_flag"):
        if df[c].isna().any():
            raise ValidationError(f"column {c!r} has missing values; every sounding needs one")
    n = len(df)
    ns = _time_ns(df["time"])
    stamp = pd.to_datetime(ns, unit="ns")
    date = np.column_stack(
        [
            stamp.year,
            stamp.month,
            stamp.day,
            stamp.hour,
            stamp.minute,
            stamp.second,
            stamp.microsecond // 1000,
        ]
    ).astype(np.int16)
    data = {
        "sounding_id": df["sounding_id"].to_numpy(np.int64),
        "latitude": df["latitude"].to_numpy(np.float32),
        "longitude": df["longitude"].to_numpy(np.float32),
        "time": ns.astype(np.float64) / 1e9,
        "xco2": df["xco2"].to_numpy(np.float32),
        "xco2_uncertainty": df["xco2_uncertainty"].to_numpy(np.float32),
        "xco2_quality_flag": df["xco2_quality_flag"].to_numpy(np.int8),
    }
    compress = {"compression": "gzip", "compression_opts": 4} if n else {}
    global_attrs = {
        "Conventions": "CF-1.6",
        "title": "OCO-2 L2 Lite XCO2 soundings",
        "product_format": "OCO-2 Lite v11 layout",
    }
    global_attrs.update({str(k): v for k, v in (attrs or {}).items()})

    target = Path(path)
    with atomic_path(target) as tmp:
        with h5netcdf.File(tmp, "w") as f:
            f.dimensions = {DIM: n, EPOCH_DIM: 7}
            for name, (dtype, var_attrs) in _VARIABLES.items():
                values = data[name]
                fill = FILL_VALUE if np.dtype(dtype).kind == "f" and name != "time" else None
                if fill is not None:
                    values = np.where(np.isnan(values), fill, values).astype(dtype)
                var = f.create_variable(
                    name, (DIM,), dtype, data=values, fillvalue=fill, **compress
                )
                for k, v in var_attrs.items():
                    var.attrs[k] = v
                if fill is not None:
                    var.attrs["missing_value"] = fill
            var = f.create_variable("date", (DIM, EPOCH_DIM), "int16", data=date, **compress)
            for k, v in _DATE_ATTRS.items():
                var.attrs[k] = v
            for k, v in global_attrs.items():
                f.attrs[k] = v
    return target
