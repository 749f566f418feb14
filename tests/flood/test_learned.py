"""The learned water model: features, loading errors, wiring into map_flood and `paii flood`."""

from pathlib import Path

import numpy as np
import pytest
import rasterio

from paii_core.cli import main
from paii_core.config import paths
from paii_core.errors import InputNotFoundError
from paii_core.flood import learned, map_flood
from paii_core.flood.mapping import Rules, fit_scene, rules_water

CHIPS = paths().root / "data" / "real" / "sen1floods11_handlabeled"


def _lake(vv_only: bool = False, offset: float = 0.0) -> np.ndarray:
    """(2, 200, 200) dB: land near -9 / -16 dB with a dark lake (-21 / -27 dB)."""
    rng = np.random.default_rng(5)
    post = np.empty((2, 200, 200), dtype=np.float32)
    post[0] = -9.0 + 10 * np.log10(rng.gamma(4.4, 1 / 4.4, (200, 200)))
    post[1] = -16.0 + 10 * np.log10(rng.gamma(4.4, 1 / 4.4, (200, 200)))
    lake = np.zeros((200, 200), bool)
    lake[60:140, 50:150] = True
    post[:, lake] -= 12.0
    post += np.float32(offset)
    if vv_only:
        post[1] = np.nan
    return post, lake


def _features(post):
    fit = fit_scene(post)
    _, wet = rules_water(post, Rules.from_fit(fit, pixel_size_m=10.0))
    return learned.water_features(post, fit, wet)


def test_features_cover_the_gate_and_vv_only_leaves_vh_missing():
    post, lake = _lake()
    post[:, :5, :5] = np.nan
    x, gate = _features(post)
    assert x.shape == (len(learned.FEATURES), gate.sum())
    assert np.isfinite(x).all()
    # the gate holds the lake and its surroundings, never the pixels without data
    assert gate[lake].all() and not gate[:5, :5].any()
    assert 0.2 < gate.mean() < 0.6
    x_vv, gate_vv = _features(_lake(vv_only=True)[0])
    assert np.isnan(x_vv[learned.FEATURES.index("vh")]).all()
    assert np.isfinite(x_vv[learned.FEATURES.index("mix")]).all()
    assert gate_vv[lake].all()


def test_candidate_features_are_local_and_sided_with_the_lake():
    post, lake = _lake()
    fit = fit_scene(post)
    _, wet = rules_water(post, Rules.from_fit(fit, pixel_size_m=10.0))
    names = (*learned.FEATURES, *learned.EXTRA_FEATURES)
    x, gate = learned.water_features(post, fit, wet, names)
    col = {n: x[i] for i, n in enumerate(names)}
    inside = lake[gate]
    for name in ("vv_minus_t", "mix_minus_local_otsu", "mean101_minus_t"):
        assert np.nanmedian(col[name][inside]) < np.nanmedian(col[name][~inside])
    # the local split sees two classes at the shore, one in the middle of the lake
    shore = np.zeros_like(lake)
    shore[55:65, 50:150] = True
    assert np.nanmedian(col["local_ashman"][shore[gate]]) > 2.0
    assert np.isfinite(col["local_share"]).mean() > 0.9
    # speckle of 4.4 looks: CV 1 / sqrt(4.4) = 0.48 over the lake's and the land's flat
    # interiors, more where the 9 px window holds both; VV - VH is 7 dB on both sides
    middle = np.zeros_like(lake)
    middle[80:120, 70:130] = True
    for band in ("vv", "vh"):
        cv = col[f"cv9_{band}"]
        assert abs(np.median(cv[middle[gate]]) - 4.4**-0.5) < 0.05
        assert np.median(cv[shore[gate]]) > np.median(cv[middle[gate]]) + 0.3
    assert abs(np.median(col["ratio31"]) - 7.0) < 0.3
    vv_only = np.stack([post[0], np.full_like(post[1], np.nan)])
    x_vv, _ = learned.water_features(vv_only, fit, wet, names)
    for name in ("cv9_vh", "ratio31"):
        assert np.isnan(x_vv[names.index(name)]).all()
    base, _ = learned.water_features(post, fit, wet)
    assert np.array_equal(base, x[: len(learned.FEATURES)])


@pytest.mark.parametrize("vv_only", [False, True])
@pytest.mark.parametrize("offset", [0.0, -2.0, 2.0])
def test_model_finds_the_lake_in_vv_vh_and_vv_only_scenes_under_calibration_offsets(
    vv_only, offset
):
    post, lake = _lake(vv_only, offset)
    fm = map_flood(post, None, pixel_size_m=10.0, water_model=True)
    assert fm.water_source == "learned"
    iou = (fm.water & lake).sum() / (fm.water | lake).sum()
    assert iou > 0.9
    assert map_flood(post, None, pixel_size_m=10.0).water_source == "rules"  # the default


def test_coarse_pixels_use_the_rules():
    post, _ = _lake()
    assert map_flood(post, None, pixel_size_m=60.0, water_model=True).water_source == "rules"


def test_missing_model_is_a_clear_error(tmp_path):
    post, _ = _lake()
    with pytest.raises(InputNotFoundError, match=r"flood water model .* is missing; restore"):
        map_flood(post, None, pixel_size_m=10.0, water_model=True, model_dir=tmp_path)


def test_command_maps_with_the_model_folder_it_is_given(tmp_path, capsys):
    import shutil

    post, _ = _lake()
    from affine import Affine

    from paii_core import io

    s1 = io.write_sentinel1(tmp_path / "s1.tif", post, crs="EPSG:32650",
                            transform=Affine(10, 0, 500_000, 0, -10, 3_300_000),
                            date="2020-07-10")  # fmt: skip
    folder = tmp_path / "models"
    args = ["flood", "--post", str(s1), "--water", "learned", "--water-model", str(folder)]
    assert main([*args, str(tmp_path / "a.tif")]) != 0
    assert "models/water_lgbm.txt is missing" in capsys.readouterr().err
    assert not (tmp_path / "a.tif").exists()
    folder.mkdir()
    for name in (learned.MODEL_NAME, learned.VV_MODEL_NAME):
        shutil.copy(learned.model_path(), folder / name)
    assert main([*args, str(tmp_path / "b.tif")]) == 0
    assert "water by the learned model;" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("vv_only", "names"), [(False, learned.FEATURES), (True, learned.FEATURES_VV)]
)
def test_committed_model_files_load_with_their_cut(vv_only, names):
    booster, cut = learned.load_water_model(vv_only=vv_only)
    assert booster.feature_name() == list(names)
    assert 0.0 < cut < 1.0


def _chip_iou(chip: Path, out: Path) -> tuple[float, float]:
    """(paii water IoU, global Otsu VV IoU) of a real test chip through the command."""
    from bench.flood.real_chips import iou, otsu

    assert main(["flood", "--post", str(chip), "--water", "learned", str(out)]) == 0
    label = rasterio.open(chip.with_name(chip.name.replace("_S1Hand", "_LabelHand"))).read(1)
    sar = rasterio.open(chip).read()
    valid = (label >= 0) & np.isfinite(sar[0])
    with rasterio.open(out) as src:
        assert src.tags()["WATER_SOURCE"].startswith("learned model")
        water = (src.read(1) == 1) & valid
    truth = (label == 1) & valid
    return iou(water, truth), iou(otsu(sar[0]) & valid, truth)


def test_real_chip_through_the_command_beats_one_otsu_threshold(tmp_path, capsys):
    got, otsu = _chip_iou(CHIPS / "USA_905409_S1Hand.tif", tmp_path / "usa.tif")
    assert "water by the learned" in capsys.readouterr().out
    assert got > otsu


def test_windowed_command_path_uses_the_model_and_agrees_with_the_in_memory_map(tmp_path):
    from affine import Affine

    from paii_core import io
    from paii_core.flood.files import map_flood_files
    from paii_core.flood.stream import map_flood_stream

    post, lake = _lake()
    post[:, :10, :10] = np.nan
    grid = Affine(10, 0, 500_000, 0, -10, 3_300_000)
    s1 = io.write_sentinel1(tmp_path / "s1.tif", post, crs="EPSG:32650", transform=grid,
                            date="2020-07-10")  # fmt: skip
    summary = map_flood_stream(s1, tmp_path / "out.tif", window_px=96, water_model=True)
    assert summary.water_source == "learned"
    with rasterio.open(tmp_path / "out.tif") as src:
        assert src.tags()["WATER_SOURCE"].startswith("learned model")
        water = src.read(1)
    assert np.isnan(water[:10, :10]).all()
    whole, _ = map_flood_files(s1, water_model=True)
    assert whole.water_source == "learned"
    agree = ((water == 1) & whole.water).sum() / ((water == 1) | whole.water).sum()
    assert agree > 0.95
    assert ((water == 1) & lake).sum() / ((water == 1) | lake).sum() > 0.9


def test_command_tags_the_method_that_decided_water(tmp_path, capsys):
    from affine import Affine

    from paii_core import io

    post, lake = _lake()
    grid = Affine(10, 0, 500_000, 0, -10, 3_300_000)
    s1 = io.write_sentinel1(tmp_path / "s1.tif", post, crs="EPSG:32650", transform=grid,
                            date="2020-07-10")  # fmt: skip
    dem = io.write_dem(tmp_path / "dem.tif", np.full((200, 200), 50.0, np.float32),
                       crs="EPSG:32650", transform=grid)  # fmt: skip
    sources = {}
    for name, extra in (("default", []), ("dem", ["--dem", str(dem)]),
                        ("learned", ["--water", "learned"])):  # fmt: skip
        out = tmp_path / f"{name}_flood.tif"  # not dem.tif: that is the --dem input
        assert main(["flood", "--post", str(s1), *extra, str(out)]) == 0
        with rasterio.open(out) as src:
            sources[name] = src.tags()["WATER_SOURCE"]
            water = src.read(1) == 1
        assert (water & lake).sum() / (water | lake).sum() > 0.9
    assert sources["default"].startswith("rules") and sources["dem"].startswith("rules")
    assert sources["learned"].startswith("learned model")
    printed = capsys.readouterr().out
    assert "water by the rules" in printed and "water by the learned" in printed


def test_water_source_tag_names_the_folder_the_model_was_read_from(tmp_path):
    import shutil

    from affine import Affine

    from paii_core import io
    from paii_core.flood.stream import map_flood_stream

    own = tmp_path / "my_models"
    shutil.copytree(learned.model_path().parent, own)
    post, _ = _lake()
    grid = Affine(10, 0, 500_000, 0, -10, 3_300_000)
    s1 = io.write_sentinel1(tmp_path / "s1.tif", post, crs="EPSG:32650", transform=grid,
                            date="2020-07-10")  # fmt: skip
    tags = {}
    for name in ("default", "own"):
        folder = ["--water-model", str(own)] if name == "own" else []
        out = tmp_path / f"{name}.tif"
        assert main(["flood", "--post", str(s1), "--water", "learned", *folder, str(out)]) == 0
        tags[name] = rasterio.open(out).tags()["WATER_SOURCE"]
    map_flood_stream(s1, tmp_path / "win.tif", window_px=96, water_model=True, model_dir=own)
    tags["windowed"] = rasterio.open(tmp_path / "win.tif").tags()["WATER_SOURCE"]
    assert f"in {learned.model_path().parent})" in tags["default"]
    assert f"in {own})" in tags["own"] and f"in {own})" in tags["windowed"]
    assert str(learned.model_path().parent) not in tags["own"]
