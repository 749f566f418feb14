"""Crop calendars, NDVI curves and the per-pixel state maps of the demo world."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from paii_core.demo import phenology as ph
from paii_core.demo.classes import CROPS, LandCover, crop_index
from paii_core.demo.regions import DEMO_REGIONS
from paii_core.errors import ValidationError

DOY = np.arange(1, 366)
MONTH_START = np.cumsum([1, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30])


def month_of(doy: int) -> int:
    return int(np.searchsorted(MONTH_START, doy, side="right"))


def tiny_fields(crops=("rice", "wheat", "corn"), shifts=(0.0, 10.0, -5.0)):
    """Three 4x8 parcels side by side over a road row, a water and a built column."""
    lc = np.full((6, 26), LandCover.CROPLAND, dtype=np.uint8)
    ct = np.full(lc.shape, -1, dtype=np.int16)
    pid = np.zeros(lc.shape, dtype=np.int32)
    for k, crop in enumerate(crops):
        ct[:4, 8 * k : 8 * k + 8] = crop_index(crop)
        pid[:4, 8 * k : 8 * k + 8] = k + 1
    lc[4] = LandCover.ROAD
    lc[5, :13] = LandCover.WATER
    lc[5, 13:] = LandCover.BUILT
    lc[:4, 24:] = LandCover.FOREST
    parcels = pd.DataFrame(
        {
            "parcel_id": [1, 2, 3],
            "crop": list(crops),
            "sowing_shift_days": list(shifts),
            "soil_brightness": [1.0, 1.1, 0.9],
            "management": [1.0, 0.9, 1.05],
        }
    )
    return lc, ct, pid, parcels


def test_every_crop_and_every_region_crop_has_a_calendar():
    assert set(ph.CROP_CALENDARS) == set(CROPS)
    for region in DEMO_REGIONS.values():
        for aoi in region.aois:
            assert set(aoi.crops) <= set(ph.REGION_CALENDAR[region.region_id])


@pytest.mark.parametrize(
    ("crop", "region", "months"),
    [
        ("wheat", "henan", {4}),
        ("maize", "henan", {7, 8}),
        ("peanut", "henan", {7, 8}),
        ("rice", "hubei", {8}),
        ("rapeseed", "hubei", {3, 4}),
        ("corn", "iowa", {7, 8}),
        ("soybean", "iowa", {8}),
    ],
)
def test_ndvi_peaks_in_the_expected_months(crop, region, months):
    curve = ph.ndvi_at(DOY, crop, region=region)
    assert month_of(int(DOY[np.argmax(curve)])) in months
    assert 0.75 <= curve.max() <= 0.95


def test_henan_maize_follows_winter_wheat_and_hubei_maize_is_spring_sown():
    henan = ph.ndvi_at(DOY, "maize", region="henan")
    assert henan[104] > 0.7 and henan[170] < 0.3  # wheat in April, stubble in June
    assert not ph.is_crop_present(105, "maize", region="henan")
    hubei = ph.ndvi_at(DOY, "maize", region="hubei")
    assert 5 <= month_of(int(DOY[np.argmax(hubei)])) <= 7


def test_winter_crops_are_sown_the_year_before():
    wheat = ph.ndvi_at(np.array([20, 200, 340]), "wheat")
    assert wheat[0] > 0.3 and wheat[1] < 0.2 and wheat[2] > 0.3
    assert ph.is_crop_present(340, "wheat") and not ph.is_crop_present(200, "wheat")


def test_soybean_greens_up_later_than_corn():
    assert ph.ndvi_at(175, "soybean") < ph.ndvi_at(175, "corn") - 0.15


def test_hay_cuttings_drop_ndvi_and_regrow():
    before, after, regrown = ph.ndvi_at(np.array([150, 160, 185]), "hay")
    assert before - after > 0.35 and regrown > after + 0.3
    assert ph.is_crop_present(10, "hay")


def test_rice_has_a_flooded_stage_with_water_ndvi():
    rice = ph.ndvi_at(np.array([120, 160, 215]), "rice")
    assert rice[1] < 0.05 < rice[0] < rice[2]


def test_sowing_shift_delays_and_vigour_scales_the_curve():
    days = np.arange(100, 250)
    shifted = ph.ndvi_at(days, "corn", sowing_shift_days=10)
    assert np.allclose(shifted, ph.ndvi_at(days - 10, "corn"))
    weak = ph.ndvi_at(200, "corn", vigour=0.8)
    assert weak == pytest.approx(0.15 + 0.8 * (ph.ndvi_at(200, "corn") - 0.15), abs=1e-3)
    both = ph.ndvi_at(200, "corn", sowing_shift_days=np.array([0, 20]), vigour=[1.0, 1.0])
    assert both.shape == (2,) and both[1] < both[0]


def test_non_crop_classes_have_their_own_curves():
    lcc = ph.LANDCOVER_CALENDARS
    forest = ph.ndvi_at(DOY, lcc[LandCover.FOREST])
    grass = ph.ndvi_at(DOY, lcc[LandCover.GRASS])
    assert forest[120] > 0.8 > grass.max()
    assert forest[100] > ph.ndvi_at(101, "corn")  # leaves out before the summer crops
    assert np.all(ph.ndvi_at(DOY, lcc[LandCover.WATER]) < 0)
    assert ph.ndvi_at(200, lcc[LandCover.BUILT]) < 0.25
    assert ph.ndvi_at(200, lcc[LandCover.ROAD]) < 0.1


def test_landcover_ndvi_is_deterministic_and_follows_parcels():
    lc, ct, pid, parcels = tiny_fields()
    a = ph.landcover_ndvi(lc, ct, pid, parcels, 160, np.random.default_rng(3), region="hubei")
    b = ph.landcover_ndvi(lc, ct, pid, parcels, 160, np.random.default_rng(3), region="hubei")
    c = ph.landcover_ndvi(lc, ct, pid, parcels, 160, np.random.default_rng(4), region="hubei")
    assert a.dtype == np.float32 and a.shape == lc.shape
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    state = ph.crop_state_maps(lc, ct, pid, parcels, 160, region="hubei")
    assert np.abs(a - state.ndvi).max() < 0.15  # texture is small
    assert state.ndvi[0, 0] < 0.05  # flooded paddy
    assert state.ndvi[5, 0] < 0  # water
    assert state.paddy_flooded[:4, :8].all() and not state.paddy_flooded[:, 8:].any()


def test_per_parcel_sowing_shift_and_management_change_ndvi():
    lc, ct, pid, parcels = tiny_fields(("corn", "corn", "corn"), (0.0, 15.0, 0.0))
    parcels["management"] = ["good", "average", "poor"]
    state = ph.crop_state_maps(lc, ct, pid, parcels, 170)
    early, late, poor = state.ndvi[0, 0], state.ndvi[0, 8], state.ndvi[0, 16]
    assert late < early - 0.1 and poor < early
    assert ph.parcel_vigour(parcels).tolist() == [1.08, 1.0, 0.85]


def test_nodata_is_nan_and_residue_follows_harvest():
    lc, ct, pid, parcels = tiny_fields(("wheat", "wheat", "wheat"), (0.0, 0.0, 0.0))
    lc[0, 0] = LandCover.NODATA
    state = ph.crop_state_maps(lc, ct, pid, parcels, 165)
    assert np.isnan(state.ndvi[0, 0]) and np.isfinite(state.ndvi[1:]).all()
    assert 0.2 < state.dry[1, 1] < 0.5  # stubble ten days after harvest
    assert ph.crop_state_maps(lc, ct, pid, parcels, 300).dry[1, 1] < 0.1


def test_sparse_parcel_ids_give_the_same_maps_as_dense_ones():
    lc, ct, pid, parcels = tiny_fields()
    dense = ph.crop_state_maps(lc, ct, pid, parcels, 170)
    big = 10_000_000
    sparse_ids = np.where(pid > 0, pid + big, 0).astype(np.int32)
    renumbered = parcels.assign(parcel_id=parcels["parcel_id"] + big)
    sparse = ph.crop_state_maps(lc, ct, sparse_ids, renumbered, 170)
    assert np.array_equal(dense.ndvi, sparse.ndvi, equal_nan=True)
    assert np.array_equal(dense.dry, sparse.dry)


def test_paddy_flooded_only_while_water_dominates():
    _, ct, pid, parcels = tiny_fields()
    assert ph.paddy_flooded(ct, pid, parcels, 160)[:4, :8].all()
    for doy in (120, 215):
        assert not ph.paddy_flooded(ct, pid, parcels, doy).any()
    assert ph.paddy_flooded(ct, pid, None, 160).sum() == 32


def test_flowering_only_for_rapeseed_in_march():
    lc, ct, pid, parcels = tiny_fields(("rapeseed", "wheat", "corn"))
    assert ph.crop_state_maps(lc, ct, pid, parcels, 80).flowering[:4, :8].min() > 0.3
    flowering = ph.crop_state_maps(lc, ct, pid, parcels, 80).flowering
    assert not flowering[:, 8:].any()
    assert not ph.crop_state_maps(lc, ct, pid, parcels, 150).flowering.any()


def test_smooth_noise_has_unit_variance_and_is_deterministic():
    for corr in (1.0, 6.0):
        field = ph.smooth_noise((128, 96), np.random.default_rng(0), corr)
        assert field.shape == (128, 96) and field.dtype == np.float32
        assert 0.6 < field.std() < 1.3
        assert np.array_equal(field, ph.smooth_noise((128, 96), np.random.default_rng(0), corr))


def test_calendar_table_lists_every_season():
    table = ph.calendar_table(ph.REGION_CALENDAR["iowa"])
    assert (table["calendar"] == "hay").sum() == 4
    assert {"sowing_doy", "peak_doy", "harvest_doy"} <= set(table.columns)


def test_bad_arguments_are_refused():
    lc, ct, pid, parcels = tiny_fields()
    with pytest.raises(ValidationError, match="crop 'cotton' is unknown; use one of"):
        ph.ndvi_at(100, "cotton")
    with pytest.raises(ValidationError, match="region 'texas' is unknown"):
        ph.ndvi_at(100, "corn", region="texas")
    with pytest.raises(ValidationError, match="crop 'rice' has no calendar in region 'iowa'"):
        ph.ndvi_at(100, "rice", region="iowa")
    with pytest.raises(ValidationError, match="doy must be a day of year between 1 and 366"):
        ph.ndvi_at(400, "corn")
    with pytest.raises(ValidationError, match="land_cover and crop_type should have the same"):
        ph.landcover_ndvi(lc, ct[:3], pid, parcels, 100, np.random.default_rng(0))
    with pytest.raises(ValidationError, match="land_cover must be a 2-D"):
        ph.crop_state_maps(lc[None], ct, pid, parcels, 100)
    with pytest.raises(ValidationError, match="crop_type values must be -1"):
        ph.crop_state_maps(lc, ct + 20, pid, parcels, 100)
    with pytest.raises(ValidationError, match="land_cover values must be LandCover codes"):
        ph.crop_state_maps(lc + 50, ct, pid, parcels, 100)
    with pytest.raises(ValidationError, match="parcel_ids must be >= 0"):
        ph.crop_state_maps(lc, ct, pid - 5, parcels, 100)
    with pytest.raises(ValidationError, match="crop_type and parcel_ids must be integer"):
        ph.paddy_flooded(ct.astype(float), pid, parcels, 100)
    with pytest.raises(ValidationError, match="parcels must have a parcel_id column"):
        ph.crop_state_maps(lc, ct, pid, parcels.drop(columns="parcel_id"), 100)
    with pytest.raises(ValidationError, match="vigour must be > 0"):
        ph.ndvi_at(100, "corn", vigour=0.0)
    with pytest.raises(ValidationError, match="sowing_shift_days must be finite and within"):
        ph.crop_state_maps(lc, ct, pid, parcels.assign(sowing_shift_days=500), 100)
    with pytest.raises(ValidationError, match="management and soil_brightness must be > 0"):
        ph.crop_state_maps(lc, ct, pid, parcels.assign(management=-1.0), 100)
    with pytest.raises(ValidationError, match="management 'great' is unknown"):
        ph.parcel_vigour(pd.DataFrame({"management": ["good", "great"]}))
    with pytest.raises(ValidationError, match="dates must satisfy sowing <= green-up"):
        ph.Season("corn", 120, 110, 60, 0.8, 30, 280)
    with pytest.raises(ValidationError, match="peak_ndvi in"):
        ph.Season("corn", 120, 130, 60, 1.2, 30, 280)
    with pytest.raises(ValidationError, match="smooth_noise needs a positive shape"):
        ph.smooth_noise((0, 5), np.random.default_rng(0), 2.0)
