"""OCO-2 orbit geometry: sun-synchronous ascending passes and their footprint centres."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import numpy as np
import pandas as pd

from paii_core.errors import ValidationError

__all__ = ["oco2_ground_tracks"]


R_EARTH_KM = 6371.0088  # IUGG mean radius
INCLINATION_DEG = 98.2
REPEAT_DAYS, REPEAT_ORBITS = 16, 233
NODAL_PERIOD_S = REPEAT_DAYS * 86400.0 / REPEAT_ORBITS  # 5933.05 s = 98.88 min
NODE_LOCAL_TIME_H = 13.6  # 13:36 mean local solar time at the ascending node
FRAMES_PER_S = 3  # one frame every 0.333 s
N_FOOTPRINTS = 8
FOOTPRINT_SPACING_KM = 1.3  # 8 x 1.3 km = a 10.4 km swath
MAX_SOLAR_ZENITH_DEG = 85.0  # reflected sunlight only: no retrievals in twilight or night
_EPOCH = np.datetime64("2019-01-01T00:00:00", "ns")  # an ascending node crossing (orbit 0)
_MARGIN_DEG = 0.1
_DAY_NS = 86_400 * 10**9


# ---------------------------------------------------------------- ground tracks


def _to_ns(day: date | datetime | str, name: str) -> np.datetime64:
    try:
        ts = pd.Timestamp(day)
    except (TypeError, ValueError):
        raise ValidationError(f"{name} {day!r} is not a date; pass e.g. date(2019, 6, 1)") from None
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return np.datetime64(ts.to_datetime64(), "ns")


def _check_bboxes(bboxes: Sequence[Sequence[float]]) -> np.ndarray:
    boxes = np.asarray(list(bboxes), dtype=float)
    if boxes.size == 0:
        raise ValidationError("bboxes is empty; pass [(lon_min, lat_min, lon_max, lat_max), ...]")
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValidationError("each bbox should be (lon_min, lat_min, lon_max, lat_max)")
    for b in boxes:
        if not (-180 <= b[0] < b[2] <= 180 and -80 <= b[1] < b[3] <= 80):
            raise ValidationError(
                f"bbox {tuple(b.tolist())} is invalid: need -180 <= lon_min < lon_max <= 180 and "
                "-80 <= lat_min < lat_max <= 80 (boxes across the antimeridian are not supported)"
            )
    return boxes


def _subsatellite(orbit: np.ndarray, tau: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lon, lat) radians of the sub-satellite point ``tau`` seconds after ascending node
    ``orbit``. The node's longitude keeps 13:36 local time: it moves 360 deg west per day."""
    inc = np.deg2rad(INCLINATION_DEG)
    node_s = orbit * NODAL_PERIOD_S
    node_lon = np.deg2rad(NODE_LOCAL_TIME_H * 15.0) - 2 * np.pi * node_s / 86400.0
    u = 2 * np.pi * tau / NODAL_PERIOD_S
    lat = np.arcsin(np.sin(inc) * np.sin(u))
    lon = node_lon + np.arctan2(np.cos(inc) * np.sin(u), np.cos(u)) - 2 * np.pi * tau / 86400.0
    return (lon + np.pi) % (2 * np.pi) - np.pi, lat


def _offset(
    lon: np.ndarray, lat: np.ndarray, bearing: np.ndarray, dist_km: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Destination (radians) ``dist_km`` from (lon, lat) along ``bearing`` on the sphere."""
    d = dist_km / R_EARTH_KM
    lat2 = np.arcsin(np.sin(lat) * np.cos(d) + np.cos(lat) * np.sin(d) * np.cos(bearing))
    lon2 = lon + np.arctan2(
        np.sin(bearing) * np.sin(d) * np.cos(lat), np.cos(d) - np.sin(lat) * np.sin(lat2)
    )
    return (lon2 + np.pi) % (2 * np.pi) - np.pi, lat2


def _bearing(lon1, lat1, lon2, lat2) -> np.ndarray:
    dlon = lon2 - lon1
    return np.arctan2(
        np.sin(dlon) * np.cos(lat2),
        np.cos(lat1) * np.sin(lat2) - np.sin(lat1) * np.cos(lat2) * np.cos(dlon),
    )


def _pass_frames(box: np.ndarray, t0: float, t1: float) -> np.ndarray:
    """Frame numbers (since the epoch) of ascending passes near ``box`` within [t0, t1) s."""
    inc = np.deg2rad(INCLINATION_DEG)
    lat_lo, lat_hi = np.deg2rad([box[1] - _MARGIN_DEG, box[3] + _MARGIN_DEG])
    u_lo, u_hi = np.arcsin(np.sin([lat_lo, lat_hi]) / np.sin(inc))
    tau_lo, tau_hi = u_lo / (2 * np.pi) * NODAL_PERIOD_S, u_hi / (2 * np.pi) * NODAL_PERIOD_S
    k = np.arange(np.floor(t0 / NODAL_PERIOD_S) - 1, np.ceil(t1 / NODAL_PERIOD_S) + 1)
    centre = np.deg2rad((box[0] + box[2]) / 2)
    half = np.deg2rad((box[2] - box[0]) / 2 + _MARGIN_DEG)
    lons = [_subsatellite(k, np.full(k.shape, tau))[0] for tau in (tau_lo, tau_hi)]
    rel = [(lon - centre + np.pi) % (2 * np.pi) - np.pi for lon in lons]
    hit = (np.minimum(*rel) <= half) & (np.maximum(*rel) >= -half)
    starts = np.maximum(
        np.ceil((k[hit] * NODAL_PERIOD_S + tau_lo) * FRAMES_PER_S), np.ceil(t0 * FRAMES_PER_S)
    )
    stops = np.minimum(
        np.floor((k[hit] * NODAL_PERIOD_S + tau_hi) * FRAMES_PER_S), np.ceil(t1 * FRAMES_PER_S) - 1
    )
    counts = np.maximum(stops - starts + 1, 0).astype(np.int64)
    if counts.sum() == 0:
        return np.zeros(0, np.int64)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    return np.repeat(starts.astype(np.int64), counts) + offsets


def _solar_zenith_deg(lon: np.ndarray, lat: np.ndarray, t_ns: np.ndarray) -> np.ndarray:
    """Solar zenith angle from the declination (Cooper, 1969) and the mean solar hour angle."""
    days = (t_ns - _EPOCH.astype(np.int64)) / _DAY_NS
    decl = np.deg2rad(23.45) * np.sin(2 * np.pi * (284 + days % 365.2422 + 1) / 365.0)
    hour_angle = np.deg2rad(15.0 * ((days % 1.0) * 24.0 + lon / 15.0 - 12.0))
    phi = np.deg2rad(lat)
    cos_z = np.sin(phi) * np.sin(decl) + np.cos(phi) * np.cos(decl) * np.cos(hour_angle)
    return np.rad2deg(np.arccos(np.clip(cos_z, -1.0, 1.0)))


def _sounding_ids(t_ns: np.ndarray, footprint: np.ndarray) -> np.ndarray:
    """OCO-2 sounding ids YYYYMMDDhhmmss + tenths of a second + footprint (1-8), int64."""
    idx = pd.DatetimeIndex(t_ns.astype("datetime64[ns]"))
    stamp = (
        (((idx.year.astype(np.int64) * 100 + idx.month) * 100 + idx.day) * 100 + idx.hour) * 100
        + idx.minute
    ) * 100 + idx.second
    tenths = (t_ns % 10**9) // 10**8
    return np.asarray(stamp, np.int64) * 100 + tenths * 10 + footprint


def oco2_ground_tracks(
    start: date, end: date, bboxes: Sequence[tuple[float, float, float, float]]
) -> pd.DataFrame:
    """OCO-2-like footprint centres inside ``bboxes`` from ``start`` to ``end`` (exclusive).

    One row per footprint, sorted by sounding_id: sounding_id (int64), time (UTC,
    datetime64[ns, UTC]), latitude, longitude (degrees), footprint (1..8, across track),
    orbit (orbits since 2019-01-01). Only ascending passes with the sun more than 5 deg above
    the horizon are kept (OCO-2 measures reflected sunlight). The same frame
    numbers recur every 16 days on the same ground positions. Raises ValidationError when
    ``end`` is not after ``start`` or a bbox is malformed.
    """
    t_start, t_end = _to_ns(start, "start"), _to_ns(end, "end")
    if t_end <= t_start:
        raise ValidationError(f"start {start} is not before end {end}; end is exclusive")
    boxes = _check_bboxes(bboxes)
    epoch = _EPOCH.astype(np.int64)
    t0 = (t_start.astype(np.int64) - epoch) / 1e9
    t1 = (t_end.astype(np.int64) - epoch) / 1e9
    frames = np.unique(np.concatenate([_pass_frames(b, t0, t1) for b in boxes]))
    seconds = frames / FRAMES_PER_S
    orbit = np.floor(seconds / NODAL_PERIOD_S)
    tau = seconds - orbit * NODAL_PERIOD_S
    lon, lat = _subsatellite(orbit, tau)
    lon_next, lat_next = _subsatellite(orbit, tau + 0.5)
    heading = _bearing(lon, lat, lon_next, lat_next)
    across = (np.arange(1, N_FOOTPRINTS + 1) - (N_FOOTPRINTS + 1) / 2) * FOOTPRINT_SPACING_KM
    flon, flat = _offset(lon[:, None], lat[:, None], heading[:, None] + np.pi / 2, across[None, :])
    flon, flat = np.rad2deg(flon).ravel(), np.rad2deg(flat).ravel()
    t_ns = np.repeat(epoch + (frames * 10**9) // FRAMES_PER_S, N_FOOTPRINTS)
    inside = _solar_zenith_deg(flon, flat, t_ns) < MAX_SOLAR_ZENITH_DEG
    in_any = np.zeros(flon.shape, bool)
    for b in boxes:
        in_any |= (flon >= b[0]) & (flon <= b[2]) & (flat >= b[1]) & (flat <= b[3])
    inside &= in_any
    t_ns = t_ns[inside]
    fp = np.tile(np.arange(1, N_FOOTPRINTS + 1), len(frames))[inside]
    return pd.DataFrame(
        {
            "sounding_id": _sounding_ids(t_ns, fp),
            "time": pd.to_datetime(t_ns, utc=True),
            "latitude": flat[inside],
            "longitude": flon[inside],
            "footprint": fp.astype(np.int8),
            "orbit": np.repeat(orbit.astype(np.int64), N_FOOTPRINTS)[inside],
        }
    )
