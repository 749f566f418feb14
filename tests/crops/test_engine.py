"""Features, cropland, parcels and crop recognition on a small generated scene."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from paii_core.crops import cropland_probability, delineate_parcels, recognize_crops
from paii_core.crops.calendars import (
    DEFAULT_CALENDARS,
    CropCalendar,
    default_calendars,
    expected_ndvi,
    parse_month_day,
)
from paii_core.crops.features import (
    DOY_GRID,
    day_of_year,
    ndvi_curve,
    pixel_features,
    validate_series,
)
from paii_core.crops.parcels import merge_parcels
from paii_core.crops.recognize import validate_labels
from paii_core.crops.scenes import make_scene
from paii_core.crops.unit_features import parcel_features
from paii_core.demo.classes import CROPS
from paii_core.errors import InputNotFoundError, ValidationError


def test_curve_bridges_clouds_and_keeps_empty_pixels_nan():
    dates = [date(2020, m, 5) for m in range(3, 10)]
    t = len(dates)
    series = np.full((t, 4, 2, 2), 0.1, np.float32)
    series[:, 3] = 0.3  # NDVI 0.5 everywhere
    series[2, :, 0, 0] = np.nan  # a cloud on one date
    series[:, :, 1, 1] = np.nan  # never seen
    curve = ndvi_curve(series, dates)
    assert curve.shape == (len(DOY_GRID), 2, 2)
    np.testing.assert_allclose(curve[:, 0, 0], 0.5, atol=1e-5)
    assert np.isnan(curve[:, 1, 1]).all()


def test_phenology_finds_greenup_and_peak():
    dates = [date(2020, 3, 5) + (date(2020, 3, 21) - date(2020, 3, 5)) * i for i in range(14)]
    doy = np.array([d.timetuple().tm_yday for d in dates], float)
    ndvi = 0.15 + 0.7 * np.exp(-0.5 * ((doy - 200) / 25) ** 2)
    red = np.full_like(ndvi, 0.05)
    nir = red * (1 + ndvi) / (1 - ndvi)
    series = np.zeros((14, 4, 1, 1), np.float32)
    series[:, 2, 0, 0], series[:, 3, 0, 0] = red, nir
    f = pixel_features(series, dates)
    get = dict(zip(f.names, f.values[:, 0, 0], strict=True))
    assert abs(get["peak_doy"] - 200) <= 16
    assert 150 < get["greenup_doy"] < 200 < get["senescence_doy"] < 250


def test_validate_series_errors():
    d = [date(2020, 3, 5 + i) for i in range(5)]
    with pytest.raises(ValidationError, match="T, 4, H, W"):
        validate_series(np.zeros((5, 3, 2, 2)), d)
    with pytest.raises(ValidationError, match="one date per image"):
        validate_series(np.zeros((4, 4, 2, 2)), d)
    with pytest.raises(ValidationError, match=r"at least 4 dates .*got 3: add 1 more optical date"):
        validate_series(np.zeros((3, 4, 2, 2)), d[:3])
    with pytest.raises(ValidationError, match="strictly increasing"):
        validate_series(np.zeros((5, 4, 2, 2)), d[::-1])
    with pytest.raises(ValidationError, match=r"T, 4 \+ E, H, W"):
        validate_series(np.zeros((5, 3, 2, 2)), d, extra_bands=True)
    assert validate_series(np.zeros((5, 10, 2, 2)), d, extra_bands=True).shape[1] == 10
    long = [date(2019, 1, 1), date(2019, 6, 1), date(2019, 12, 1), date(2020, 2, 1)]
    with pytest.raises(ValidationError, match="span 396 days"):
        validate_series(np.zeros((4, 4, 2, 2)), long)


def test_season_crossing_new_year_stays_in_order():
    winter = [date(2020, 10, 15), date(2020, 12, 20), date(2021, 3, 1), date(2021, 5, 1)]
    np.testing.assert_array_equal(day_of_year(winter), [-77, -11, 60, 121])
    one_year = [date(2021, 3, 1), date(2021, 5, 1)]
    np.testing.assert_array_equal(day_of_year(one_year), [60, 121])


def test_cropland_separates_fields(scene):
    prob = cropland_probability(scene.series, scene.dates)
    truth = scene.land_cover == 1
    pred = prob > 0.5
    f1 = 2 * (pred & truth).sum() / (pred.sum() + truth.sum())
    assert f1 > 0.9


def test_cropland_missing_model(scene, tmp_path):
    with pytest.raises(InputNotFoundError, match="paii crops train"):
        cropland_probability(scene.series, scene.dates, model=tmp_path / "none.txt")


def test_parcels_fine_and_coarse_nest(scene):
    prob = cropland_probability(scene.series, scene.dates)
    fine = delineate_parcels(scene.series, scene.dates, cropland=prob)
    coarse = delineate_parcels(scene.series, scene.dates, cropland=prob, level="coarse")
    assert fine.dtype == np.int32 and fine.max() > 10
    assert coarse.max() <= fine.max()
    # Every fine parcel lies inside exactly one coarse parcel.
    for pid in range(1, fine.max() + 1):
        assert np.unique(coarse[fine == pid]).size == 1
    assert ((fine > 0) == (coarse > 0)).all()


def test_parcels_errors(scene):
    with pytest.raises(ValidationError, match="level 'medium' is unknown"):
        delineate_parcels(scene.series, scene.dates, level="medium")
    with pytest.raises(ValidationError, match="cropland should be"):
        delineate_parcels(scene.series, scene.dates, cropland=np.ones((3, 3)))
    with pytest.raises(ValidationError, match="marker_depth should be a probability"):
        delineate_parcels(scene.series, scene.dates, marker_depth=0.0)
    with pytest.raises(ValidationError, match="merge_below should be a probability"):
        delineate_parcels(scene.series, scene.dates, merge_below=1.5)


def test_watershed_keeps_fields_apart_across_a_gap_in_their_boundary():
    from paii_core.crops.parcels import _watershed

    # Two fields, a strong boundary between them with a 2-pixel gap: connected
    # low-probability markers would leak through the gap and join them.
    edges = np.full((20, 20), 0.02)
    edges[:, 9:11] = 0.7
    edges[9:11, 9:11] = 0.02
    seg = _watershed(edges, np.ones((20, 20), bool), 0.05, 0.22)
    assert seg[5, 2] != seg[5, 17] and seg[15, 2] != seg[15, 17]
    assert len(np.unique(seg[:, :9])) == 1 and len(np.unique(seg[:, 11:])) == 1
    # A faint seam inside one field (mean under merge_below) does not cut it.
    edges[:, 9:11] = 0.12
    seg = _watershed(edges, np.ones((20, 20), bool), 0.05, 0.22)
    assert seg.max() == 1


def test_merge_parcels_joins_weak_boundaries_only():
    labels = np.array([[1, 1, 2, 2, 3, 3]] * 3, np.int32)
    edges = np.array([[0, 0.1, 0.1, 0.9, 0.9, 0]] * 3, float)
    merged = merge_parcels(labels, edges, threshold=0.5)
    assert merged[0, 0] == merged[0, 2] != merged[0, 4]


def _labels(scene, parcels, n=12):
    rng = np.random.default_rng(0)
    ok = (scene.crop_type >= 0) & (parcels > 0)
    out = []
    for c in np.unique(scene.crop_type[ok]):
        rr, cc = np.nonzero(ok & (scene.crop_type == c))
        for i in rng.choice(rr.size, n // 3, replace=False):
            out.append((int(rr[i]), int(cc[i]), CROPS[c]))
    return out


def test_recognize_crops_learns_from_a_few_labels(scene):
    parcels = scene.fine_parcels
    labels = _labels(scene, parcels)
    cm = recognize_crops(
        scene.series,
        scene.dates,
        labels,
        sar=scene.sar,
        dem=scene.dem,
        parcels=parcels,
        region="henan",
    )
    assert cm.classes == sorted({lab[2] for lab in labels})
    assert cm.probability.shape == (len(cm.classes), *parcels.shape)
    assert (cm.label_map[parcels == 0] == -1).all()
    lut = np.array([CROPS.index(c) for c in cm.classes])
    crop = parcels > 0
    accuracy = (lut[cm.label_map[crop]] == scene.crop_type[crop]).mean()
    assert accuracy > 0.85


def test_unlabelled_crop_is_low_confidence(scene):
    parcels = scene.fine_parcels
    labels = [lab for lab in _labels(scene, parcels) if lab[2] != "peanut"]
    cm = recognize_crops(scene.series, scene.dates, labels, parcels=parcels, region="henan")
    peanut = scene.crop_type == CROPS.index("peanut")
    known = (scene.crop_type >= 0) & ~peanut
    assert cm.confidence[peanut].mean() < cm.confidence[known].mean() - 0.1


def test_labels_errors(scene):
    shape = (10, 10)
    with pytest.raises(ValidationError, match="has an empty crop name"):
        validate_labels([(1, 1, "  "), (2, 2, "wheat")], shape)
    with pytest.raises(ValidationError, match="outside the image"):
        validate_labels([(1, 11, "maize"), (2, 2, "wheat")], shape)
    with pytest.raises(ValidationError, match="fewer than two crops"):
        validate_labels([(1, 1, "wheat"), (2, 2, " wheat ")], shape)
    with pytest.raises(ValidationError, match=r"should be \(row, col, crop\)"):
        validate_labels([(1, 1)], shape)
    road = np.argwhere(scene.fine_parcels == 0)[0]
    labels = [(int(road[0]), int(road[1]), "wheat"), *_labels(scene, scene.fine_parcels, 3)]
    with pytest.raises(ValidationError, match="not on a crop parcel"):
        recognize_crops(scene.series, scene.dates, labels, parcels=scene.fine_parcels)
    good = _labels(scene, scene.fine_parcels, 3)
    with pytest.raises(ValidationError, match="parcels should be"):
        recognize_crops(scene.series, scene.dates, good, parcels=np.ones((3, 3), np.int32))
    with pytest.raises(ValidationError, match="sar should be"):
        parcel_features(scene.series, scene.dates, scene.fine_parcels, sar=np.zeros((3, 4, 4)))
    with pytest.raises(ValidationError, match="dem should be"):
        parcel_features(scene.series, scene.dates, scene.fine_parcels, dem=np.zeros((4, 4)))


@pytest.mark.parametrize("names", [("cotton", "sorghum", "meadow"), ("winter barley", "kale")])
def test_any_crop_name_is_a_class_end_to_end(scene, names):
    """Crops no calendar and no demo knows, in a region PAII has never heard of: the map
    is learnt from the labels alone (the scene's crops renamed)."""
    parcels = scene.fine_parcels
    present = sorted({lab[2] for lab in _labels(scene, parcels)})
    rename = dict(zip(present, names, strict=False))
    labels = [(r, c, rename[k]) for r, c, k in _labels(scene, parcels) if k in rename]
    cm = recognize_crops(
        scene.series, scene.dates, labels, sar=scene.sar, parcels=parcels, region="kansas"
    )
    assert cm.classes == sorted(names)
    truth = np.full(parcels.shape, "", object)
    for k, v in rename.items():
        truth[scene.crop_type == CROPS.index(k)] = v
    judged = (parcels > 0) & (truth != "")
    got = np.asarray(cm.classes, object)[cm.label_map[judged]]
    assert (got == truth[judged]).mean() > 0.8


def test_extra_bands_are_evidence_too(scene):
    """A (T, 4 + E, H, W) series is accepted and its extra bands enter the evidence."""
    parcels = scene.fine_parcels
    extra = np.concatenate([scene.series, scene.series[:, 3:4] * 0.5], axis=1)
    cm = recognize_crops(extra, scene.dates, _labels(scene, parcels), parcels=parcels)
    assert cm.probability.shape[1:] == parcels.shape


def test_calendars_are_rows_with_checked_dates():
    corn = default_calendars("iowa")["corn"]
    curve = expected_ndvi(corn, DOY_GRID)
    assert DOY_GRID[np.argmax(curve)] in range(150, 260)
    assert {c.region_id for c in DEFAULT_CALENDARS} == {"henan", "hubei", "iowa"}
    assert default_calendars("kansas") == {}
    wheat = default_calendars("henan")["wheat"]
    assert wheat.season_days[0] < 0  # sown the autumn before
    winter = expected_ndvi(wheat, np.array([-100.0, 0.0, 120.0, 250.0]))
    assert winter[1] > winter[0] and winter[2] > 0.7 and winter[3] < 0.25
    assert parse_month_day("02-29", argument="--sow") == (2, 29)
    with pytest.raises(ValidationError, match="--sow '13-01' is not a day of the year"):
        parse_month_day("13-01", argument="--sow")
    with pytest.raises(ValidationError, match="--harvest 'june' is not a month-day"):
        parse_month_day("june", argument="--harvest")
    with pytest.raises(ValidationError, match="both 05-01; give different dates"):
        CropCalendar("iowa", "corn", "05-01", "05-01")
    with pytest.raises(ValidationError, match="crop name is empty"):
        CropCalendar("iowa", " ", "05-01", "09-01")


def test_make_scene_errors():
    with pytest.raises(ValidationError, match="region 'mars' is unknown"):
        make_scene("mars", 1)
    with pytest.raises(ValidationError, match="size_px >= 32"):
        make_scene("iowa", 1, size_px=8)


def test_boundary_model_missing(scene, monkeypatch, tmp_path):
    from paii_core.crops import boundary

    monkeypatch.setattr(boundary, "model_dir", lambda: tmp_path)
    with pytest.raises(InputNotFoundError, match="paii crops train"):
        boundary.boundary_probability(scene.series, scene.dates, np.ones(scene.dem.shape))


def test_cli_registers_crops_train(capsys):
    from paii_core.cli import main

    with pytest.raises(SystemExit):
        main(["crops", "train", "--help"])
    assert "cropland" in capsys.readouterr().out
