"""Migration 7 keeps a version-6 store's regions and areas."""

from __future__ import annotations

import duckdb

from paii_core import store, workspace


def _v6_store(path) -> duckdb.DuckDBPyConnection:
    """A store as version 6 left it, with one region and one area (``aois``)."""
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "applied_at TIMESTAMP NOT NULL)"
    )
    for version, name, statements in store.MIGRATIONS:
        if version > 6:
            break
        for sql in statements:
            con.execute(sql)
        con.execute("INSERT INTO schema_migrations VALUES (?, ?, now())", [version, name])
    con.execute("INSERT INTO regions VALUES ('iowa', 'Iowa (US)', 'US', 32615, 'bu/acre')")
    con.execute(
        "INSERT INTO aois VALUES ('iowa-story', 'iowa', '19169', 'EPSG:32615', 10, 64, 64, "
        "-93.5, 42.0, -93.4, 42.1)"
    )
    return con


def test_v6_store_upgrades_with_its_regions_and_areas(tmp_path):
    path = tmp_path / "old.duckdb"
    con = _v6_store(path)
    con.close()
    con = store.connect(path)
    try:
        assert store.schema_version(con) >= 7
        region = workspace.get_region(con, "iowa")
        assert (region.name, region.utm_epsg, region.yield_crops) == ("Iowa (US)", 32615, ())
        area = workspace.get_area(con, "iowa-story")
        assert (area.county_id, area.width, area.sensors, area.simulated) == (
            "19169",
            64,
            (),
            False,
        )
        assert con.execute("SELECT aoi_id FROM aois").fetchall() == [("iowa-story",)]
        assert "region_id" in store.table_columns(con, "products")
    finally:
        con.close()


def test_areas_carried_from_v6_get_their_facts_back_from_products(tmp_path):
    """A version-6 demo store: after the upgrade its area says what the products say
    (simulated, sensors, dates, flood, folder) and its region is simulated, so `paii demo
    build` does not take it for a user's own data."""
    path = tmp_path / "old.duckdb"
    con = _v6_store(path)
    rows = [
        ("s2_l2a", "2020-05-01", "demo/iowa-story/s2/S2_a.tif", '{"scl": "x"}'),
        ("s2_l2a", "2020-06-01", "demo/iowa-story/s2/S2_b.tif", "{}"),
        ("s1_grd", "2020-06-03", "demo/iowa-story/s1/S1_a.tif", '{"flood_event": true}'),
        ("dem", None, "demo/iowa-story/dem/DEM.tif", "{}"),
    ]
    for kind, day, rel, details in rows:
        con.execute(
            "INSERT INTO products (product_id, kind, aoi_id, acquired, path, input_hash, "
            "model_version, simulated, created_at, details) "
            "VALUES (?, ?, 'iowa-story', ?, ?, 'h', 'demo', true, now(), ?)",
            [f"{kind}:{rel}", kind, day, rel, details],
        )
    con.close()
    con = store.connect(path)
    try:
        area = workspace.get_area(con, "iowa-story")
        assert area.simulated and area.has_flood
        assert area.sensors == ("DEM", "S1", "S2")
        assert (area.n_dates, str(area.first_date), str(area.last_date)) == (
            2,
            "2020-05-01",
            "2020-06-03",
        )
        assert area.folder == "demo/iowa-story"
        assert workspace.get_region(con, "iowa").simulated
    finally:
        con.close()
