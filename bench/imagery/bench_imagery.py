"""Benchmark of `paii area add`'s readers.

1. L1C clouds: the s2cloudless model file as PAII applies it against the classical
   brightness test (blue TOA reflectance > 0.2), on real L1C scenes (Slovenia, eo-learn
   example data; reference: eo-learn's own s2cloudless masks, so not independent truth)
   and on held-out generated scenes with known clouds (tests/io/make_s2_items.py).
2. Windowed reading: an area of AREA px cut from a STAC catalog of TILE x TILE px COGs
   over DATES dates; wall time and peak memory of the read in a fresh process, beside the
   memory a whole-tile read would take.

Run: `.venv/bin/python -m bench.imagery.bench_imagery [--tile 4000] [--dates 6] [--area 400]`
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pystac
import rasterio
import shapely
import shapely.geometry
from affine import Affine
from pyproj import Transformer
from rasterio.crs import CRS
from scipy import ndimage

from bench.jsonout import write_json
from paii_core.config import REPO_ROOT
from paii_core.io.s2_items import open_s2_item
from paii_core.io.s2_load import load_scene
from paii_core.io.s2_scene import Grid
from paii_core.io.s2cloud import CLOUD_THRESHOLD

sys.path.insert(0, str(REPO_ROOT / "tests" / "io"))
import make_s2_items as gen

REAL = REPO_ROOT / "data" / "real" / "slovenia_s2_l1c_13band"
BLUE_THRESHOLD = 0.2


def _scores(mask: np.ndarray, truth: np.ndarray, pixel_m: float) -> tuple[float, ...]:
    """(accuracy, IoU of the cloud class (NaN when neither has cloud), share of the true
    cloud left unmasked (NaN without cloud), distance in m of the farthest clear pixel
    masked from the nearest true cloud (0 when none; inf when the truth has no cloud))."""
    acc = float((mask == truth).mean())
    union = np.logical_or(mask, truth).sum()
    iou = float(np.logical_and(mask, truth).sum() / union) if union else float("nan")
    missed = float((truth & ~mask).sum() / truth.sum()) if truth.any() else float("nan")
    false = mask & ~truth
    if not false.any():
        farthest = 0.0
    elif not truth.any():
        farthest = float("inf")
    else:
        farthest = float(ndimage.distance_transform_edt(~truth)[false].max() * pixel_m)
    return acc, iou, missed, farthest


def clouds() -> list[dict]:
    rows = []
    for path in sorted(REAL.glob("S2_L1C_*_13band.tif")):
        day = path.stem.split("_")[2]
        (scene,) = open_s2_item(path)
        with rasterio.open(path) as src:
            grid = Grid(src.crs, src.transform, src.width, src.height)
        loaded = load_scene(scene, grid)
        with rasterio.open(REAL / f"CLM_{day}_eolearn.tif") as src:
            ref = src.read(1) > 0
        base = loaded.reflectance[0] > BLUE_THRESHOLD
        rows.append(
            {
                "data": "real",
                "scene": f"Slovenia {day}",
                "reference cloud %": 100 * ref.mean(),
                "s2cloudless": _scores(loaded.clouds, ref, 10.0),
                "raw": _scores(loaded.cloud_probability > CLOUD_THRESHOLD, ref, 10.0),
                "blue > 0.2": _scores(base, ref, 10.0),
            }
        )
    with tempfile.TemporaryDirectory() as tmp:
        for day in sorted(gen.CLOUDY):
            (scene,) = open_s2_item(gen.write_safe(Path(tmp), day, level="L1C"))
            grid = Grid(gen.CRS_UTM14, gen.transform(10), gen.SIZE, gen.SIZE)
            loaded = load_scene(scene, grid)
            truth = gen.cloud_mask(day)
            base = loaded.reflectance[0] > BLUE_THRESHOLD
            rows.append(
                {
                    "data": "simulated (held out)",
                    "scene": f"generated {day}",
                    "reference cloud %": 100 * truth.mean(),
                    "s2cloudless": _scores(loaded.clouds, truth, 10.0),
                    "raw": _scores(loaded.cloud_probability > CLOUD_THRESHOLD, truth, 10.0),
                    "blue > 0.2": _scores(base, truth, 10.0),
                }
            )
    return rows


def _big_catalog(root: Path, tile: int, n_dates: int) -> Path:
    """A STAC catalog of ``n_dates`` L2A items, each 4 COG bands of tile x tile px + SCL."""
    rng = np.random.default_rng(0)
    tr = Affine(10.0, 0.0, 600000.0, 0.0, -10.0, 4300000.0)
    cat = pystac.Catalog("bench", "benchmark tiles")
    fields = rng.integers(1000, 5000, size=(tile // 100 + 1, tile // 100 + 1)).astype(np.uint16)
    base = np.kron(fields, np.ones((100, 100), np.uint16))[:tile, :tile]
    to_ll = Transformer.from_crs(32614, 4326, always_xy=True)
    box = shapely.box(tr.c, tr.f - 10 * tile, tr.c + 10 * tile, tr.f)
    shape = shapely.transform(box, lambda xy: np.column_stack(to_ll.transform(xy[:, 0], xy[:, 1])))
    footprint = shapely.geometry.mapping(shape)
    for k in range(n_dates):
        day = date(2022, 4 + k // 3, 1 + 10 * (k % 3))
        item = pystac.Item(
            f"T{k}",
            footprint,
            list(shape.bounds),
            datetime(day.year, day.month, day.day),
            {"s2:processing_baseline": "05.00", "s2:product_type": "S2MSI2A"},
        )
        for key in ("blue", "green", "red", "nir", "scl"):
            res = 20 if key == "scl" else 10
            n = tile * 10 // res
            data = np.full((n, n), 4, np.uint8) if key == "scl" else base + 100 * k
            path = root / item.id / f"{key}.tif"
            path.parent.mkdir(parents=True, exist_ok=True)
            with rasterio.open(
                path,
                "w",
                driver="COG",
                height=n,
                width=n,
                count=1,
                dtype=data.dtype,
                crs=CRS.from_epsg(32614),
                nodata=0,
                compress="deflate",
                transform=Affine(res, 0, tr.c, 0, -res, tr.f),
            ) as dst:
                dst.write(data, 1)
            item.add_asset(key, pystac.Asset(str(path), roles=["data"]))
        cat.add_item(item)
    cat.normalize_hrefs(str(root))
    cat.make_all_asset_hrefs_relative()
    cat.save(pystac.CatalogType.SELF_CONTAINED)
    return root / "catalog.json"


_READ = """
import resource, sys, time, json
from paii_core.io.s2_items import open_s2_item
from paii_core.io.s2_load import load_season
from paii_core.io.s2_scene import Grid
from paii_core.io.s2cloud import CLOUD_THRESHOLD
from affine import Affine
from rasterio.crs import CRS
catalog, area = sys.argv[1], int(sys.argv[2])
import numpy as np
import odc.stac  # imported before measuring: the read, not the imports, is benchmarked
rss = [int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmRSS")][0]
before = rss
t = time.perf_counter()
scenes = open_s2_item(catalog)
origin = Affine(10.0, 0, 600000.0 + 5000, 0, -10.0, 4300000.0 - 5000)
grid = Grid(CRS.from_epsg(32614), origin, area, area)
season = load_season(scenes, grid)
dt = time.perf_counter() - t
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
finite = float(np.isfinite(season[0].reflectance).mean())
print(json.dumps({"seconds": dt, "peak_mb": after / 1024, "before_mb": before / 1024,
                  "dates": len(season), "finite": finite}))
"""


def windowed(tile: int, n_dates: int, area: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        catalog = _big_catalog(Path(tmp), tile, n_dates)
        size_mb = sum(p.stat().st_size for p in Path(tmp).rglob("*.tif")) / 2**20
        out = subprocess.run(
            [sys.executable, "-c", _READ, str(catalog), str(area)],
            capture_output=True,
            text=True,
            cwd=REPO_ROOT,
        )
        if out.returncode:
            raise RuntimeError(out.stderr[-3000:])
        res = json.loads(out.stdout.strip().splitlines()[-1])
    res.update(
        tile=tile,
        n_dates=n_dates,
        area=area,
        files_mb=size_mb,
        whole_tile_mb=n_dates * 4 * tile * tile * 4 / 2**20,
    )
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tile", type=int, default=4000)
    ap.add_argument("--dates", type=int, default=6)
    ap.add_argument("--area", type=int, default=400)
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args(argv)
    report: dict = {"clouds": []}
    print(
        "| data | scene | reference cloud % | s2cloudless (PAII) acc / IoU | "
        "probability > 0.4 only | blue > 0.2 |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for r in clouds():
        report["clouds"].append(r)
        a, c, b = r["s2cloudless"], r["raw"], r["blue > 0.2"]
        print(
            f"| {r['data']} | {r['scene']} | {r['reference cloud %']:.1f} | "
            f"{a[0]:.3f} / {a[1]:.3f} | {c[0]:.3f} / {c[1]:.3f} | {b[0]:.3f} / {b[1]:.3f} |"
        )
    w = windowed(args.tile, args.dates, args.area)
    report["windowed"] = w
    print(
        f"\nwindowed read: {w['area']} x {w['area']} px of {w['n_dates']} dates from "
        f"{w['tile']} x {w['tile']} px COG tiles ({w['files_mb']:.0f} MB of files; a whole-tile "
        f"float32 read of the 4 bands would take {w['whole_tile_mb']:.0f} MB): "
        f"{w['seconds']:.1f} s, process RSS {w['before_mb']:.0f} MB before the read, peak "
        f"{w['peak_mb']:.0f} MB; valid {100 * w['finite']:.0f} %"
    )
    write_json(args.json, report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
