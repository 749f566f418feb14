"""Yield units: bu/acre (US), t/ha and kg/mu (China), and conversions between them."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from paii_core.errors import ValidationError

__all__ = [
    "BUSHEL_KG",
    "MASS_UNITS_KG_PER_ACRE",
    "UNITS",
    "YieldUnit",
    "convert_columns",
    "convert_yield",
    "country_unit",
]

YieldUnit = Literal["bu/acre", "t/ha", "kg/mu"]
UNITS: tuple[str, ...] = ("bu/acre", "t/ha", "kg/mu")

_LB_KG = 0.45359237
_ACRE_HA = 0.40468564224
_MU_HA = 1.0 / 15.0  # 1 mu = 666.67 m2

COUNTRY_UNITS: dict[str, str] = {"US": "bu/acre", "CN": "kg/mu"}
"""The unit a country's farm statistics print yields in, where it is not t/ha: USDA NASS
bushels per acre, the Chinese yearbooks' kg per mu (jin per mu in some provinces)."""


def country_unit(country: str) -> str:
    """The yield unit a region of ``country`` (ISO 3166-1 alpha-2) is read in by default:
    bu/acre for the US, kg/mu for China, t/ha (FAOSTAT's and most agencies') elsewhere."""
    return COUNTRY_UNITS.get(country.strip().upper(), "t/ha")


# Standard test weights of a bushel (USDA ERS, "Weights, Measures, and Conversion Factors
# for Agricultural Commodities and Their Products", Agricultural Handbook 697, 1992): corn
# (shelled), sorghum, rye and flaxseed 56 lb, soybeans and wheat 60 lb, barley 48 lb, oats
# 32 lb, rough rice 45 lb.
BUSHEL_KG: dict[str, float] = {
    "corn": 56 * _LB_KG,
    "maize": 56 * _LB_KG,
    "soybean": 60 * _LB_KG,
    "wheat": 60 * _LB_KG,
    "rice": 45 * _LB_KG,
    "barley": 48 * _LB_KG,
    "oats": 32 * _LB_KG,
    "sorghum": 56 * _LB_KG,
    "rye": 56 * _LB_KG,
    "flaxseed": 56 * _LB_KG,
}
"""Kilograms in one bushel of each crop."""

# Mass-per-acre units of Quick Stats yields (NIST Handbook 44, Appendix C: 1 lb =
# 0.45359237 kg exactly, 1 hundredweight (cwt) = 100 lb, 1 short ton = 2000 lb; 1 acre =
# 4046.8564224 m2). They convert for any crop, unlike bushels.
MASS_UNITS_KG_PER_ACRE: dict[str, float] = {
    "lb/acre": _LB_KG,
    "cwt/acre": 100 * _LB_KG,
    "tons/acre": 2000 * _LB_KG,
}
"""Kilograms per acre in one unit of each mass-per-acre yield unit."""


def _t_per_ha(unit: str, crop: str) -> float:
    """How many t/ha one ``unit`` of ``crop`` is."""
    if unit == "t/ha":
        return 1.0
    if unit == "kg/mu":
        return 1e-3 / _MU_HA
    if unit == "bu/acre":
        # A class of a grain weighs as the grain: "winter wheat", "spring wheat (excl durum)".
        grain = crop if crop in BUSHEL_KG else crop.split(" (")[0].split(" ")[-1]
        if grain not in BUSHEL_KG:
            raise ValidationError(
                f"crop {crop!r} has no bushel weight for bu/acre; use one of "
                f"{', '.join(sorted(BUSHEL_KG))} or a mass unit (t/ha, kg/mu)"
            )
        return BUSHEL_KG[grain] * 1e-3 / _ACRE_HA
    if unit in MASS_UNITS_KG_PER_ACRE:
        return MASS_UNITS_KG_PER_ACRE[unit] * 1e-3 / _ACRE_HA
    known = ", ".join((*UNITS, *MASS_UNITS_KG_PER_ACRE))
    raise ValidationError(f"yield unit {unit!r} is unknown; use one of: {known}")


def convert_yield(
    values: float | np.ndarray, from_unit: str, to_unit: str, *, crop: str
) -> float | np.ndarray:
    """Convert yields of ``crop`` between units; NaN stays NaN.

    ``convert_yield(190, "bu/acre", "t/ha", crop="corn")`` is 11.93; 430 kg/mu is 6.45 t/ha.

    Raises:
        ValidationError: an unknown unit, or bu/acre for a crop without a bushel weight.
    """
    if from_unit == to_unit and from_unit in (*UNITS, *MASS_UNITS_KG_PER_ACRE):
        factor = 1.0  # hay in bushels stays as it is: no bushel weight needed
    else:
        factor = _t_per_ha(from_unit, crop) / _t_per_ha(to_unit, crop)
    if np.isscalar(values):
        return float(values) * factor
    return np.asarray(values, dtype=float) * factor


def convert_columns(
    frame: pd.DataFrame, columns: list[str], from_unit: str, to_unit: str, *, crop: str
) -> pd.DataFrame:
    """A copy of ``frame`` with ``columns`` converted from ``from_unit`` to ``to_unit``."""
    out = frame.copy()
    for col in columns:
        out[col] = convert_yield(out[col].to_numpy(dtype=float), from_unit, to_unit, crop=crop)
    return out
