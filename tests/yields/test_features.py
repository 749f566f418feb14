"""Panel building and checking: as-of selection, messages for messy panels."""

from __future__ import annotations

import pandas as pd
import pytest

from paii_core.errors import ValidationError
from paii_core.yields import build_panel, prepare_panel


def _yields(panel):
    return panel.yields[~panel.yields["withheld"]]


def test_build_panel_picks_one_cutoff(small_panel):
    p = build_panel(small_panel.features_asof, _yields(small_panel), asof="07-01")
    assert len(p) == len(small_panel.features)
    assert "asof" not in p.columns and {"yield", "unit"} <= set(p.columns)
    with pytest.raises(ValidationError, match="several as-of dates"):
        build_panel(small_panel.features_asof, _yields(small_panel))
    with pytest.raises(ValidationError, match="asof '10-01' is not in the features"):
        build_panel(small_panel.features_asof, asof="10-01")
    bad = small_panel.features_asof.copy()
    bad.loc[bad["asof"] == "07-01", "asof_date"] = pd.Timestamp("2020-09-01")
    with pytest.raises(ValidationError, match="other asof_date"):
        build_panel(bad, asof="07-01")
    with pytest.raises(ValidationError, match="features lacks column"):
        build_panel(small_panel.features.drop(columns="year"))
    with pytest.raises(ValidationError, match="yields lacks column"):
        build_panel(small_panel.features, _yields(small_panel).drop(columns="yield"))
    with pytest.raises(ValidationError, match="yields lacks column crop"):
        build_panel(small_panel.features, _yields(small_panel).drop(columns="crop"))


def test_messy_panel_gets_notes_not_a_crash(small_panel):
    p = build_panel(small_panel.features, _yields(small_panel))
    p["gdd"] = p["gdd"].astype(object)
    p.loc[p.index[p["county_id"] == "420202"][:3], "gdd"] = "n/a"
    p = p[~((p["county_id"] == "420000") & (p["year"] > 2009))]  # one year left
    p = p[~((p["county_id"] == "420101") & (p["year"] == 2015))]  # a gap
    p["notes"] = "text only"
    prepared = prepare_panel(p)
    text = " | ".join(prepared.notes)
    assert "column 'gdd': 3 values are not numbers (e.g. 'n/a')" in text
    assert "column 'notes' holds no numbers" in text
    assert "single observed year (420000 rice)" in text
    assert "with gaps inside" in text
    assert "gdd" in prepared.features and "notes" not in prepared.features
    assert prepared.frame["gdd"].isna().sum() >= 3


def test_bad_panels_are_refused(small_panel):
    p = build_panel(small_panel.features, _yields(small_panel))
    with pytest.raises(ValidationError, match="should be a pandas DataFrame"):
        prepare_panel(p.to_numpy())
    with pytest.raises(ValidationError, match="has no rows"):
        prepare_panel(p.iloc[:0])
    with pytest.raises(ValidationError, match="lacks column"):
        prepare_panel(p.drop(columns="county_id"))
    with pytest.raises(ValidationError, match="no target column 'bushels'"):
        prepare_panel(p, target="bushels")
    with pytest.raises(ValidationError, match="no numeric feature column"):
        prepare_panel(p[["county_id", "year", "crop", "yield"]])
