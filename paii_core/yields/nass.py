"""County yields from USDA NASS Quick Stats CSV exports, as a tidy yield table."""

from __future__ import annotations

from os import PathLike

import pandas as pd

from paii_core.errors import ValidationError
from paii_core.io import read_nass_quickstats
from paii_core.yields.units import UNITS

__all__ = ["COMMODITY_CROP", "read_yield_csv"]

COMMODITY_CROP: dict[str, str] = {
    "CORN": "corn",
    "SOYBEANS": "soybean",
    "WHEAT": "wheat",
    "RICE": "rice",
    "MAIZE": "maize",
}
"""Quick Stats Commodity -> PAII crop. Chinese files say CORN for maize (``maize=True``)."""


def read_yield_csv(
    path: str | PathLike[str], *, maize: bool = False
) -> tuple[pd.DataFrame, list[str]]:
    """Read county yields (Data Items "... - YIELD, MEASURED IN <unit>") from Quick Stats.

    Withheld "(D)", "(Z)" and other NASS codes become missing yields: they are left out of
    the table and counted in a note, so a model never trains on a made-up number.

    Args:
        path: the Quick Stats CSV export (US bu/acre, or t/ha / kg/mu for Chinese counties).
        maize: name CORN "maize" (as PAII does for Chinese counties).

    Returns:
        (yields, notes): yields has county_id, year, crop, yield (float), unit; notes are
        sentences for the user about rows left out.

    Raises:
        InputNotFoundError, FormatError: from :func:`paii_core.io.read_nass_quickstats`.
        ValidationError: no yield rows in the file, or a unit PAII cannot convert.
    """
    raw = read_nass_quickstats(path)
    is_yield = raw["data_item"].str.upper().str.contains(" - YIELD", regex=False)
    rows = raw[is_yield].copy()
    if rows.empty:
        items = ", ".join(sorted(set(raw["data_item"]))[:5])
        raise ValidationError(
            f"{path}: no yield rows (Data Item '... - YIELD, MEASURED IN ...'); it has {items}. "
            "Export the YIELD data item from Quick Stats"
        )
    bad_units = sorted(set(rows["unit"].dropna()) - set(UNITS))
    if bad_units or rows["unit"].isna().any():
        raise ValidationError(
            f"{path}: yield unit(s) {bad_units or ['none']} cannot be used; PAII reads "
            f"{', '.join(UNITS)}"
        )
    names = dict(COMMODITY_CROP, CORN="maize") if maize else COMMODITY_CROP
    rows["crop"] = rows["commodity"].str.strip().str.upper().map(names)
    notes = []
    unknown = rows["crop"].isna()
    if unknown.any():
        notes.append(
            f"{int(unknown.sum())} rows of commodities "
            f"{sorted(set(rows.loc[unknown, 'commodity']))} were skipped: "
            "PAII has no crop model for them"
        )
    withheld = rows["value"].isna() & ~unknown
    if withheld.any():
        codes = rows.loc[withheld, "withheld"].fillna("(NA)").value_counts()
        text = ", ".join(f"{n} {c}" for c, n in codes.items())
        notes.append(f"{int(withheld.sum())} county-years have no published yield ({text})")
    keep = rows[~unknown & ~withheld]
    out = pd.DataFrame(
        {
            "county_id": keep["county_id"].astype(str).to_numpy(),
            "year": keep["year"].astype("int64").to_numpy(),
            "crop": keep["crop"].astype(str).to_numpy(),
            "yield": keep["value"].astype(float).to_numpy(),
            "unit": keep["unit"].astype(str).to_numpy(),
        }
    )
    dup = out.duplicated(["county_id", "year", "crop"])
    if dup.any():
        notes.append(f"{int(dup.sum())} duplicate county-year rows were dropped (first kept)")
        out = out[~dup]
    return out.reset_index(drop=True), notes
