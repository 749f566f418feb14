"""Sentinel-1 backscatter of the demo world: classes, floods, terrain and speckle."""

from __future__ import annotations

import numpy as np
import pytest

from paii_core.demo import sar
from paii_core.demo.classes import CROPS, LandCover
from paii_core.errors import ValidationError


def planes(n: int = 64, cls: LandCover = LandCover.CROPLAND, crop: str | None = "corn", ndvi=0.8):
    lc = np.full((n, n), cls, dtype=np.uint8)
    ct = np.full((n, n), -1 if crop is None else CROPS.index(crop), dtype=np.int16)
    return lc, ct, np.full((n, n), ndvi, dtype=np.float32), np.zeros((n, n), dtype=np.float32)


def mean_db(image: np.ndarray, mask: np.ndarray | None = None) -> float:
    return float(np.mean(image if mask is None else image[mask]))


def ridge(n: int = 64, pixel: float = 10.0) -> np.ndarray:
    """A north-south ridge: gentle 20 deg slope facing west, 70 deg cliff facing east."""
    x = (np.arange(n) - n // 2) * pixel
    z = np.where(x < 0, 400 + x * np.tan(np.deg2rad(20)), 400 - x * np.tan(np.deg2rad(70)))
    return np.tile(np.maximum(z, 0.0), (n, 1)).astype(np.float32)


def test_same_seed_same_image_and_vh_below_vv():
    lc, ct, ndvi, dem = planes()
    a = sar.simulate_sar(lc, ct, ndvi, dem, 10.0, np.random.default_rng(1))
    b = sar.simulate_sar(lc, ct, ndvi, dem, 10.0, np.random.default_rng(1))
    c = sar.simulate_sar(lc, ct, ndvi, dem, 10.0, np.random.default_rng(2))
    assert a.shape == (2, 64, 64) and a.dtype == np.float32
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    for cls, crop, veg in [
        (LandCover.CROPLAND, "wheat", 0.3),
        (LandCover.CROPLAND, "maize", 0.85),
        (LandCover.FOREST, None, 0.8),
        (LandCover.GRASS, None, 0.5),
        (LandCover.WATER, None, -0.4),
        (LandCover.BUILT, None, 0.1),
    ]:
        lc, ct, ndvi, dem = planes(32, cls, crop, veg)
        vv, vh = sar.simulate_sar(lc, ct, ndvi, dem, 10.0, np.random.default_rng(3))
        assert 3.0 < mean_db(vv) - mean_db(vh) < 12.0, cls


def test_water_is_far_darker_than_crops_and_villages_are_bright():
    lc, ct, ndvi, dem = planes(64)
    lc[:, :32] = LandCover.WATER
    ct[:, :32] = -1
    ndvi[:, :32] = -0.4
    lc[:8, 32:] = LandCover.BUILT
    vv, vh = sar.simulate_sar(lc, ct, ndvi, dem, 10.0, np.random.default_rng(0))
    water, crop, built = lc == LandCover.WATER, lc == LandCover.CROPLAND, lc == LandCover.BUILT
    assert mean_db(vv, crop) - mean_db(vv, water) > 8.0
    assert mean_db(vh, crop) - mean_db(vh, water) > 5.0
    assert -24.0 < mean_db(vv, water) < -17.0
    assert mean_db(vv, built) > mean_db(vv, crop) + 4.0


def test_wetter_soil_backscatters_more():
    lc, ct, ndvi, dem = planes(32, crop="corn", ndvi=0.15)
    dry = sar.simulate_sar(lc, ct, ndvi, dem, 10.0, np.random.default_rng(0), soil_moisture=0.1)
    wet = sar.simulate_sar(lc, ct, ndvi, dem, 10.0, np.random.default_rng(0), soil_moisture=0.35)
    assert mean_db(wet[0]) > mean_db(dry[0]) + 2.0


def test_speckle_has_the_coefficient_of_variation_of_its_looks():
    # Roads have a constant sigma0, so all variation is speckle.
    lc, ct, ndvi, dem = planes(128, LandCover.ROAD, None, 0.05)
    for looks in (1.0, 4.4):
        vv, vh = sar.from_db(sar.simulate_sar(lc, ct, ndvi, dem, 10.0, np.random.default_rng(5),
                                              looks=looks))  # fmt: skip
        for power in (vv, vh):
            assert power.std() / power.mean() == pytest.approx(1 / np.sqrt(looks), rel=0.05)


def test_flooded_fields_turn_dark_like_open_water():
    lc, ct, ndvi, dem = planes(64, ndvi=0.5)
    lc[:, :16] = LandCover.WATER
    flood = np.zeros((64, 64), dtype=bool)
    flood[:, 16:40] = True
    vv, _ = sar.simulate_sar(lc, ct, ndvi, dem, 10.0, np.random.default_rng(0), flooded=flood)
    water, flooded, dry = lc == LandCover.WATER, flood & (lc != LandCover.WATER), ~flood
    dry &= lc == LandCover.CROPLAND
    assert abs(mean_db(vv, flooded) - mean_db(vv, water)) < 1.5
    assert mean_db(vv, dry) - mean_db(vv, flooded) > 8.0


def test_young_flooded_rice_is_dark_then_double_bounce_brightens_it():
    paddy = np.ones((32, 32), dtype=bool)
    levels = []
    for veg in (0.05, 0.5):
        lc, ct, ndvi, dem = planes(32, crop="rice", ndvi=veg)
        vv, _ = sar.simulate_sar(
            lc, ct, ndvi, dem, 10.0, np.random.default_rng(0), paddy_flooded=paddy
        )
        levels.append(mean_db(vv))
    assert levels[0] < -16.0 and levels[1] > levels[0] + 5.0


def test_steep_back_slopes_are_in_radar_shadow_and_dark_but_not_water():
    dem = ridge()
    geo = sar.radar_geometry(dem, 10.0, incidence_deg=38.0, look_azimuth_deg=78.0)
    east = np.arange(64) > 32
    assert geo.shadow[:, east].any() and not geo.shadow[:, :30].any()
    lc, ct, ndvi, _ = planes(64, LandCover.GRASS, None, 0.6)
    vv, vh = sar.simulate_sar(lc, ct, ndvi, dem, 10.0, np.random.default_rng(0))
    assert (lc[geo.shadow] != LandCover.WATER).all()
    assert mean_db(vv, geo.shadow) < -20.0 and mean_db(vh, geo.shadow) < -20.0
    flat = sar.simulate_sar(lc, ct, ndvi, np.zeros_like(dem), 10.0, np.random.default_rng(0))
    fore = np.zeros((64, 64), dtype=bool)
    fore[:, 4:28] = True
    assert mean_db(vv, fore) > mean_db(flat[0], fore) + 1.0  # fore-slope brightening
    assert np.all(np.abs(geo.local_incidence_deg[:, 4:28] - 18.0) < 1.5)


def test_looking_west_moves_the_shadow_to_the_other_side():
    dem = ridge()[:, ::-1]
    geo = sar.radar_geometry(dem, 10.0, look_azimuth_deg=282.0)
    assert geo.shadow[:, :31].any() and not geo.shadow[:, 34:].any()


def test_nodata_and_db_helpers():
    lc, ct, ndvi, dem = planes(16)
    lc[0, 0] = LandCover.NODATA
    dem[1, 1] = np.nan
    out = sar.simulate_sar(lc, ct, ndvi, dem, 10.0, np.random.default_rng(0))
    assert np.isnan(out[:, 0, 0]).all() and np.isnan(out[:, 1, 1]).all()
    assert np.isfinite(out[:, 5:, 5:]).all()
    assert sar.to_db(np.array([1.0, 0.1, 0.0])).tolist() == pytest.approx([0.0, -10.0, -100.0])
    assert sar.from_db(sar.to_db(np.array([0.03]))) == pytest.approx(0.03, rel=1e-5)


def test_bad_arguments_are_refused():
    lc, ct, ndvi, dem = planes(8)
    rng = np.random.default_rng(0)
    with pytest.raises(ValidationError, match="looks must be > 0"):
        sar.simulate_sar(lc, ct, ndvi, dem, 10.0, rng, looks=0)
    with pytest.raises(ValidationError, match="land_cover and dem should have the same shape"):
        sar.simulate_sar(lc, ct, ndvi, dem[:4], 10.0, rng)
    with pytest.raises(ValidationError, match="land_cover and flooded should have the same"):
        sar.simulate_sar(lc, ct, ndvi, dem, 10.0, rng, flooded=np.zeros((3, 3), bool))
    with pytest.raises(ValidationError, match="soil_moisture must be a volumetric fraction"):
        sar.simulate_sar(lc, ct, ndvi, dem, 10.0, rng, soil_moisture=-0.1)
    with pytest.raises(ValidationError, match="soil_moisture must be a scalar or an array"):
        sar.simulate_sar(lc, ct, ndvi, dem, 10.0, rng, soil_moisture=np.zeros(3))
    with pytest.raises(ValidationError, match="incidence_deg must be between 5 and 85"):
        sar.simulate_sar(lc, ct, ndvi, dem, 10.0, rng, incidence_deg=90.0)
    with pytest.raises(ValidationError, match="pixel_size_m must be > 0"):
        sar.simulate_sar(lc, ct, ndvi, dem, 0.0, rng)
    with pytest.raises(ValidationError, match="crop_type values must be -1"):
        sar.simulate_sar(lc, ct + 30, ndvi, dem, 10.0, rng)
    with pytest.raises(ValidationError, match="dem must be a 2-D"):
        sar.radar_geometry(np.zeros(5), 10.0)
