"""Physically valid dehazing: TOA path kept, no negative output, thick haze flagged."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from affine import Affine

from paii_core.enhance import dehaze, real_scenes, scenes
from paii_core.enhance.files import dehaze_geotiff, is_toa
from paii_core.enhance.haze_physics import CLEAR_SKY_PATH, clear_sky_path, thick_haze
from paii_core.errors import ValidationError
from paii_core.io import Raster, write_geotiff


@pytest.fixture(scope="module")
def clear_toa() -> np.ndarray:
    return real_scenes.slovenia_l1c("2015-07-11").image[:, :96, :96].copy()


def test_clear_sky_path_is_capped_and_below_the_darkest_pixels(clear_toa):
    path = clear_sky_path(clear_toa)
    assert (path <= CLEAR_SKY_PATH).all() and (path >= 0).all()
    assert (path <= clear_toa.reshape(4, -1).min(axis=1) + 0.01).all()


def test_clear_toa_scene_is_nearly_unchanged_and_never_negative(clear_toa):
    out = dehaze(clear_toa, toa=True)
    assert np.nanmean(np.abs(out - clear_toa)) < 0.01
    assert (out[~np.isnan(out)] >= 0).all()


def test_nan_is_kept_and_thick_haze_is_flagged_not_invented(clear_toa):
    image = real_scenes.italy_l2a("bench").image[:, :96, :96].copy()
    image[:, :4, :4] = np.nan
    hazy, _ = scenes.hazy_version(np.nan_to_num(image), np.random.default_rng(1), mean_tau=4.0)
    hazy[:, :4, :4] = np.nan
    flags = thick_haze(hazy)
    assert flags.mean() > 0.5 and not flags[:4, :4].any()
    out = dehaze(hazy, method="dcp")
    assert np.isnan(out[:, flags]).all() and np.isnan(out[:, :4, :4]).all()
    assert not thick_haze(np.nan_to_num(image)).any()


def test_toa_is_recognised_from_tags():
    def raster(**tags) -> Raster:
        return Raster(np.zeros((4, 2, 2), np.float32), None, Affine.identity(), (), tags)

    assert is_toa(raster(PRODUCT_TYPE="S2MSI1C")) and is_toa(raster(REFLECTANCE="TOA"))
    assert is_toa(raster(PROCESSING_LEVEL="Level-1C"))
    assert not is_toa(raster(PRODUCT_TYPE="S2MSI2A")) and not is_toa(raster())


def test_dehaze_geotiff_writes_a_thick_haze_band(tmp_path, clear_toa):
    src = write_geotiff(
        tmp_path / "l1c.tif",
        clear_toa,
        crs="EPSG:32633",
        transform=Affine(10, 0, 465180, 0, -10, 5080250),
        tags={"PRODUCT_TYPE": "S2MSI1C"},
    )
    out = dehaze_geotiff(src, tmp_path / "out.tif", method="dcp")
    with rasterio.open(out) as ds:
        assert ds.count == 5 and ds.descriptions[4] == "THICK_HAZE"
        assert ds.tags()["PAII_REFLECTANCE_LEVEL"] == "TOA"
        assert set(np.unique(ds.read(5))) <= {0.0, 1.0}
    with pytest.raises(ValidationError, match="level must be"):
        dehaze_geotiff(src, tmp_path / "x.tif", level="L1")


def test_flag_layer_marks_only_pixels_the_dehazer_left_empty():
    from paii_core.enhance.views import flag_overlay, flagged

    image = np.full((4, 3, 3), 0.1, np.float32)
    image[:, 0, 0] = np.nan
    dehazed = image.copy()
    dehazed[:, 1, 1] = np.nan
    flags = flagged(image, dehazed)
    assert flags.sum() == 1 and flags[1, 1]
    rgb = flag_overlay(image, flags)
    assert rgb.shape == (3, 3, 3) and rgb[1, 1, 0] > rgb[1, 1, 1] and rgb[2, 2, 0] == rgb[2, 2, 1]


def test_scene_mean_haze_has_exactly_the_depth_asked():
    clear = real_scenes.italy_l2a("bench").image[:, :96, :96]
    clear = np.nan_to_num(clear)
    means = []
    for seed in range(6):
        _loose, field = scenes.hazy_version(clear, np.random.default_rng(seed), mean_tau=1.0)
        _exact, scaled = scenes.hazy_version(
            clear, np.random.default_rng(seed), mean_tau=1.0, scene_mean=True
        )
        means.append(float(field.mean()))
        assert abs(float(scaled.mean()) - 1.0) < 1e-4
        # the same draw, only scaled: the pattern of the haze is kept
        assert np.corrcoef(field.ravel(), scaled.ravel())[0, 1] > 0.999
    # one draw of a 96 px scene can sit well away from the expected mean
    assert max(abs(m - 1.0) for m in means) > 0.05
