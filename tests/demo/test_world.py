"""The whole demo world: real-format files, determinism, truth kept apart, atomic builds."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import rasterio
import xarray as xr

from paii_core import store
from paii_core.cli import main
from paii_core.demo import world
from paii_core.errors import ValidationError


@pytest.fixture(scope="module")
def manifest(tiny_world):
    return json.loads((tiny_world / "demo/MANIFEST.json").read_text())


def test_same_seed_gives_byte_identical_files(tmp_path):
    """Two builds in one process state. Not against the session's tiny world: a dashboard
    AppTest run since then (ui.warmup) limits the process's BLAS/OpenMP pools to one
    thread, and the county panels' features then differ in the last bits."""
    first = world.build_world(tmp_path / "a" / "demo", size="tiny", seed=7)
    again = world.build_world(tmp_path / "b" / "demo", size="tiny", seed=7)
    assert again["files"] == first["files"]


def test_other_seed_gives_another_world(tmp_path, manifest):
    other = world.build_world(tmp_path / "demo", size="tiny", seed=8)
    tables = [k for k in manifest["files"] if k.endswith(".csv")]
    assert any(other["files"][k] != manifest["files"][k] for k in tables)


def test_files_open_without_paii(tiny_world, manifest):
    demo = tiny_world / "demo"
    s2 = next(k for k in manifest["files"] if k.endswith("_L2A.tif"))
    with rasterio.open(demo / s2) as src:
        assert src.count == 4 and src.crs.is_projected and src.dtypes[0] == "uint16"
        assert src.descriptions == ("B2", "B3", "B4", "B8")
        assert src.tags()["BOA_ADD_OFFSET"] == "-1000"
    s1 = next(k for k in manifest["files"] if k.endswith("_sigma0.tif"))
    with rasterio.open(demo / s1) as src:
        vv = src.read(1)
        assert src.count == 2 and -40 < np.nanmedian(vv) < 5
    lite = next(k for k in manifest["files"] if k.endswith(".nc4"))
    with xr.open_dataset(demo / lite, engine="h5netcdf") as ds:
        assert {"xco2", "latitude", "longitude", "time", "xco2_quality_flag"} <= set(ds.variables)
    nass = pd.read_csv(demo / next(k for k in manifest["files"] if k.endswith("_nass_yield.csv")))
    assert {"Year", "State ANSI", "County ANSI", "Commodity", "Data Item", "Value"} <= set(
        nass.columns
    )


def test_truth_is_kept_apart_and_complete(manifest):
    inputs = [k for k in manifest["files"] if not k.startswith("truth/")]
    assert not any("truth" in k or "clear" in k for k in inputs)
    truth = {k for k in manifest["files"] if k.startswith("truth/")}
    for aoi in manifest["aois"]:
        tag = aoi["aoi_id"]
        for name in ("land_cover", "fine_parcels", "coarse_parcels", "crop_type"):
            assert f"truth/{tag}/{name}.tif" in truth
        assert any(k.startswith(f"truth/{tag}/hires/") for k in truth)
        assert len(aoi["s2"]) >= 12
    assert any(k.startswith("truth/hubei-jianli/flood/") for k in truth)
    assert "truth/insurance/policies_truth.csv" in truth


def test_hires_truth_is_four_times_finer_on_the_same_footprint(tiny_world, manifest):
    demo = tiny_world / "demo"
    tag = manifest["aois"][0]["aoi_id"]
    hires = next(k for k in manifest["files"] if k.startswith(f"truth/{tag}/hires/"))
    stamp = hires.split("_")[-2]
    with (
        rasterio.open(demo / hires) as hi,
        rasterio.open(demo / f"{tag}/s2/S2_{tag}_{stamp}_L2A.tif") as lo,
    ):
        assert hi.width == 4 * lo.width and hi.res[0] * 4 == pytest.approx(lo.res[0])
        assert hi.bounds == lo.bounds


def test_database_holds_the_world(tiny_world):
    con = store.connect(tiny_world / "paii.duckdb")
    counts = dict(con.execute("SELECT region_id, count(*) FROM counties GROUP BY 1").fetchall())
    assert counts["iowa"] == 99 and counts["henan"] > 150 and counts["hubei"] > 100
    kinds = dict(con.execute("SELECT kind, count(*) FROM products GROUP BY 1").fetchall())
    assert kinds["s2_l2a"] >= 3 * 12 and kinds["s1_grd"] >= 3 * 12 and kinds["oco2_lite"] > 5
    assert con.execute("SELECT count(*) FROM policies").fetchone()[0] > 0
    assert store.read_meta(con)["simulated"] == "true"
    units = dict(
        con.execute(
            "SELECT c.region_id, any_value(m.unit) FROM county_metrics m "
            "JOIN counties c USING (county_id) WHERE metric = 'yield' GROUP BY 1"
        ).fetchall()
    )
    assert units == {"henan": "kg/mu", "hubei": "t/ha", "iowa": "bu/acre"}


def test_failed_build_keeps_previous_world(tmp_path, monkeypatch):
    first = world.build_world(tmp_path / "demo", size="tiny", seed=1)
    before = (tmp_path / "demo/MANIFEST.json").read_text()

    def boom(*args, **kwargs):
        raise RuntimeError("generator crashed")

    monkeypatch.setattr(world.portfolio, "simulate_policies", boom)
    with pytest.raises(RuntimeError, match="generator crashed"):
        world.build_world(tmp_path / "demo", size="tiny", seed=2)
    assert (tmp_path / "demo/MANIFEST.json").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]
    assert first["seed"] == 1


def test_unknown_size_is_refused(tmp_path):
    with pytest.raises(ValidationError, match="size 'huge' is unknown; use one of: full, tiny"):
        world.build_world(tmp_path / "demo", size="huge")


def test_cli_builds_and_reports(tmp_path, capsys):
    assert (
        main(["demo", "build", "--size", "tiny", "--seed", "3", "--out", str(tmp_path), "--quiet"])
        == 0
    )
    out = capsys.readouterr().out
    assert "simulated" in out and (tmp_path / "paii.duckdb").exists()


def test_rebuild_refuses_to_drop_a_users_regions(tmp_path, capsys):
    from paii_core.demo.build import _refuse_to_drop_user_regions

    db = tmp_path / "paii.duckdb"
    con = store.connect(db)
    con.execute(
        "INSERT INTO regions (region_id, name, country, utm_epsg, yield_unit, simulated) "
        "VALUES ('kansas', 'Kansas', 'US', 32614, 'bu/acre', false), "
        "('iowa', 'Iowa (US)', 'US', 32615, 'bu/acre', true)"
    )
    con.close()
    args = ["demo", "build", "--size", "tiny", "--out", str(tmp_path), "--quiet"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "holds your own regions (kansas)" in err and "--replace-user-data" in err
    assert not (tmp_path / "demo").exists()  # nothing built, nothing replaced
    with pytest.raises(ValidationError, match=r"would drop them with their areas, policies"):
        _refuse_to_drop_user_regions(db)
    _refuse_to_drop_user_regions(tmp_path / "none.duckdb")  # no store yet: nothing to keep
