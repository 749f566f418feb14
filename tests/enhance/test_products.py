"""Enhanced products are cached by input hash, method and model version."""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine

from paii_core.enhance.products import enhance_cached, input_hash
from paii_core.errors import ValidationError
from paii_core.io import Raster


def test_input_hash_tells_inputs_apart():
    a = np.zeros((4, 3, 3), np.float32)
    assert input_hash(a) == input_hash(a.copy())
    assert input_hash(a) != input_hash(a + 1) != input_hash(a, None)


def test_second_request_is_read_from_cache(tiny_world, scene):
    raster = Raster(scene.clear[0], "EPSG:32650", Affine(10, 0, 0, 0, -10, 0))
    first = enhance_cached("sr", raster, method="bicubic", simulated=True)
    again = enhance_cached("sr", raster, method="bicubic", simulated=True)
    assert not first.cached and again.cached
    assert first.path.name.startswith("simulated_sr_bicubic_")
    assert first.path.is_relative_to(tiny_world)
    np.testing.assert_array_equal(first.data, again.data)
    with pytest.raises(ValidationError, match="method for dehaze"):
        enhance_cached("dehaze", raster, method="bicubic", simulated=True)
    with pytest.raises(ValidationError, match="kind must be one of"):
        enhance_cached("deblur", raster, method="model", simulated=True)
