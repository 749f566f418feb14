"""Simulated floods on real DEMs, mapped end to end through `paii flood` on GeoTIFFs.

Real DEMs (data/real/): pysheds' 3-arc-second HydroSHEDS DEM of the Fort Worth area
(EPSG:4326, so the geographic-CRS path is exercised) and the Olinda DEM (UTM 25S), both
~90 m. Each is resampled 3x (bilinear) to a 30 m SAR grid in its own CRS. The river is
the D8 channel draining >= ``RIVER_KM2``; the flood truth is the connected-bathtub
model of the demo generator (``paii_core.demo.flood.simulate_flood``: the water
surface follows the nearest river cell, an independent model from PAII's HAND), with
two stages: a shallow plain flood (1.5 m) and a deep valley flood (12 m).

SAR: a simple, documented backscatter model (not the generator's): land VV from a
smooth random field around -9 dB (fields, soil moisture), water -21 dB, radar shadow
at the noise floor (-24 dB; demo ``radar_geometry`` on the 30 m DEM), layover +6 dB,
VH = VV - 7 dB, multiplicative gamma speckle of 4.4 looks (Sentinel-1 IW GRD). The
pre-event image has the same land with fresh speckle and a +-1 dB moisture change.

Scored: IoU of the ``flooded`` band against the truth (permanent river excluded from
the truth; no permanent-water layer is given to PAII), with and without the pre-event
image; baseline: one global Otsu threshold on the 3 x 3 despeckled VV.

Run: ``PYTHONPATH=. .venv/bin/python -m bench.flood.real_dem``
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import numpy as np
from rasterio.warp import Resampling, reproject

from paii_core import io
from paii_core.config import paths
from paii_core.demo import flood as demo_flood
from paii_core.demo.sar import radar_geometry
from paii_core.demo.terrain import gaussian_field
from paii_core.flood.files import map_flood_files
from paii_core.flood.terrain import fill_voids, route
from paii_core.flood.water import despeckle_db, otsu_threshold, tile_histograms

RIVER_KM2 = 20.0
LOOKS = 4.4
DEMS = (
    ("pysheds_dem_90m/dem_3arcsec_epsg4326.tif", "Fort Worth 90 m (EPSG:4326)"),
    ("olinda_dem/olinda_dem_utm25s.tif", "Olinda 90 m (UTM 25S)"),
)
STAGES = ((1.5, "shallow plain"), (12.0, "deep valley"))


def _upsampled(dem: io.Raster, factor: int = 3) -> tuple[np.ndarray, object]:
    h, w = dem.data.shape[1:]
    transform = dem.transform * dem.transform.scale(1 / factor)
    out = np.full((h * factor, w * factor), np.nan, dtype=np.float32)
    reproject(
        dem.data[0], out, src_transform=dem.transform, src_crs=dem.crs,
        dst_transform=transform, dst_crs=dem.crs, src_nodata=np.nan, dst_nodata=np.nan,
        resampling=Resampling.bilinear,
    )  # fmt: skip
    return out, transform


def _metres(dem: io.Raster, transform) -> float:
    px = abs(transform.a)
    if dem.crs.is_geographic:
        lat = dem.bounds.bottom / 2 + dem.bounds.top / 2
        return px * 111_320.0 * np.cos(np.radians(lat))
    return px


def _speckle(db: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    gamma = rng.gamma(LOOKS, 1.0 / LOOKS, db.shape).astype(np.float32)
    return (db + 10.0 * np.log10(gamma)).astype(np.float32)


def simulate(z: np.ndarray, px: float, stage: float, seed: int):
    """(post (2,H,W), pre (2,H,W), truth flooded (H,W)) on the DEM grid ``z``."""
    rng = np.random.default_rng(seed)
    zf = fill_voids(z)
    acc = route(zf).accumulation
    river = acc * px * px / 1e6 >= RIVER_KM2
    truth = demo_flood.simulate_flood(
        zf, river, px, 1, rng, peak_index=0, peak_stage_m=stage
    ).flooded[0]
    geo = radar_geometry(zf, px)
    land = -9.0 + 1.5 * gaussian_field(z.shape, px, rng, outer_m=300.0)

    def image(water: np.ndarray, moisture: float) -> np.ndarray:
        vv = land + moisture
        vv = np.where(geo.layover, vv + 6.0, vv)
        vv = np.where(water, -21.0 + 0.8 * rng.standard_normal(z.shape), vv)
        vv = np.where(geo.shadow & ~water, -24.0, vv).astype(np.float32)
        sar = np.stack([_speckle(vv, rng), _speckle(vv - 7.0, rng)])
        sar[:, ~np.isfinite(z)] = np.nan
        return sar

    post = image(truth | river, 0.0)
    pre = image(river, float(rng.uniform(-1.0, 1.0)))
    return post, pre, truth, river


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max(1, (a | b).sum()))


def run(no_dem_water_model: bool = False) -> list[dict]:
    """Rows of every DEM and flood; the no-DEM column maps water with the rules as
    `paii flood` does by default, or with the learned model (``no_dem_water_model``, as
    ``paii flood --water learned``)."""
    rows = []
    real = paths().root / "data" / "real"
    for i, (rel, label) in enumerate(DEMS):
        dem = io.read_dem(real / rel)
        z, transform = _upsampled(dem)
        px = _metres(dem, transform)
        for j, (stage, kind) in enumerate(STAGES):
            post, pre, truth, _ = simulate(z, px, stage, seed=500 + 10 * i + j)
            vv = despeckle_db(post[0])
            t = otsu_threshold(tile_histograms(vv, tile_px=max(vv.shape)).counts.sum(axis=0))
            scores = {"otsu": iou(vv < t, truth)}
            with tempfile.TemporaryDirectory() as tmp:
                paths_ = {}
                for name, data in (("post", post), ("pre", pre)):
                    paths_[name] = io.write_sentinel1(
                        Path(tmp) / f"{name}.tif", data, crs=dem.crs, transform=transform,
                        date="2020-01-01",
                    )  # fmt: skip
                dem_path = io.write_dem(Path(tmp) / "dem.tif", z, crs=dem.crs, transform=transform)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    for key, pre_path in (("pre", paths_["pre"]), ("no pre", None)):
                        fm, _ = map_flood_files(paths_["post"], dem_path, pre_path=pre_path)
                        scores[key] = iou(fm.flooded, truth)
                    fm, _ = map_flood_files(paths_["post"], None, water_model=no_dem_water_model)
                    scores["no DEM"] = iou(fm.flooded, truth)
            rows.append(
                {"dem": label, "flood": f"{kind} ({stage:g} m)", "water %": 100 * truth.mean()}
                | scores
            )
            r = rows[-1]
            print(
                f"| {r['dem']} | {r['flood']} | {r['water %']:.1f} | {r['otsu']:.3f} | "
                f"{r['pre']:.3f} | {r['no pre']:.3f} | {r['no DEM']:.3f} |",
                flush=True,
            )
    return rows


if __name__ == "__main__":
    import argparse

    from bench.jsonout import write_json

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    parser.add_argument(
        "--no-dem-water",
        choices=("learned", "rules"),
        default="rules",
        help="what decides water in the no-DEM column (default: the rules, as paii flood)",
    )
    args = parser.parse_args()
    print("| DEM | flood | water % | global Otsu | PAII + pre | PAII no pre | PAII no DEM |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    write_json(args.json, {"rows": run(args.no_dem_water == "learned")})
