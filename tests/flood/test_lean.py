"""The compiled HAND kernels give the array version's HAND cell for cell."""

import numpy as np
import pytest

from paii_core.flood import lean, terrain


def _dems():
    for seed in range(4):
        rng = np.random.default_rng(seed)
        yield f"noise{seed}", rng.normal(size=(40, 57)).astype(np.float32)
        # whole-metre heights: wide flats and filled pits, as in SRTM
        yield f"plateaus{seed}", np.round(rng.normal(size=(45, 38)) * 2).astype(np.float32)
        y, x = np.mgrid[0:90, 0:70]
        valley = np.abs(x - 35) * 0.3 + y * 0.02 + rng.normal(size=x.shape)
        yield f"valley{seed}", np.round(valley).astype(np.float32)
        holes = np.round(valley).astype(np.float32)
        holes[:20, :20] = np.nan  # a reprojection corner
        holes[50:55, 10:14] = np.nan  # a void
        yield f"voids{seed}", holes


@pytest.mark.parametrize("channel_km2", [0.0005, 0.003])
def test_compiled_hand_equals_the_array_version(channel_km2):
    for name, z in _dems():
        fast = terrain.hand(z, pixel_size_m=30.0, channel_area_km2=channel_km2)
        ref = terrain.hand(
            z,
            pixel_size_m=30.0,
            channel_area_km2=channel_km2,
            drainage=terrain.route(terrain.fill_voids(z)),
        )
        assert np.array_equal(fast, ref, equal_nan=True), name


def test_compiled_hand_with_given_channels_equals_the_array_version():
    rng = np.random.default_rng(5)
    z = np.round(rng.normal(size=(50, 60)) * 3).astype(np.float32)
    channels = np.zeros(z.shape, bool)
    channels[25, :] = True
    fast = terrain.hand(z, pixel_size_m=10.0, channels=channels)
    ref = terrain.hand(
        z, pixel_size_m=10.0, channels=channels, drainage=terrain.route(terrain.fill_voids(z))
    )
    assert np.array_equal(fast, ref)
    assert (fast[25] == 0).all()


def test_priority_flood_fills_as_the_reconstruction_does():
    for name, z in _dems():
        filled, _ = lean.fill_and_direct(z)
        assert np.array_equal(filled, terrain.fill_depressions(z), equal_nan=True), name


def test_compiled_accumulation_counts_every_cell_once():
    z = np.full((6, 8), 9.0, np.float32)
    z[1:5, 1:7] = 3.0
    z[2, 7] = 1.0  # the only way out of the flat
    acc = lean.accumulate(lean.fill_and_direct(z)[1])
    assert np.array_equal(acc, terrain.route(z).accumulation.astype(np.uint32))
    assert acc[2, 7] >= 25


def test_every_cell_gets_the_array_versions_receiver():
    for seed in range(6):
        z = np.round(np.random.default_rng(seed).normal(size=(50, 60)) * 3).astype(np.float32)
        code = lean.fill_and_direct(z)[1]
        assert np.array_equal(lean.downstream_index(code), terrain.route(z).downstream), seed
