"""Crop benchmark on held-out generated scenes (seeds 200+, never used in training).

    .venv/bin/python -m bench.crops.run            # all regions, prints a markdown table
    .venv/bin/python -m bench.crops.run --regions iowa
    .venv/bin/python -m bench.crops.run --seeds 203 204   # scenes no tuning ever looked at

Cropland F1 (model vs an NDVI threshold baseline); fine and coarse parcels: mean IoU of
matched parcels (IoU > 0.5) and the share of truth parcels matched (model vs a
connected-components-of-the-cropland-mask baseline); crop types: per-class precision and
recall with 10, 40 and 100 point labels; run time of cropland + parcels.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from skimage import measure

from bench.jsonout import write_json
from paii_core.crops import cropland_probability, delineate_parcels, recognize_crops
from paii_core.crops.features import ndvi_curve
from paii_core.crops.labelling import interior_points
from paii_core.crops.scenes import make_scene
from paii_core.demo.classes import CROPS

SEEDS = (201, 202)
REGIONS = ("henan", "hubei", "iowa")


def matched_iou(truth: np.ndarray, pred: np.ndarray) -> tuple[float, float]:
    """Mean IoU of truth parcels matched (IoU > 0.5) to a predicted one, and share matched."""
    t, p = truth.ravel().astype(np.int64), pred.ravel().astype(np.int64)
    both = (t > 0) & (p > 0)
    nt, npd = int(t.max()) + 1, int(p.max()) + 1
    inter = np.bincount(t[both] * npd + p[both], minlength=nt * npd).reshape(nt, npd)
    at, ap = np.bincount(t, minlength=nt), np.bincount(p, minlength=npd)
    best = inter.argmax(1)
    hit = inter[np.arange(nt), best]
    iou = (hit / np.maximum(at + ap[best] - hit, 1))[1:]
    ok = iou > 0.5
    return (float(iou[ok].mean()) if ok.any() else 0.0), float(ok.mean())


def pick_labels(scene, units, n, rng):
    """n survey point labels, spread evenly over the crops: each at the interior point of a
    truth field (as a surveyor stands inside a field, not on its mixed-pixel edge) with the
    crop there, keeping points that fall on a delineated parcel."""
    pts = interior_points(scene.fine_parcels)
    kind = scene.crop_type[pts[:, 0], pts[:, 1]]
    on = units[pts[:, 0], pts[:, 1]] > 0
    crops = np.unique(kind[(kind >= 0) & on])
    out = []
    for i, c in enumerate(crops):
        m = n // len(crops) + (i < n % len(crops))
        idx = np.flatnonzero((kind == c) & on)
        out += [(int(pts[j, 0]), int(pts[j, 1]), CROPS[c]) for j in rng.permutation(idx)[:m]]
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--regions", nargs="+", choices=REGIONS, default=list(REGIONS), help="regions to run"
    )
    parser.add_argument(
        "--seeds", nargs="+", type=int, default=list(SEEDS), help="held-out seeds (200+)"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    args = parser.parse_args(argv)
    if any(s < 200 for s in args.seeds):
        parser.error("--seeds must be 200 or more: seeds below 200 are used in training")
    rows = []
    for region in args.regions:
        for seed in args.seeds:
            big = region == "iowa"
            s = make_scene(region, seed, size_px=400 if big else 300, hires_factor=2 if big else 4)
            t0 = time.perf_counter()
            prob = cropland_probability(s.series, s.dates)
            fine = delineate_parcels(s.series, s.dates, cropland=prob)
            coarse = delineate_parcels(s.series, s.dates, cropland=prob, level="coarse")
            elapsed = time.perf_counter() - t0
            truth = s.land_cover == 1
            pred = prob > 0.5
            f1 = 2 * (pred & truth).sum() / (pred.sum() + truth.sum())
            peak = np.nanmax(ndvi_curve(s.series, s.dates), axis=0) > 0.6
            f1_base = 2 * (peak & truth).sum() / (peak.sum() + truth.sum())
            base = measure.label(pred, connectivity=1)
            rec = {
                "region": region,
                "seed": seed,
                "cropland_f1": f1,
                "baseline_f1": f1_base,
                "fine": matched_iou(s.fine_parcels, fine),
                "fine_base": matched_iou(s.fine_parcels, base),
                "coarse": matched_iou(s.coarse_parcels, coarse),
                "coarse_base": matched_iou(s.coarse_parcels, base),
                "seconds": elapsed,
            }
            for n in (10, 40, 100):
                labels = pick_labels(s, fine, n, np.random.default_rng(seed))
                t1 = time.perf_counter()
                cm = recognize_crops(
                    s.series, s.dates, labels, sar=s.sar, dem=s.dem, parcels=fine, region=region
                )
                rec[f"rec_s_{n}"] = time.perf_counter() - t1
                lut = np.array([CROPS.index(c) for c in cm.classes])
                p = np.where(cm.label_map >= 0, lut[np.maximum(cm.label_map, 0)], -1)
                scores = {}
                for c in np.unique(s.crop_type[s.crop_type >= 0]):
                    tp = ((p == c) & (s.crop_type == c)).sum()
                    scores[CROPS[c]] = (
                        tp / max((p == c).sum(), 1),
                        tp / max((s.crop_type == c).sum(), 1),
                    )
                rec[f"crops_{n}"] = scores
            rows.append(rec)
            print(rec, flush=True)
    print(
        "\n| region | seed | cropland F1 (NDVI>0.6) | fine IoU / matched (CC baseline) | "
        "coarse IoU / matched (CC baseline) | cropland+parcels s |"
    )
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['region']} | {r['seed']} | {r['cropland_f1']:.3f} ({r['baseline_f1']:.3f}) | "
            f"{r['fine'][0]:.3f} / {r['fine'][1]:.2f} ({r['fine_base'][0]:.3f} / "
            f"{r['fine_base'][1]:.2f}) | {r['coarse'][0]:.3f} / {r['coarse'][1]:.2f} "
            f"({r['coarse_base'][0]:.3f} / {r['coarse_base'][1]:.2f}) | {r['seconds']:.1f} |"
        )
    print("\n| region | seed | labels | precision / recall per crop | recognise s |")
    print("|---|---|---|---|---|")
    for r in rows:
        for n in (10, 40, 100):
            txt = ", ".join(f"{k} {v[0]:.2f}/{v[1]:.2f}" for k, v in r[f"crops_{n}"].items())
            print(f"| {r['region']} | {r['seed']} | {n} | {txt} | {r[f'rec_s_{n}']:.1f} |")
    write_json(args.json, {"rows": rows})


if __name__ == "__main__":
    main()
