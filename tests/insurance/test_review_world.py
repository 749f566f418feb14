"""Portfolio review on the tiny demo world: flags against the truth, decisions, the CLI."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd
import pytest

from paii_core import store
from paii_core.access import local_operator
from paii_core.cli import main
from paii_core.errors import AccessDeniedError, ValidationError
from paii_core.insurance import load_area_maps, record_decision, review_portfolio
from paii_core.insurance.area import insured_plots
from paii_core.insurance.terms import area_in_yield_unit
from paii_core.store import insurance as ins_store
from tests.conftest import sign_up
from tests.insurance import world

ASOF = date(2020, 10, 31)


@pytest.fixture(scope="module")
def insured(tiny_world, tmp_path_factory):
    """The tiny world with maps, a wheat forecast and a flood; an open connection."""
    data = world.prepare(tiny_world, tmp_path_factory.mktemp("ins") / "data")
    con = store.connect(data / "paii.duckdb")
    yield data, con
    con.close()


@pytest.fixture(scope="module")
def review(insured):
    data, con = insured
    return review_portfolio(con, "henan", asof=ASOF, principal=local_operator(), data_dir=data)


def test_demo_sums_insured_follow_the_indemnity_units(tiny_world):
    con = store.connect(tiny_world / "paii.duckdb")  # read-write: pages in this process hold one
    try:
        p = con.execute("SELECT * FROM policies").df()
    finally:
        con.close()
    for unit, part in p.groupby("yield_unit"):
        area = area_in_yield_unit(part["declared_area_ha"].to_numpy(), unit)
        expected = (part["guaranteed_yield"] * area * part["price"]).round(2)
        assert part["sum_insured"].to_numpy() == pytest.approx(expected.to_numpy(), rel=1e-5)


def test_flags_find_exactly_the_misdeclared_policies(review, insured):
    data, _ = insured
    truth = pd.read_csv(data / "demo" / "truth" / "insurance" / "policies_truth.csv")
    truth = truth.set_index("policy_id").loc[review.table["policy_id"]]
    flags = review.table.set_index("policy_id")["flags"].str.split(", ")
    crop_flag = {p for p, f in flags.items() if "crop mismatch" in f}
    area_flag = {p for p, f in flags.items() if "area over-declared" in f}
    assert crop_flag == set(truth.index[truth["kind"] == "crop"])
    assert area_flag == set(truth.index[truth["kind"] == "area"])
    assert crop_flag and area_flag
    honest = review.table[~review.table["policy_id"].isin(crop_flag | area_flag)]
    assert (honest["declared_crop"] == honest["satellite_crop"]).all()
    assert honest["area_difference"].abs().max() <= 0.05  # honest within 3 %, 0.01 ha pixels
    assert review.notes == (
        f"{world.AOI}: crop map from label set "
        f"{review.maps[world.AOI].label_set_id} (15 labels by Ana Surveyor)",
    )


def test_flood_and_expected_loss_exact(review):
    ev = review.evidence
    assert ev["PA-HA-0003"].flood.flooded and ev["PA-HA-0003"].flood.flooded_share == 0.5
    assert "flooded" in review.table.set_index("policy_id").at["PA-HA-0003", "flags"]
    peanut = ev["PA-HA-0007"].flood  # flooded on 1 March, before the peanut was sown
    assert peanut.flooded_share == 0.4 and not peanut.in_period and not peanut.flooded
    p = review.policies.set_index("policy_id").loc["PA-HA-0001"]
    out = ev["PA-HA-0001"].outlook
    p10, p50, _ = world.WHEAT
    mu = p["declared_area_ha"] * 15
    assert out.issued == date(2020, 7, 1) and out.p50 == p50
    assert out.indemnity == pytest.approx((p["guaranteed_yield"] - p50) * mu * p["price"])
    assert out.indemnity_high == pytest.approx((p["guaranteed_yield"] - p10) * mu * p["price"])
    assert out.indemnity_low == 0.0  # P90 350 is above every wheat guarantee here
    wheat = review.table[review.table["declared_crop"] == "wheat"]
    losses = wheat["implied_indemnity"] > 0
    assert losses.any() and wheat.loc[losses, "flags"].str.contains("expected loss").all()
    assert review.table["priority"].is_monotonic_decreasing  # highest expected payout first
    maize = review.table[review.table["declared_crop"] == "maize"]
    assert maize["forecast_p50"].isna().all()
    assert (
        ev[maize["policy_id"].iloc[0]].outlook.note
        == "no county forecast of maize for 2020 is stored"
    )


def test_loss_range_is_the_county_range_scaled_by_the_plot_ndvi(review):
    t = review.table.set_index("policy_id")
    p = review.policies.set_index("policy_id").loc["PA-HA-0001"]
    ratio = t.at["PA-HA-0001", "ndvi_ratio"]
    curve = review.curves["PA-HA-0001"]
    assert curve.reference == "wheat on the area's cropland (crop map)"
    season = [p["start_date"] <= d <= min(p["end_date"], ASOF) for d in curve.dates]
    raw = np.nansum(curve.plot[season]) / np.nansum(curve.county[season])
    assert ratio == pytest.approx(min(max(raw, 0.5), 1.5))
    mu = p["declared_area_ha"] * 15
    for col, q in zip(("loss_p10", "loss_p50", "loss_p90"), world.WHEAT, strict=True):
        want = max(0.0, p["guaranteed_yield"] - q * ratio) * mu * p["price"]
        assert t.at["PA-HA-0001", col] == pytest.approx(want)
    wheat = t[t["declared_crop"] == "wheat"]
    assert (wheat["loss_p10"] >= wheat["loss_p50"]).all()
    assert (wheat["loss_p50"] >= wheat["loss_p90"]).all()
    # Plots are not all alike: the NDVI ratio differs between wheat plots.
    assert wheat["ndvi_ratio"].nunique() > 1


def test_priority_puts_misdeclarations_and_losses_first_with_reasons(review, insured):
    data, _ = insured
    truth = pd.read_csv(data / "demo" / "truth" / "insurance" / "policies_truth.csv")
    t = review.table.merge(truth, on="policy_id")
    crop = t[t["kind"] == "crop"]
    assert crop["priority_reasons"].str.contains("crop mismatch: the satellite sees").all()
    area = t[t["kind"] == "area"]
    assert area["priority_reasons"].str.contains("area over-declared: ").all()
    # A crop swap voids the whole declaration without a forecast: its sum insured is at risk.
    peanut = crop[crop["declared_crop"] != "wheat"]
    if len(peanut):
        sums = review.policies.set_index("policy_id")["sum_insured"]
        assert peanut["priority"].to_numpy() == pytest.approx(
            sums.loc[peanut["policy_id"]].to_numpy(), rel=0.02
        )
    top = t.head(max(1, len(t) // 4))
    assert top["misdeclared"].mean() > t["misdeclared"].mean()
    quiet = t[(t["n_flags"] == 0)]
    assert (quiet["priority"] == 0).all()
    reasons = quiet["priority_reasons"]
    assert (reasons.str.startswith("no yield outlook (no county forecast of ")).any()
    assert reasons.isin(["no discrepancy and no expected shortfall"]).any()


def test_review_csv_has_the_loss_range_and_priority(review):
    from io import StringIO

    from paii_core.insurance import review_csv

    back = pd.read_csv(StringIO(review_csv(review.table).decode()))
    for col in ("ndvi_ratio", "loss_p10", "loss_p50", "loss_p90", "priority", "priority_reasons"):
        assert col in back.columns
    assert back["priority"].is_monotonic_decreasing


def test_without_maps_the_checks_say_what_to_do(tiny_world, tmp_path):
    data = world.prepare(tiny_world, tmp_path / "data", maps=False)
    con = store.connect(data / "paii.duckdb")
    try:
        bare = review_portfolio(con, "henan", asof=ASOF, principal=local_operator(), data_dir=data)
    finally:
        con.close()
    assert bare.table["satellite_crop"].isna().all() and bare.table["mapped_area_ha"].isna().all()
    assert "not mapped yet: open Crop labels" in bare.notes[0]
    assert not bare.table["flags"].str.contains("crop mismatch|area over").any()
    assert bare.table.set_index("policy_id").at["PA-HA-0003", "flags"].startswith("flooded")


def test_record_decision_stores_row_and_audit(review, insured):
    _, con = insured
    ev = review.evidence["PA-HA-0003"]
    mei = sign_up(con, "mei", "underwriter")
    first = record_decision(con, ev, "refer", principal=mei, note="field visit")
    second = record_decision(con, ev, "approve", principal=mei)
    assert second == first + 1
    rows = ins_store.decisions(con, principal=mei, policy_id="PA-HA-0003")
    assert rows["decision"].tolist() == ["approve", "refer"]
    assert rows["reviewer"].tolist() == ["mei", "mei"] and rows["simulated"].all()
    snap = json.loads(rows["evidence"].iloc[1])
    assert snap["policy_id"] == "PA-HA-0003" and "flooded" in snap["flags"]
    assert len(ins_store.decisions(con, principal=mei, region_id="henan")) == 2
    assert ins_store.decisions(con, principal=mei, region_id="iowa").empty
    audit = con.execute(
        "SELECT actor, action, entity_id FROM audit WHERE entity = 'policies' ORDER BY event_id"
    ).fetchall()
    assert audit == [("mei", "review refer", "PA-HA-0003"), ("mei", "review approve", "PA-HA-0003")]
    again = review_portfolio(con, "henan", asof=ASOF, principal=mei, maps=review.maps)
    assert again.table.set_index("policy_id").at["PA-HA-0003", "last_decision"] == "approve"


def test_decision_errors_store_nothing(review, insured):
    _, con = insured
    ev = review.evidence["PA-HA-0001"]
    mei = sign_up(con, "mei", "underwriter")
    with pytest.raises(ValidationError, match="decision 'maybe' is unknown"):
        record_decision(con, ev, "maybe", principal=mei)
    with pytest.raises(AccessDeniedError, match="sign in first"):
        record_decision(con, ev, "approve", principal=None)
    esg = sign_up(con, "esg", "esg_analyst")
    with pytest.raises(AccessDeniedError, match=r"'esg' \(esg_analyst\) may not see policy data"):
        record_decision(con, ev, "approve", principal=esg)
    with pytest.raises(ValidationError, match="policy 'PA-XX-9' is not in the store"):
        ins_store.save_decision(con, "PA-XX-9", "approve", principal=mei, evidence={})
    assert ins_store.decisions(con, principal=mei, policy_id="PA-HA-0001").empty


def test_loader_errors(insured, tmp_path):
    data, con = insured
    with pytest.raises(ValidationError, match=r"region .nowhere. has no policies in the store; "
                       r"import the insurer.s policies \(`paii policies import POLICIES\.csv "
                       r"--region nowhere`"):  # fmt: skip
        review_portfolio(con, "nowhere", asof=ASOF, principal=local_operator())
    with pytest.raises(ValidationError, match="area 'nowhere-x' is not in the store"):
        insured_plots(con, "nowhere-x", data)
    with pytest.raises(ValidationError, match="area 'x' is not in the store"):
        load_area_maps(con, "x", data_dir=tmp_path)


def test_cli_review_writes_a_simulated_csv(insured, tmp_path, capsys, monkeypatch):
    data, _ = insured
    monkeypatch.setenv("PAII_DATA_DIR", str(data))
    out = tmp_path / "review.csv"
    args = ["insurance", "review", "--region", "henan", "--asof", "2020-10-31"]
    assert main([*args, "--flag", "flooded", "--out", str(out)]) == 0
    table = pd.read_csv(out, dtype={"county_id": str})
    assert table["policy_id"].tolist() == ["PA-HA-0003"]
    assert (table["data_note"] == "SIMULATED demo data").all()
    assert "wrote 1 policy, 1 flagged" in capsys.readouterr().out  # was '1 policies'
    # A policy export from the command line is audited like the dashboard's.
    sql = (
        "SELECT actor, entity_id, detail FROM audit WHERE action = 'export portfolio review' "
        "ORDER BY event_id DESC LIMIT 1"
    )
    actor, entity_id, detail = insured[1].execute(sql).fetchone()
    assert actor.startswith("cli:") and entity_id == "henan"
    assert '"policies": 1' in detail and str(out.resolve()) in detail
    assert main([*args[:3], "nowhere", "--out", str(tmp_path / "none.csv")]) == 2
    assert "region 'nowhere' has no policies" in capsys.readouterr().err
