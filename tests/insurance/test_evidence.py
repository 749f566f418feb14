"""Insurance engine on tiny hand-made inputs: units, indemnity, checks, flags, filters."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd
import pytest
from affine import Affine
from rasterio.crs import CRS

from paii_core.crops.recognize import CropMap
from paii_core.errors import ValidationError
from paii_core.insurance import (
    AreaCheck,
    AreaMaps,
    CropCheck,
    FloodCheck,
    PolicyEvidence,
    YieldOutlook,
    area_in_yield_unit,
    filter_review,
    indemnity,
    review_csv,
)
from paii_core.insurance.area import plot_checks, plot_stats
from paii_core.insurance.evidence import flood_check, yield_outlook
from paii_core.insurance.render import crop_legend_html, plot_mask, policy_deck

POLICY = {
    "policy_id": "P1", "county_id": "410526", "declared_crop": "wheat",
    "declared_area_ha": 2.0, "guaranteed_yield": 320.0, "yield_unit": "kg/mu",
    "price": 2.0, "currency": "CNY", "start_date": date(2019, 10, 10),
    "end_date": date(2020, 6, 15), "level": "fine", "parcel_id": 1, "coarse_id": None,
}  # fmt: skip


def test_area_in_yield_unit_and_errors():
    assert area_in_yield_unit(2.0, "kg/mu") == 30.0
    assert area_in_yield_unit(2.0, "t/ha") == 2.0
    assert area_in_yield_unit(0.40468564224, "bu/acre") == pytest.approx(1.0, abs=1e-12)
    assert area_in_yield_unit([1.0, 2.0], "kg/mu").tolist() == [15.0, 30.0]
    with pytest.raises(ValidationError, match="yield_unit 'kg/ha' is unknown"):
        area_in_yield_unit(1.0, "kg/ha")


def test_indemnity_is_shortfall_times_area_times_price():
    assert indemnity(300, 250, area_ha=2, yield_unit="kg/mu", price=2.0) == 3000.0
    assert indemnity(6.0, 5.5, area_ha=4, yield_unit="t/ha", price=2540.0) == 5080.0
    assert indemnity(300, 310, area_ha=2, yield_unit="kg/mu", price=2.0) == 0.0
    with pytest.raises(ValidationError, match="price should be a finite number"):
        indemnity(300, 250, area_ha=2, yield_unit="kg/mu", price=-1.0)
    with pytest.raises(ValidationError, match="expected_yield should be a finite"):
        indemnity(300, float("nan"), area_ha=2, yield_unit="kg/mu", price=1.0)


def test_area_check_relative_difference_and_flag():
    assert AreaCheck(1.2, 1.0, "").relative_difference == pytest.approx(0.2)
    assert AreaCheck(1.2, 1.0, "").over_declared
    assert not AreaCheck(1.03, 1.0, "").over_declared  # within AREA_TOLERANCE (0.04)
    # The flag needs the declaration above the most the pixels allow, not the point value.
    assert AreaCheck(1.2, 1.0, "", 1.18).excess == pytest.approx(0.02 / 1.18)
    assert not AreaCheck(1.2, 1.0, "", 1.18).over_declared
    assert AreaCheck(1.3, 1.0, "", 1.18).over_declared
    assert AreaCheck(1.0, 0.0, "", 0.0).excess == float("inf")
    assert not AreaCheck(0.8, 1.0, "").over_declared  # under-declared is not flagged
    assert AreaCheck(1.0, 0.0, "").relative_difference == float("inf")
    assert AreaCheck(1.0, None, "").relative_difference is None
    assert not AreaCheck(1.0, None, "").over_declared


def test_crop_check_mismatch_only_with_a_map():
    assert CropCheck("wheat", "maize", 0.9, "").mismatch
    assert not CropCheck("wheat", "wheat", 1.0, "").mismatch
    assert not CropCheck("wheat", None, None, "no map").mismatch


def _impacts(*rows):
    cols = ["event_id", "peak_flooded_share", "peak_flooded_ha", "peak_date", "days_flooded"]
    return pd.DataFrame(list(rows), columns=cols)


def test_flood_check_counts_floods_in_the_insured_period_known_by_asof():
    asof = date(2020, 10, 31)
    empty = flood_check(POLICY, _impacts(), asof=asof)
    assert empty.event_id is None and not empty.flooded
    assert empty.note == "no flood event mapped over this area"
    hit = flood_check(
        POLICY,
        _impacts(
            ("e1", 0.05, 0.1, date(2020, 5, 1), 2.0), ("e2", 0.6, 1.2, date(2020, 5, 20), 8.0)
        ),
        asof=asof,
    )
    assert (hit.event_id, hit.flooded_share, hit.flooded_ha) == ("e2", 0.6, 1.2)
    assert hit.flooded and hit.in_period and hit.days_flooded == 8.0
    assert hit.note == "60% of the plot under water on 2020-05-20"
    late = flood_check(POLICY, _impacts(("e3", 0.9, 1.8, date(2020, 7, 20), 9.0)), asof=asof)
    assert late.flooded_share == 0.9 and not late.in_period and not late.flooded
    assert "outside the insured period" in late.note
    future = flood_check(
        POLICY, _impacts(("e2", 0.6, 1.2, date(2020, 5, 20), 8.0)), asof=date(2020, 5, 1)
    )
    assert future.event_id is None and future.note == "no flood mapped by 2020-05-01"
    small = flood_check(POLICY, _impacts(("e1", 0.05, 0.1, date(2020, 5, 1), 2.0)), asof=asof)
    assert small.in_period and not small.flooded


def _forecasts(*rows):
    cols = ["county_id", "crop", "year", "as_of", "p10", "p50", "p90", "unit", "created_at"]
    return pd.DataFrame(list(rows), columns=cols)


def test_yield_outlook_takes_the_latest_forecast_issued_by_asof_in_the_policy_unit():
    fc = _forecasts(
        ("410526", "wheat", 2020, "06-01", 4.5, 4.8, 5.4, "t/ha", pd.Timestamp("2020-06-01")),
        ("410526", "wheat", 2020, "08-01", 3.0, 4.2, 6.0, "t/ha", pd.Timestamp("2020-08-01")),
        ("410526", "maize", 2020, "06-01", 1.0, 1.0, 1.0, "t/ha", pd.Timestamp("2020-06-01")),
    )
    june = yield_outlook(POLICY, fc, asof=date(2020, 7, 15))
    assert june.issued == date(2020, 6, 1)
    assert june.p50 == pytest.approx(320.0)  # 4.8 t/ha = 320 kg/mu
    assert june.indemnity == 0.0 and not june.expected_loss
    aug = yield_outlook(POLICY, fc, asof=date(2020, 10, 31))
    assert (aug.p10, aug.p50, aug.p90) == pytest.approx((200.0, 280.0, 400.0))
    # (320 - 280) kg/mu x 30 mu x 2 CNY/kg; P90 400 is no loss; P10 200 is 120 x 60.
    assert aug.indemnity == pytest.approx(2400.0)
    assert (aug.indemnity_low, aug.indemnity_high) == pytest.approx((0.0, 7200.0))
    assert aug.expected_loss and aug.unit == "kg/mu" and aug.currency == "CNY"
    early = yield_outlook(POLICY, fc, asof=date(2020, 5, 1))
    assert early.p50 is None and early.note.startswith("no wheat forecast issued by 2020-05-01")
    none = yield_outlook({**POLICY, "declared_crop": "peanut"}, fc, asof=date(2020, 10, 31))
    assert none.indemnity is None and none.note == "no county forecast of peanut for 2020 is stored"


def test_yield_outlook_from_row_dicts_equals_the_frame_and_breaks_ties_by_creation():
    fc = _forecasts(
        ("410526", "wheat", 2020, "08-01", 3.0, 4.2, 6.0, "t/ha", pd.Timestamp("2020-08-02")),
        ("410526", "wheat", 2020, "08-01", 3.3, 4.5, 6.3, "t/ha", pd.Timestamp("2020-08-01")),
        ("999999", "wheat", 2020, "08-01", 1.0, 1.0, 1.0, "t/ha", pd.Timestamp("2020-08-03")),
    )
    asof = date(2020, 10, 31)
    framed = yield_outlook(POLICY, fc, asof=asof)
    assert framed == yield_outlook(POLICY, fc.to_dict("records"), asof=asof)
    assert framed.p50 == pytest.approx(280.0)  # the later-created rerun of 08-01: 4.2 t/ha


def _maps(*, cropped=True, crop_map=True) -> AreaMaps:
    fine = np.array([[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 0, 0], [3, 3, 0, 0]], np.int64)
    coarse = np.where(fine > 0, 1, 0)
    mask = fine > 0
    mask[0, 0] = False  # one pixel of parcel 1 the satellite does not see as cropland
    labels = np.array([[0, 0, 1, 1], [0, 0, 1, 1], [1, 1, -1, -1], [1, 0, -1, -1]], np.int16)
    cmap = CropMap(["wheat", "maize"], labels, np.zeros((2, 4, 4), np.float32), fine)
    return AreaMaps(
        aoi_id="a",
        fine_plots=fine,
        coarse_plots=coarse,
        transform=Affine(10, 0, 500000, 0, -10, 3900000),
        crs=CRS.from_epsg(32650),
        cropped=mask if cropped else None,
        crop_map=cmap if crop_map else None,
        label_set_id="s" if crop_map else None,
        rgb_series=np.full((2, 4, 4, 4), 0.1, np.float32),
        note="what is mapped",
    )


def test_the_crop_legend_escapes_crop_names_typed_on_crop_labels():
    """Crop names are free text and the legend is drawn as raw HTML on the Insurance page:
    a name with markup was drawn as markup in an underwriter's browser."""
    maps = _maps()
    maps.crop_map.classes[1] = '<img src=x onerror="alert(1)">'
    legend = crop_legend_html(maps)
    assert "<img" not in legend and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in legend
    assert "&nbsp;wheat" in legend


def test_plot_stats_and_checks_exact_on_a_4x4_grid():
    maps = _maps()
    assert maps.pixel_ha == 0.01
    stats = plot_stats(maps, "fine", np.array([1, 2, 3, 0]))
    assert stats.pixels.tolist() == [4, 4, 4, 0]
    assert stats.cropped.tolist() == [3, 4, 4, 0]
    assert stats.votes.tolist() == [[4, 0], [0, 4], [1, 3], [0, 0]]
    crop, area = plot_checks(
        maps, level="fine", declared_crop="maize", declared_ha=0.04, pixels=4, cropped=3,
        votes=stats.votes[0],
    )  # fmt: skip
    assert (crop.satellite_crop, crop.share, crop.mismatch) == ("wheat", 1.0, True)
    assert area.mapped_ha == 0.03 and area.over_declared  # 0.04 declared on 0.03 mapped
    block = plot_stats(maps, "coarse", np.array([1]))
    crop, area = plot_checks(
        maps, level="coarse", declared_crop="maize", declared_ha=0.07, pixels=12, cropped=11,
        votes=block.votes[0],
    )  # fmt: skip
    # A block's policy covers its main crop: 11 cropped pixels x 7/12 maize x 0.01 ha.
    assert crop.satellite_crop == "maize" and crop.share == pytest.approx(7 / 12)
    assert area.mapped_ha == pytest.approx(round(11 * 7 / 12 * 0.01, 4))
    _, off = plot_checks(
        maps, level="fine", declared_crop="x", declared_ha=1, pixels=0, cropped=0, votes=None
    )
    assert off.mapped_ha is None and "not on the grid of a" in off.note
    with pytest.raises(ValidationError, match="level should be 'fine' or 'coarse'"):
        plot_stats(maps, "block", np.array([1]))


def test_mixed_and_edge_pixels_widen_the_mapped_area():
    """A 3 x 3 plot in a 5 x 5 image: 6 pixels cropped, the centre a non-crop hole (not on
    the edge: it stays out), a corner on the edge beside crop and a pixel of cropland
    probability 0.3 count as possibly cropped."""
    fine = np.zeros((5, 5), np.int64)
    fine[1:4, 1:4] = 1
    cropped = fine > 0
    cropped[1, 1] = cropped[2, 2] = cropped[3, 3] = False
    prob = np.where(cropped, 0.9, 0.0).astype(np.float32)
    prob[3, 3] = 0.3
    base = _maps()
    maps = AreaMaps(
        aoi_id="a", fine_plots=fine, coarse_plots=fine, transform=base.transform, crs=base.crs,
        cropped=cropped, crop_map=None, label_set_id=None, rgb_series=None, note="",
        cropland=prob,
    )  # fmt: skip
    stats = plot_stats(maps, "fine", np.array([1]))
    assert (stats.pixels[0], stats.cropped[0], stats.mixed[0]) == (9, 6, 2)
    kw = dict(declared_crop="wheat", pixels=9, cropped=6, votes=None, mixed=2)
    _, area = plot_checks(maps, level="fine", declared_ha=0.08, **kw)
    assert (area.mapped_ha, area.mapped_max_ha) == (0.06, 0.08)
    assert area.excess == 0.0 and not area.over_declared and "2 more possibly" in area.note
    _, area = plot_checks(maps, level="fine", declared_ha=0.09, **kw)
    assert area.over_declared
    # A polygon plot keeps its outline's hectares; its drawn pixels give the share cropped.
    _, area = plot_checks(maps, level="plot", declared_ha=0.09, outline_ha=0.1, **kw)
    assert area.mapped_ha == round(0.1 * 6 / 9, 4) and area.mapped_max_ha == round(0.1 * 8 / 9, 4)
    assert area.over_declared is False and "of the polygon's 0.100 ha" in area.note


def test_crop_mismatch_needs_the_season_curve_to_agree():
    shares = {"wheat": 0.1, "maize": 0.9}
    check = CropCheck("wheat", "maize", 0.9, "", shares)
    assert check.mismatch  # no curve: the crop map alone decides
    assert CropCheck("wheat", "maize", 0.9, "", shares, curve_crop="maize").mismatch
    # The map says maize but the plot's own season looks like wheat: a map error.
    assert not CropCheck("wheat", "maize", 0.9, "", shares, curve_crop="wheat").mismatch
    honest = CropCheck("wheat", "wheat", 0.6, "", {"wheat": 0.6, "maize": 0.4}, curve_crop="maize")
    assert not honest.mismatch  # the map's share is enough


def test_plot_evidence_fits_each_plot_curve_to_the_mapped_crops():
    from paii_core.insurance.plot_evidence import plot_evidence

    maps = _maps()
    # NDVI over three dates: wheat early (0.8, 0.5, 0.11), maize late (the reverse).
    early = np.array([[0.05, 0.45], [0.1, 0.3], [0.2, 0.25]], np.float32)
    series = np.full((3, 4, 4, 4), 0.1, np.float32)
    wheat_like = np.isin(maps.fine_plots, (1, 3))  # plot 3 is wheat the map calls maize
    for t in range(3):
        late = early[2 - t]
        for band, col in ((2, 0), (3, 1)):
            series[t, band] = np.where(wheat_like, early[t, col], late[col])
    maps = AreaMaps(
        **{
            **maps.__dict__,
            "rgb_series": series,
            "dates": (date(2020, 4, 1), date(2020, 6, 1), date(2020, 8, 1)),
        }
    )
    policies = pd.DataFrame(
        {"aoi_id": "a", "level": "fine", "parcel_id": [1, 3, 2], "coarse_id": None,
         "declared_crop": ["maize", "wheat", "maize"], "declared_area_ha": 0.04}
    )  # fmt: skip
    (c1, _, _), (c3, _, _), (c2, _, _) = plot_evidence(policies, {"a": maps})
    assert c1.curve_crop == "wheat" and c1.curve_rmse["wheat"] == pytest.approx(0.0, abs=1e-6)
    assert c1.mismatch  # declared maize on a plot the map and its curve both see as wheat
    assert c3.satellite_crop == "maize" and c3.curve_crop == "wheat" and not c3.mismatch
    assert c2.curve_crop == "maize" and not c2.mismatch


def test_checks_without_crop_map_or_parcels_say_so():
    no_crop = _maps(crop_map=False)
    stats = plot_stats(no_crop, "coarse", np.array([1]))
    assert stats.votes is None
    crop, area = plot_checks(
        no_crop, level="coarse", declared_crop="maize", declared_ha=0.2, pixels=12, cropped=11,
        votes=None,
    )  # fmt: skip
    assert crop.satellite_crop is None and crop.note == "what is mapped"
    assert area.mapped_ha == 0.11 and "whole block" in area.note
    bare = _maps(cropped=False, crop_map=False)
    crop, area = plot_checks(
        bare, level="fine", declared_crop="maize", declared_ha=0.2, pixels=4, cropped=None,
        votes=None,
    )  # fmt: skip
    assert area.mapped_ha is None and area.note == "what is mapped"
    crop, area = plot_checks(
        None, level="fine", declared_crop="m", declared_ha=1, pixels=0, cropped=None, votes=None
    )
    assert crop.note == area.note == "no maps of this policy's area"


def _evidence(pid="P1", crop="maize", mapped=1.0, share=0.5, p50=280.0) -> PolicyEvidence:
    outlook = yield_outlook(
        POLICY,
        _forecasts(("410526", "wheat", 2020, "06-01", p50, p50, p50, "kg/mu", pd.Timestamp(0))),
        asof=date(2020, 10, 31),
    )
    flood = FloodCheck("e", share, share, date(2020, 5, 1), 3.0, True, "")
    return PolicyEvidence(
        pid, CropCheck("wheat", crop, 1.0, ""), AreaCheck(2.0, mapped, ""), flood, outlook
    )


def test_flags_and_snapshot():
    ev = _evidence()
    assert ev.flags == ("crop_mismatch", "area_over", "flooded", "expected_loss")
    assert _evidence(crop="wheat", mapped=2.0, share=0.0, p50=330.0).flags == ()
    snap = json.loads(json.dumps(ev.snapshot(), default=str))
    assert snap["flags"] == ["crop mismatch", "area over-declared", "flooded", "expected loss"]
    assert snap["area"]["relative_difference"] == 1.0
    assert snap["outlook"]["indemnity"] == pytest.approx(40 * 30 * 2.0)
    assert isinstance(ev.outlook, YieldOutlook)


def test_filter_review_and_csv():
    table = pd.DataFrame(
        {
            "policy_id": ["A", "B", "C"],
            "county_id": ["1", "2", "1"],
            "flags": ["crop mismatch, flooded", "", "expected loss"],
            "simulated": [True, True, True],
        }
    )
    assert filter_review(table)["policy_id"].tolist() == ["A", "B", "C"]
    assert filter_review(table, flags=["flooded"])["policy_id"].tolist() == ["A"]
    assert filter_review(table, flags=["expected_loss", "crop mismatch"])["policy_id"].tolist() == [
        "A",
        "C",
    ]
    assert filter_review(table, counties=["2"])["policy_id"].tolist() == ["B"]
    assert filter_review(table, flags=["flooded"], counties=["2"]).empty
    with pytest.raises(ValidationError, match="flag 'hail' is unknown"):
        filter_review(table, flags=["hail"])
    lines = review_csv(table).decode().splitlines()
    assert lines[0].endswith(",data_note") and lines[1].endswith(",SIMULATED demo data")


def test_plot_mask_and_deck_layers():
    maps = _maps()
    assert plot_mask(maps, POLICY).sum() == 4
    assert plot_mask(maps, {**POLICY, "level": "coarse", "coarse_id": 1}).sum() == 12
    with pytest.raises(ValidationError, match="P1: its plot is not on the grid of a"):
        plot_mask(maps, {**POLICY, "parcel_id": 9})
    with pytest.raises(ValidationError, match="not on the grid"):
        plot_mask(maps, {**POLICY, "level": "coarse", "coarse_id": None})
    spec = json.loads(policy_deck(maps, POLICY).to_json())
    layers = {layer["id"]: layer for layer in spec["layers"]}
    assert list(layers) == ["imagery", "crop-map", "plot"]
    assert layers["crop-map"]["image"].startswith("data:image/png;base64,")
    ring = layers["plot"]["data"]["features"][0]["geometry"]["coordinates"][0]
    lons = [p[0] for p in ring]
    assert 117 <= min(lons) < max(lons) < 117.001  # UTM 50N: easting 500 km is 117 E
    bare = json.loads(policy_deck(_maps(crop_map=False), POLICY).to_json())
    assert [layer["id"] for layer in bare["layers"]] == ["imagery", "plot"]


def test_a_polygon_a_pixel_off_its_field_is_registered_back():
    """A 3 x 3 field whose right column is a mixed edge (probability 0.3), and the
    policy's outline drawn one column to the right: the strip beyond the field touches no
    cropped pixel, so only the offset search finds all 9 pixels possibly cropped."""
    field = np.zeros((5, 6), bool)
    field[1:4, 1:4] = True
    prob = np.where(field, 0.9, 0.0).astype(np.float32)
    prob[1:4, 3] = 0.3
    drawn = np.zeros((5, 6), np.int64)
    drawn[1:4, 2:5] = 1
    base = _maps()
    maps = AreaMaps(
        aoi_id="a", fine_plots=np.zeros_like(drawn), coarse_plots=np.zeros_like(drawn),
        transform=base.transform, crs=base.crs, cropped=prob > 0.5, crop_map=None,
        label_set_id=None, rgb_series=None, note="", cropland=prob,
    )  # fmt: skip
    stats = plot_stats(maps, "plot", np.array([1]), plots=drawn)
    assert (stats.pixels[0], stats.cropped[0], stats.mixed[0]) == (9, 6, 3)
    # The registry's own raster is on the grid already: no offset is searched.
    fine = maps.__dict__ | {"fine_plots": drawn}
    stats = plot_stats(AreaMaps(**fine), "fine", np.array([1]))
    assert (stats.pixels[0], stats.cropped[0], stats.mixed[0]) == (9, 3, 3)
