"""OCO-2-like soundings: orbit tracks, the truth field, noise, flags and county-month truth."""

from __future__ import annotations

import re
from datetime import date, timedelta

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy.spatial import cKDTree
from shapely.geometry import box

from paii_core.demo import soundings
from paii_core.errors import ValidationError

BBOX = (-95.0, 41.0, -92.0, 44.0)  # about 3 x 3 degrees over Iowa
START, END = date(2019, 6, 1), date(2019, 7, 5)


def _km(frame: pd.DataFrame) -> np.ndarray:
    return np.column_stack(
        [frame["longitude"] * 111.32 * np.cos(np.deg2rad(42.5)), frame["latitude"] * 110.57]
    )


@pytest.fixture(scope="module")
def tracks() -> pd.DataFrame:
    return soundings.oco2_ground_tracks(START, END, [BBOX])


@pytest.fixture(scope="module")
def sim(tracks) -> pd.DataFrame:
    return soundings.simulate_soundings(tracks, np.random.default_rng(5))


def test_footprints_fall_inside_the_bbox_on_daylit_ascending_passes(tracks):
    assert len(tracks) > 3000
    assert tracks["longitude"].between(BBOX[0], BBOX[2]).all()
    assert tracks["latitude"].between(BBOX[1], BBOX[3]).all()
    t = tracks["time"]
    assert t.min() >= pd.Timestamp(START, tz="UTC") and t.max() < pd.Timestamp(END, tz="UTC")
    local = (t.dt.hour + t.dt.minute / 60 + tracks["longitude"] / 15) % 24
    assert local.between(12.8, 13.7).all()  # 13:36 at the node, about 13:10 at 42 N
    for _, one in tracks[tracks["footprint"] == 4].groupby("orbit"):
        assert one.sort_values("time")["latitude"].is_monotonic_increasing


def test_no_soundings_without_sunlight():
    winter = soundings.oco2_ground_tracks(date(2019, 12, 1), date(2019, 12, 9), [(-10, 55, 10, 79)])
    assert len(winter) > 0 and winter["latitude"].max() < 66.0


def test_eight_footprints_across_a_ten_km_swath_every_2_25_km(tracks):
    orbit = tracks[tracks["orbit"] == tracks["orbit"].value_counts().idxmax()]
    full = orbit.groupby("time").filter(lambda g: len(g) == 8)
    frame = full[full["time"] == full["time"].iloc[0]].sort_values("footprint")
    assert list(frame["footprint"]) == list(range(1, 9))
    across = np.hypot(*(_km(frame)[-1] - _km(frame)[0]))
    assert across == pytest.approx(7 * 1.3, abs=0.3)  # centre to centre; the swath is 10.4 km
    fp4 = orbit[orbit["footprint"] == 4].sort_values("time")
    steps = np.hypot(*np.diff(_km(fp4), axis=0).T)
    assert np.median(steps) == pytest.approx(2.25, abs=0.05)
    dt = np.diff(fp4["time"].astype("int64")) / 1e9
    assert np.median(dt) == pytest.approx(1 / 3, abs=0.01)


def test_ground_track_repeats_every_16_days(tracks):
    t = tracks["time"]
    first = tracks[t < pd.Timestamp(START + timedelta(days=16), tz="UTC")]
    again = tracks[t >= pd.Timestamp(START + timedelta(days=16), tz="UTC")]
    again = again[again["time"] < pd.Timestamp(START + timedelta(days=32), tz="UTC")]
    dist, _ = cKDTree(_km(first)).query(_km(again))
    assert np.quantile(dist, 0.99) < 1.0
    passes = [p for _, p in first.groupby("orbit")]
    shifted, _ = cKDTree(_km(passes[0])).query(_km(passes[1]))
    assert np.median(shifted) > 50  # the next pass flies another path


def test_sounding_ids_encode_time_and_footprint(tracks):
    ids = tracks["sounding_id"]
    assert ids.is_unique and ids.is_monotonic_increasing and ids.dtype == np.int64
    text = ids.astype(str)
    assert (text.str.len() == 16).all()
    assert (text.str[:14] == tracks["time"].dt.strftime("%Y%m%d%H%M%S")).all()
    assert (text.str[-1].astype(int) == tracks["footprint"]).all()


def test_truth_has_a_trend_a_summer_drawdown_growing_with_latitude_and_plumes():
    f = soundings.xco2_truth
    lon = 0.0
    growth = f(lon, 30.0, np.datetime64("2020-01-15")) - f(lon, 30.0, np.datetime64("2019-01-15"))
    assert growth == pytest.approx(2.4, abs=0.1)
    assert 405 < f(lon, 35.0, np.datetime64("2019-07-01")) < 415
    drop = {
        lat: f(lon, lat, np.datetime64("2019-06-01")) - f(lon, lat, np.datetime64("2019-08-31"))
        for lat in (20.0, 30.0, 42.0)
    }
    assert 2.0 < drop[30.0] < drop[42.0] < 6.0 and drop[20.0] < drop[30.0]
    june, july, august = (f(lon, 40.0, np.datetime64(f"2019-{m}-15")) for m in ("06", "07", "08"))
    assert june > july > august
    when = np.datetime64("2019-07-01")
    near = f(113.625, 34.85, when) - f(113.625, 33.6, when)  # Zhengzhou, downwind
    assert 1.0 < near < 3.0
    values = f(np.array([100.0, 110.0]), np.array([[30.0], [40.0]]), when)
    assert values.shape == (2, 2)


def test_noise_uncertainty_and_quality_flags(sim):
    assert sim["sounding_id"].is_unique and sim["sounding_id"].is_monotonic_increasing
    assert sim["xco2_quality_flag"].mean() == pytest.approx(0.35, abs=0.01)
    assert sim["xco2_uncertainty"].between(0.4, 1.2).all()
    truth = soundings.xco2_truth(sim["longitude"], sim["latitude"], sim["time"])
    err = sim["xco2"] - truth
    good = sim["xco2_quality_flag"] == 0
    assert abs(err[good].mean()) < 0.05
    assert (err[good] / sim.loc[good, "xco2_uncertainty"]).std() == pytest.approx(1.0, abs=0.05)
    assert err[~good].mean() > 0.5 and err[~good].std() > 2 * err[good].std()


def test_clouds_remove_whole_stretches_of_track(tracks, sim):
    kept = len(sim) / len(tracks)
    assert 0.3 < kept < 0.8
    clear = soundings.simulate_soundings(tracks, np.random.default_rng(5), cloud_fraction=0.0)
    assert len(clear) == len(tracks)

    def frames(f: pd.DataFrame) -> np.ndarray:
        return np.rint(f["time"].astype("int64").to_numpy() * 3 / 1e9).astype(np.int64)

    lost = np.setdiff1d(frames(tracks), frames(sim))
    runs = np.split(lost, np.flatnonzero(np.diff(lost) > 1) + 1)
    assert max(len(r) for r in runs) >= 10  # at least one gap of 22 km or more
    fewer = soundings.simulate_soundings(tracks, np.random.default_rng(5), bad_fraction=0.2)
    assert fewer["xco2_quality_flag"].mean() == pytest.approx(0.2, abs=0.01)


def test_same_seed_same_soundings(tracks, sim):
    again = soundings.simulate_soundings(tracks, np.random.default_rng(5))
    pd.testing.assert_frame_equal(again, sim)


def test_split_daily_and_lite_names(sim):
    days = soundings.split_daily(sim)
    assert sum(len(d) for d in days.values()) == len(sim)
    for day, part in days.items():
        assert isinstance(day, date) and (part["time"].dt.date == day).all()
        assert part["sounding_id"].is_monotonic_increasing
    name = soundings.lite_filename(date(2019, 6, 1))
    assert re.fullmatch(r"oco2_LtCO2_190601_B11014Ar_\d{6}T\d{6}Z\.nc4", name)
    assert name == soundings.lite_filename(date(2019, 6, 1))


def test_county_month_truth(sim):
    counties = gpd.GeoDataFrame(
        {"county_id": ["19001", "19003", "19005"]},
        geometry=[box(-94.5 + 0.5 * i, 42.0, -94.0 + 0.5 * i, 42.5) for i in range(3)],
        crs=4326,
    )
    months = pd.date_range("2019-06-01", "2019-08-01", freq="MS")
    truth = soundings.county_month_truth(counties, months)
    assert list(truth.columns) == ["county_id", "period", "xco2_true"]
    assert len(truth) == 9 and set(truth["period"]) == set(months)
    by = truth.pivot(index="county_id", columns="period", values="xco2_true")
    assert (by[months[0]] > by[months[1]]).all() and (by[months[1]] > by[months[2]]).all()
    sampled = soundings.county_month_truth(counties, months, soundings=sim)
    assert {"n_good", "xco2_true_sampled"} <= set(sampled.columns)
    seen = sampled[sampled["n_good"] > 0]
    assert (np.abs(seen["xco2_true_sampled"] - seen["xco2_true"]) < 1.5).all()


def test_bad_arguments_are_refused(tracks):
    with pytest.raises(ValidationError, match="start 2019-09-01 is not before end 2019-06-01"):
        soundings.oco2_ground_tracks(date(2019, 9, 1), date(2019, 6, 1), [BBOX])
    with pytest.raises(ValidationError, match="bboxes is empty"):
        soundings.oco2_ground_tracks(START, END, [])
    with pytest.raises(ValidationError, match="is invalid: need -180 <= lon_min < lon_max"):
        soundings.oco2_ground_tracks(START, END, [(-92.0, 41.0, -95.0, 44.0)])
    with pytest.raises(ValidationError, match="should be \\(lon_min, lat_min, lon_max, lat_max\\)"):
        soundings.oco2_ground_tracks(START, END, [(1.0, 2.0, 3.0)])
    with pytest.raises(ValidationError, match="start 'soon' is not a date"):
        soundings.oco2_ground_tracks("soon", END, [BBOX])
    rng = np.random.default_rng(0)
    with pytest.raises(ValidationError, match=r"cloud_fraction should be in \[0, 1\), not 1.5"):
        soundings.simulate_soundings(tracks, rng, cloud_fraction=1.5)
    with pytest.raises(ValidationError, match="cloud_km should be positive"):
        soundings.simulate_soundings(tracks, rng, cloud_km=0)
    with pytest.raises(ValidationError, match="tracks should be a DataFrame with columns"):
        soundings.simulate_soundings(tracks.drop(columns="orbit"), rng)
    with pytest.raises(ValidationError, match="soundings has no 'time' column"):
        soundings.split_daily(tracks.drop(columns="time"))
    counties = gpd.GeoDataFrame({"county_id": ["1"]}, geometry=[box(0, 0, 1, 1)], crs=4326)
    with pytest.raises(ValidationError, match="months is empty"):
        soundings.county_month_truth(counties, [])
    with pytest.raises(ValidationError, match="counties has no CRS"):
        soundings.county_month_truth(counties.set_crs(None, allow_override=True), ["2019-06"])
    with pytest.raises(ValidationError, match="non-empty GeoDataFrame"):
        soundings.county_month_truth(counties.iloc[:0], ["2019-06"])
    with pytest.raises(ValidationError, match="grid_km should be positive"):
        soundings.county_month_truth(counties, ["2019-06"], grid_km=0)
