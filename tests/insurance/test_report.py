"""The per-policy review PDF and `paii insurance report` on the tiny world."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import pytest

from paii_core import io as pio
from paii_core import store
from paii_core.access import local_operator
from paii_core.cli import main
from paii_core.errors import ValidationError
from paii_core.insurance.report import policy_report, report_inputs, report_pdf
from paii_core.insurance.review import review_portfolio
from paii_core.store import insurance as ins_store
from tests.insurance import world

ASOF = date(2020, 10, 31)
pdftotext = shutil.which("pdftotext")


@pytest.fixture(scope="module")
def insured(tiny_world, tmp_path_factory):
    data = world.prepare(tiny_world, tmp_path_factory.mktemp("report") / "data")
    con = store.connect(data / "paii.duckdb")
    review = review_portfolio(con, "henan", asof=ASOF, principal=local_operator(), data_dir=data)
    yield data, con, review
    con.close()


def _text(pdf: bytes, tmp_path) -> str:
    if pdftotext is None:
        # CI installs poppler-utils (.ci/run): there the test must run, never skip.
        if os.environ.get("CI") or os.environ.get("PAII_REQUIRE_BROWSER"):
            pytest.fail("pdftotext is missing, CI must run this: apt-get install poppler-utils")
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf)
    return subprocess.run([pdftotext, str(path), "-"], capture_output=True, text=True).stdout


def test_report_says_simulated_exactly_when_the_policy_is(insured, tmp_path):
    data, con, review = insured
    inputs = report_inputs(con, review, "PA-HA-0003", principal=local_operator(), data_dir=data)
    assert [c.split(":")[0] for c, _ in inputs.images][1:] == [
        "dehazed", "dehazed and sharpened"
    ]  # fmt: skip
    assert inputs.images[2][1].shape[-1] == 4 * inputs.images[0][1].shape[-1]
    assert inputs.plot.any() and inputs.composite.shape[0] == 4
    text = _text(report_pdf(review, "PA-HA-0003", inputs), tmp_path)
    assert "SIMULATED demo data - Policy review PA-HA-0003" in text
    for words in ("Declared versus detected", "Loss range", "P10 (bad year)", "flooded",
                  "Decision history", "NDVI of the plot against its county",
                  "50% of the plot under water on 2020-05-20"):  # fmt: skip
        assert words in text, words
    policies = review.policies.assign(simulated=False)
    observed = _text(report_pdf(replace(review, policies=policies), "PA-HA-0003", inputs), tmp_path)
    assert "simulated" not in observed.lower() and "Policy review PA-HA-0003" in observed


def test_report_errors(insured):
    data, con, review = insured
    me = local_operator()
    with pytest.raises(ValidationError, match="policy 'PA-XX-1' is not in the henan review"):
        report_inputs(con, review, "PA-XX-1", principal=me, data_dir=data)
    bare = {k: replace(m, rgb_series=None) for k, m in review.maps.items()}
    with pytest.raises(ValidationError, match="the imagery of its area 'henan-huaxian' is not"):
        policy_report(con, replace(review, maps=bare), "PA-HA-0001", principal=me, data_dir=data)
    with pytest.raises(ValidationError, match="policy 'PA-XX-1' is not in the store"):
        ins_store.policy_region(con, "PA-XX-1", principal=me)
    assert ins_store.policy_region(con, "PA-HA-0001", principal=me) == "henan"


def test_flood_extent_at_the_peak_is_read_from_the_stored_flood_map(insured, tmp_path):
    data, con, review = insured
    maps = review.maps[world.AOI]
    flooded = (maps.fine_plots > 0) & (np.arange(maps.fine_plots.shape[1]) % 2 == 0)[None, :]
    bands = np.stack([flooded, flooded, flooded * 0.5, np.zeros_like(flooded)]).astype(np.float32)
    path = tmp_path / "flood_20200520.tif"
    pio.write_geotiff(path, bands, crs=maps.crs, transform=maps.transform)
    row = {"event_id": "test-flood", "acquired": date(2020, 5, 20), "sar_path": "s1.tif",
           "path": str(path), "threshold_db": -18.0, "flooded_km2": 0.1, "mean_depth_m": 0.5,
           "simulated": True}  # fmt: skip
    store.write_frame(con, "flood_products", pd.DataFrame([row]))
    inputs = report_inputs(con, review, "PA-HA-0003", principal=local_operator(), data_dir=data)
    assert inputs.flood is not None
    assert inputs.flood.tolist() == flooded[inputs.window].tolist()
    assert inputs.flood_note == "50% of the plot under water on 2020-05-20"
    other = report_inputs(con, review, "PA-HA-0001", principal=local_operator(), data_dir=data)
    assert other.flood is None and other.flood_note == "no flood event mapped over this area"


def test_cli_writes_the_report(insured, tmp_path, capsys):
    data, con, _ = insured
    con.close()  # the CLI opens the database itself (the last test of this module)
    out = tmp_path / "r.pdf"
    code = main(
        ["insurance", "report", "--policy", "PA-HA-0001", "--asof", "2020-10-31",
         "--out", str(out), "--data", str(data), "--db", str(data / "paii.duckdb")]
    )  # fmt: skip
    assert code == 0 and out.read_bytes()[:5] == b"%PDF-"
    assert "(simulated demo data)" in capsys.readouterr().out
    con = store.connect(data / "paii.duckdb")
    try:
        actor, entity_id = con.execute(
            "SELECT actor, entity_id FROM audit WHERE action = 'export review report'"
        ).fetchone()
    finally:
        con.close()
    assert actor.startswith("cli:") and entity_id == "PA-HA-0001"
