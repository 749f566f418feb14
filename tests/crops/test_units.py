"""Recognition units: a parcel is cut only where its pixels hold two crops."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from paii_core.crops.units import split_parcels


def _series(ndvi: np.ndarray) -> np.ndarray:
    """(T, 4, H, W) BGRN whose NDVI is ``ndvi`` (T, H, W)."""
    red = np.full(ndvi.shape, 0.05, np.float32)
    nir = red * (1 + ndvi) / (1 - ndvi)
    return np.stack([red, red, red, nir], axis=1).astype(np.float32)


def test_split_cuts_a_joined_field_and_keeps_a_noisy_pure_one() -> None:
    rng = np.random.default_rng(3)
    dates = [date(2020, 3, 5) + timedelta(days=16 * i) for i in range(12)]
    t = np.linspace(0, 1, len(dates))[:, None, None]
    early = 0.2 + 0.6 * np.exp(-(((t - 0.35) / 0.12) ** 2))
    late = 0.2 + 0.6 * np.exp(-(((t - 0.7) / 0.12) ** 2))
    ndvi = np.broadcast_to(early, (12, 30, 40)).copy()
    ndvi[:, :, 20:] = np.broadcast_to(late, (12, 30, 20))
    ndvi += rng.normal(0, 0.03, ndvi.shape)
    parcels = np.zeros((30, 40), np.int32)
    parcels[:15] = 1  # one parcel over both fields: early left, late right
    parcels[15:, :20] = 2  # a pure early field
    units = split_parcels(_series(ndvi.astype(np.float32)), dates, parcels)
    assert len(np.unique(units[:15, :20])) == 1 and len(np.unique(units[:15, 20:])) == 1
    assert units[0, 0] != units[0, 39]
    assert len(np.unique(units[15:, :20])) == 1
    assert units.max() == 3 and (units[parcels == 0] == 0).all()


def test_a_labelled_unit_keeps_its_label_among_other_labels() -> None:
    from paii_core.crops.recognize import Prepared, recognize_prepared, spread_graph

    units = np.zeros((4, 12), np.int32)
    for i in range(6):
        units[:, 2 * i : 2 * i + 2] = i + 1
    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(0, 0.05, (5, 3)), rng.normal(3, 0.05, (1, 3))]).astype(np.float32)
    prep = Prepared(
        units, units, x, np.zeros((6, 4), np.float32), np.full(6, np.nan), spread_graph(x)
    )
    labels = [(1, 0, "wheat"), (1, 2, "wheat"), (1, 4, "wheat"), (1, 6, "wheat"), (1, 8, "maize")]
    labels.append((1, 10, "wheat"))
    cmap = recognize_prepared(prep, labels)
    assert cmap.classes[cmap.label_map[0, 8]] == "maize"
    assert cmap.classes[cmap.label_map[0, 0]] == "wheat"


def test_backscatter_rise_is_a_parcel_mean_seasonal_contrast() -> None:
    from paii_core.crops.unit_features import _backscatter_rise

    rng = np.random.default_rng(1)
    parcels = np.zeros((10, 10), np.int32)
    parcels[:, :5], parcels[:, 5:] = 1, 2
    season = np.array([0.0, 0.0, 1.0, 3.0, 3.0, 1.0], np.float32)[:, None, None]
    gain = np.where(parcels == 1, 1.0, 0.3).astype(np.float32)
    vv = -12.0 + season * gain + rng.normal(0, 2.0, (6, 10, 10)).astype(np.float32)
    vv[2, 0, 0] = np.nan  # a missing pixel is filled, not propagated
    rise = _backscatter_rise(vv, parcels, np.array([1, 2]))
    assert rise.shape == (2,) and np.isfinite(rise).all()
    assert abs(rise[0] - 3.0) < 0.8 and abs(rise[1] - 0.9) < 0.8


def test_spreading_space_weighs_kinds_of_evidence_alike_and_leaves_out_terrain() -> None:
    from paii_core.crops.unit_features import similarity_space

    rng = np.random.default_rng(2)
    values = rng.normal(0, 1, (50, 7))
    groups = ("curve", "curve", "curve", "curve", "sar_rise", "terrain", "terrain")
    x = similarity_space(values, groups)
    assert x.shape == (50, 5) and x.dtype == np.float32
    np.testing.assert_allclose(x[:, :4].std(axis=0), 0.5, rtol=1e-5)  # 1/sqrt(4)
    np.testing.assert_allclose(x[:, 4].std(), 1.0, rtol=1e-5)
