"""bench.enhance.dehaze_throughput: the TOA input is the same hazy capture over a clear-sky path."""

from __future__ import annotations

import numpy as np

from bench.enhance.dehaze_throughput import TOA_PATH, make_hazy_input
from paii_core.io import read_geotiff


def test_toa_input_carries_the_clear_sky_path_under_the_same_haze(tmp_path):
    make_hazy_input(tmp_path / "l2a.tif", 96)
    make_hazy_input(tmp_path / "toa.tif", 96, toa=True)
    l2a = read_geotiff(tmp_path / "l2a.tif", expected_bands=4).data
    toa = read_geotiff(tmp_path / "toa.tif", expected_bands=4).data
    assert np.isnan(l2a[:, :64, :64]).all() and np.isnan(toa[:, :64, :64]).all()
    lift = np.nanmean(toa - l2a, axis=(1, 2))
    # the path passes through the haze attenuated (t < 1), most in blue, least in NIR
    assert np.all(lift > 0) and np.all(lift < TOA_PATH) and np.all(np.diff(lift) < 0)
