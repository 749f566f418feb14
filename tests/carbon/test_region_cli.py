"""`paii carbon aggregate --region` and `paii carbon run --region --soundings` on stored regions."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from paii_core import store
from paii_core.carbon.pipeline import run_carbon
from paii_core.cli import main
from paii_core.errors import ValidationError


@pytest.fixture()
def db(tiny_world, tmp_path):
    for name in ("paii.duckdb", "paii.duckdb.wal"):
        if (tiny_world / name).exists():
            shutil.copy(tiny_world / name, tmp_path / name)
    # Other tests (the Carbon page's) store XCO2 in the shared tiny world: start without.
    con = store.connect(tmp_path / "paii.duckdb")
    con.execute("DELETE FROM xco2_county")
    con.close()
    return tmp_path / "paii.duckdb"


def test_aggregate_onto_a_stored_regions_counties(tiny_world, db, tmp_path, capsys):
    out = tmp_path / "hubei.parquet"
    oco2 = str(tiny_world / "demo" / "oco2")
    args = ["carbon", "aggregate", oco2, "--region", "hubei", "--db", str(db), "--out", str(out)]
    assert main(args) == 0
    table = pd.read_parquet(out)
    con = store.connect(db, read_only=True)
    hubei = {r[0] for r in con.execute("SELECT county_id FROM counties WHERE region_id = 'hubei'")
             .fetchall()}  # fmt: skip
    con.close()
    assert len(table) and set(table["county_id"]) <= hubei
    assert (table["data_note"] == "OCO-2 L2 Lite").all()
    both = ["carbon", "aggregate", oco2, "--region", "hubei", "--boundaries", oco2, "--out", "x"]
    assert main(both) == 2
    assert "pass --region" in capsys.readouterr().err
    bad = ["carbon", "aggregate", oco2, "--region", "kansas", "--db", str(db), "--out", "k.parquet"]
    assert main(bad) == 2
    assert "region 'kansas' is not in the store" in capsys.readouterr().err


def test_aggregate_of_only_bad_files_writes_nothing(tiny_world, db, tmp_path, capsys):
    """Every file unreadable: refused (exit 2) and no empty Parquet written; each bad
    file named once (it was 'wrote X: 0 county-periods', exit 0, warnings twice)."""
    bad = [tmp_path / "a.nc4", tmp_path / "b.nc4"]
    for p in bad:
        p.write_bytes(b"\xff\xd8 not netcdf")
    out = tmp_path / "x.parquet"
    args = ["carbon", "aggregate", *map(str, bad), "--region", "hubei", "--db", str(db)]
    assert main([*args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "also unreadable: " in err and f"{bad[1]}: is not a readable NetCDF4" in err
    assert f"paii: error: {bad[0]}: is not a readable NetCDF4 file" in err
    assert err.count("a.nc4") == 1 and not out.exists()


def test_run_for_one_region_stores_it_and_leaves_the_others(tiny_world, db, capsys):
    oco2 = str(tiny_world / "demo" / "oco2")
    args = ["carbon", "run", "--region", "hubei", "--soundings", oco2, "--db", str(db)]
    assert main(args) == 0
    assert "county-periods of hubei from 12 files" in capsys.readouterr().out
    con = store.connect(db)
    try:
        rows = con.execute(
            "SELECT region_id, count(*), bool_or(simulated) FROM xco2_county GROUP BY 1"
        ).fetchall()
        assert [r[0] for r in rows] == ["hubei"] and rows[0][1] > 0
        assert rows[0][2] is False  # --soundings are a user's observations unless marked
        run_carbon(con, [tiny_world / "demo" / "oco2"], simulated=True, region_id="iowa")
        regions = {
            r[0] for r in con.execute("SELECT DISTINCT region_id FROM xco2_county").fetchall()
        }
        assert regions == {"hubei", "iowa"}
        with pytest.raises(ValidationError, match="region 'kansas' has no counties in the store"):
            run_carbon(con, [tiny_world / "demo" / "oco2"], simulated=True, region_id="kansas")
    finally:
        con.close()


def test_report_of_a_month_without_xco2_is_refused(tiny_world, db, tmp_path, capsys):
    """A month without stored XCO2 wrote an empty PDF; a month 13 was a traceback."""
    out = tmp_path / "r.pdf"
    base = ["carbon", "report", "--region", "hubei", "--db", str(db), "--out", str(out)]
    assert main([*base, "--period", "2019-06"]) == 2  # the fixture starts without XCO2
    assert ("no XCO2 of region 'hubei' is stored for 2019-06; store it first: `paii carbon "
            "run --region hubei --soundings DIR`") in capsys.readouterr().err  # fmt: skip
    with pytest.raises(SystemExit):
        main([*base, "--period", "2019-13"])
    assert "--period '2019-13': use a month as YYYY-MM" in capsys.readouterr().err
    assert not out.exists()


def test_a_region_no_sounding_covers_is_reported_not_a_crash(tiny_world, db, capsys):
    """Real Kansas counties, soundings only over the demo's regions: `paii carbon run
    --region` crashed (AttributeError in the empty table's dates); now nothing is stored
    for the region and the command says so. The other regions' runs are unchanged."""
    import geopandas as gpd

    from paii_core import workspace
    from tests.conftest import REPO

    counties = gpd.read_parquet(REPO / "data" / "boundaries" / "us_counties_all.parquet")
    path = db.parent / "ks.geojson"
    counties[counties["county_id"].isin(["20045", "20059", "20121"])].to_file(path)
    con = store.connect(db)
    workspace.add_region(con, "kc", path, country="US", yield_unit="bu/acre")
    con.close()
    oco2 = str(tiny_world / "demo" / "oco2")
    assert main(["carbon", "run", "--region", "kc", "--soundings", oco2, "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "stored 0 county-periods of kc" in out
    assert "region kc: no sounding of these files falls in or near its counties" in out
    con = store.connect(db)
    run = run_carbon(con, [oco2], simulated=True)  # every region: kc gets no all-empty rows
    n_kc = con.execute("SELECT count(*) FROM xco2_county WHERE region_id = 'kc'").fetchone()[0]
    con.close()
    assert run.uncovered() == ["kc"] and n_kc == 0 and run.rows["iowa"] > 0
