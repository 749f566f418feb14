"""The oracle decomposition re-implements the TOA haze path and swaps its estimates."""

from __future__ import annotations

import numpy as np
import pytest

from bench.enhance import dehaze_oracle
from paii_core.enhance import real_scenes
from paii_core.enhance.haze_path import dark_objects, path_dehaze


@pytest.fixture(scope="module")
def crop():
    clear = real_scenes.landsat5_toa().image[:, :96, :96].copy()
    return clear, dehaze_oracle.draw(clear, np.random.default_rng(7), 1.0)


def test_with_nothing_swapped_it_is_the_module(crop):
    clear, truth = crop
    for image in (clear, truth["hazy"]):
        ours, t550 = dehaze_oracle.inversion(image, set(), truth)
        theirs, t550_module = path_dehaze(image)
        np.testing.assert_allclose(ours, theirs, atol=2e-6)
        np.testing.assert_allclose(t550, t550_module, atol=2e-6)


def test_the_true_path_and_transmission_give_the_clear_capture_back(crop):
    clear, truth = crop
    out, _ = dehaze_oracle.inversion(truth["hazy"], {"vis", "nir"}, truth)
    np.testing.assert_allclose(out, np.maximum(clear, 0.0), atol=2e-5)
    # one group alone leaves the other band's estimate: NIR is then not the clear NIR
    out_vis, _ = dehaze_oracle.inversion(truth["hazy"], {"vis"}, truth)
    np.testing.assert_allclose(out_vis[:3], np.maximum(clear[:3], 0.0), atol=2e-5)
    assert np.abs(out_vis[3] - clear[3]).mean() > 1e-3


def test_the_clear_captures_own_dark_map_leaves_it_alone(crop):
    clear, _ = crop
    out, _ = dehaze_oracle.inversion(clear, set(), None, dark_objects(clear))
    np.testing.assert_allclose(out, clear, atol=2e-6)


def test_the_draw_holds_the_truth_it_hazed_with(crop):
    clear, truth = crop
    assert 0.9 <= truth["alpha"] <= 1.6 and abs(float(truth["field"].mean()) - 1.0) < 1e-4
    rebuilt = clear * truth["t"] + truth["path"]
    np.testing.assert_allclose(rebuilt, truth["hazy"], atol=2e-6)


def test_the_true_airlights_lower_the_error_and_a_clear_capture_left_alone_raises_it():
    """On a development draw (Landsat-8, tau 1.0) the module errs; the draw's airlights
    lower that error, and scoring against the undehazed clear capture raises it: the
    hazy capture's output keeps the change dehaze(clear) makes to the clear floor."""
    kw = {"taus": (1.0,), "seeds": (902,), "scenes": ("landsat8",)}
    module = dehaze_oracle.decompose("none", **kw)
    assert module["cases"] == 1 and module["mean"] > 0.02
    assert dehaze_oracle.decompose("A-all", **kw)["mean"] < module["mean"] / 2
    left_alone = dehaze_oracle.decompose("clear-id", **kw)
    assert left_alone["e_clear"] == 0.0 and left_alone["mean"] > 2 * module["mean"]
    # red by its own depth (the module before session 11) errs more on this draw
    assert dehaze_oracle.decompose("red-own", **kw)["mean"] > module["mean"]


def test_an_unknown_oracle_is_refused():
    with pytest.raises(SystemExit, match=r"unknown oracle.*'A-sky'.*choose from"):
        dehaze_oracle.decompose("A-sky", (1.0,), (900,))
