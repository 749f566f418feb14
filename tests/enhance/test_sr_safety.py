"""SR on real captures: the sensor model is estimated, output stays consistent with it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from paii_core.enhance import real_scenes, scenes, sr_data, super_resolve
from paii_core.enhance.api import detail_weight, estimate_sensor
from paii_core.enhance.nets import SRNet
from paii_core.enhance.sensor import SensorModel, estimate_blur
from paii_core.errors import InputNotFoundError


@pytest.fixture(scope="module")
def truth() -> np.ndarray:
    """A 128 px window of the real Landsat-7 TOA scene (the truth of 32 px captures)."""
    return real_scenes.landsat7_toa().image[:, 100:228, 100:228].copy()


def test_blur_is_read_off_the_spectrum(truth):
    box = estimate_blur(SensorModel(0.0).capture(truth))
    blurred = estimate_blur(SensorModel(0.5).capture(truth))
    assert max(box) < 0.15
    assert all(0.3 < s < 0.7 for s in blurred)
    assert estimate_blur(np.zeros((4, 8, 8))) == (0.0, 0.0)


def test_detail_fades_in_with_the_blur():
    assert detail_weight(SensorModel(0.0)) == 0.0
    assert detail_weight(SensorModel(0.5)) == 1.0
    assert 0.0 < detail_weight(SensorModel(0.2)) < 1.0


@pytest.mark.parametrize("sigma", [0.0, 0.5])
def test_sr_beats_bicubic_and_reproduces_its_input(truth, sigma):
    model = SensorModel(sigma)
    lo = model.capture(truth)
    out = super_resolve(lo)
    bic = super_resolve(lo, method="bicubic")
    inner = np.s_[:, 8:-8, 8:-8]
    assert np.mean((out - truth)[inner] ** 2) < np.mean((bic - truth)[inner] ** 2)
    assert np.mean(np.abs(model.capture(out) - lo)) < 0.01
    assert estimate_sensor(lo).describe().startswith("box 4x")


def test_box_capture_ignores_other_dates(truth):
    lo = SensorModel(0.0).capture(truth)
    other = SensorModel(0.0).capture(truth[:, ::-1, :].copy())
    single = super_resolve(lo, sensor=SensorModel(0.0))
    multi = super_resolve(lo, temporal=other[None], sensor=SensorModel(0.0))
    np.testing.assert_array_equal(single, multi)


def test_random_sensor_samples_match_their_truth():
    scene = scenes.make_scene(scenes.BENCH_SEEDS.start + 60, "henan", size=32, dates=2)
    rng = np.random.default_rng(0)
    ref, oth, sar, hi = sr_data.sim_sample(scene, rng, patch=16, others=2, sigma=(0.3, 0.0))
    assert ref.shape == (4, 16, 16) and oth.shape == (2, 4, 16, 16) and hi.shape == (4, 64, 64)
    assert np.abs(sr_data.capture(hi, (0.3, 0.0)) - ref).mean() < 0.01
    image = real_scenes.italy_l2a("train").image[:, :64, :64]
    ref, oth, sar, hi = sr_data.real_sample(image, rng, patch=8, others=0, sigma=(0.0, 0.0))
    assert ref.shape == (4, 8, 8) and oth.shape[0] == 0 and sar.shape == (2, 8, 8)
    assert sr_data.random_sigma(rng)[0] <= sr_data.SIGMA_RANGE[1]


def test_a_network_that_reads_the_blur_keeps_all_its_detail():
    net = SRNet()
    assert detail_weight(SensorModel(0.0), net) == 0.0  # weights without the modulation
    torch.nn.init.constant_(net.film.weight, 0.1)
    assert detail_weight(SensorModel(0.0), net) == 1.0


def test_sr_training_images_are_real_reflectance_of_ten_captures():
    images = sr_data.training_images()
    assert [a.shape[0] for a in images] == [4] * 10
    assert images[0].shape == real_scenes.italy_l2a("train").image.shape
    assert images[3].shape == real_scenes.landsat5_toa().image.shape
    assert images[4].shape == (4, 408, 438)  # the North Carolina Landsat-7 crop
    assert images[5].shape == real_scenes.brandenburg_l1c("train").image.shape
    assert images[6].shape == real_scenes.manaus_sr().image.shape
    assert images[7].shape == (4, 800, 800)  # the Thai Sentinel-2 L2A crop, DN / 10000
    assert 0.03 < np.median(images[7][0]) < 0.07  # blue surface reflectance, no +1000 offset
    assert images[8].shape == (4, 512, 512)  # the Dolomites Sentinel-2 crop, (DN - 1000) / 1e4
    assert 0.06 < np.median(images[8][0]) < 0.1 and images[8][0].min() > 0.02  # TOA-like blue
    assert images[9].shape == (4, 512, 512)  # the Virginia Sentinel-2 L1C crop, DN / 10000
    assert 0.09 < np.median(images[9][0]) < 0.13  # TOA blue, no offset to remove
    dev = [load().image for load in real_scenes.SR_DEV.values()]
    assert not any(a.shape == d.shape and np.array_equal(a, d) for a in images for d in dev)
    for a in images:
        assert np.isfinite(a).all() and min(a.shape[1:]) >= 280
        red, nir = np.median(a[2]), np.median(a[3])
        assert 0.01 < red < 0.3 and red < nir < 0.6  # vegetated land: NIR above red


def test_the_network_is_told_the_blur_as_the_estimator_reads_it():
    rng = np.random.default_rng(0)
    assert sr_data.assumed_sigma((0.0, 0.0), rng) == (0.0, 0.0)
    told = [sr_data.assumed_sigma((0.5, 0.5), rng)[0] for _ in range(50)]
    assert 0.35 <= min(told) and max(told) <= 0.53


def test_missing_training_scene_says_how_to_restore(monkeypatch, tmp_path):
    (tmp_path / "italy_s2_l2a_openeo").mkdir()
    src = real_scenes.real_dir() / "italy_s2_l2a_openeo" / "S2_L2A_sample.tif"
    (tmp_path / "italy_s2_l2a_openeo" / "S2_L2A_sample.tif").write_bytes(src.read_bytes())
    monkeypatch.setattr(real_scenes, "real_dir", lambda: tmp_path)
    with pytest.raises(InputNotFoundError, match=r"SR training scene missing.*git checkout"):
        sr_data.training_images()


def test_a_box_specialist_serves_box_captures_only(truth, tmp_path):
    from paii_core.enhance import load_model
    from paii_core.enhance.api import sr_net_for
    from paii_core.enhance.weights import save_weights
    from paii_core.errors import InputFileError

    torch.manual_seed(0)
    main, box = SRNet(), SRNet()
    for net, value in ((main, 0.1), (box, -0.2)):
        torch.nn.init.constant_(net.film.weight, value)  # both read the blur: full detail
    folder = tmp_path / "sr"
    main_version = save_weights(main, folder, {"model": "sr"})["version"]
    box_version = save_weights(box, folder / "box", {"model": "sr"})["version"]
    loaded = load_model("sr", folder)
    assert loaded.version == f"{main_version}+box.{box_version}"
    assert sr_net_for(loaded, SensorModel(0.0)) is loaded.box_net
    assert sr_net_for(loaded, SensorModel(0.5)) is loaded
    assert sr_net_for(loaded, SensorModel(0.0, sigma_x=0.3)) is loaded
    assert "box_net.film.weight" not in loaded.state_dict()
    lo = SensorModel(0.0).capture(truth)
    by_box = super_resolve(lo, net=load_model("sr", folder / "box"), sensor=SensorModel(0.0))
    np.testing.assert_array_equal(super_resolve(lo, net=loaded), by_box)
    plain = load_model("sr", folder)
    plain.__dict__["box_net"] = None
    assert np.abs(super_resolve(lo, net=plain) - by_box).max() > 1e-4
    blurred = SensorModel(0.5).capture(truth)
    np.testing.assert_array_equal(
        super_resolve(blurred, net=loaded, sensor=SensorModel(0.5)),
        super_resolve(blurred, net=plain, sensor=SensorModel(0.5)),
    )
    from paii_core.enhance.nets import DehazeNet

    save_weights(DehazeNet(), folder / "box", {"model": "dehaze"})
    with pytest.raises(InputFileError, match="weights do not fit SRNet"):
        load_model("sr", folder)
