"""Loss range and review priority on tiny hand-made inputs, exact values and every error."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pytest

from paii_core.errors import ValidationError
from paii_core.insurance import AreaCheck, CropCheck, FloodCheck, PolicyEvidence, YieldOutlook
from paii_core.insurance.loss import (
    curve_ratio,
    loss_range,
    ndvi_curves,
    policy_curve,
    reference_mask,
    review_priority,
)
from tests.insurance.test_evidence import POLICY, _maps

DATES = (date(2020, 3, 1), date(2020, 4, 1), date(2020, 9, 1))


def _series(plot_nir: float) -> np.ndarray:
    """(3, 4, 4, 4) BGRN: red 0.1 everywhere, NIR 0.5 except on parcel 1 (``plot_nir``)."""
    s = np.zeros((3, 4, 4, 4), np.float32)
    s[:, 2] = 0.1
    s[:, 3] = 0.5
    s[:, 3, :2, :2] = plot_nir
    return s


def _evidence(*, crop=None, area=None, flood=None, p50=300.0) -> PolicyEvidence:
    none = None if p50 is None else p50
    outlook = YieldOutlook(
        "wheat", 2020, date(2020, 7, 1), None if p50 is None else 250.0, none,
        None if p50 is None else 350.0, "kg/mu", 320.0, None, None, None, "CNY", "note",
    )  # fmt: skip
    return PolicyEvidence(
        "P1",
        crop or CropCheck("wheat", "wheat", 1.0, "", {"wheat": 1.0}),
        area or AreaCheck(2.0, 2.0, ""),
        flood or FloodCheck(None, None, None, None, None, False, ""),
        outlook,
    )


def test_ndvi_curves_exact_and_season_mask():
    plots = _maps().fine_plots
    ref = np.zeros((4, 4), bool)
    ref[2:, :2] = True  # parcel 3
    rows = ndvi_curves(_series(0.3), DATES, plots, np.array([1, 3, 0]), ref)
    assert rows.shape == (4, 3)
    assert rows[0] == pytest.approx([0.5] * 3)  # (0.3 - 0.1) / 0.4
    assert rows[1] == pytest.approx([2 / 3] * 3)  # (0.5 - 0.1) / 0.6
    assert np.isnan(rows[2]).all()  # id 0 is no plot
    assert rows[3] == pytest.approx([2 / 3] * 3)
    season = ndvi_curves(
        _series(0.3), DATES, plots, np.array([1]), ref, season=(date(2020, 3, 15), DATES[-1])
    )
    assert np.isnan(season[:, 0]).all() and season[0, 1:] == pytest.approx([0.5, 0.5])


def test_ndvi_curves_of_one_series_reuse_its_ndvi_and_a_new_series_gets_its_own():
    plots = _maps().fine_plots
    ref = np.zeros((4, 4), bool)
    ref[2:, :2] = True
    series = _series(0.3)
    first = ndvi_curves(series, DATES, plots, np.array([1]), ref)
    again = ndvi_curves(series, DATES, plots, np.array([1, 3]), ref)  # the kept NDVI
    assert again[0] == pytest.approx(first[0]) and again[1] == pytest.approx([2 / 3] * 3)
    other = ndvi_curves(_series(0.9), DATES, plots, np.array([1]), ref)  # not the kept one
    assert other[0] == pytest.approx([0.8] * 3)  # (0.9 - 0.1) / 1.0
    changed = series.copy()  # kept by identity: changed data comes as another array
    changed[:, 3, :2, :2] = 0.9
    assert ndvi_curves(changed, DATES, plots, np.array([1]), ref)[0] == pytest.approx([0.8] * 3)


def test_ndvi_curves_errors():
    plots, ref = _maps().fine_plots, np.ones((4, 4), bool)
    with pytest.raises(ValidationError, match=r"series should be \(T, 4, H, W\) BGRN"):
        ndvi_curves(np.zeros((3, 4, 4)), DATES, plots, np.array([1]), ref)
    with pytest.raises(ValidationError, match="dates has 2 entries for 3 images"):
        ndvi_curves(_series(0.3), DATES[:2], plots, np.array([1]), ref)
    with pytest.raises(ValidationError, match="should be the images'"):
        ndvi_curves(_series(0.3), DATES, plots[:2], np.array([1]), ref[:2])


def test_curve_ratio_integrates_over_dates_valid_in_both():
    assert curve_ratio(np.array([0.2, 0.4, np.nan]), np.array([0.4, 0.4, 0.9])) == pytest.approx(
        0.75
    )
    assert curve_ratio(np.array([np.nan]), np.array([0.5])) is None
    assert curve_ratio(np.array([0.5]), np.array([-0.1])) is None


def test_reference_mask_and_policy_curve():
    maps = replace(_maps(), rgb_series=_series(0.3), dates=DATES)
    mask, words = reference_mask(maps, "maize")
    assert words == "maize on the area's cropland (crop map)"
    assert mask.sum() == 7  # maize pixels of the crop map, all cropped
    mask, words = reference_mask(maps, "peanut")
    assert words == "all of the area's cropland" and mask.sum() == 11
    bare = replace(maps, cropped=None, crop_map=None)
    assert reference_mask(bare, "wheat")[1] == "the whole area (no cropland map)"
    curve = policy_curve(maps, maps.fine_plots, 1, "wheat", (DATES[0], DATES[1]))
    # Wheat reference: 3 cropped wheat pixels of parcel 1 (0.5) and one of parcel 3 (2/3).
    assert curve.ratio == pytest.approx(0.5 / ((3 * 0.5 + 2 / 3) / 4)) and np.isnan(curve.plot[2])
    with pytest.raises(ValidationError, match="imagery of a is not loaded with its dates"):
        policy_curve(_maps(), maps.fine_plots, 1, "wheat", (DATES[0], DATES[1]))


def test_loss_range_scales_the_county_quantiles():
    ev = _evidence()
    # Guarantee 320 kg/mu on 30 mu at 2 CNY/kg; county 250/300/350 x 0.9 = 225/270/315.
    lr = loss_range(ev, POLICY, 0.9)
    assert lr.yields == pytest.approx((225.0, 270.0, 315.0))
    assert lr.indemnity == pytest.approx((95 * 60, 50 * 60, 5 * 60))
    assert lr.note.startswith("county yields x 0.90")
    wide = loss_range(ev, POLICY, 3.0)
    assert wide.ratio == 1.5 and "clipped from 3.00" in wide.note
    plain = loss_range(ev, POLICY, None)
    assert plain.ratio is None and plain.indemnity == pytest.approx((70 * 60, 20 * 60, 0.0))
    assert loss_range(_evidence(p50=None), POLICY, 0.9).indemnity is None
    with pytest.raises(ValidationError, match="ratio should be a finite number > 0"):
        loss_range(ev, POLICY, 0.0)


def test_priority_is_the_evidence_adjusted_expected_payout():
    full = 320 * 30 * 2.0  # the whole guarantee of the declaration, CNY
    honest = review_priority(_evidence(), POLICY, loss_range(_evidence(), POLICY, 1.2))
    assert honest.score == 0 and honest.reasons == ("no discrepancy and no expected shortfall",)
    short = review_priority(_evidence(), POLICY, loss_range(_evidence(), POLICY, 0.9))
    assert short.score == pytest.approx(50 * 60)
    assert short.reasons[0].startswith("yield shortfall: plot P50 270 kg/mu")
    over = _evidence(area=AreaCheck(2.0, 1.5, ""))  # 33 % over-declared
    pr = review_priority(over, POLICY, loss_range(over, POLICY, 1.2))
    assert pr.score == pytest.approx(full - 360 * 22.5 * 2.0)
    assert pr.reasons == ("area over-declared: 0.50 of 2.00 ha not seen cropped",)
    swap = _evidence(crop=CropCheck("wheat", "maize", 0.8, "", {"wheat": 0.2, "maize": 0.8}))
    pr = review_priority(swap, POLICY, loss_range(swap, POLICY, 1.2))
    assert pr.score == pytest.approx(full - 360 * 30 * 0.2 * 2.0)
    assert (
        pr.reasons[0] == "crop mismatch: the satellite sees maize on 80% of the plot, wheat on 20%"
    )
    blind = _evidence(area=AreaCheck(2.0, 1.0, ""), p50=None)
    pr = review_priority(blind, POLICY, loss_range(blind, POLICY, None))
    assert pr.score == pytest.approx(full / 2)
    flood = FloodCheck("e", 0.5, 1.0, date(2020, 5, 1), 5.0, True, "")
    wet = _evidence(flood=flood)
    pr = review_priority(wet, POLICY, loss_range(wet, POLICY, 1.2))
    assert pr.score == pytest.approx(full / 2) and pr.reasons == (
        "flooded in season: 50% of the plot",
    )


def test_crop_share_threshold_flags_whole_plot_swaps_only():
    swap = CropCheck("wheat", "maize", 0.75, "", {"wheat": 0.25, "maize": 0.75})
    assert swap.declared_share == 0.25 and swap.mismatch
    # A block half in another crop is not a crop mismatch: its area check finds it (the
    # declared block against its declared crop's share of the mapped cropland).
    part = CropCheck("wheat", "wheat", 0.55, "", {"wheat": 0.45, "maize": 0.55})
    assert part.declared_share == 0.45 and not part.mismatch
    assert not CropCheck("wheat", "wheat", 0.8, "", {"wheat": 0.8, "maize": 0.2}).mismatch
    assert CropCheck("wheat", "maize", 0.8, "").mismatch  # no shares: the majority decides
    assert CropCheck("wheat", None, None, "").declared_share is None


def test_review_priority_with_nothing_known_says_na_not_zero():
    """A plot without a county forecast has no loss range; its priority of 0 means that
    nothing is known, and the evidence table said '0 USD' (QA pass, real Kansas plot)."""
    from paii_core.insurance.loss import LossRange, Priority
    from paii_core.insurance.review import loss_summary

    unknown = LossRange(None, None, None, "no county forecast")
    rows = dict((k, v) for k, v, _ in loss_summary(unknown, Priority(0.0, ()), "USD"))
    assert rows == {"Plot loss range": "n/a", "Review priority": "n/a"}
    flagged = loss_summary(unknown, Priority(1200.0, ("declared crop not seen",)), "USD")
    assert flagged[1][1] == "1,200 USD"
    known = LossRange(1.0, (9.0, 10.0, 11.0), (0.0, 0.0, 0.0), "scaled")
    assert loss_summary(known, Priority(0.0, ()), "USD")[1][1] == "0 USD"
