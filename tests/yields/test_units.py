"""Default yield units of a new region."""

from paii_core.yields.units import country_unit


def test_a_countrys_default_yield_unit():
    """A new region's unit when none is chosen: not bu/acre for a Nigerian region."""
    assert country_unit("US") == "bu/acre" and country_unit(" cn ") == "kg/mu"
    assert country_unit("NG") == "t/ha" and country_unit("") == "t/ha"
