"""Migration 60: a flood event's flooded cropland may be unknown.

An area made from Sentinel-1 alone, or without the insurer's plot registry, has no
cropland geometry: its counties' flooded land is known, their flooded cropland is not,
and is stored as NULL rather than as a misleading 0.
"""

from __future__ import annotations

VERSION = 60
NAME = "flood cropland may be unknown"

STATEMENTS = ("ALTER TABLE flood_county_impacts ALTER COLUMN cropland_flooded_km2 DROP NOT NULL",)
