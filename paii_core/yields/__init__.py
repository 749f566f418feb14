"""County yield forecasts: in-season features, a LightGBM model with a range, backtests."""

from paii_core.yields.backtest import (
    ASOF_DATES,
    accuracy,
    backtest,
    lead_time_backtest,
    summarize_backtest,
)
from paii_core.yields.features import build_panel, prepare_panel
from paii_core.yields.model import MODEL_VERSION, YieldModel, fit_yield_model
from paii_core.yields.nass import read_yield_csv
from paii_core.yields.units import UNITS, convert_yield

__all__ = [
    "ASOF_DATES",
    "MODEL_VERSION",
    "UNITS",
    "YieldModel",
    "accuracy",
    "backtest",
    "build_panel",
    "convert_yield",
    "fit_yield_model",
    "lead_time_backtest",
    "prepare_panel",
    "read_yield_csv",
    "summarize_backtest",
]
