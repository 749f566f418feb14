"""Yield units and the Quick Stats yield reader."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from paii_core.errors import ValidationError
from paii_core.io import write_nass_quickstats
from paii_core.yields import convert_yield, read_yield_csv


def test_conversions_match_published_factors():
    # 1 bu/acre of corn = 56 lb / acre = 0.06277 t/ha (USDA AH-697).
    assert convert_yield(190.0, "bu/acre", "t/ha", crop="corn") == pytest.approx(11.926, abs=1e-3)
    assert convert_yield(60.0, "bu/acre", "t/ha", crop="soybean") == pytest.approx(4.035, abs=1e-3)
    assert convert_yield(430.0, "kg/mu", "t/ha", crop="wheat") == pytest.approx(6.45)
    back = convert_yield(np.array([8.6, np.nan]), "t/ha", "kg/mu", crop="rice")
    assert back[0] == pytest.approx(573.33, abs=0.01) and np.isnan(back[1])
    assert convert_yield(
        convert_yield(181.3, "bu/acre", "kg/mu", crop="corn"), "kg/mu", "bu/acre", crop="corn"
    ) == pytest.approx(181.3)


def test_bad_units_are_refused():
    with pytest.raises(ValidationError, match="unit 'q/ha' is unknown"):
        convert_yield(1.0, "q/ha", "t/ha", crop="rice")
    with pytest.raises(ValidationError, match="no bushel weight"):
        convert_yield(1.0, "bu/acre", "t/ha", crop="almond")


def _rows(items, values, codes, commodity="CORN"):
    n = len(values)
    return pd.DataFrame(
        {
            "county_id": [f"19{c:03d}" for c in range(1, n + 1)],
            "year": 2020,
            "commodity": commodity,
            "data_item": items,
            "value": values,
            "withheld": codes,
            "state": "IOWA",
            "county": [f"C{i}" for i in range(n)],
        }
    )


def test_reads_yields_and_counts_withheld(tmp_path):
    item = "CORN, GRAIN - YIELD, MEASURED IN BU / ACRE"
    frame = pd.concat(
        [
            _rows([item] * 4, [181.3, np.nan, np.nan, 190.0], [None, "(D)", "(Z)", None]),
            _rows(["CORN, GRAIN - ACRES HARVESTED"], [1234.0], [None]).assign(county_id="19099"),
        ]
    )
    path = write_nass_quickstats(tmp_path / "qs.csv", frame)
    yields, notes = read_yield_csv(path)
    assert list(yields["yield"]) == [181.3, 190.0]
    assert set(yields["unit"]) == {"bu/acre"} and set(yields["crop"]) == {"corn"}
    assert any("2 county-years have no published yield (1 (D), 1 (Z))" in n for n in notes)
    maize, _ = read_yield_csv(path, maize=True)
    assert set(maize["crop"]) == {"maize"}


def test_kg_per_mu_file_and_errors(tmp_path):
    item = "WHEAT - YIELD, MEASURED IN KG / MU"
    frame = _rows([item] * 2, [430.5, 441.0], [None, None], commodity="WHEAT")
    frame["county_id"] = ["410526", "410527"]
    yields, _ = read_yield_csv(write_nass_quickstats(tmp_path / "cn.csv", frame))
    assert list(yields["unit"]) == ["kg/mu", "kg/mu"] and list(yields["crop"]) == ["wheat"] * 2
    acres = _rows(["CORN, GRAIN - ACRES HARVESTED"], [1234.0], [None])
    with pytest.raises(ValidationError, match="no yield rows"):
        read_yield_csv(write_nass_quickstats(tmp_path / "acres.csv", acres))
    odd = _rows(["CORN, GRAIN - YIELD, MEASURED IN LB / ACRE"], [9000.0], [None])
    with pytest.raises(ValidationError, match="cannot be used"):
        read_yield_csv(write_nass_quickstats(tmp_path / "lb.csv", odd))
