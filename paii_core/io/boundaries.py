"""County boundaries (GeoJSON, shapefile, GeoPackage, GeoParquet) and the GCJ-02 datum shift."""

from __future__ import annotations

from os import PathLike
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj import CRS
from pyproj.exceptions import CRSError

from paii_core.errors import FormatError, InputNotFoundError, ValidationError
from paii_core.io._atomic import check_readable
from paii_core.io.vectors import read_one_layer
from paii_core.text import count

__all__ = [
    "GCJ02",
    "ID_CANDIDATES",
    "NAME_CANDIDATES",
    "gcj02_to_wgs84",
    "read_boundaries",
    "wgs84_to_gcj02",
]

GCJ02 = "GCJ-02"
"""Name accepted by ``source_crs`` for coordinates in China's obfuscated GCJ-02 datum."""

ID_CANDIDATES: tuple[str, ...] = (
    "county_id",
    "geoid",
    "GEOID",
    "FIPS",
    "fips",
    "GEOID10",
    "GEOID20",
    "adcode",
    "ADCODE",
    "NUTS_ID",
    "ADM3_PCODE",
    "ADM2_PCODE",
    "ADM1_PCODE",
    "GID_3",
    "GID_2",
    "GID_1",
    "shapeID",
)
"""Columns tried, in order, when ``id_column`` is not given: US Census (GEOID, FIPS),
Chinese adcodes, Eurostat NUTS, OCHA common operational datasets (P-codes), GADM and
geoBoundaries ids."""

NAME_CANDIDATES: tuple[str, ...] = (
    "name",
    "NAME",
    "Name",
    "NAMELSAD",
    "county",
    "County",
    "NAME_LATN",
    "NUTS_NAME",
    "ADM3_EN",
    "ADM2_EN",
    "ADM1_EN",
    "NAME_3",
    "NAME_2",
    "NAME_1",
    "shapeName",
)
_CODE = r"[A-Za-z0-9][A-Za-z0-9._\-]{0,39}"
"""A county id that is not a FIPS code or adcode: a code as its source writes it (NUTS
'SI061', P-code 'NG001001', GADM 'NGA.1.1_1', a 7-digit IBGE code)."""

# Krasovsky 1940 ellipsoid, the one the published GCJ-02 offset is defined on.
_A = 6378245.0
_EE = 0.00669342162296594323
# Outside this box the published algorithm leaves coordinates unshifted.
_CHINA_BOX = (72.004, 0.8293, 137.8347, 55.8271)
_INVERSE_TOL_DEG = 1e-9
_INVERSE_MAX_ITER = 50


def _transform_lat(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    """Latitude series of the GCJ-02 offset, in metres-like units, at x = lon-105, y = lat-35."""
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    """Longitude series of the GCJ-02 offset at x = lon-105, y = lat-35."""
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def _gcj02_offset(
    lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(dlon, dlat) in degrees that GCJ-02 adds to a WGS84 point; zero outside China's box."""
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = np.deg2rad(lat)
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrt_magic = np.sqrt(magic)
    # Offsets in metres turned into degrees with the Krasovsky meridian and parallel radii.
    dlat = dlat * 180.0 / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = dlon * 180.0 / (_A / sqrt_magic * np.cos(radlat) * np.pi)
    x0, y0, x1, y1 = _CHINA_BOX
    inside = (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def _as_float_arrays(
    lon: ArrayLike, lat: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    lon_a = np.asarray(lon, dtype=np.float64)
    lat_a = np.asarray(lat, dtype=np.float64)
    if lon_a.shape != lat_a.shape:
        raise ValidationError(
            f"lon and lat should have the same shape, got {lon_a.shape} and {lat_a.shape}"
        )
    return lon_a, lat_a


def wgs84_to_gcj02(
    lon: ArrayLike, lat: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Shift WGS84 degrees to GCJ-02 degrees with the published forward offset.

    The offset is the widely published GCJ-02 algorithm (for example in the MIT-licensed
    eviltransform and coordTransform projects): two trigonometric series in
    ``(lon - 105, lat - 35)`` scaled to degrees on the Krasovsky 1940 ellipsoid
    (a = 6378245.0 m, e^2 = 0.00669342162296594323). Points outside China's bounding
    box (lon 72.004..137.8347, lat 0.8293..55.8271) are returned unchanged.

    Args:
        lon, lat: degrees, any matching shape.

    Returns:
        ``(lon, lat)`` float64 arrays of the input shape.

    Raises:
        ValidationError: lon and lat have different shapes.
    """
    lon_a, lat_a = _as_float_arrays(lon, lat)
    dlon, dlat = _gcj02_offset(lon_a, lat_a)
    return lon_a + dlon, lat_a + dlat


def gcj02_to_wgs84(
    lon: ArrayLike, lat: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Invert :func:`wgs84_to_gcj02` by fixed-point iteration.

    GCJ-02 has no closed-form inverse. Starting at ``w = g`` the iteration
    ``w <- w - (forward(w) - g)`` converges because the offset changes by far less than
    a metre per metre; it stops when every residual is below 1e-9 degrees (well under
    the 1e-7 degrees, about 1 cm, promised).

    Args:
        lon, lat: GCJ-02 degrees, any matching shape.

    Returns:
        ``(lon, lat)`` WGS84 float64 arrays of the input shape.

    Raises:
        ValidationError: lon and lat have different shapes.
    """
    g_lon, g_lat = _as_float_arrays(lon, lat)
    w_lon, w_lat = g_lon.copy(), g_lat.copy()
    for _ in range(_INVERSE_MAX_ITER):
        f_lon, f_lat = wgs84_to_gcj02(w_lon, w_lat)
        r_lon, r_lat = f_lon - g_lon, f_lat - g_lat
        w_lon -= r_lon
        w_lat -= r_lat
        if w_lon.size == 0 or max(np.nanmax(np.abs(r_lon)), np.nanmax(np.abs(r_lat))) < (
            _INVERSE_TOL_DEG
        ):
            break
    return w_lon, w_lat


def _gcj02_to_wgs84_xy(coords: NDArray[np.float64]) -> NDArray[np.float64]:
    lon, lat = gcj02_to_wgs84(coords[:, 0], coords[:, 1])
    return np.column_stack([lon, lat])


def _resolve_crs(source_crs: str) -> CRS:
    try:
        return CRS.from_user_input(source_crs)
    except CRSError as e:
        raise ValidationError(
            f"source_crs {source_crs!r} is not a CRS ({e}); use an EPSG code such as "
            f"'EPSG:4326' or {GCJ02!r}"
        ) from None


def _check_crs_fits(
    gdf: gpd.GeoDataFrame,
    where: str | None,
    *,
    source_crs: str | None = None,
    declared: CRS | None = None,
) -> None:
    """Refuse coordinates that cannot be in the CRS the file declares, or that
    ``source_crs`` gave them (``declared``: the file's own CRS then): degrees labelled
    with a projected CRS (every county would shrink to a speck near 0°N after
    reprojection) or metres labelled as degrees (off the globe)."""
    west, south, east, north = gdf.total_bounds
    in_degrees = -180 <= west and east <= 180 and -90 <= south and north <= 90
    crs = gdf.crs
    name = crs.to_string()
    if source_crs is None:
        as_read, undo = "declares {} ({})", ""
    else:  # the option set the CRS, not the file
        own = f"the file declares {declared.to_string()}" if declared else "the file has no CRS"
        as_read = f"was read as {{}} ({{}}), as source_crs={source_crs!r} asks ({own}),"
        undo = (
            f"leave source_crs out to read it as the {declared.to_string()} it declares, or "
            if declared and declared != crs
            else ""
        )
    fix_file = "" if source_crs else ", or fix the file's CRS"
    if crs.is_projected and in_degrees and max(east - west, north - south) < 360:
        raise FormatError(
            where,
            f"{as_read.format(name, 'metres')} but its coordinates ({west:.3f}, {south:.3f}) "
            f".. ({east:.3f}, {north:.3f}) look like longitude/latitude in degrees: read as "
            "metres, every county would be a few square metres near 0°N",
            f"{undo}pass source_crs='EPSG:4326'{fix_file}",
        )
    if crs.is_geographic and not in_degrees:
        raise FormatError(
            where,
            f"{as_read.format(name, 'degrees')} but its coordinates ({west:.0f}, {south:.0f}) "
            f".. ({east:.0f}, {north:.0f}) are beyond ±180° longitude / ±90° latitude "
            "(projected metres?)",
            f"{undo}pass source_crs='EPSG:32615' (a UTM zone: the coordinates' own projected "
            f"CRS){fix_file}",
        )


VECTOR_SUFFIXES = (".shp", ".gpkg", ".geojson", ".json", ".parquet", ".geoparquet", ".zip")
"""Names of the boundary files a folder passed instead of one is searched for."""


def _load(path: str | PathLike[str]) -> gpd.GeoDataFrame:
    p = Path(path)
    if not p.exists():
        raise InputNotFoundError(f"{p}: boundary file not found; check the path")
    fix = "pass a GeoJSON, shapefile (.shp with .shx, .dbf, .prj), GeoPackage or GeoParquet"
    if p.is_dir():  # GDAL reads a folder as its shapefiles, and named the wrong problem
        found = sorted(f.name for f in p.iterdir() if f.suffix.lower() in VECTOR_SUFFIXES)
        inside = f": {', '.join(found[:5])}{' ...' if len(found) > 5 else ''}" if found else ""
        raise FormatError(
            p,
            f"is a folder, not a boundary file ({count(len(found), 'vector file')} in it{inside})",
            f"{fix} file itself" + (f", e.g. {p / found[0]}" if found else ""),
        )
    check_readable(p)
    try:
        if p.suffix.lower() in (".parquet", ".geoparquet"):
            gdf = gpd.read_parquet(p)
        else:
            gdf = read_one_layer(p, "the counties", "counties.gpkg")
    except FormatError:
        raise
    except Exception as e:  # pyogrio / pyarrow raise several unrelated types for bad files
        raise FormatError(
            p, f"cannot be read as a vector file ({type(e).__name__}: {e})", fix
        ) from e
    # GDAL reads a CSV (or a GeoPackage's attribute table) as a table without geometry.
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise FormatError(
            p,
            f"holds a table without geometry (columns {', '.join(map(str, gdf.columns))}), "
            "not county polygons",
            f"{fix} of the counties; a CSV with WKT polygons converts with `ogr2ogr -f "
            "GeoJSON out.geojson in.csv -oo GEOM_POSSIBLE_NAMES=geometry -a_srs EPSG:4326`",
        )
    return gdf


def _pad_ids(values: pd.Series, column: str, where: str | None) -> pd.Series:
    def norm(v: object) -> str:
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        return str(v).strip()

    missing = values.isna()
    if missing.any():
        row = int(np.flatnonzero(missing.to_numpy())[0])
        raise FormatError(
            where, f"id column {column!r} is empty in row {row}", "give every county an id"
        )
    text = values.map(norm)
    if text.str.fullmatch(r"\d{1,6}").all():
        # FIPS codes lose their leading zero when stored as numbers; adcodes never start
        # with 0.
        width = 6 if column.lower() == "adcode" or (text.str.len() == 6).all() else 5
        padded = text.str.zfill(width)
    else:  # other codes are kept as their source writes them
        bad = ~text.str.fullmatch(_CODE)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise FormatError(
                where,
                f"id column {column!r} has {text.iloc[row]!r} in row {row}, not a county "
                "code (letters, digits, '.', '_' or '-', at most 40)",
                "pick the column of the counties' codes with id_column= (FIPS, adcode, "
                "NUTS_ID, a P-code, GID_2...)",
            )
        padded = text
    dup = padded.duplicated()
    if dup.any():
        raise FormatError(
            where,
            f"id column {column!r} repeats {padded[dup].iloc[0]!r}",
            "dissolve parts of one county into one row (GeoDataFrame.dissolve) first",
        )
    return padded


def read_boundaries(
    path: str | PathLike[str] | gpd.GeoDataFrame,
    *,
    id_column: str | None = None,
    source_crs: str | None = None,
) -> gpd.GeoDataFrame:
    """Read county polygons with a zero-padded ``county_id`` and geometry in EPSG:4326.

    Args:
        path: a GeoJSON / shapefile / GeoPackage / GeoParquet (``.parquet``) path, or a
            GeoDataFrame.
        id_column: column holding the county id; default the first of
            :data:`ID_CANDIDATES` present. Numeric ids of up to 6 digits are US FIPS
            codes (padded to 5 digits) or Chinese adcodes (kept at 6); other codes (NUTS,
            P-codes, GADM ids, longer numeric codes) are kept as written.
        source_crs: CRS of the coordinates when the file has none or declares the wrong
            one; ``"GCJ-02"`` means longitude/latitude in China's GCJ-02 datum, converted
            to WGS84 with :func:`gcj02_to_wgs84`.

    Returns:
        GeoDataFrame with ``county_id`` (str), ``name`` (str) first, then the original
        columns, and the geometry in EPSG:4326.

    Raises:
        InputNotFoundError: the file does not exist.
        FormatError: unreadable file, no CRS (shapefile without .prj) and no
            ``source_crs``, no id column, empty, repeated or malformed ids, no rows.
        ValidationError: ``source_crs`` is not a CRS.
    """
    if isinstance(path, gpd.GeoDataFrame):
        where = None
        gdf = path.copy()
    else:
        where = str(path)
        gdf = _load(path)
    if len(gdf) == 0:
        raise FormatError(where, "has no features", "pass a file with at least one county")

    declared = gdf.crs
    if source_crs is not None and source_crs.upper().replace("_", "-") == GCJ02:
        gdf = gdf.set_crs("EPSG:4326", allow_override=True)
        gdf = gdf.set_geometry(shapely.transform(gdf.geometry.values, _gcj02_to_wgs84_xy))
    elif source_crs is not None:
        gdf = gdf.set_crs(_resolve_crs(source_crs), allow_override=True)
    elif gdf.crs is None:
        raise FormatError(
            where,
            "has no CRS (a shapefile without its .prj, or a GeoDataFrame without .crs)",
            "add the .prj file or pass source_crs='EPSG:4326' (or the right code)",
        )
    _check_crs_fits(gdf, where, source_crs=source_crs, declared=declared)
    gdf = gdf.to_crs("EPSG:4326")

    if id_column is None:
        found = [c for c in ID_CANDIDATES if c in gdf.columns]
        if not found:
            raise FormatError(
                where,
                f"no county id column among {', '.join(ID_CANDIDATES)}; columns are "
                f"{', '.join(map(str, gdf.columns))}",
                "pass id_column= naming the counties' code column",
            )
        id_column = found[0]
    elif id_column not in gdf.columns:
        raise FormatError(
            where,
            f"id_column {id_column!r} is not a column; columns are "
            f"{', '.join(map(str, gdf.columns))}",
            "pass one of the listed columns as id_column=",
        )
    ids = _pad_ids(gdf[id_column], id_column, where)
    name_col = next((c for c in NAME_CANDIDATES if c in gdf.columns), None)
    names = ids if name_col is None else gdf[name_col].astype("str")

    geom_name = gdf.geometry.name
    data = {"county_id": ids.to_numpy(), "name": names.to_numpy()}
    data.update(
        {c: gdf[c].to_numpy() for c in gdf.columns if c not in ("county_id", "name", geom_name)}
    )
    out = gpd.GeoDataFrame(data, geometry=gdf.geometry.values, crs="EPSG:4326")
    if geom_name != "geometry":
        out = out.rename_geometry(geom_name)
    return out.reset_index(drop=True)
