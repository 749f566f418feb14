"""Open crop classes: real fields with real crop names, class-name tags, colours of any crop."""

from __future__ import annotations

import numpy as np
import pytest

from paii_core.crops.labelling import parse_classes_tag, survey_points
from paii_core.crops.view import CROP_COLOURS, crop_colour
from paii_core.errors import ValidationError


def test_real_fields_recognition_beats_ndvi_centroids():
    """One draw of 40 labels on the real WorldCereal fields (data/real): recognition must
    beat the NDVI nearest-centroid baseline clearly (10-draw figures in BENCHMARKS.md)."""
    from sklearn.metrics import f1_score

    from bench.crops.real_fields import draw_labels, load_fields, ndvi_centroids, recognise
    from paii_core.crops.features import day_of_year, fill_gaps

    frame, optical, radar, dates = load_fields(min_fields=9)
    crops = frame["label_full"].to_numpy(object)
    assert {"maize", "groundnuts", "sunflower"} <= set(crops)
    train = draw_labels(crops, 40, np.random.default_rng(0))
    assert len(train) == 40
    test = np.setdiff1d(np.arange(len(crops)), train)
    with np.errstate(divide="ignore", invalid="ignore"):
        ndvi = (optical[:, 3] - optical[:, 2]) / (optical[:, 3] + optical[:, 2])
    curves = np.nan_to_num(fill_gaps(ndvi, day_of_year(dates)), nan=0.0).T
    base = f1_score(crops[test], ndvi_centroids(curves, crops, train)[test], average="macro")
    got = recognise(optical, radar, dates, crops, train)
    mine = f1_score(crops[test], got[test].astype(object), average="macro")
    assert mine > base + 0.08, (mine, base)


def test_classes_tag_round_trip_and_errors():
    assert parse_classes_tag("0=wheat,1=winter barley, 2=silage maize") == [
        "wheat",
        "winter barley",
        "silage maize",
    ]
    with pytest.raises(ValidationError, match="has no CLASSES tag"):
        parse_classes_tag(None)
    with pytest.raises(ValidationError, match="part 'wheat' should be CODE=NAME"):
        parse_classes_tag("wheat,1=maize")
    with pytest.raises(ValidationError, match=r"codes \[0, 2\] should run 0, 1, 2"):
        parse_classes_tag("0=wheat,2=maize")


def test_survey_points_name_codes_from_classes():
    fields = np.zeros((12, 12), np.int64)
    fields[1:6, 1:6], fields[7:11, 1:11] = 1, 2
    crop_type = np.where(fields == 0, -1, fields - 1)
    labels = survey_points(crop_type, fields, per_crop=1, classes=["meadow", "rapeseed"])
    assert sorted(c for *_, c in labels) == ["meadow", "rapeseed"]
    with pytest.raises(ValidationError, match="holds code 1 but classes names only 1 crops"):
        survey_points(crop_type, fields, per_crop=1, classes=["meadow"])


def test_any_crop_gets_a_stable_colour():
    assert crop_colour("wheat") == CROP_COLOURS["wheat"]
    sorghum = crop_colour("sorghum")
    assert sorghum == crop_colour("sorghum") != crop_colour("cotton")
    assert all(0 <= v <= 255 for v in sorghum) and sorghum != CROP_COLOURS[""]
