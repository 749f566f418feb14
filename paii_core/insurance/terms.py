"""Policy arithmetic: insured area in the yield unit's area, the yield-shortfall indemnity."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from paii_core.errors import ValidationError

__all__ = ["AREA_PER_HA", "PRICE_MASS", "area_in_yield_unit", "indemnity"]

AREA_PER_HA: dict[str, float] = {
    "kg/mu": 15.0,  # 1 mu = 10,000/15 m2 (666.7 m2), China's statutory land unit
    "t/ha": 1.0,
    "bu/acre": 1.0 / 0.40468564224,  # international acre = 4046.8564224 m2 exactly
}
"""Units of the denominator of each yield unit in one hectare."""

PRICE_MASS: dict[str, str] = {"kg/mu": "kg", "t/ha": "t", "bu/acre": "bu"}
"""The mass of each yield unit, which a policy's price is quoted per (CNY/kg, CNY/t, USD/bu)."""


def area_in_yield_unit(area_ha: float | ArrayLike, yield_unit: str) -> float | np.ndarray:
    """Hectares in the area unit of ``yield_unit``: mu for kg/mu, ha for t/ha, acres for
    bu/acre. ``area_in_yield_unit(2.0, "kg/mu")`` is 30.0.

    Raises:
        ValidationError: an unknown yield unit.
    """
    if yield_unit not in AREA_PER_HA:
        raise ValidationError(
            f"yield_unit {yield_unit!r} is unknown; use one of {', '.join(AREA_PER_HA)}"
        )
    factor = AREA_PER_HA[yield_unit]
    if np.isscalar(area_ha):
        return float(area_ha) * factor
    return np.asarray(area_ha, dtype=float) * factor


def indemnity(
    guaranteed_yield: float,
    expected_yield: float,
    *,
    area_ha: float,
    yield_unit: str,
    price: float,
) -> float:
    """Yield-shortfall indemnity: max(0, guarantee - yield) x insured area x price.

    This is the USDA RMA yield protection formula (Common Crop Insurance Policy, Basic
    Provisions 7 CFR 457.8 s. 34, and the RMA "Yield Protection" fact sheet): the
    production guarantee per unit area is the approved (APH) yield x the coverage level,
    and the indemnity is (guarantee - production to count per unit area) x insured area x
    price. China's planting-insurance yield policies pay on the same shortfall. The
    policy's ``guaranteed_yield`` already has the coverage level applied, so it is not
    applied again. Here the yield is the county forecast, so the figure is the loss the
    outlook implies (as an area-yield index plan such as RMA's Area Risk Protection
    Insurance would pay), not an adjusted claim. ``guaranteed_yield`` and
    ``expected_yield`` are in ``yield_unit``; ``price`` is per its mass (CNY/kg for
    kg/mu, CNY/t for t/ha, USD/bu for bu/acre); the result is in the price's currency.

    ``indemnity(300, 250, area_ha=2, yield_unit="kg/mu", price=2.0)`` is 50 x 30 x 2 = 3000.

    Raises:
        ValidationError: an unknown yield unit, a negative or non-finite area, price,
            guarantee or yield.
    """
    values = {
        "guaranteed_yield": guaranteed_yield,
        "expected_yield": expected_yield,
        "area_ha": area_ha,
        "price": price,
    }
    for name, value in values.items():
        if not np.isfinite(value) or value < 0:
            raise ValidationError(f"{name} should be a finite number >= 0, not {value}")
    area = area_in_yield_unit(area_ha, yield_unit)
    return max(0.0, float(guaranteed_yield) - float(expected_yield)) * area * float(price)
