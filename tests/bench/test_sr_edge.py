"""The SR edge study scores crops as the benchmark scores a scene and rings cover the image."""

from __future__ import annotations

import numpy as np
import pytest

from bench.enhance import real, sr_dev, sr_edge
from paii_core.enhance import load_model
from paii_core.errors import ValidationError


@pytest.fixture(scope="module")
def corner():
    return sr_dev.dev_truths()["landsat8_corumba_toa"][:, :96, :96]


def test_a_crop_the_size_of_the_capture_scores_as_the_whole(corner):
    net = load_model("sr")
    box = real.SENSOR_MODELS["box"]
    (row,) = sr_edge.crop_rows(net, corner, box, crop=96)
    assert (row["y"], row["x"]) == (0, 0)
    assert row["alone"] == pytest.approx(row["whole"], abs=1e-6)
    assert row["alone_given"] == pytest.approx(row["whole_given"], abs=1e-6)
    rows = sr_edge.crop_rows(net, corner, box, crop=48)
    assert [(r["y"], r["x"]) for r in rows] == [(0, 0), (0, 48), (48, 0), (48, 48)]
    s = sr_edge.summary(rows)
    assert s["crops"] == 4
    assert s["edge_cost"] == pytest.approx(s["whole_given"] - s["alone_given"], abs=2e-3)
    assert 0.0 <= s["share_given_ge_0.5"] <= 1.0
    assert np.isfinite([s[k] for k in ("alone", "alone_given", "whole", "whole_given")]).all()
    assert s["min_alone"] <= s["alone"]


def test_edge_rings_cover_every_pixel_once(corner):
    rows = sr_edge.edge_profile(load_model("sr"), corner, real.SENSOR_MODELS["box"])
    assert sum(r["fine_px"] for r in rows) == 96 * 96
    assert [r["from_px"] for r in rows] == [a for a, _ in sr_edge.RINGS[: len(rows)]]
    assert all(np.isfinite(r["gain"]) for r in rows)


def test_a_crop_off_the_sensor_grid_is_refused(corner):
    with pytest.raises(ValidationError, match="--crop must be a multiple of 4"):
        sr_edge.crop_rows(load_model("sr"), corner, real.SENSOR_MODELS["box"], crop=50)
