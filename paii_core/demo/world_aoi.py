"""One area of interest of the demo world: terrain, landscape, season, SAR, flood and the
truth, written as real-format files on a 10 m grid in its county's UTM zone."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
from affine import Affine
from pyproj import Transformer
from rasterio.crs import CRS

from paii_core import io
from paii_core.demo import flood, haze, landscape, optics, phenology, sar, terrain
from paii_core.demo.classes import CROPS
from paii_core.demo.regions import DemoArea, DemoRegion
from paii_core.demo.world_base import (
    HIRES_FACTOR,
    PIXEL_M,
    WorldSize,
    Writer,
    flood_dates,
    season_dates,
)
from paii_core.demo.world_base import seeded_rng as seeded
from paii_core.errors import ValidationError
from paii_core.workspace.regions import utm_epsg

__all__ = ["build_aoi"]

# Region look and feel: relief (m) and typical field size (ha) (Henan and Hubei
# smallholder plots, Iowa quarter-section fields).
_TERRAIN = {"henan": (60.0, 6.0, 4.0), "hubei": (25.0, 5.0, 6.0), "iowa": (300.0, 25.0, 10.0)}
_FIELD_HA = {"henan": 0.6, "hubei": 0.5, "iowa": 16.0}


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


def build_aoi(
    w: Writer, region: DemoRegion, aoi: DemoArea, counties, size: WorldSize, seed: int, progress
) -> dict:
    rng = seeded(seed, "aoi", aoi.aoi_id)
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
