"""Store side of `paii area add`: the county under an area, and its rows written at once."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pandas as pd
import shapely
from rasterio.warp import transform_bounds

from paii_core.errors import StoreError, ValidationError
from paii_core.io.s2_scene import Grid

__all__ = ["area_county", "register_area"]


def area_county(
    con: duckdb.DuckDBPyConnection, region_id: str, centre: shapely.Point, county_id: str | None
) -> str:
    """The county of ``region_id`` that holds ``centre`` (lon/lat), or ``county_id`` checked.

    Raises:
        ValidationError: unknown region, unknown county, or no county under the centre.
    """
    known = [r[0] for r in con.execute("SELECT region_id FROM regions ORDER BY 1").fetchall()]
    if region_id not in known:
        raise ValidationError(
            f"region {region_id!r} is not in the store (it has: {', '.join(known) or 'none'}); "
            "add it first with `paii region add`"
        )
    rows = con.execute(
        "SELECT county_id, geometry_wkb FROM counties WHERE region_id = ?", [region_id]
    ).fetchall()
    if county_id is not None:
        if county_id not in {r[0] for r in rows}:
            raise ValidationError(f"--county {county_id!r} is not a county of region {region_id!r}")
        return county_id
    for cid, wkb in rows:
        if shapely.from_wkb(bytes(wkb)).covers(centre):
            return str(cid)
    raise ValidationError(
        f"the area's centre ({centre.x:.4f}, {centre.y:.4f}) lies in no county of region "
        f"{region_id!r}; check --bbox and --region, or name the county with --county"
    )


def register_area(
    con: duckdb.DuckDBPyConnection,
    *,
    aoi_id: str,
    region_id: str,
    county_id: str,
    grid: Grid,
    footprint: shapely.Polygon,
    products: Sequence[dict],
    replace: bool,
) -> None:
    """Write the area row and its input files (products) in one transaction; with
    ``replace`` the area's previous rows go in the same transaction."""
    west, south, east, north = footprint.bounds
    aoi = {
        "aoi_id": aoi_id,
        "region_id": region_id,
        "county_id": county_id,
        "crs": grid.crs.to_string(),
        "pixel_size_m": grid.pixel_size,
        "width": grid.width,
        "height": grid.height,
        "west": west,
        "south": south,
        "east": east,
        "north": north,
    }
    frame = pd.DataFrame(list(products)).assign(
        created_at=pd.Timestamp.now("UTC").tz_localize(None)
    )
    frame["acquired"] = pd.to_datetime(frame["acquired"]).dt.date
    try:
        con.execute("BEGIN TRANSACTION")
        if replace:
            con.execute("DELETE FROM products WHERE aoi_id = ?", [aoi_id])
            con.execute("DELETE FROM aois WHERE aoi_id = ?", [aoi_id])
        con.register("_paii_area", pd.DataFrame([aoi]))
        con.register("_paii_files", frame)
        cols = ", ".join(f'"{c}"' for c in aoi)
        con.execute(f"INSERT INTO aois ({cols}) SELECT {cols} FROM _paii_area")
        cols = ", ".join(f'"{c}"' for c in frame.columns)
        con.execute(f"INSERT INTO products ({cols}) SELECT {cols} FROM _paii_files")
        con.execute("COMMIT")
    except duckdb.Error as e:
        con.execute("ROLLBACK")
        raise StoreError(f"registering area {aoi_id!r} failed, nothing changed: {e}") from e
    finally:
        for name in ("_paii_area", "_paii_files"):
            try:
                con.unregister(name)
            except duckdb.Error:
                pass


def grid_bounds(grid: Grid) -> tuple[float, float, float, float]:
    """Lon/lat bounds of a grid."""
    x0, y0 = grid.transform.c, grid.transform.f + grid.transform.e * grid.height
    x1, y1 = x0 + grid.transform.a * grid.width, grid.transform.f
    return transform_bounds(grid.crs, "EPSG:4326", x0, y0, x1, y1)
