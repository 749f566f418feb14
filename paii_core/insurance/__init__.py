"""Insurance review: per-policy evidence from PAII's maps, floods and yield forecasts."""

from paii_core.insurance.area import AreaMaps, insured_plots, load_area_maps
from paii_core.insurance.evidence import (
    AREA_TOLERANCE,
    FLAGS,
    AreaCheck,
    CropCheck,
    FloodCheck,
    PolicyEvidence,
    YieldOutlook,
)
from paii_core.insurance.review import (
    PortfolioReview,
    filter_review,
    record_decision,
    review_csv,
    review_portfolio,
)
from paii_core.insurance.terms import area_in_yield_unit, indemnity
from paii_core.store.insurance import DECISIONS

__all__ = [
    "AREA_TOLERANCE",
    "DECISIONS",
    "FLAGS",
    "AreaCheck",
    "AreaMaps",
    "CropCheck",
    "FloodCheck",
    "PolicyEvidence",
    "PortfolioReview",
    "YieldOutlook",
    "area_in_yield_unit",
    "filter_review",
    "indemnity",
    "insured_plots",
    "load_area_maps",
    "record_decision",
    "review_csv",
    "review_portfolio",
]
