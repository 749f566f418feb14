"""Demo scene listing, windows, scene simulation arguments, grids of extra inputs, views."""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine

from paii_core.enhance import demo_scenes as ds
from paii_core.enhance import scenes, views
from paii_core.enhance.files import sr_geotiff
from paii_core.enhance.weights import model_version
from paii_core.errors import DemoWorldMissingError, FormatError, InputNotFoundError, ValidationError
from paii_core.io import write_geotiff


def test_demo_scenes_list_hazy_dates_with_truth(tiny_world):
    found = ds.demo_scenes(tiny_world)
    hazy = [s for s in found if s.tau550 > 0]
    assert len(hazy) == 9 and all(s.clear_truth is not None for s in hazy)
    table = ds.haze_table([s for s in found if s.aoi_id == found[0].aoi_id])
    by_tau = table.sort_values("tau550")
    assert by_tau["haze_index"].iloc[-1] > by_tau["haze_index"].iloc[0]
    others = ds.neighbour_dates(found, hazy[0])
    assert len(others) == 2 and all(o.tau550 == 0 and not o.cloudy for o in others)


def test_missing_demo_world_and_bad_window(tmp_path):
    with pytest.raises(DemoWorldMissingError, match="paii demo build"):
        ds.demo_scenes(tmp_path)
    arr = np.zeros((4, 10, 10))
    assert ds.window(arr, 2, 3, 5).shape == (4, 5, 5)
    assert ds.window(np.zeros((4, 40, 40)), 2, 3, 5, scale=4).shape == (4, 20, 20)
    with pytest.raises(
        ValidationError, match=r"window 5 x 5 px at \(8, 0\) does not fit in 10 x 10"
    ):
        ds.window(arr, 8, 0, 5)
    assert ds.window(arr, 1, 0, (9, 10)).shape == (4, 9, 10)  # rows x columns
    with pytest.raises(ValidationError, match=r"window 9 x 10 px at \(2, 0\) does not fit"):
        ds.window(arr, 2, 0, (9, 10))


def test_make_scene_rejects_bad_arguments():
    with pytest.raises(ValidationError, match="region must be one of"):
        scenes.make_scene(1, "mars")
    with pytest.raises(ValidationError, match="size must be >= 16"):
        scenes.make_scene(1, "iowa", size=8)


def test_extra_inputs_on_another_grid_are_refused(tmp_path, scene):
    t = Affine(10, 0, 0, 0, -10, 0)
    src = write_geotiff(tmp_path / "a.tif", scene.clear[0], crs="EPSG:32650", transform=t)
    moved = write_geotiff(
        tmp_path / "b.tif",
        scene.clear[1],
        crs="EPSG:32650",
        transform=Affine(10, 0, 100, 0, -10, 0),
    )
    with pytest.raises(FormatError, match="not on the grid"):
        sr_geotiff(src, tmp_path / "o.tif", temporal=[moved])
    assert not (tmp_path / "o.tif").exists()


def test_model_version_needs_weights(tmp_path):
    with pytest.raises(InputNotFoundError, match="no trained weights"):
        model_version(tmp_path)


def test_views_render_uint8_with_nodata_black():
    img = np.full((4, 3, 3), 0.15, np.float32)
    img[3] = 0.45
    img[:, 0, 0] = np.nan
    rgb, nd = views.true_colour(img), views.ndvi_rgb(img)
    assert rgb.shape == nd.shape == (3, 3, 3) and rgb.dtype == nd.dtype == np.uint8
    assert (rgb[0, 0] == 0).all() and (nd[0, 0] == 0).all()
    assert nd[1, 1, 1] > nd[1, 1, 0]  # NDVI 0.5 is green
