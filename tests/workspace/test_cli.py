"""`paii region add` / `paii region list` on a fresh store."""

from __future__ import annotations

from paii_core import store
from paii_core.cli import main


def test_region_add_and_list(tmp_path, alabama_file, capsys):
    db = tmp_path / "paii.duckdb"
    args = ["region", "add", "alabama", "--counties", str(alabama_file), "--country", "US"]
    args += ["--yield-unit", "bu/acre", "--crops", "Corn, cotton", "--db", str(db)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "Added region alabama (Alabama, US): 67 counties" in out and "EPSG:32616" in out
    assert main(["region", "list", "--db", str(db)]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[1].split("\t") == ["alabama", "Alabama", "US", "67", "bu/acre", "-"]
    con = store.connect(db, read_only=True)
    try:
        assert con.execute("SELECT yield_crops FROM regions").fetchone()[0] == ["corn", "cotton"]
        action = con.execute("SELECT action, entity_id FROM audit").fetchone()
    finally:
        con.close()
    assert action == ("region add", "alabama")
    assert main(args) == 2
    assert "region 'alabama' already exists" in capsys.readouterr().err


def test_region_list_on_an_empty_store(tmp_path, capsys):
    db = tmp_path / "paii.duckdb"
    store.connect(db).close()
    assert main(["region", "list", "--db", str(db)]) == 0
    assert "No region yet: add one with `paii region add" in capsys.readouterr().out


def test_region_add_errors_name_the_command_options(tmp_path, capsys):
    """The boundary reader's fixes name its keywords (id_column=, source_crs=); the command
    names its own options instead."""
    import geopandas as gpd
    from shapely.geometry import box

    db = tmp_path / "new" / "paii.duckdb"  # a data folder that does not exist yet
    frame = gpd.GeoDataFrame({"nuts": ["SI061"]}, geometry=[box(14.3, 45.7, 14.8, 46.1)])
    frame.set_crs(4326).to_file(tmp_path / "si.geojson")
    frame.to_file(tmp_path / "si.shp")
    (tmp_path / "si.prj").unlink(missing_ok=True)  # a shapefile without its .prj
    base = ["region", "add", "si", "--country", "SI", "--yield-unit", "t/ha", "--db", str(db)]
    assert main([*base, "--counties", str(tmp_path / "si.geojson")]) == 2
    assert "Fix: pass --id-column naming the counties' code column" in capsys.readouterr().err
    frame.assign(nuts=["SI 061"]).set_crs(4326).to_file(tmp_path / "bad.geojson")
    assert main([*base, "--counties", str(tmp_path / "bad.geojson"), "--id-column", "nuts"]) == 2
    err = capsys.readouterr().err
    assert "has 'SI 061' in row 0, not a county code (letters, digits" in err
    assert "Fix: pick the column of the counties' codes with --id-column" in err
    assert main([*base, "--counties", str(tmp_path / "si.shp"), "--id-column", "x"]) == 2
    assert "Fix: add the .prj file or pass --source-crs 'EPSG:4326'" in capsys.readouterr().err
    assert main([*base, "--counties", str(tmp_path / "si.geojson"), "--id-column", "x"]) == 2
    assert "--id-column 'x' is not a column; columns are nuts" in capsys.readouterr().err
    assert main([*base, "--counties", str(tmp_path / "si.shp"), "--source-crs", "EPSG:0"]) == 2
    assert "--source-crs 'EPSG:0' is not a CRS" in capsys.readouterr().err


def test_region_name_defaults_to_the_one_state_of_its_counties(tmp_path, capsys):
    """`paii region add nd` of North Dakota's counties was named 'Nd' on every page."""
    import geopandas as gpd

    from paii_core.config import paths

    us = gpd.read_parquet(paths().root / "data/boundaries/us_counties_all.parquet")
    us[us["state"] == "North Dakota"].to_file(tmp_path / "nd.gpkg")
    db = ["--db", str(tmp_path / "paii.duckdb"), "--country", "US", "--yield-unit", "bu/acre"]
    assert main(["region", "add", "nd", "--counties", str(tmp_path / "nd.gpkg"), *db]) == 0
    assert "Added region nd (North Dakota, US): 53 counties" in capsys.readouterr().out
    sd = us[us["state"] == "South Dakota"].drop(columns="state")  # no state column: the id
    sd.to_file(tmp_path / "sd.gpkg")
    assert main(["region", "add", "sd-west", "--counties", str(tmp_path / "sd.gpkg"), *db]) == 0
    assert "Added region sd-west (Sd West, US)" in capsys.readouterr().out
