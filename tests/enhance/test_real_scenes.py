"""The real development set (data/real/) loads with the documented shapes and levels."""

from __future__ import annotations

import numpy as np
import pytest

from paii_core.enhance import real_scenes
from paii_core.errors import InputNotFoundError, ValidationError


def test_italy_split_is_disjoint_and_l2a_scaled():
    bench, train = real_scenes.italy_l2a("bench"), real_scenes.italy_l2a("train")
    assert bench.image.shape == train.image.shape == (4, 320, 932)
    assert bench.level == "L2A"
    assert real_scenes.ITALY_ROWS["bench"][1] < real_scenes.ITALY_ROWS["train"][0]
    # Surface reflectance of vegetation: dark red, bright NIR (DN / 10000, no offset).
    red, nir = np.nanmedian(bench.image[2]), np.nanmedian(bench.image[3])
    assert 0.01 < red < 0.08 and 0.2 < nir < 0.5


def test_slovenia_hazy_date_is_brighter_than_clear():
    hazy = real_scenes.slovenia_l1c("2015-07-31").image
    clear = real_scenes.slovenia_l1c("2015-07-11").image
    assert hazy.shape == clear.shape == (4, 100, 100)
    assert np.median(hazy[0]) > 1.5 * np.median(clear[0])


def test_slovenia_cloud_mask_marks_the_hazy_date_only():
    assert real_scenes.slovenia_cloud_share("2015-07-31") > 0.9
    assert real_scenes.slovenia_cloud_share("2015-07-11") == 0.0
    with pytest.raises(ValidationError, match="date must be one of"):
        real_scenes.slovenia_cloud_share("2015-07-30")


def test_landsat_toa_range():
    sc = real_scenes.landsat7_toa()
    assert sc.image.shape == (4, 352, 348) and sc.level == "TOA"
    assert 0.05 < np.nanmedian(sc.image[0]) < 0.2


def test_landsat5_is_calibrated_to_toa_by_its_mtl():
    sc = real_scenes.landsat5_toa()
    assert sc.image.shape == (4, 310, 287) and sc.level == "TOA" and sc.date == "1988-08-14"
    blue, red, nir = (np.median(sc.image[b]) for b in (0, 2, 3))
    # Tropical forest at the top of the atmosphere: blue lifted by the path (> 0.06), red
    # dark, NIR bright; DN 1 maps to the MTL's minimum radiance (just below 0).
    assert 0.06 < blue < 0.12 and 0.02 < red < 0.06 and 0.2 < nir < 0.4
    assert sc.image.min() > -0.01


def test_bad_part_and_date_raise():
    with pytest.raises(ValidationError, match="part must be"):
        real_scenes.italy_l2a("test")
    with pytest.raises(ValidationError, match="date must be one of"):
        real_scenes.slovenia_l1c("2016-01-01")


def test_missing_file_says_how_to_restore(monkeypatch, tmp_path):
    monkeypatch.setattr(real_scenes, "real_dir", lambda: tmp_path)
    with pytest.raises(InputNotFoundError, match="git checkout -- data/real"):
        real_scenes.landsat7_toa()
    with pytest.raises(InputNotFoundError, match="git checkout -- data/real"):
        real_scenes.landsat5_toa()


def test_etm_toa_follows_the_high_gain_rescaling_and_keeps_fill_as_nan():
    dn = np.ones((4, 2, 2))
    dn[:, 0, 0] = 255.0
    dn[:, 1, 1] = 0.0  # fill in all four bands
    toa = real_scenes.etm_toa(dn, 90.0)
    # DN 1 is LMIN, DN 255 is LMAX; sun at the zenith: rho = pi L / ESUN
    assert toa[3, 0, 1] == pytest.approx(np.pi * -5.1 / 1039.0)
    assert toa[0, 0, 0] == pytest.approx(np.pi * 191.6 / 1997.0)
    assert np.isnan(toa[:, 1, 1]).all() and np.isfinite(toa[:, :, 0]).all()
    lower_sun = real_scenes.etm_toa(dn, 30.0)
    assert lower_sun[0, 0, 0] == pytest.approx(2 * toa[0, 0, 0])  # 1 / sin(30 deg)
