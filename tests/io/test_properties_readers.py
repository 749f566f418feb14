"""Property tests (hypothesis) of the GeoTIFF readers and writer: any shape, NaN pattern,
extreme value and dtype round-trips, windows equal slices, L2A scaling is exact."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from rasterio.windows import Window

from paii_core import io
from tests.io.conftest import ORIGIN, UTM50

SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
shapes = st.tuples(st.integers(1, 3), st.integers(1, 40), st.integers(1, 40))
floats = st.floats(allow_nan=True, allow_infinity=True, width=32)


@SETTINGS
@given(data=hnp.arrays(np.float32, shapes, elements=floats))
def test_float_round_trip_keeps_values_nan_and_extremes(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("p") / "f.tif"
    io.write_geotiff(path, data, crs=UTM50, transform=ORIGIN)
    back = io.read_geotiff(path)
    assert back.data.dtype == np.float32 and back.data.shape == data.shape
    np.testing.assert_array_equal(back.data, data)  # NaN == NaN here; +-inf and 3.4e38 kept


@SETTINGS
@given(
    dtype=st.sampled_from(["uint8", "uint16", "int16", "int32"]),
    shape=shapes,
    seed=st.integers(0, 2**32 - 1),
    nodata_share=st.floats(0, 1),
)
def test_integer_round_trip_with_nodata(tmp_path_factory, dtype, shape, seed, nodata_share):
    info = np.iinfo(dtype)
    rng = np.random.default_rng(seed)
    values = rng.integers(info.min + 1, info.max, size=shape, endpoint=True).astype(np.float64)
    values[rng.random(shape) < nodata_share] = np.nan
    path = tmp_path_factory.mktemp("p") / "i.tif"
    io.write_geotiff(path, values, crs=UTM50, transform=ORIGIN, dtype=dtype, nodata=info.min)
    back = io.read_geotiff(path).data
    np.testing.assert_array_equal(back, values.astype(np.float32))


@SETTINGS
@given(
    shape=st.tuples(st.integers(1, 2), st.integers(1, 30), st.integers(1, 30)),
    box=st.tuples(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1), st.floats(0, 1)),
)
def test_window_is_the_slice_of_the_whole(tmp_path_factory, shape, box):
    data = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    path = tmp_path_factory.mktemp("p") / "w.tif"
    io.write_geotiff(path, data, crs=UTM50, transform=ORIGIN)
    _, h, w = shape
    r0, c0 = int(box[0] * (h - 1)), int(box[1] * (w - 1))
    rh, cw = 1 + int(box[2] * (h - r0 - 1)), 1 + int(box[3] * (w - c0 - 1))
    win = io.read_window(path, Window(c0, r0, cw, rh))
    np.testing.assert_array_equal(win.data, data[:, r0 : r0 + rh, c0 : c0 + cw])
    assert win.transform.c == ORIGIN.c + 10 * c0 and win.transform.f == ORIGIN.f - 10 * r0


@SETTINGS
@given(
    refl=hnp.arrays(
        np.float32, st.tuples(st.just(4), st.integers(1, 12), st.integers(1, 12)),
        elements=st.one_of(st.floats(0.0, 1.25, width=32), st.just(np.nan)),
    )
)  # fmt: skip
def test_l2a_reflectance_survives_the_dn_encoding(tmp_path_factory, refl):
    path = tmp_path_factory.mktemp("p") / "S2_L2A.tif"
    io.write_sentinel2_l2a(path, refl, crs=UTM50, transform=ORIGIN, date="2020-06-01")
    back = io.read_sentinel2_l2a(path).data
    # DN = round(refl * 1e4) + 1000; DN 0 is nodata, so refl -0.1 cannot be stored
    assert np.array_equal(np.isnan(back), np.isnan(refl))
    ok = ~np.isnan(refl)
    assert np.abs(back[ok] - refl[ok]).max(initial=0) <= 0.5e-4 + 1e-6
