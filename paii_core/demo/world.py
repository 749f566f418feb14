"""The demo world: areas of interest, county panels, soundings and a portfolio, in files."""

from __future__ import annotations

import hashlib
import json
import shutil
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from affine import Affine
from pyproj import Transformer
from rasterio.crs import CRS

from paii_core import io
from paii_core.config import paths
from paii_core.demo import (
    flood,
    haze,
    landscape,
    optics,
    panels,
    phenology,
    portfolio,
    sar,
    soundings,
    terrain,
)
from paii_core.demo.classes import CROPS, LandCover
from paii_core.demo.regions import DEMO_REGIONS, DemoArea, DemoRegion
from paii_core.errors import ValidationError
from paii_core.workspace.regions import utm_epsg

__all__ = ["GENERATOR_VERSION", "SIZES", "WorldSize", "build_world", "flood_dates", "season_dates"]

GENERATOR_VERSION = "demo-1"
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class WorldSize:
    """How big a world to build: the full demo or a tiny one for tests."""

    name: str
    aoi_px: int
    """Side of each area of interest in 10 m pixels."""
    n_dates: int
    years: range
    sounding_days: int
    hires_dates: int
    """How many dates keep their 2.5 m truth (the super-resolution target)."""


SIZES: dict[str, WorldSize] = {
    "full": WorldSize(
        "full", aoi_px=400, n_dates=14, years=range(2001, 2021), sounding_days=93, hires_dates=2
    ),
    "tiny": WorldSize(
        "tiny", aoi_px=64, n_dates=12, years=range(2008, 2021), sounding_days=20, hires_dates=1
    ),
}

SEASON_START = date(2020, 3, 5)
REVISIT_DAYS = 16
SOUNDING_START = date(2019, 6, 1)
HIRES_FACTOR = 4
PIXEL_M = 10.0

# Region look and feel: relief (m) and typical field size (ha) (Henan and Hubei
# smallholder plots, Iowa quarter-section fields).
_TERRAIN = {"henan": (60.0, 6.0, 4.0), "hubei": (25.0, 5.0, 6.0), "iowa": (300.0, 25.0, 10.0)}
_FIELD_HA = {"henan": 0.6, "hubei": 0.5, "iowa": 16.0}


def season_dates(n: int) -> list[date]:
    """The optical/SAR capture dates of the 2020 season: every 16 days from 5 March."""
    return [SEASON_START + timedelta(days=REVISIT_DAYS * i) for i in range(n)]


def flood_dates() -> list[date]:
    """Sentinel-1 dates around the July 2020 Hubei flood (12-day repeat), peak 20 July."""
    return [date(2020, 6, 26) + timedelta(days=12 * i) for i in range(5)]


def _rng(seed: int, *parts: str) -> np.random.Generator:
    keys = [zlib.crc32(p.encode()) for p in parts]
    return np.random.default_rng(np.random.SeedSequence([seed, *keys]))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _load_counties(region: DemoRegion) -> gpd.GeoDataFrame:
    return io.read_boundaries(paths().boundaries / region.boundary_file)


def _aoi_grid(
    region: DemoRegion, aoi: DemoArea, counties: gpd.GeoDataFrame, side_px: int
) -> tuple[CRS, Affine]:
    """A 10 m grid of ``side_px`` pixels centred on a point inside the county, in the UTM
    zone of that point."""
    row = counties.loc[counties["county_id"] == aoi.county_id]
    if row.empty:
        raise ValidationError(
            f"area {aoi.aoi_id}: county {aoi.county_id} is not in {region.boundary_file}"
        )
    point = row.geometry.iloc[0].representative_point()
    epsg = utm_epsg(point.x, point.y)
    to_utm = Transformer.from_crs("EPSG:4326", f"EPSG:{epsg}", always_xy=True)
    x, y = to_utm.transform(point.x, point.y)
    half = side_px * PIXEL_M / 2
    x0 = np.floor((x - half) / PIXEL_M) * PIXEL_M
    y0 = np.ceil((y + half) / PIXEL_M) * PIXEL_M
    return CRS.from_epsg(epsg), Affine(PIXEL_M, 0, x0, 0, -PIXEL_M, y0)


def _block_mean(a: np.ndarray, f: int) -> np.ndarray:
    h, w = a.shape[-2] // f, a.shape[-1] // f
    return a[..., : h * f, : w * f].reshape(*a.shape[:-2], h, f, w, f).mean(axis=(-3, -1))


class _Writer:
    """Writes files under the world folder and remembers each one for the manifest."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: dict[str, str] = {}

    def path(self, rel: str) -> Path:
        p = self.root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    def done(self, p: Path) -> None:
        self.files[p.relative_to(self.root).as_posix()] = _sha256(p)


def _build_aoi(
    w: _Writer, region: DemoRegion, aoi: DemoArea, counties, size: WorldSize, seed: int, progress
) -> dict:
    rng = _rng(seed, "aoi", aoi.aoi_id)
    crs, transform = _aoi_grid(region, aoi, counties, size.aoi_px)
    hi_transform = transform @ Affine.scale(1 / HIRES_FACTOR)
    hi_shape = (size.aoi_px * HIRES_FACTOR, size.aoi_px * HIRES_FACTOR)
    hi_px = PIXEL_M / HIRES_FACTOR
    base, relief, valley = _TERRAIN[region.region_id]
    ter = terrain.make_terrain(
        hi_shape, hi_px, rng, base_elevation_m=base, relief_m=relief, valley_depth_m=valley
    )
    land = landscape.make_landscape(
        hi_shape,
        hi_px,
        rng,
        crops=aoi.crops,
        terrain=ter,
        mean_field_ha=_FIELD_HA[region.region_id],
    )
    low = landscape.downsample_labels(land, HIRES_FACTOR)
    ter_low = terrain.downsample_terrain(ter, HIRES_FACTOR)
    dem, river = ter_low.dem, ter_low.river_mask

    tag = aoi.aoi_id
    p = w.path(f"{tag}/dem/DEM_{tag}.tif")
    io.write_dem(p, dem, crs=crs, transform=transform)
    w.done(p)
    truth = f"truth/{tag}"
    for name, arr, dtype, nodata in (
        ("land_cover", low.land_cover, "uint8", 0),
        ("fine_parcels", low.fine_parcels, "int32", -1),
        ("coarse_parcels", low.coarse_parcels, "int32", -1),
        ("crop_type", low.crop_type, "int16", -2),
    ):
        p = w.path(f"{truth}/{name}.tif")
        # The crop codes' names travel with the raster, so readers need not import CROPS.
        tags = {"CLASSES": ",".join(f"{i}={c}" for i, c in enumerate(CROPS))}
        io.write_geotiff(
            p,
            arr.astype(dtype),
            crs=crs,
            transform=transform,
            dtype=dtype,
            nodata=nodata,
            tags=tags if name == "crop_type" else None,
        )
        w.done(p)
    p = w.path(f"{truth}/parcels.csv")
    low.parcels.to_csv(p, index=False, float_format="%.6g")
    w.done(p)
    # The insurer's plot registry (a cadastre of plots and blocks, as an insurer holds the
    # geometry of what it insures): the policies point into it by plot_id / block_id.
    p = w.path(f"insurance/{tag}_plots.tif")
    io.write_geotiff(
        p,
        np.stack([low.fine_parcels, low.coarse_parcels]).astype("int32"),
        crs=crs,
        transform=transform,
        dtype="int32",
        nodata=-1,
        band_names=("plot_id", "block_id"),
    )
    w.done(p)

    dates = season_dates(size.n_dates)
    n = len(dates)
    hazy = {
        int(i): float(t)
        for i, t in zip(
            rng.choice(np.arange(1, n), 3, replace=False), (0.35, 0.8, 1.5), strict=True
        )
    }
    cloudy = {int(i) for i in rng.choice([i for i in range(n) if i not in hazy], 2, replace=False)}
    keep_hires = set(np.linspace(n // 3, n - 2, size.hires_dates).astype(int).tolist())
    record = {
        "aoi_id": tag,
        "region_id": region.region_id,
        "county_id": aoi.county_id,
        "crs": crs.to_string(),
        "transform": list(transform)[:6],
        "width": size.aoi_px,
        "height": size.aoi_px,
        "s2": [],
        "s1": [],
    }
    flood_truth = None
    if aoi.has_flood:
        fdates = flood_dates()
        flood_truth = flood.simulate_flood(
            dem,
            river,
            PIXEL_M,
            len(fdates),
            rng,
            peak_index=2,
            peak_stage_m=ter.bankfull_depth_m + 1.5,
        )
    sar_dates = sorted({*dates, *(flood_dates() if aoi.has_flood else [])})
    for k, day in enumerate(dates):
        doy = day.timetuple().tm_yday
        clear_hi = optics.render_landscape(land, doy, rng, region=region.region_id)
        shift = tuple(rng.uniform(-0.5, 0.5, 2).round(3))
        clear = optics.add_sensor_noise(optics.degrade(clear_hi, HIRES_FACTOR, shift_px=shift), rng)
        image, scl_cloud, scl_shadow = (
            clear,
            np.zeros(clear.shape[1:], bool),
            np.zeros(clear.shape[1:], bool),
        )
        tau = 0.0
        tau_field = np.zeros(clear.shape[1:], np.float32)
        if k in hazy:
            tau = hazy[k]
            tau_field = haze.haze_optical_depth(clear.shape[1:], rng, mean_tau=tau)
            image = haze.apply_haze(clear, tau_field)
        if k in cloudy:
            image, scl_cloud, scl_shadow = haze.add_clouds(image, rng, cover=0.15)
        scl = haze.scl_from_masks(
            scl_cloud, scl_shadow, low.land_cover, ndvi=optics.ndvi_of(clear), tau550=tau_field
        )
        stamp = day.strftime("%Y%m%d")
        p = w.path(f"{tag}/s2/S2_{tag}_{stamp}_L2A.tif")
        io.write_sentinel2_l2a(p, image, crs=crs, transform=transform, date=day.isoformat())
        w.done(p)
        p = w.path(f"{tag}/s2/S2_{tag}_{stamp}_SCL.tif")
        io.write_scl(p, scl, crs=crs, transform=transform)
        w.done(p)
        if k in hazy or k in cloudy:
            p = w.path(f"{truth}/clear/S2_{tag}_{stamp}_clear.tif")
            io.write_sentinel2_l2a(p, clear, crs=crs, transform=transform, date=day.isoformat())
            w.done(p)
        if k in keep_hires:
            p = w.path(f"{truth}/hires/S2_{tag}_{stamp}_2p5m.tif")
            io.write_sentinel2_l2a(
                p, clear_hi, crs=crs, transform=hi_transform, date=day.isoformat()
            )
            w.done(p)
        record["s2"].append(
            {
                "date": day.isoformat(),
                "haze_tau550": tau,
                "cloudy": k in cloudy,
                "shift_px": list(shift),
            }
        )
        if progress:
            progress(k / n, f"{tag}: optical {day}")
    for day in sar_dates:
        doy = day.timetuple().tm_yday
        ndvi_low = phenology.landcover_ndvi(
            low.land_cover,
            low.crop_type,
            low.fine_parcels,
            low.parcels,
            doy,
            rng,
            region=region.region_id,
        )
        flooded = None
        if flood_truth is not None and day in flood_dates():
            i = flood_dates().index(day)
            flooded = flood_truth.flooded[i]
            stamp = day.strftime("%Y%m%d")
            p = w.path(f"{truth}/flood/flood_{stamp}.tif")
            io.write_geotiff(
                p,
                np.stack([flooded.astype(np.float32), flood_truth.depth_m[i]]),
                crs=crs,
                transform=transform,
                band_names=("flooded", "depth_m"),
            )
            w.done(p)
        paddy = phenology.paddy_flooded(
            low.crop_type, low.fine_parcels, low.parcels, doy, region=region.region_id
        )
        sigma0 = sar.simulate_sar(
            low.land_cover,
            low.crop_type,
            ndvi_low,
            dem,
            PIXEL_M,
            rng,
            flooded=flooded,
            paddy_flooded=paddy,
        )
        p = w.path(f"{tag}/s1/S1_{tag}_{day:%Y%m%d}_sigma0.tif")
        io.write_sentinel1(p, sigma0, crs=crs, transform=transform, date=day.isoformat())
        w.done(p)
        record["s1"].append({"date": day.isoformat(), "flood_event": flooded is not None})
    geometry = sar.radar_geometry(dem, PIXEL_M, incidence_deg=38.0, look_azimuth_deg=78.0)
    p = w.path(f"{truth}/sar_shadow_layover.tif")
    io.write_geotiff(
        p,
        np.stack([geometry.shadow, geometry.layover]).astype("uint8"),
        crs=crs,
        transform=transform,
        dtype="uint8",
        nodata=255,
        band_names=("shadow", "layover"),
    )
    w.done(p)
    if flood_truth is not None:
        p = w.path(f"{truth}/flood/permanent_water.tif")
        io.write_geotiff(
            p,
            flood_truth.permanent_water.astype("uint8"),
            crs=crs,
            transform=transform,
            dtype="uint8",
            nodata=255,
        )
        w.done(p)
    record["parcels"] = low.parcels
    return record


def _build_region_tables(
    w: _Writer, region: DemoRegion, counties: gpd.GeoDataFrame, size: WorldSize, seed: int
) -> None:
    rng = _rng(seed, "panel", region.region_id)
    panel = panels.simulate_county_panel(counties, region.region_id, size.years, rng)
    rid = region.region_id
    p = w.path(f"panels/{rid}_nass_yield.csv")
    io.write_nass_quickstats(p, panels.nass_frame(panel, region))
    w.done(p)
    for name, frame in (("features", panel.features), ("features_asof", panel.features_asof)):
        p = w.path(f"panels/{rid}_{name}.parquet")
        frame.to_parquet(p, index=False)
        w.done(p)
    p = w.path(f"panels/{rid}_county_stats.csv")
    panel.county_stats.to_csv(p, index=False, float_format="%.6g")
    w.done(p)
    p = w.path(f"truth/panels/{rid}_yields.csv")
    panel.yields.to_csv(p, index=False, float_format="%.6g")
    w.done(p)


def _build_soundings(
    w: _Writer, all_counties: gpd.GeoDataFrame, bboxes, size: WorldSize, seed: int
) -> None:
    rng = _rng(seed, "oco2")
    end = SOUNDING_START + timedelta(days=size.sounding_days)
    tracks = soundings.oco2_ground_tracks(SOUNDING_START, end, bboxes)
    frame = soundings.simulate_soundings(tracks, rng)
    for day, daily in sorted(soundings.split_daily(frame).items()):
        p = w.path(f"oco2/{soundings.lite_filename(day)}")
        io.write_oco2_lite(p, daily)
        w.done(p)
    months = pd.date_range(SOUNDING_START, end, freq="MS", inclusive="left")
    p = w.path("truth/oco2/county_month_xco2.csv")
    soundings.county_month_truth(all_counties, months, soundings=frame).to_csv(
        p, index=False, float_format="%.4f"
    )
    w.done(p)


def _build_portfolio(w: _Writer, records: list[dict], seed: int) -> None:
    policies, truths = [], []
    for rec in records:
        rng = _rng(seed, "policies", rec["aoi_id"])
        pol, tru = portfolio.simulate_policies(
            rec["parcels"],
            aoi_id=rec["aoi_id"],
            county_id=rec["county_id"],
            region_id=rec["region_id"],
            rng=rng,
        )
        policies.append(pol)
        truths.append(tru)
    for rel, frame in (
        ("insurance/policies.csv", policies),
        ("truth/insurance/policies_truth.csv", truths),
    ):
        p = w.path(rel)
        pd.concat(frame, ignore_index=True).to_csv(p, index=False, float_format="%.6g")
        w.done(p)


_README = """PAII demo world: SIMULATED DATA.

Every file here was generated by `paii demo build` (generator {version}, seed {seed},
size {size}) on real county boundaries. The imagery, SAR, DEM, soundings, yields and
policies are simulated, not observed. Inputs are in real formats (Sentinel-2 L2A and
Sentinel-1 GeoTIFF, DEM GeoTIFF, OCO-2 Lite NetCDF4, NASS Quick Stats CSV); the ground
truth for scoring models lies apart in truth/.
"""


def build_world(
    out_dir: Path | str,
    *,
    size: Literal["full", "tiny"] = "full",
    seed: int = 0,
    progress: Progress | None = None,
) -> dict:
    """Generate the demo world into ``out_dir`` (replaced whole) and return its manifest.

    The world is written to a sibling temporary folder and renamed into place only when
    complete, so a failed build leaves the previous world intact. Deterministic: the same
    ``seed`` and ``size`` give byte-identical files.
    """
    if size not in SIZES:
        raise ValidationError(f"size {size!r} is unknown; use one of: {', '.join(SIZES)}")
    spec = SIZES[size]
    out = Path(out_dir)
    tmp = out.with_name(out.name + ".building")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    report = progress or (lambda f, m: None)
    try:
        w = _Writer(tmp)
        regions = list(DEMO_REGIONS.values())
        steps = len(regions) * 2 + 2
        records, counties_all, bboxes = [], [], []
        for i, region in enumerate(regions):
            counties = _load_counties(region)
            counties_all.append(counties)
            bboxes.append(tuple(counties.total_bounds))
            for aoi in region.aois:

                def sub(f, m, i=i):
                    report((2 * i + f) / steps, m)

                records.append(_build_aoi(w, region, aoi, counties, spec, seed, sub))
            report((2 * i + 1) / steps, f"{region.name}: county panel")
            _build_region_tables(w, region, counties, spec, seed)
        report((steps - 2) / steps, "OCO-2 soundings")
        all_counties = pd.concat(counties_all, ignore_index=True)
        _build_soundings(w, all_counties, bboxes, spec, seed)
        report((steps - 1) / steps, "insurance portfolio")
        _build_portfolio(w, records, seed)
        (tmp / "README.txt").write_text(
            _README.format(version=GENERATOR_VERSION, seed=seed, size=size)
        )
        for rec in records:
            rec.pop("parcels")
        manifest = {
            "simulated": True,
            "generator": GENERATOR_VERSION,
            "seed": seed,
            "size": size,
            "crops": list(CROPS),
            "land_cover": {c.name.lower(): int(c) for c in LandCover},
            "season_dates": [d.isoformat() for d in season_dates(spec.n_dates)],
            "flood_dates": [d.isoformat() for d in flood_dates()],
            "aois": records,
            "files": dict(sorted(w.files.items())),
        }
        (tmp / "MANIFEST.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
        old = out.with_name(out.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if out.exists():
            out.rename(old)
        tmp.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report(1.0, "world written")
    return manifest
