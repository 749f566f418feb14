"""Flood mapping on held-out simulated scenes against one global Otsu threshold.

Scenes come from the demo generator's parts with seeds the demo (0) and test (7) worlds
never use, other terrain (hills, relief, valley depth) and flood stages chosen for
little (< 5 %; 107-110, stage at or just below bankfull) or much water. Scored: IoU of
flooded pixels against the truth, with and
without the pre-event image and the terrain masks; HAND time on a 4,000 x 4,000 DEM;
map_flood speed (MP/s) and peak memory on a 10,000 x 10,000 scene (``--big``).

Run: ``.venv/bin/python -m bench.flood.bench_flood [--big]``
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from datetime import date
from pathlib import Path

import numpy as np

from bench.jsonout import write_json
from paii_core import io
from paii_core.config import paths
from paii_core.demo import flood, landscape, phenology, sar, terrain
from paii_core.demo.classes import LandCover
from paii_core.flood import hand, map_flood
from paii_core.flood.water import despeckle_db, otsu_threshold, tile_histograms

PX = 10.0
REPORT: dict = {}
"""The figures printed, kept for ``--json OUT``."""
# (seed, hills, relief_m, valley_depth_m, stage above bankfull as a share of it, label)
SCENES = (
    (101, 0.6, 60.0, 20.0, 0.1, "hilly"),
    (102, 0.2, 20.0, 8.0, 0.05, "flat"),
    (103, 0.4, 40.0, 15.0, 0.15, "rolling"),
    (104, 0.3, 30.0, 10.0, 1.5, "much water"),
    (105, 0.7, 80.0, 25.0, 2.0, "much water, hilly"),
    (106, 0.1, 15.0, 6.0, 1.0, "much water, flat"),
    (107, 0.4, 40.0, 15.0, 0.0, "little water, rolling"),
    (108, 0.2, 20.0, 8.0, 0.0, "little water, flat"),
    (109, 0.6, 60.0, 20.0, 0.0, "little water, hilly"),
    (110, 0.3, 30.0, 10.0, -0.1, "little water"),
)


def scene(seed: int, hills: float, relief: float, valley: float, stage: float, size: int = 800):
    """Post and pre SAR, DEM, permanent water and flood truth of one held-out scene."""
    rng = np.random.default_rng(seed)
    ter = terrain.make_terrain(
        (size, size), PX, rng, relief_m=relief, valley_depth_m=valley, hills=hills
    )
    land = landscape.make_landscape(
        (size, size), PX, rng, crops=("rice", "maize", "soybean"), terrain=ter
    )
    truth = flood.simulate_flood(
        ter.dem, ter.river_mask, PX, 1, rng, peak_index=0,
        peak_stage_m=ter.bankfull_depth_m * (1.0 + stage),
    )  # fmt: skip
    images = []
    for doy, flooded in ((176, None), (200, truth.flooded[0])):
        ndvi = phenology.landcover_ndvi(
            land.land_cover, land.crop_type, land.fine_parcels, land.parcels, doy, rng
        )
        paddy = phenology.paddy_flooded(land.crop_type, land.fine_parcels, land.parcels, doy)
        images.append(
            sar.simulate_sar(
                land.land_cover,
                land.crop_type,
                ndvi,
                ter.dem,
                PX,
                rng,
                flooded=flooded,
                paddy_flooded=paddy,
            )
        )
    return images[1], images[0], ter.dem, ter.river_mask, truth.flooded[0]


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max(1, (a | b).sum()))


def global_otsu(post: np.ndarray, permanent: np.ndarray) -> np.ndarray:
    """Baseline: one Otsu (1979) threshold on the whole scene's speckle-filtered VV."""
    vv = despeckle_db(post[0])
    t = otsu_threshold(tile_histograms(vv, tile_px=max(vv.shape)).counts.sum(axis=0))
    return (vv < t) & ~permanent


HEADER = ("scene", "water %", "global Otsu", "PAII", "PAII no pre", "PAII no terrain",
          "no pre, no terrain", "shadow px called flood, same 4 PAII columns")  # fmt: skip


def quality(seeds: set[int] | None = None, water_model: bool = False) -> None:
    print("| " + " | ".join(HEADER) + " |")
    print("| --- " * len(HEADER) + "|")
    for seed, hills, relief, valley, stage, label in SCENES:
        if seeds and seed not in seeds:
            continue
        post, pre, dem, perm, truth = scene(seed, hills, relief, valley, stage)
        shadow = sar.radar_geometry(dem, PX).shadow & ~truth & ~perm
        scores = [iou(global_otsu(post, perm), truth)]
        called = []
        for kw in (
            {"pre_sar": pre},
            {},
            {"pre_sar": pre, "terrain_masks": False},
            {"terrain_masks": False},
        ):
            fm = map_flood(
                post, dem, pixel_size_m=PX, permanent_water=perm, water_model=water_model, **kw
            )
            scores.append(iou(fm.flooded, truth))
            called.append(100 * (fm.flooded & shadow).sum() / max(1, shadow.sum()))
        cells = " | ".join(f"{s:.3f}" for s in scores)
        fp = " / ".join(f"{c:.1f}" for c in called) + f" % of {shadow.sum()} px"
        print(f"| {seed} {label} | {100 * truth.mean():.1f} | {cells} | {fp} |", flush=True)
        keys = ("global_otsu", "paii", "paii_no_pre", "paii_no_terrain", "no_pre_no_terrain")
        REPORT.setdefault("quality", []).append(
            {"seed": seed, "label": label, "water_pct": 100 * truth.mean()}
            | dict(zip(keys, scores, strict=True))
            | {"shadow_called_pct": called}
        )


def sar_path(data_dir: Path, aoi_id: str, day: date) -> Path:
    """The demo world's Sentinel-1 file of ``aoi_id`` on ``day`` (its files' layout)."""
    return data_dir / "demo" / aoi_id / "s1" / f"S1_{aoi_id}_{day:%Y%m%d}_sigma0.tif"


def demo_world(data_dir: Path, aoi_id: str = "hubei-jianli") -> None:
    """IoU on every flood date of the built demo world (seed 0), pre-event image and
    permanent water (the truth land cover's water) given; run ``paii demo build`` first."""
    manifest = json.loads((data_dir / "demo" / "MANIFEST.json").read_text())
    aoi = next(a for a in manifest["aois"] if a["aoi_id"] == aoi_id)
    days = [date.fromisoformat(s["date"]) for s in aoi["s1"]]
    flood_days = [d for d, s in zip(days, aoi["s1"], strict=True) if s["flood_event"]]
    pre = io.read_sentinel1(sar_path(data_dir, aoi_id, max(d for d in days if d < flood_days[0])))
    dem = io.read_dem(data_dir / "demo" / aoi_id / "dem" / f"DEM_{aoi_id}.tif").data[0]
    truth_dir = data_dir / "demo" / "truth" / aoi_id
    perm = io.read_geotiff(truth_dir / "land_cover.tif").data[0] == LandCover.WATER
    print("| date | water % | global Otsu | PAII |")
    print("| --- | --- | --- | --- |")
    for day in flood_days:
        post = io.read_sentinel1(sar_path(data_dir, aoi_id, day)).data
        truth = io.read_geotiff(truth_dir / "flood" / f"flood_{day:%Y%m%d}.tif").data[0] == 1
        fm = map_flood(post, dem, pre_sar=pre.data, pixel_size_m=PX, permanent_water=perm)
        base = iou(global_otsu(post, perm), truth)
        row = {"date": str(day), "water_pct": 100 * truth.mean(), "global_otsu": None}
        REPORT.setdefault("demo", []).append(row)
        if not truth.any():  # IoU is undefined: count the false alarms instead
            row["false_alarm_px"] = int(fm.flooded.sum())
            print(f"| {day} | 0 | n/a | n/a ({int(fm.flooded.sum())} px called flood) |")
            continue
        got = iou(fm.flooded, truth)
        row.update(global_otsu=base, paii=got)
        miss, extra = (truth & ~fm.flooded).sum(), (fm.flooded & ~truth).sum()
        print(
            f"| {day} | {100 * truth.mean():.1f} | {base:.3f} | {got:.3f} "
            f"({miss} px missed, {extra} px false) |"
        )


def hand_speed() -> None:
    ter = terrain.make_terrain((4000, 4000), PX, np.random.default_rng(110), hills=0.3)
    start = time.perf_counter()
    hand(ter.dem, pixel_size_m=PX)
    REPORT["hand_4000_s"] = time.perf_counter() - start
    print(f"HAND 4,000 x 4,000: {REPORT['hand_4000_s']:.1f} s")


def big_speed(size: int = 10_000, water_model: bool = False) -> None:
    rng = np.random.default_rng(120)
    ter = terrain.make_terrain((size, size), PX, rng, hills=0.3)
    post = rng.standard_normal((2, size, size), dtype=np.float32) * np.float32(2.0)
    post[0] -= 10.0
    post[1] -= 17.0
    water = ter.dem < np.quantile(ter.dem, 0.05)
    post[:, water] -= 10.0
    start = time.perf_counter()
    fm = map_flood(post, ter.dem, pixel_size_m=PX, water_model=water_model)
    took = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    start = time.perf_counter()
    map_flood(post, None, pixel_size_m=PX, water_model=water_model)
    no_dem = time.perf_counter() - start
    water = "learned model" if water_model else "rules"
    print(f"map_flood {size:,} x {size:,} without DEM (water by the {water}): {no_dem:.0f} s "
          f"= {size * size / 1e6 / no_dem:.2f} MP/s")  # fmt: skip
    REPORT["big"] = {"size": size, "seconds": took, "mp_per_s": size * size / 1e6 / took,
                     "peak_rss_gb": peak, "no_dem_seconds": no_dem}  # fmt: skip
    print(
        f"map_flood {size:,} x {size:,}: {took:.0f} s = {size * size / 1e6 / took:.2f} MP/s, "
        f"peak RSS {peak:.1f} GB, flooded {fm.flooded.mean():.3f}"
    )


def files_speed(size: int) -> None:
    """`paii flood` as a command on GeoTIFFs: a size x size 10 m scene and a 30 m DEM.

    Each run is its own process (peak RSS of that process alone); the scene is mapped
    window by window from disk when it has >= 25 MP (``flood.cli.STREAM_MIN_PX``).
    """
    import subprocess
    import sys
    import tempfile

    from affine import Affine

    rng = np.random.default_rng(121)
    ter = terrain.make_terrain((size // 3, size // 3), 3 * PX, rng, hills=0.3)
    with tempfile.TemporaryDirectory() as tmp:
        dem_path = io.write_dem(
            Path(tmp) / "dem.tif", ter.dem, crs="EPSG:32650",
            transform=Affine(30, 0, 5e5, 0, -30, 3e6),
        )  # fmt: skip
        z = np.repeat(np.repeat(ter.dem, 3, axis=0), 3, axis=1)
        post = rng.standard_normal((2, size, size), dtype=np.float32) * np.float32(2.0)
        post[0] -= 10.0
        post[1] -= 17.0
        post[:, z < np.quantile(z, 0.05)] -= 10.0
        del z
        s1 = io.write_sentinel1(
            Path(tmp) / "s1.tif", post, crs="EPSG:32650", transform=Affine(10, 0, 5e5, 0, -10, 3e6),
            date="2020-07-10",
        )  # fmt: skip
        del post
        cache = Path(tmp) / "cache"
        runs = (
            ("+ 30 m DEM, HAND computed", ["--dem", str(dem_path), "--hand-cache", str(cache)]),
            ("+ 30 m DEM, HAND cached", ["--dem", str(dem_path), "--hand-cache", str(cache)]),
            ("without DEM", []),
        )
        for label, extra in runs:
            code = (
                "import sys, time; from paii_core.cli import main; "
                "t = time.perf_counter(); "
                "rc = main(sys.argv[1:]); took = time.perf_counter() - t; "
                # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking
                # parent across exec, so it would report this benchmark's own peak.
                "rss = [int(x.split()[1]) for x in open('/proc/self/status') "
                "if x.startswith('VmHWM')][0] / 1e6; "
                "print(f'TIME {took:.1f} RSS {rss:.2f}'); "
                "sys.exit(rc)"
            )
            # the three runs write one scratch file: --overwrite, as paii refuses to replace one
            args = ["flood", "--post", str(s1), *extra, "--overwrite", str(Path(tmp) / "out.tif")]
            done = subprocess.run(
                [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
            )
            took, rss = done.stdout.strip().splitlines()[-1].split()[1::2]
            print(f"paii flood {size:,} x {size:,} {label}: {float(took):.0f} s = "
                  f"{size * size / 1e6 / float(took):.2f} MP/s, peak RSS {rss} GB")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--big", action="store_true", help="also time a 10,000 x 10,000 scene")
    parser.add_argument(
        "--only", choices=("quality", "demo", "hand", "big", "files"), action="append",
        help="run this part only (repeat for several: `make bench` runs the timed parts hand "
        "and big on their own)",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, action="append", help="held-out scene(s) to score")
    parser.add_argument("--water", choices=("rules", "learned"), default="rules",
                        help="quality, big: water from the rules or the learned model")  # fmt: skip
    parser.add_argument("--size", type=int, default=10_000, help="side of the --big scene")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    parts = set(args.only or ("quality", "demo", "hand"))
    if "quality" in parts:
        quality(set(args.seed or ()), water_model=args.water == "learned")
    if "demo" in parts:
        demo_world(paths().data)
    if "hand" in parts:
        hand_speed()
    if args.big or "big" in parts:
        big_speed(args.size, water_model=args.water == "learned")
    if "files" in parts:
        files_speed(args.size)
    write_json(args.json, REPORT)
