"""TOA dehazing by the per-band haze path: NDVI held, clear scenes kept, thick haze flagged."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from affine import Affine

from paii_core.demo import haze
from paii_core.enhance import dehaze, real_scenes
from paii_core.enhance.api import dehaze_method
from paii_core.enhance.files import dehaze_geotiff
from paii_core.enhance.haze_path import CLEAR_DARK, dark_objects, path_dehaze
from paii_core.errors import ValidationError
from paii_core.io import write_geotiff


def ndvi(x: np.ndarray) -> np.ndarray:
    return (x[3] - x[2]) / np.maximum(x[3] + x[2], 1e-3)


@pytest.fixture(scope="module")
def clear_toa() -> np.ndarray:
    """A clear real TOA capture of the development set (Landsat-5 TM, Para)."""
    return real_scenes.landsat5_toa().image[:, :128, :128].copy()


def _hazy(clear: np.ndarray, tau: float, airlight_scale: float = 1.0, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    field = haze.haze_optical_depth(
        clear.shape[1:], rng, mean_tau=tau, variability=0.3, correlation_px=60.0
    )
    airlight = (np.asarray(haze.DEFAULT_AIRLIGHT) * airlight_scale).tolist()
    return haze.apply_haze(clear, field, airlight=airlight, angstrom=1.1)


def test_a_clear_toa_capture_is_nearly_unchanged(clear_toa):
    out, t550 = path_dehaze(clear_toa)
    assert np.mean(np.abs(out - clear_toa)) < 0.006
    assert np.nanmean(t550) > 0.95
    # its dark objects sit near the clear-sky level the method assumes
    dark = np.median(dark_objects(clear_toa).reshape(3, -1), axis=1)
    assert np.all(np.abs(dark - CLEAR_DARK) < 0.012)


@pytest.mark.parametrize("tau", [0.5, 1.0])
def test_ndvi_of_hazy_matches_ndvi_of_clear_after_dehazing(clear_toa, tau):
    veg = (clear_toa[3] + clear_toa[2]) > 0.2
    hazy = _hazy(clear_toa, tau)
    before = np.mean(np.abs(ndvi(hazy) - ndvi(clear_toa))[veg])
    out = dehaze(hazy, toa=True)
    out_clear = dehaze(clear_toa, toa=True)
    after = np.nanmean(np.abs(ndvi(out) - ndvi(out_clear))[veg])
    assert before > 0.1 and after < 0.05
    assert np.isnan(out).mean() < 0.01 and (out[~np.isnan(out)] >= 0).all()


def test_the_path_does_not_hang_on_the_assumed_airlight(clear_toa):
    """The path comes from the image's dark objects: an airlight 15 % off the prior
    either way moves red, where NDVI is decided, by little."""
    low, _ = path_dehaze(_hazy(clear_toa, 0.5, 0.85))
    high, _ = path_dehaze(_hazy(clear_toa, 0.5, 1.15))
    assert np.mean(np.abs(low[2] - high[2])) < 0.01
    assert np.mean(np.abs(low[2] - clear_toa[2])) < 0.015


def test_nan_is_kept_and_too_thick_haze_is_flagged(clear_toa):
    hazy = _hazy(clear_toa, 3.0)
    hazy[:, :5, :5] = np.nan
    out = dehaze(hazy, toa=True)
    assert np.isnan(out[:, :5, :5]).all()
    assert np.isnan(out).any(axis=0).mean() > 0.5
    kept = dehaze(hazy, toa=True, flag_thick=False)
    assert np.isnan(kept).any(axis=0).sum() == 25


def test_model_on_toa_input_runs_the_path_and_path_needs_toa(clear_toa, tmp_path):
    assert dehaze_method("model", True) == "path" and dehaze_method("model", False) == "model"
    assert dehaze_method("dcp", True) == "dcp"
    with pytest.raises(ValidationError, match="needs top-of-atmosphere input"):
        dehaze(clear_toa, method="path")
    with pytest.raises(ValidationError, match="method must be one of"):
        dehaze_method("dos", True)
    src = write_geotiff(
        tmp_path / "l1c.tif",
        clear_toa,
        crs="EPSG:32622",
        transform=Affine(30, 0, 500000, 0, -30, 9500000),
        tags={"PROCESSING_LEVEL": "Level-1C"},
    )
    out = dehaze_geotiff(src, tmp_path / "out.tif")
    with rasterio.open(out) as ds:
        assert ds.tags()["PAII_METHOD"] == "path" and ds.tags()["PAII_REFLECTANCE_LEVEL"] == "TOA"
        np.testing.assert_allclose(ds.read([1, 2, 3, 4]), path_dehaze(clear_toa)[0], atol=1e-6)


def test_given_clear_levels_set_the_dark_objects_output_exactly():
    """A uniform capture is its own dark object (D = I), so each visible band comes out
    at the clear level it is given, (I - D) / t + Dc = Dc, and NIR is inverted with the
    median visible optical depth tau_b = -ln(1 - (D_b - Dc_b) / (A_b - Dc_b)) / r_b."""
    image = np.empty((4, 12, 12), np.float32)
    image[:] = np.array([0.2, 0.15, 0.1, 0.3], np.float32)[:, None, None]
    levels = np.array([0.1, 0.08, 0.05], np.float32)
    out, t550 = path_dehaze(image, clear_dark=levels)
    np.testing.assert_allclose(
        out[:3], np.broadcast_to(levels[:, None, None], (3, 12, 12)), atol=1e-6
    )
    ratio = (np.asarray([490.0, 560.0, 665.0, 842.0]) / 550.0) ** -1.3
    air = np.array([0.36, 0.33, 0.30, 0.26])
    tau = -np.log(1 - (image[:3, 0, 0] - levels) / (air[:3] - levels)) / ratio[:3]
    t_nir = np.exp(-np.median(tau) * ratio[3])
    np.testing.assert_allclose(out[3], (0.3 - 0.26 * (1 - t_nir)) / t_nir, rtol=1e-5)
    np.testing.assert_allclose(t550, np.exp(-np.median(tau)), rtol=1e-5)
    # the capture's own levels leave it unchanged; a map of them equals the three numbers
    same, t_same = path_dehaze(image, clear_dark=image[:3, 0, 0])
    np.testing.assert_allclose(same, image, atol=1e-6)
    assert np.all(t_same == 1.0)
    as_map, _ = path_dehaze(image, clear_dark=np.broadcast_to(levels[:, None, None], (3, 12, 12)))
    np.testing.assert_array_equal(as_map, out)


def test_clear_levels_of_the_wrong_shape_or_range_are_refused(clear_toa):
    with pytest.raises(ValidationError, match=r"clear_dark must give B, G, R levels as \(3,\)"):
        path_dehaze(clear_toa, clear_dark=np.zeros(4))
    with pytest.raises(
        ValidationError, match=r"\(3, H, W\) = \(3, 128, 128\), got shape \(3, 5, 5\)"
    ):
        path_dehaze(clear_toa, clear_dark=np.zeros((3, 5, 5)))
    with pytest.raises(ValidationError, match="clear_dark must be finite reflectance levels"):
        path_dehaze(clear_toa, clear_dark=[0.07, np.nan, 0.04])
    with pytest.raises(ValidationError, match=r"between 0 and the prior red airlight 0\.30"):
        path_dehaze(clear_toa, clear_dark=[0.07, 0.05, 0.3])
