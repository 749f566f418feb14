"""Store side of `paii area add`: the county under an area, and its rows written at once."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pandas as pd
import shapely
from rasterio.warp import transform_bounds

from paii_core.errors import StoreError, ValidationError
from paii_core.io.s2_scene import Grid
from paii_core.store import workspace as ws_store
from paii_core.workspace.areas import area_facts, county_under

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
    counties = ws_store.county_frame(con, region_id)
    if county_id is not None:
        if county_id not in set(counties["county_id"]):
            raise ValidationError(f"--county {county_id!r} is not a county of region {region_id!r}")
        return county_id
    found = county_under(counties, centre)
    if found is not None:
        return found
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
    warnings: Sequence[str] = (),
    source: str = "paii area add",
) -> None:
    """Write the area row (the workspace's ``areas`` table: grid, sensors, dates, folder,
    readers' warnings) and its input files (products) in one transaction; with
    ``replace`` the area's previous rows go in the same transaction."""
    west, south, east, north = footprint.bounds
    frame = pd.DataFrame(list(products)).assign(region_id=region_id)
    frame["acquired"] = pd.to_datetime(frame["acquired"]).dt.date
    area = {
        **area_facts(frame),
        "aoi_id": aoi_id,
        "region_id": region_id,
        "county_id": county_id,
        "name": aoi_id,
        "crops": [],
        "folder": f"workspace/{aoi_id}",
        "crs": grid.crs.to_string(),
        "pixel_size_m": grid.pixel_size,
        "width": grid.width,
        "height": grid.height,
        "west": west,
        "south": south,
        "east": east,
        "north": north,
        "source": source,
        "warnings": [str(w) for w in warnings],
        "simulated": bool(frame["simulated"].any()),
    }
    try:
        ws_store.insert_area(con, area, frame, replace=replace)
    except StoreError as e:
        raise StoreError(f"registering area {aoi_id!r} failed, nothing changed: {e}") from e


def grid_bounds(grid: Grid) -> tuple[float, float, float, float]:
    """Lon/lat bounds of a grid."""
    x0, y0 = grid.transform.c, grid.transform.f + grid.transform.e * grid.height
    x1, y1 = x0 + grid.transform.a * grid.width, grid.transform.f
    return transform_bounds(grid.crs, "EPSG:4326", x0, y0, x1, y1)
