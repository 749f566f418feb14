"""A simulated crop-insurance portfolio on the parcels of an area, some declarations wrong.

Policies follow the shape of yield insurance in both countries: a guaranteed yield = the
coverage level x the insured's expected yield (USDA RMA yield protection on the actual
production history; China's policy-based planting insurance, where the guarantee is set on
the expected yield in the "full cost" and income pilots), a price per unit, a sum insured
= guarantee x area x price and a premium = rate x sum insured. Rates here are illustrative,
not actuarial. Names are synthetic combinations of common names; any match with a real
person or business is coincidental.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd

from paii_core.demo.classes import CROPS
from paii_core.demo.panels import CROP_MODELS, trend_yield
from paii_core.demo.regions import demo_region
from paii_core.errors import ValidationError

__all__ = ["COVERAGE_LEVELS", "INSURABLE", "LOOK_ALIKE", "CropTerms", "simulate_policies"]

COVERAGE_LEVELS: tuple[float, ...] = (0.70, 0.75, 0.80, 0.85)
_HA_PER_ACRE = 0.40468564224
_MU_PER_HA = 15.0


@dataclass(frozen=True)
class CropTerms:
    """Insurance terms of one crop in one region (prices of 2020)."""

    price: float
    price_unit: str  # per yield-unit mass: "CNY/kg", "CNY/t" or "USD/bu"
    base_rate: float  # premium rate at 75% coverage
    season: tuple[tuple[int, int, int], tuple[int, int, int]]  # (year offset, month, day) x2
    level: float | None = None  # expected 2019 yield when panels has no model of the crop


# Prices: China's 2020 minimum purchase prices (NDRC: wheat 1.12 CNY/jin = 2.24 CNY/kg,
# mid/late indica rice 1.27 CNY/jin = 2,540 CNY/t) and typical 2020 market prices of maize,
# peanut and rapeseed; US: RMA 2020 projected prices (corn 3.88, soybeans 9.17 USD/bu).
# Seasons: sowing to harvest; US policies run from the 15 March sales closing date to the
# 10 December end of insurance period of the corn and soybean crop provisions.
INSURABLE: dict[tuple[str, str], CropTerms] = {
    ("henan", "wheat"): CropTerms(2.24, "CNY/kg", 0.06, ((-1, 10, 10), (0, 6, 15))),
    ("henan", "maize"): CropTerms(2.10, "CNY/kg", 0.06, ((0, 6, 5), (0, 10, 10))),
    ("henan", "peanut"): CropTerms(5.60, "CNY/kg", 0.06, ((0, 4, 25), (0, 9, 30)), level=300.0),
    ("hubei", "rice"): CropTerms(2540.0, "CNY/t", 0.06, ((0, 5, 1), (0, 9, 30))),
    ("hubei", "rapeseed"): CropTerms(5000.0, "CNY/t", 0.06, ((-1, 10, 1), (0, 5, 31)), level=2.4),
    ("hubei", "maize"): CropTerms(2000.0, "CNY/t", 0.06, ((0, 4, 1), (0, 8, 31)), level=5.8),
    ("iowa", "corn"): CropTerms(3.88, "USD/bu", 0.035, ((0, 3, 15), (0, 12, 10))),
    ("iowa", "soybean"): CropTerms(9.17, "USD/bu", 0.03, ((0, 3, 15), (0, 12, 10))),
}
"""Crops a region's insurers cover, with their terms; other crops get no policy."""

LOOK_ALIKE: dict[tuple[str, str], str] = {
    ("henan", "maize"): "peanut",
    ("henan", "peanut"): "maize",
    ("hubei", "rice"): "maize",
    ("hubei", "maize"): "rice",
    ("iowa", "corn"): "soybean",
    ("iowa", "soybean"): "corn",
}
"""Insured crops grown in the same season, the swap a claimant can hope goes unnoticed
(summer crops of the North China Plain, Jianghan summer crops, the Corn Belt's pair)."""

_ISO_CODE = {"henan": "HA", "hubei": "HB", "iowa": "IA"}  # ISO 3166-2 (CN-HA, CN-HB, US-IA)
_BLOCK_SHARE = {"CN": 0.25, "US": 0.6}  # chance that a road-bounded block is insured whole
_DEFAULT_SHARE, _DEFAULT_MAX = 0.6, 400
_COOPERATIVE_MIN_HA = 3.0

_CN_SURNAMES = tuple(
    "Wang Li Zhang Liu Chen Yang Zhao Huang Zhou Wu Xu Sun Ma Zhu Hu Guo He Gao Lin Luo".split()
)
_CN_SYLLABLES = tuple(
    "jian guo xiu ying zhi qiang yu feng hai ming hong li jun hua wen bin lan chun de shan".split()
)
_CN_VILLAGES = tuple(
    "Dongzhuang Xiwang Liuzhai Houzhuang Nanguan Beiliu Qianzhao Zhangzhuang "
    "Shuangmiao Hedong Gaoqiao Xinji".split()
)
_US_FIRST = tuple(
    "James Mary Robert Linda Michael Susan David Karen Daniel Nancy Steven Lisa Mark "
    "Donna Paul Carol Brian Janet Kevin Ruth Gary Diane Dale Joyce".split()
)
_US_LAST = tuple(
    "Miller Schmidt Anderson Peterson Olson Meyer Larson Johnson Hansen Nelson "
    "Schroeder Wagner Becker Hoffman Klein Jensen Christensen Weber Koch Lund".split()
)


def _check(parcels: pd.DataFrame, misdeclared_fraction: float) -> pd.DataFrame:
    if not isinstance(parcels, pd.DataFrame) or parcels.empty:
        raise ValidationError(
            "parcels is empty; pass the parcel table (parcel_id, crop, area_ha, coarse_id)"
        )
    missing = {"parcel_id", "crop", "area_ha"} - set(parcels.columns)
    if missing:
        raise ValidationError(f"parcels lacks column(s) {', '.join(sorted(missing))}")
    area = pd.to_numeric(parcels["area_ha"], errors="coerce")
    if not (area > 0).all():
        raise ValidationError("parcels has area_ha values that are not positive numbers")
    if not 0.0 <= misdeclared_fraction < 1.0:
        raise ValidationError(
            f"misdeclared_fraction should be in [0, 1), not {misdeclared_fraction}"
        )
    out = parcels.copy()
    if pd.api.types.is_integer_dtype(out["crop"]):
        out["crop"] = [CROPS[i] if 0 <= i < len(CROPS) else None for i in out["crop"]]
    coarse = out["coarse_id"] if "coarse_id" in out else pd.Series(0, index=out.index)
    out["coarse_id"] = pd.to_numeric(coarse, errors="coerce").fillna(0).astype(np.int64)
    return out


def _units(
    parcels: pd.DataFrame, region_id: str, country: str, rng: np.random.Generator
) -> pd.DataFrame:
    """Insurable units: whole blocks (the majority crop's parcels) or single parcels."""
    eligible = parcels["crop"].map(lambda c: (region_id, c) in INSURABLE)
    blocks = np.unique(parcels.loc[parcels["coarse_id"] > 0, "coarse_id"])
    whole = set(blocks[rng.random(blocks.size) < _BLOCK_SHARE[country]].tolist())
    rows = []
    for cid, part in parcels[parcels["coarse_id"].isin(whole)].groupby("coarse_id", sort=True):
        by_crop = part.groupby("crop")["area_ha"].sum().sort_index()
        crop = by_crop.idxmax() if len(by_crop) else None
        if (region_id, crop) in INSURABLE:
            grown = part[part["crop"] == crop]
            mgmt = (
                np.average(grown["management"], weights=grown["area_ha"])
                if "management" in grown
                else 1.0
            )
            rows.append(
                {
                    "level": "coarse",
                    "parcel_id": pd.NA,
                    "coarse_id": int(cid),
                    "true_crop": crop,
                    "true_area_ha": float(by_crop[crop]),
                    "unit_area_ha": float(by_crop.sum()),
                    "management": float(mgmt),
                }
            )
    single = parcels[eligible & ~parcels["coarse_id"].isin(whole)]
    for rec in single.itertuples(index=False):
        rows.append(
            {
                "level": "fine",
                "parcel_id": int(rec.parcel_id),
                "coarse_id": pd.NA,
                "true_crop": rec.crop,
                "true_area_ha": float(rec.area_ha),
                "unit_area_ha": float(rec.area_ha),
                "management": float(getattr(rec, "management", 1.0)),
            }
        )
    return pd.DataFrame(rows)


def _names(country: str, business: np.ndarray, rng: np.random.Generator) -> list[str]:
    """Synthetic insured names, unique where possible; ``business`` marks large units
    (a cooperative in China, a farm business in the US) rather than a household."""
    out, used = [], set()
    for big in business:
        for _ in range(50):
            if country == "CN":
                given = "".join(rng.choice(_CN_SYLLABLES, 2, replace=False)).capitalize()
                name = (
                    f"{rng.choice(_CN_VILLAGES)} {given} Farmers' Professional Cooperative"
                    if big
                    else f"{rng.choice(_CN_SURNAMES)} {given}"
                )
            else:
                last = rng.choice(_US_LAST)
                name = (
                    f"{last} {rng.choice(['Family Farms LLC', '& Sons Farms', 'Acres Inc.'])}"
                    if big
                    else f"{rng.choice(_US_FIRST)} {last}"
                )
            if name not in used:
                break
        used.add(name)
        out.append(name)
    return out


def _expected_yield(region_id: str, crop: str, year: int) -> float:
    if (region_id, crop) in CROP_MODELS:
        return float(trend_yield(region_id, crop, year))
    return INSURABLE[(region_id, crop)].level * (1.0 + 0.01 * (year - 2019))


def _area_in_unit(area_ha: np.ndarray, yield_unit: str) -> np.ndarray:
    """Area in the denominator of ``yield_unit`` (mu, ha or acres)."""
    return {"kg/mu": area_ha * _MU_PER_HA, "t/ha": area_ha, "bu/acre": area_ha / _HA_PER_ACRE}[
        yield_unit
    ]


def _simple(
    chosen: pd.DataFrame, options: list[str], fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Half another insurable crop, half an area x1.15-1.60; honest within 3%."""
    n = len(chosen)
    n_bad = round(fraction * n)
    kind = np.array([None] * n, dtype=object)
    bad = rng.choice(n, n_bad, replace=False)
    kind[bad[: (n_bad + 1) // 2]] = "crop"
    kind[bad[(n_bad + 1) // 2 :]] = "area"
    declared_crop = chosen["true_crop"].to_numpy(dtype=object).copy()
    for i in np.flatnonzero(kind == "crop"):
        others = [c for c in options if c != declared_crop[i]]
        if others:
            declared_crop[i] = str(rng.choice(others))
        else:
            kind[i] = "area"
    true_area = chosen["true_area_ha"].to_numpy(float)
    factor = np.where(kind == "area", rng.uniform(1.15, 1.60, n), rng.uniform(0.97, 1.03, n))
    return kind, declared_crop, np.maximum(np.round(true_area * factor, 3), 0.001)


def _realistic(
    chosen: pd.DataFrame,
    region_id: str,
    options: list[str],
    fraction: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A third each of area +3-30%, look-alike crop swaps and part-plot swaps."""
    n = len(chosen)
    n_bad = round(fraction * n)
    kind = np.array([None] * n, dtype=object)
    bad = rng.choice(n, n_bad, replace=False)
    kind[bad] = rng.choice(np.array(["area", "lookalike", "part"], dtype=object), n_bad)
    true_crop = chosen["true_crop"].to_numpy(dtype=object)
    declared_crop = true_crop.copy()
    true_area = chosen["true_area_ha"].to_numpy(float)
    unit_area = chosen["unit_area_ha"].to_numpy(float)
    factor = rng.uniform(0.97, 1.03, n)
    for i in np.flatnonzero(kind != None):  # noqa: E711 (object array)
        if kind[i] == "part" and unit_area[i] <= 1.05 * true_area[i]:
            kind[i] = "area"  # a single-crop unit: only its area can be stretched
        if kind[i] == "lookalike":
            twin = LOOK_ALIKE.get((region_id, true_crop[i]))
            others = [c for c in options if c != true_crop[i]]
            if twin is None and not others:
                kind[i] = "area"
            else:
                declared_crop[i] = twin if twin is not None else str(rng.choice(others))
        if kind[i] == "area":
            factor[i] = 1.0 + rng.uniform(0.03, 0.30)
        elif kind[i] == "part":
            factor[i] = unit_area[i] / true_area[i] * rng.uniform(0.97, 1.03)
    return kind, declared_crop, np.maximum(np.round(true_area * factor, 3), 0.001)


def simulate_policies(
    parcels: pd.DataFrame,
    *,
    aoi_id: str,
    county_id: str,
    region_id: str,
    rng: np.random.Generator,
    n_policies: int | None = None,
    misdeclared_fraction: float = 0.12,
    year: int = 2020,
    first_number: int = 1,
    modes: Literal["simple", "realistic"] = "simple",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """An insurance portfolio on ``parcels`` and its truth, kept apart.

    ``parcels``: one row per fine parcel with parcel_id, crop (name, or index into CROPS),
    area_ha and optionally coarse_id (0 or missing = no block) and management (yield
    factor). A policy covers one fine parcel or one whole coarse block (then the block's
    majority crop, on the area of the parcels that grow it). ``n_policies`` defaults to 60%
    of the insurable units (at most 400). round(misdeclared_fraction x n) policies declare
    wrongly: half another insurable crop ("crop"), half an area inflated by 15-60%
    ("area"); honest declarations are within 3% of the true area. ``modes="realistic"``
    draws a third each of: an area over-declared by 3-30% (uniform); a swap to the
    :data:`LOOK_ALIKE` crop ("lookalike"; another insured crop where there is none); a
    part-plot swap ("part": a block declared whole under its main crop while part of it
    grows others; an over-declared area where the unit is single-crop).

    Returns (policies, truth). policies: policy_id ("PA-<ISO 3166-2 code>-0001", numbered
    from ``first_number``), region_id, county_id, aoi_id, level ("fine"|"coarse"),
    parcel_id, coarse_id (Int64; the other one is NA), insured, declared_crop,
    declared_area_ha, coverage_level, guaranteed_yield, yield_unit (the region's), price,
    price_unit, currency, sum_insured, premium_rate, premium, year, start_date, end_date.
    truth: policy_id, true_crop, true_area_ha, misdeclared, kind ("crop"|"area"|None;
    realistic: "area"|"lookalike"|"part"|None), grown_declared_ha (hectares of the plot
    that truly grow the declared crop) and management (the plot's yield factor).

    Raises ValidationError for an unknown region, empty or malformed parcels, no parcel of
    an insurable crop, a fraction outside [0, 1), an impossible ``n_policies`` or unknown
    ``modes``.
    """
    if modes not in ("simple", "realistic"):
        raise ValidationError(f"modes should be 'simple' or 'realistic', not {modes!r}")
    region = demo_region(region_id)
    table = _check(parcels, misdeclared_fraction)
    units = _units(table, region.region_id, region.country, rng)
    if units.empty:
        crops = ", ".join(c for r, c in INSURABLE if r == region.region_id)
        raise ValidationError(f"no parcel grows a crop insured in {region.region_id} ({crops})")
    n = (
        n_policies
        if n_policies is not None
        else max(1, min(round(_DEFAULT_SHARE * len(units)), _DEFAULT_MAX))
    )
    if not 1 <= n <= len(units):
        raise ValidationError(
            f"n_policies should be between 1 and {len(units)} (insurable units), not {n}"
        )
    chosen = units.iloc[np.sort(rng.choice(len(units), n, replace=False))].reset_index(drop=True)

    options = [c for r, c in INSURABLE if r == region.region_id]
    true_area = chosen["true_area_ha"].to_numpy(float)
    if modes == "simple":
        kind, declared_crop, declared_area = _simple(chosen, options, misdeclared_fraction, rng)
    else:
        kind, declared_crop, declared_area = _realistic(
            chosen, region.region_id, options, misdeclared_fraction, rng
        )
    grown = np.where(declared_crop == chosen["true_crop"].to_numpy(dtype=object), true_area, 0.0)

    coverage = rng.choice(COVERAGE_LEVELS, n)
    terms = [INSURABLE[(region.region_id, c)] for c in declared_crop]
    aph = np.array([_expected_yield(region.region_id, c, year) for c in declared_crop])
    aph *= chosen["management"].to_numpy(float) * np.exp(0.04 * rng.standard_normal(n))
    decimals = 2 if region.yield_unit == "t/ha" else 1
    guarantee = np.round(coverage * aph, decimals)
    price = np.array([t.price for t in terms])
    sum_insured = np.round(guarantee * _area_in_unit(declared_area, region.yield_unit) * price, 2)
    rate = np.round(np.array([t.base_rate for t in terms]) * np.exp(3.0 * (coverage - 0.75)), 4)
    first, last = zip(*[t.season for t in terms], strict=True)
    # Chinese cooperatives farm whole blocks of some size; smaller blocks are households.
    business = (chosen["level"] == "coarse").to_numpy() & (
        true_area >= (_COOPERATIVE_MIN_HA if region.country == "CN" else 0.0)
    )
    ids = [
        f"PA-{_ISO_CODE.get(region.region_id, region.region_id[:2].upper())}-{first_number + i:04d}"
        for i in range(n)
    ]
    policies = pd.DataFrame(
        {
            "policy_id": ids,
            "region_id": region.region_id,
            "county_id": str(county_id),
            "aoi_id": aoi_id,
            "level": chosen["level"].to_numpy(),
            "parcel_id": chosen["parcel_id"].astype("Int64").to_numpy(),
            "coarse_id": chosen["coarse_id"].astype("Int64").to_numpy(),
            "insured": _names(region.country, business, rng),
            "declared_crop": declared_crop,
            "declared_area_ha": declared_area,
            "coverage_level": coverage,
            "guaranteed_yield": guarantee,
            "yield_unit": region.yield_unit,
            "price": price,
            "price_unit": [t.price_unit for t in terms],
            "currency": "CNY" if region.country == "CN" else "USD",
            "sum_insured": sum_insured,
            "premium_rate": rate,
            "premium": np.round(sum_insured * rate, 2),
            "year": year,
            "start_date": [date(year + dy, m, d) for dy, m, d in first],
            "end_date": [date(year + dy, m, d) for dy, m, d in last],
        }
    )
    truth = pd.DataFrame(
        {
            "policy_id": ids,
            "true_crop": chosen["true_crop"].to_numpy(),
            "true_area_ha": true_area,
            "misdeclared": np.array([k is not None for k in kind]),
            "kind": kind,
            "grown_declared_ha": grown,
            "management": chosen["management"].to_numpy(float),
        }
    )
    return policies, truth
