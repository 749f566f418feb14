"""`paii crops map AOI`: an area's cropland and parcels from the command line."""

from __future__ import annotations

import shutil

from paii_core import store
from paii_core.cli import main


def test_crops_map_reports_a_stored_product_and_refuses_an_unknown_area(
    tiny_world, tmp_path, capsys
):
    """The Insurance review told a CLI user to 'open Crop labels and press ...': there
    was no command that maps an area's cropland and parcels."""
    db = tmp_path / "paii.duckdb"
    shutil.copy(tiny_world / "paii.duckdb", db)
    con = store.connect(db, read_only=True)
    aoi = con.execute("SELECT aoi_id FROM areas ORDER BY aoi_id").fetchone()[0]
    con.close()
    args = ["crops", "map", aoi, "--db", str(db), "--data", str(tiny_world), "--quiet"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{aoi}: cropland and parcels ") and "fine" in out
    assert out.rstrip().endswith("(simulated demo data)")
    assert main(["crops", "map", "nowhere", "--db", str(db), "--quiet"]) == 2
    assert "area 'nowhere' is not in the store" in capsys.readouterr().err
