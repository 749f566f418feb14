"""Surface reflectance rendering and the sensor model of the demo world."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from paii_core.demo import optics
from paii_core.demo.classes import CROPS, LandCover
from paii_core.demo.phenology import landcover_ndvi
from paii_core.errors import ValidationError


def tiny_scene(n: int = 64, seed: int = 0):
    """8x8-pixel parcels of random crops with roads, water, villages and forest."""
    rng = np.random.default_rng(seed)
    blocks = n // 8
    pid = (np.arange(blocks)[:, None] * blocks + np.arange(blocks)[None, :] + 1).repeat(8, 0)
    pid = pid.repeat(8, 1).astype(np.int32)
    crops = rng.integers(0, len(CROPS), blocks * blocks + 1)
    cls = rng.choice(
        [LandCover.CROPLAND] * 5
        + [LandCover.FOREST, LandCover.GRASS, LandCover.WATER, LandCover.BUILT],
        blocks * blocks + 1,
    ).astype(np.uint8)
    lc = cls[pid]
    lc[::8] = LandCover.ROAD
    ct = np.where(lc == LandCover.CROPLAND, crops[pid], -1).astype(np.int16)
    pid = np.where(ct >= 0, pid, 0).astype(np.int32)
    parcels = pd.DataFrame(
        {
            "parcel_id": np.arange(1, blocks * blocks + 1),
            "sowing_shift_days": rng.normal(0, 6, blocks * blocks),
            "soil_brightness": rng.uniform(0.85, 1.15, blocks * blocks),
            "management": rng.uniform(0.9, 1.1, blocks * blocks),
        }
    )
    return lc, ct, pid, parcels


def single_field(crop: str, n: int = 16, brightness: float = 1.0):
    lc = np.full((n, n), LandCover.CROPLAND, dtype=np.uint8)
    ct = np.full((n, n), CROPS.index(crop), dtype=np.int16)
    pid = np.ones((n, n), dtype=np.int32)
    parcels = pd.DataFrame({"parcel_id": [1], "soil_brightness": [brightness]})
    return lc, ct, pid, parcels


@pytest.mark.parametrize("doy", [120, 200, 260])
def test_rendered_ndvi_tracks_the_requested_ndvi(doy):
    lc, ct, pid, parcels = tiny_scene()
    ndvi = landcover_ndvi(lc, ct, pid, parcels, doy, np.random.default_rng(1))
    image = optics.render_bgrn(lc, ct, pid, parcels, doy, np.random.default_rng(2), ndvi=ndvi)
    got = optics.ndvi_of(image)
    assert np.corrcoef(got.ravel(), ndvi.ravel())[0, 1] > 0.95
    assert np.median(np.abs(got - ndvi)) < 0.01


def test_render_is_deterministic_physical_and_keeps_nodata():
    lc, ct, pid, parcels = tiny_scene()
    lc[:3, :3] = LandCover.NODATA
    a = optics.render_bgrn(lc, ct, pid, parcels, 200, np.random.default_rng(5))
    b = optics.render_bgrn(lc, ct, pid, parcels, 200, np.random.default_rng(5))
    c = optics.render_bgrn(lc, ct, pid, parcels, 200, np.random.default_rng(6))
    assert a.shape == (4, 64, 64) and a.dtype == np.float32
    assert np.array_equal(a, b, equal_nan=True) and not np.array_equal(a, c, equal_nan=True)
    assert np.isnan(a[:, :3, :3]).all() and np.isfinite(a[:, 3:, 3:]).all()
    assert np.nanmin(a) >= 0.0 and np.nanmax(a) <= 1.0
    water = lc == LandCover.WATER
    forest = lc == LandCover.FOREST
    assert a[3][water].mean() < 0.05 < a[3][forest].mean()
    assert (a[3][forest] > 3 * a[2][forest]).all()


def test_rapeseed_flowers_raise_green_and_red():
    flat = np.full((16, 16), 0.7, dtype=np.float32)
    rng = np.random.default_rng(0)
    rape = optics.render_bgrn(*single_field("rapeseed"), 80, rng, ndvi=flat, region="hubei")
    wheat = optics.render_bgrn(*single_field("wheat"), 80, rng, ndvi=flat, region="henan")
    assert rape[1].mean() > wheat[1].mean() + 0.05 and rape[2].mean() > wheat[2].mean() + 0.05
    assert optics.ndvi_of(rape).mean() < 0.6  # flowering lowers NDVI


def test_flooded_paddy_looks_like_water_and_soil_follows_brightness_and_moisture():
    rng = np.random.default_rng(0)
    paddy = optics.render_bgrn(*single_field("rice"), 160, rng, region="hubei")
    assert paddy[3].mean() < 0.1 and optics.ndvi_of(paddy).mean() < 0.1
    bright = optics.render_bgrn(*single_field("corn", brightness=1.2), 20, rng)
    dark = optics.render_bgrn(*single_field("corn", brightness=0.8), 20, rng)
    assert bright[2].mean() > 1.3 * dark[2].mean()
    wet = optics.render_bgrn(*single_field("corn"), 20, rng, soil_moisture=0.4)
    dry = optics.render_bgrn(*single_field("corn"), 20, rng, soil_moisture=0.05)
    assert wet[2].mean() < 0.8 * dry[2].mean()


def test_degrade_averages_areas_and_keeps_constants():
    flat = np.full((2, 32, 40), 0.25, dtype=np.float32)
    low = optics.degrade(flat, 4, shift_px=(0.3, -0.4), psf_sigma_px=0.6)
    assert low.shape == (2, 8, 10) and low.dtype == np.float32
    assert np.allclose(low, 0.25, atol=1e-6)
    rng = np.random.default_rng(0)
    scene = rng.random((1, 64, 64)).astype(np.float32)
    box = optics.degrade(scene, 4, psf_sigma_px=0.0)
    blocks = scene[0].reshape(16, 4, 16, 4).mean(axis=(1, 3))
    assert np.allclose(box[0], blocks, atol=1e-5)


def test_degrade_shift_moves_content_by_the_sub_pixel_amount():
    ramp = np.tile(np.arange(64, dtype=np.float32), (1, 64, 1))  # value = column
    low = optics.degrade(ramp, 4, shift_px=(0.0, 0.25), psf_sigma_px=0.5)
    centre = optics.degrade(ramp, 4, psf_sigma_px=0.5)
    # Away from the edges a shift of 0.25 output pixels samples one fine pixel further.
    assert np.allclose(low[0, :, 3:-3] - centre[0, :, 3:-3], 1.0, atol=1e-3)
    assert np.allclose(centre[0, 5, 3:-3], 4 * np.arange(3, 13) + 1.5, atol=1e-3)


def test_degrade_keeps_nodata_footprints():
    scene = np.full((4, 32, 32), 0.3, dtype=np.float32)
    scene[:, :8, :8] = np.nan  # two whole output pixels each way
    scene[:, 20, 20] = np.nan  # one fine pixel of a footprint
    low = optics.degrade(scene, 4)
    assert np.isnan(low[:, :2, :2]).all()
    assert np.isfinite(low[:, 2:, 2:]).all() and np.isfinite(low[:, 5, 5]).all()
    assert low[0, 5, 5] == pytest.approx(0.3)


def test_sensor_noise_follows_the_photon_transfer_model():
    image = np.full((4, 100, 100), 0.1, dtype=np.float32)
    image[:, 0, 0] = np.nan
    noisy = optics.add_sensor_noise(image, np.random.default_rng(0))
    expected = 0.1 / np.asarray(optics.SENTINEL2_SNR)
    assert np.allclose(np.nanstd(noisy, axis=(1, 2)), expected, rtol=0.05)
    assert np.isnan(noisy[:, 0, 0]).all()
    again = optics.add_sensor_noise(image, np.random.default_rng(0))
    assert np.array_equal(noisy, again, equal_nan=True)
    bright = optics.add_sensor_noise(image * 4, np.random.default_rng(0), snr=100.0)
    assert np.nanstd(bright) == pytest.approx(0.1 / 100 * np.sqrt(0.3 + 0.7 * 4), rel=0.05)


def test_bad_arguments_are_refused():
    lc, ct, pid, parcels = tiny_scene(16)
    rng = np.random.default_rng(0)
    with pytest.raises(ValidationError, match="land_cover and ndvi should have the same shape"):
        optics.render_bgrn(lc, ct, pid, parcels, 100, rng, ndvi=np.zeros((3, 3)))
    with pytest.raises(ValidationError, match="soil_moisture must be a volumetric fraction"):
        optics.render_bgrn(lc, ct, pid, parcels, 100, rng, soil_moisture=0.9)
    with pytest.raises(ValidationError, match="soil_moisture must be a scalar or an array"):
        optics.render_bgrn(lc, ct, pid, parcels, 100, rng, soil_moisture=np.zeros((2, 2)))
    with pytest.raises(ValidationError, match=r"hires must be a \(C, H, W\) array"):
        optics.degrade(np.zeros((16, 16), dtype=np.float32))
    with pytest.raises(ValidationError, match="hires must hold floating-point reflectance"):
        optics.degrade(np.zeros((1, 16, 16), dtype=np.uint16))
    with pytest.raises(ValidationError, match="factor must be a positive integer"):
        optics.degrade(np.zeros((1, 16, 16), dtype=np.float32), 0)
    with pytest.raises(ValidationError, match="smaller than one 4x pixel"):
        optics.degrade(np.zeros((1, 3, 16), dtype=np.float32), 4)
    with pytest.raises(ValidationError, match="psf_sigma_px must be >= 0"):
        optics.degrade(np.zeros((1, 16, 16), dtype=np.float32), psf_sigma_px=-1.0)
    with pytest.raises(ValidationError, match="shift_px must be two finite numbers"):
        optics.degrade(np.zeros((1, 16, 16), dtype=np.float32), shift_px=(np.nan, 0.0))
    with pytest.raises(ValidationError, match="snr and reference must be > 0"):
        optics.add_sensor_noise(np.zeros((4, 4, 4), dtype=np.float32), rng, snr=0.0)
    with pytest.raises(ValidationError, match=r"snr needs one value or one per band \(4\)"):
        optics.add_sensor_noise(np.zeros((4, 4, 4), dtype=np.float32), rng, snr=(1.0, 2.0))
