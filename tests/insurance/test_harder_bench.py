"""The harder insurance benchmark's scoring on the tiny world (maps from the registry)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bench.insurance import harder
from tests.insurance import world


@pytest.fixture(scope="module")
def scored(tiny_world, tmp_path_factory):
    data = world.prepare(tiny_world, tmp_path_factory.mktemp("harder") / "data")
    return harder.score_seed(data, harder.world_areas(data), seed=100)


def test_true_loss_follows_the_declaration(scored):
    t = scored
    assert set(t["kind"].dropna()) <= {"area", "lookalike", "part"} and t["misdeclared"].any()
    swap = t[t["kind"] == "lookalike"]
    # Nothing of the declared crop grows: the whole guarantee is paid.
    assert len(swap) and (swap["true_loss"] > 0).all()
    assert (t.loc[t["misdeclared"], "true_loss"].sum()) > 0.5 * t["true_loss"].sum()
    assert harder.top_decile_share(t, "priority") > harder.top_decile_share(
        t.assign(p=t["implied_indemnity"].fillna(0)), "p"
    )


def test_flags_and_precision_recall_exact():
    t = pd.DataFrame(
        {"area_excess": [0.2, 0.05, np.nan, 0.0], "declared_share": [1.0, 0.3, None, 0.1],
         "declared_crop": "wheat", "curve_crop": [None, "maize", None, "wheat"]}
    )  # fmt: skip
    # The last plot's map share is low but its season curve is the declared crop's.
    assert harder.flags(t, 0.1, 0.5).tolist() == [True, True, False, False]
    assert harder.flags(t, 0.1, 0.2).tolist() == [True, False, False, False]
    p, r = harder.precision_recall(np.array([True, True, False]), np.array([True, False, True]))
    assert (p, r) == (0.5, 0.5)


def test_top_decile_share_exact():
    t = pd.DataFrame(
        {"seed": 0, "aoi_id": "a", "policy_id": [f"P{i:02d}" for i in range(20)],
         "true_loss": [10.0, 10.0] + [1.0] * 18, "score": np.arange(20, 0, -1)}
    )  # fmt: skip
    assert harder.top_decile_share(t, "score") == pytest.approx(20 / 38)
    assert np.isnan(harder.top_decile_share(t.head(5), "score"))  # too few policies


def test_polygon_drawing_margin_covers_the_drawn_area_error():
    from bench.insurance import raster_margin

    a = raster_margin.draw_errors(300, seed=1)
    assert len(a) > 250 and (a[:, 1] > 0).all() and (a[:, 2] <= a[:, 1]).all()
    lost = a[:, 0] - a[:, 1]
    assert abs(lost.mean()) < 0.5  # pixel-centre drawing is unbiased
    assert (lost <= np.sqrt(a[:, 2])).mean() >= 0.97  # the margin area.py uses
