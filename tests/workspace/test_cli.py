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
