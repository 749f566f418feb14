"""The Kuan filter region growing decides on (water.kuan_db, mapping.GROW_FILTER_PX)."""

import numpy as np
import pytest

from paii_core.errors import ValidationError
from paii_core.flood import mapping, water


def test_kuan_exact_on_a_tiny_image():
    power = np.ones((3, 3))
    power[1, 1] = 4.0
    out = water.kuan_db(10 * np.log10(power), size=3, looks=4.4)
    # m = 4/3, Ci^2 = var / m^2 = 1/2, Cu^2 = 5/22: k = (1 - 10/22) / (27/22) = 4/9,
    # out = 4/3 + 4/9 * (4 - 4/3) = 68/27
    assert out[1, 1] == pytest.approx(10 * np.log10(68 / 27), abs=1e-4)
    flat = np.full((5, 5), -14.0, dtype=np.float32)
    assert np.allclose(water.kuan_db(flat), -14.0, atol=1e-4)  # no contrast: the mean


def test_kuan_keeps_a_shore_that_the_boxcar_smears():
    db = np.full((9, 9), -22.0, dtype=np.float32)
    db[:, 5:] = -6.0  # water | bright land, no speckle
    lee = water.kuan_db(db, size=3)
    box = water.despeckle_db(db, size=3)
    # the last water column's window: 6 water, 3 land pixels
    pw, pl = 10**-2.2, 10**-0.6
    m = (6 * pw + 3 * pl) / 9
    ci2 = (6 * pw**2 + 3 * pl**2) / 9 / m**2 - 1.0  # 1.72, far above Cu^2 = 0.23
    k = (1 - (1 / 4.4) / ci2) / (1 + 1 / 4.4)  # 0.71 of its own value is kept
    kept = m + k * (pw - m)
    assert lee[4, 4] == pytest.approx(10 * np.log10(kept), abs=0.01)  # -15.2 dB: water side
    assert box[4, 4] > -11.0  # the boxcar makes it look like land
    assert lee[4, 5] > box[4, 5] + 0.5  # and the first land column brighter than its mean


def test_kuan_nan_and_bad_arguments():
    db = np.full((6, 6), -12.0, dtype=np.float32)
    db[2, 3] = np.nan
    out = water.kuan_db(db, size=3)
    assert np.isnan(out[2, 3]) and np.allclose(out[np.isfinite(out)], -12.0, atol=1e-4)
    with pytest.raises(ValidationError, match=r"db should be an \(H, W\) array, got shape \(6,\)"):
        water.kuan_db(db[0])
    with pytest.raises(ValidationError, match="looks should be positive, got -1"):
        water.kuan_db(db, looks=-1)


def test_growing_decides_on_the_lee_filter():
    rng = np.random.default_rng(8)
    vv = -8.0 + rng.normal(0, 1.0, (80, 80))
    vv[20:60, 20:60] = -21.0 + rng.normal(0, 1.0, (40, 40))
    post = np.stack([vv, vv - 7.0]).astype(np.float32)
    rules = mapping.Rules.from_fit(mapping.fit_scene(post), pixel_size_m=10.0)
    single = water.water_feature_db(post)
    grown = water.grow_water(
        water.kuan_db(single, size=mapping.GROW_FILTER_PX),
        water.despeckle_db(single) < rules.threshold,
        limit_db=rules.grow_limit,
    )
    _, wet = mapping.rules_water(post, rules)
    assert (wet >= grown).all()  # the later steps only add single-look shore pixels
    assert wet[20:60, 20:60].mean() > 0.99 and wet[:15].sum() == 0
