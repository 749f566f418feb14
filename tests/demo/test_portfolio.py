"""Insurance portfolio: policies on parcels, some declarations wrong, the truth kept apart."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from paii_core.demo import portfolio
from paii_core.errors import ValidationError

CROPS = {"henan": ("wheat", "maize", "peanut"), "hubei": ("rice", "rapeseed", "maize"),
         "iowa": ("corn", "soybean", "hay")}  # fmt: skip


def make_parcels(region: str, n: int = 600, mean_ha: float = 0.6, seed: int = 0) -> pd.DataFrame:
    """A parcel table shaped like the landscape generator's (8 fields per block)."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "parcel_id": np.arange(1, n + 1, dtype=np.int32),
            "coarse_id": (np.arange(n) // 8 + 1).astype(np.int32),
            "crop": rng.choice(CROPS[region], n),
            "area_ha": rng.gamma(4.0, mean_ha / 4.0, n),
            "management": rng.uniform(0.9, 1.1, n),
        }
    )


def simulate(region: str = "henan", seed: int = 1, **kwargs):
    parcels = kwargs.pop("parcels", None)
    parcels = make_parcels(region) if parcels is None else parcels
    return portfolio.simulate_policies(
        parcels,
        aoi_id=f"{region}-aoi",
        county_id="410526",
        region_id=region,
        rng=np.random.default_rng(seed),
        **kwargs,
    )


@pytest.mark.parametrize("fraction", [0.0, 0.12, 0.3])
def test_misdeclared_fraction_is_as_asked(fraction):
    policies, truth = simulate(misdeclared_fraction=fraction)
    assert truth["misdeclared"].sum() == round(fraction * len(policies))
    kinds = truth["kind"].value_counts()
    if fraction:
        assert abs(kinds["crop"] - kinds["area"]) <= 1


def test_truth_is_consistent_with_the_declarations():
    policies, truth = simulate()
    both = policies.merge(truth, on="policy_id", validate="one_to_one")
    assert len(both) == len(policies) == len(truth)
    ratio = both["declared_area_ha"] / both["true_area_ha"]
    honest = ~both["misdeclared"]
    assert (both.loc[honest, "declared_crop"] == both.loc[honest, "true_crop"]).all()
    assert ratio[honest].between(0.96, 1.04).all()
    crop = both["kind"] == "crop"
    assert (both.loc[crop, "declared_crop"] != both.loc[crop, "true_crop"]).all()
    assert ratio[crop].between(0.96, 1.04).all()
    area = both["kind"] == "area"
    assert (both.loc[area, "declared_crop"] == both.loc[area, "true_crop"]).all()
    assert ratio[area].between(1.14, 1.61).all()
    assert both.loc[honest, "kind"].isna().all()


def test_policies_cover_one_parcel_or_one_block():
    policies, _ = simulate()
    fine = policies["level"] == "fine"
    assert fine.any() and (~fine).any()
    assert policies.loc[fine, "parcel_id"].notna().all()
    assert policies.loc[fine, "coarse_id"].isna().all()
    assert policies.loc[~fine, "coarse_id"].notna().all()
    assert policies.loc[~fine, "parcel_id"].isna().all()
    assert policies["parcel_id"].dropna().is_unique and policies["coarse_id"].dropna().is_unique


def test_policy_terms_in_the_region_units_and_currency():
    for region, unit, currency in (
        ("henan", "kg/mu", "CNY"),
        ("hubei", "t/ha", "CNY"),
        ("iowa", "bu/acre", "USD"),
    ):
        policies, truth = simulate(region)
        code = {"henan": "HA", "hubei": "HB", "iowa": "IA"}[region]
        assert policies["policy_id"].str.fullmatch(rf"PA-{code}-\d{{4}}").all()
        assert policies["policy_id"].is_unique and policies["policy_id"].iloc[0].endswith("0001")
        assert set(policies["yield_unit"]) == {unit} and set(policies["currency"]) == {currency}
        assert policies["coverage_level"].between(0.7, 0.85).all()
        assert (policies["start_date"] < policies["end_date"]).all()
        assert set(truth["true_crop"]) <= {c for r, c in portfolio.INSURABLE if r == region}
        assert policies["premium"].to_numpy() == pytest.approx(
            policies["sum_insured"] * policies["premium_rate"], abs=0.01
        )
    corn = policies[policies["declared_crop"] == "corn"]
    acres = corn["declared_area_ha"] / 0.40468564224
    expected = corn["guaranteed_yield"] * acres * 3.88
    assert corn["sum_insured"].to_numpy() == pytest.approx(expected.to_numpy(), abs=0.01)
    assert corn["guaranteed_yield"].between(0.7 * 140, 0.85 * 240).all()


def truth_of(region: str) -> pd.DataFrame:
    return simulate(region)[1]


def test_names_are_synthetic_and_look_local():
    cn, _ = simulate("henan")
    us, _ = simulate("iowa")
    big = cn.merge(truth_of("henan"), on="policy_id")
    big = (big["level"] == "coarse") & (big["true_area_ha"] >= 3.0)
    assert big.any()
    assert cn.loc[big.to_numpy(), "insured"].str.endswith("Cooperative").all()
    assert not cn.loc[cn["level"] == "fine", "insured"].str.contains("Cooperative").any()
    assert us.loc[us["level"] == "fine", "insured"].str.count(" ").eq(1).all()


def test_same_seed_same_portfolio():
    a = simulate(seed=3)
    b = simulate(seed=3)
    for x, y in zip(a, b, strict=True):
        pd.testing.assert_frame_equal(x, y)
    assert not simulate(seed=4)[0]["declared_area_ha"].equals(a[0]["declared_area_ha"])


def test_n_policies_and_integer_crop_codes():
    parcels = make_parcels("iowa", n=40, mean_ha=16.0)
    policies, _ = simulate("iowa", parcels=parcels, n_policies=5)
    assert len(policies) == 5
    coded = parcels.assign(crop=[5 if c == "corn" else 6 for c in parcels["crop"]])
    policies, truth = simulate("iowa", parcels=coded, n_policies=5)
    assert set(truth["true_crop"]) <= {"corn", "soybean"}


def test_bad_arguments_are_refused():
    with pytest.raises(ValidationError, match="region 'mars' is unknown"):
        simulate("mars", parcels=make_parcels("henan"))
    with pytest.raises(ValidationError, match="parcels is empty"):
        simulate(parcels=make_parcels("henan").iloc[:0])
    with pytest.raises(ValidationError, match="parcels lacks column"):
        simulate(parcels=make_parcels("henan").drop(columns="area_ha"))
    with pytest.raises(ValidationError, match="area_ha values that are not positive"):
        simulate(parcels=make_parcels("henan").assign(area_ha=0.0))
    with pytest.raises(ValidationError, match=r"misdeclared_fraction should be in \[0, 1\)"):
        simulate(misdeclared_fraction=1.5)
    with pytest.raises(ValidationError, match="n_policies should be between 1 and"):
        simulate(n_policies=100_000)
    hay = make_parcels("iowa").assign(crop="hay")
    with pytest.raises(ValidationError, match="no parcel grows a crop insured in iowa"):
        simulate("iowa", parcels=hay)


def test_realistic_misdeclarations_follow_their_distributions():
    parcels = make_parcels("iowa", n=800)
    policies, truth = simulate("iowa", misdeclared_fraction=0.3, modes="realistic", parcels=parcels)
    both = policies.merge(truth, on="policy_id")
    kinds = truth["kind"].value_counts()
    assert set(kinds.index) == {"area", "lookalike", "part"}
    assert kinds.sum() == round(0.3 * len(policies))
    area = both[both["kind"] == "area"]
    ratio = area["declared_area_ha"] / area["true_area_ha"]
    assert ratio.between(1.03 - 1e-3, 1.30 + 1e-3).all() and ratio.max() > 1.2
    swap = both[both["kind"] == "lookalike"]
    pairs = set(zip(swap["true_crop"], swap["declared_crop"], strict=True))
    assert pairs <= {("corn", "soybean"), ("soybean", "corn")}
    assert (swap["grown_declared_ha"] == 0).all()
    part = both[both["kind"] == "part"]
    assert (part["level"] == "coarse").all() and (part["declared_crop"] == part["true_crop"]).all()
    assert (part["declared_area_ha"] > 1.03 * part["true_area_ha"]).all()
    honest = both[both["kind"].isna()]
    assert (honest["declared_area_ha"] / honest["true_area_ha"]).between(0.969, 1.031).all()
    assert (honest["grown_declared_ha"] == honest["true_area_ha"]).all()
    assert truth["management"].between(0.9, 1.1).all()


def test_realistic_swap_without_a_look_alike_takes_another_insured_crop():
    parcels = make_parcels("henan", n=400)
    parcels["crop"] = "wheat"  # wheat has no summer look-alike: another insured crop is declared
    policies, truth = simulate(
        "henan", misdeclared_fraction=0.3, modes="realistic", parcels=parcels
    )
    both = policies.merge(truth, on="policy_id")
    swap = both[both["kind"] == "lookalike"]
    assert len(swap) and swap["declared_crop"].isin(["maize", "peanut"]).all()


def test_default_mode_is_simple():
    a, ta = simulate(seed=3)
    b, _ = simulate(seed=3, modes="simple")
    pd.testing.assert_frame_equal(a, b)
    assert set(ta["kind"].dropna()) == {"crop", "area"}


def test_unknown_modes_are_refused():
    with pytest.raises(ValidationError, match="modes should be 'simple' or 'realistic'"):
        simulate(modes="harsh")
