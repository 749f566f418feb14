"""Pit filling, flats, D8 routing, accumulation, HAND and slope on tiny exact grids."""

import numpy as np
import pytest

from paii_core.errors import ValidationError
from paii_core.flood import terrain


def test_fill_raises_a_pit_to_its_spill_level():
    z = np.full((5, 5), 5.0, np.float32)
    z[1:4, 1:4] = [[2, 2, 3], [2, 1, 3], [3, 3, 3]]
    z[3, 4] = 4.0  # the spill point
    filled = terrain.fill_depressions(z)
    assert np.all(filled[1:4, 1:4] == 4.0)
    assert filled[0, 0] == 5.0


def test_flats_drain_to_their_outlet_without_cycles():
    z = np.full((6, 8), 9.0, np.float32)
    z[1:5, 1:7] = 3.0
    z[2, 7] = 1.0  # the only way out of the flat
    d = terrain.route(z)
    acc = d.accumulation
    # everything on the flat passes the cell next to the outlet, then the outlet
    assert acc[2, 7] >= 25
    assert acc.sum() > 0 and np.isfinite(acc).all()
    assert d.downstream[2, 6] == 2 * 8 + 7
    assert d.downstream[2, 7] == 2 * 8 + 7  # the edge outlet leaves the grid


def test_hand_is_height_above_the_channel():
    rows = np.arange(40, dtype=np.float32)[:, None]
    cols = np.abs(np.arange(41, dtype=np.float32) - 20)[None, :]
    z = 100.0 - 0.1 * rows + 0.5 * cols  # a V valley draining south
    channel = np.zeros(z.shape, bool)
    channel[:, 20] = True
    h = terrain.hand(z, pixel_size_m=10.0, channels=channel)
    assert h[10, 20] == 0.0
    assert h[10, 30] == pytest.approx(5.0, abs=1.0)
    assert (h >= 0).all()


def test_slope_of_a_plane():
    z = np.tile(np.arange(10, dtype=np.float32) * 10.0, (10, 1))  # 10 m per 10 m pixel
    assert terrain.slope_deg(z, pixel_size_m=10.0)[5, 5] == pytest.approx(45.0, abs=0.01)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"dem": np.zeros((2, 2))}, "at least 3 x 3"),
        ({"dem": np.full((5, 5), np.nan)}, "no data"),
        ({"dem": np.zeros((5, 5)), "pixel_size_m": 0.0}, "pixel_size_m"),
        ({"dem": np.zeros((5, 5)), "channel_area_km2": 0.0}, "channel_area_km2"),
        ({"dem": np.zeros((5, 5)), "channels": np.zeros((4, 4))}, "channels should"),
    ],
)
def test_hand_rejects_bad_input(kwargs, match):
    args = {"pixel_size_m": 10.0, **kwargs}
    with pytest.raises(ValidationError, match=match):
        terrain.hand(args.pop("dem"), **args)


def test_slope_rejects_bad_pixel_size():
    with pytest.raises(ValidationError, match="pixel_size_m"):
        terrain.slope_deg(np.zeros((5, 5)), pixel_size_m=-1.0)


def test_dem_voids_and_reprojection_corners_do_not_spread_through_hand():
    # A tilted valley whose corners are empty, as after reprojecting a chip: before the
    # fix every flow path into a void ended there and HAND was NaN along it.
    y, x = np.mgrid[0:200, 0:200]
    z = (np.abs(x - 100) * 0.5 + y * 0.05).astype(np.float32)
    z[:60, :60] = np.nan
    z[150:, 150:] = np.nan
    z[100:104, 30:34] = np.nan  # an SRTM-style void
    h = terrain.hand(z, pixel_size_m=30.0)
    assert np.array_equal(np.isnan(h), np.isnan(z))
    assert h[120, 100] == pytest.approx(0.0, abs=0.5)  # the valley floor
    assert h[120, 180] == pytest.approx(40.0, abs=2.0)  # 80 px up the side at 0.5 m/px
    filled = terrain.fill_voids(z)
    assert np.isfinite(filled).all() and filled[0, 59] == z[0, 60]
