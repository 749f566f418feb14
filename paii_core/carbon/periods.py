"""Calendar periods of sounding times as integer codes (fast on tens of millions of times)."""

from __future__ import annotations

from typing import Literal, get_args

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from paii_core.errors import ValidationError

__all__ = ["FREQS", "Freq", "period_codes", "period_starts", "times_ns"]

Freq = Literal["D", "MS", "QS", "YS"]
FREQS: tuple[str, ...] = get_args(Freq)
"""Period lengths understood: day, month, quarter, year (pandas aliases, period starts)."""

_DAY_NS = 86_400 * 10**9


def _check(freq: str) -> None:
    if freq not in FREQS:
        raise ValidationError(f"freq {freq!r} is unknown; use one of {', '.join(FREQS)}")


def times_ns(times: pd.Series | pd.Index | NDArray) -> NDArray[np.int64]:
    """UTC nanoseconds since 1970 of datetimes (naive ones are taken as UTC); (N,) int64."""
    idx = pd.DatetimeIndex(times)
    if idx.tz is not None:
        idx = idx.tz_convert("UTC").tz_localize(None)
    return idx.as_unit("ns").asi8


def period_codes(t_ns: NDArray[np.int64], freq: Freq) -> NDArray[np.int64]:
    """(N,) int64 period number since 1970 of each time: days, months, quarters or years."""
    _check(freq)
    if freq == "D":
        return t_ns // _DAY_NS
    months = t_ns.astype("datetime64[ns]").astype("datetime64[M]").astype(np.int64)
    return {"MS": months, "QS": months // 3, "YS": months // 12}[freq]


def period_starts(codes: NDArray[np.int64], freq: Freq) -> pd.DatetimeIndex:
    """First instant (naive UTC) of each period code from :func:`period_codes`."""
    _check(freq)
    c = np.asarray(codes, dtype=np.int64)
    if freq == "D":
        return pd.DatetimeIndex(c.astype("datetime64[D]").astype("datetime64[ns]"))
    months = {"MS": c, "QS": c * 3, "YS": c * 12}[freq]
    return pd.DatetimeIndex(months.astype("datetime64[M]").astype("datetime64[ns]"))
