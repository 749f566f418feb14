"""Benchmark: dehaze and 4x SR quality on held-out simulated scenes.

Run: .venv/bin/python -m bench.enhance.quality [--scenes 6] [--size 128]
Scenes use seeds from BENCH_SEEDS (training draws from 1000..8999) in Henan, Hubei and
Iowa (Iowa never seen in training). Dehaze (every pixel scored, thick-haze flags off, as
before they existed): PSNR/SSIM of the hazy input, DCP and the
model against the clear capture, and NDVI MAE (pixels where the clear N + R > 0.05, i.e.
not open water, whose NDVI is a ratio of two tiny numbers). SR: PSNR/SSIM against the
2.5 m truth for bicubic, the model on one date, with 3 other dates (within 8 days), and
with SAR too. Also the demo world's own hazy dates against truth/<aoi>/clear, and its
clear dates with a 2.5 m truth super-resolved with the two nearest clear dates.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from scipy import ndimage
from skimage.metrics import structural_similarity

from paii_core.enhance import dehaze, load_model, scenes, super_resolve
from paii_core.enhance import demo_scenes as ds
from paii_core.enhance.files import read_bgrn

REGIONS = ("henan", "hubei", "iowa")


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(1.0 / np.nanmean((a - b) ** 2)))


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.nan_to_num(a), np.nan_to_num(b)
    return float(
        np.mean([structural_similarity(x, y, data_range=1.0) for x, y in zip(a, b, strict=True)])
    )


def ndvi_mae(a: np.ndarray, clear: np.ndarray) -> float:
    def ndvi(x):
        return (x[3] - x[2]) / (x[3] + x[2])

    mask = (clear[3] + clear[2]) > 0.05
    return float(np.nanmean(np.abs(ndvi(a) - ndvi(clear))[mask]))


def _row(method: str, img: np.ndarray, clear: np.ndarray) -> dict:
    return {
        "method": method,
        "psnr": psnr(img, clear),
        "ssim": ssim(img, clear),
        "ndvi_mae": ndvi_mae(img, clear),
    }


def bench_dehaze(n: int, size: int, net) -> list[dict]:
    rows = []
    for k in range(n):
        region = REGIONS[k % 3]
        sc = scenes.make_scene(scenes.BENCH_SEEDS.start + k, region, size=size, dates=1)
        rng = np.random.default_rng(scenes.BENCH_SEEDS.start + k)
        for tau in (0.35, 0.8, 1.5):
            hazy, _ = scenes.hazy_version(sc.clear[0], rng, mean_tau=tau)
            for method, img in (
                ("hazy input", hazy),
                ("DCP", dehaze(hazy, method="dcp", flag_thick=False)),
                ("model", dehaze(hazy, net=net, flag_thick=False)),
            ):
                rows.append({"region": region, "tau": tau, **_row(method, img, sc.clear[0])})
    return rows


def bench_demo_dehaze(net) -> list[dict]:
    rows = []
    for s in ds.demo_scenes():
        if s.tau550 > 0 and s.clear_truth is not None:
            hazy, clear = read_bgrn(s.s2).data, read_bgrn(s.clear_truth).data
            for method, img in (
                ("hazy input", hazy),
                ("DCP", dehaze(hazy, method="dcp", flag_thick=False)),
                ("model", dehaze(hazy, net=net, flag_thick=False)),
            ):
                rows.append({"region": s.aoi_id, "tau": s.tau550, **_row(method, img, clear)})
    return rows


def bench_sr(n: int, size: int, net) -> list[dict]:
    rows = []
    for k in range(n):
        region = REGIONS[k % 3]
        sc = scenes.make_scene(scenes.BENCH_SEEDS.start + 50 + k, region, size=size, dates=4)
        truth, ref = sc.hires[0], sc.clear[0]
        for method, img in (
            ("bicubic", super_resolve(ref, method="bicubic")),
            ("model, 1 date", super_resolve(ref, net=net)),
            ("model, 4 dates", super_resolve(ref, temporal=sc.clear[1:], net=net)),
            (
                "model, 4 dates + SAR",
                super_resolve(ref, temporal=sc.clear[1:], sar=sc.sar, net=net),
            ),
        ):
            rows.append(
                {
                    "region": region,
                    "method": method,
                    "psnr": psnr(img, truth),
                    "ssim": ssim(img, truth),
                }
            )
    return rows


def bench_demo_sr(net, size: int = 128) -> list[dict]:
    """The demo world's clear dates that have a 2.5 m truth: a central ``size`` px window,
        one date against the two nearest clear dates (16 days away) as other captures; the
    truth is moved onto the capture's grid by the capture's recorded sub-pixel offset."""
    rows = []
    everything = ds.demo_scenes()
    for s in everything:
        if s.hires_truth is None or s.cloudy or s.tau550 > 0:
            continue
        ref, truth = read_bgrn(s.s2).data, read_bgrn(s.hires_truth).data
        # Each capture sits a simulated sub-pixel offset from the truth grid (a
        # geolocation error): move the truth onto the capture's grid before scoring.
        dy, dx = s.shift_px
        truth = np.stack(
            [ndimage.shift(b, (-4 * dy, -4 * dx), order=3, mode="nearest") for b in truth]
        )
        r0 = (ref.shape[1] - size) // 2
        others = np.stack(
            [
                ds.window(read_bgrn(o.s2).data, r0, r0, size)
                for o in ds.neighbour_dates(everything, s)
            ]
        )
        lo, hi = ds.window(ref, r0, r0, size), ds.window(truth, r0, r0, size, scale=4)
        for method, img in (
            ("bicubic", super_resolve(lo, method="bicubic")),
            ("model, 1 date", super_resolve(lo, net=net)),
            ("model, 3 dates (+-16 days)", super_resolve(lo, temporal=others, net=net)),
        ):
            rows.append(
                {"region": s.aoi_id, "method": method, "psnr": psnr(img, hi), "ssim": ssim(img, hi)}
            )
    return rows


def _summary(rows: list[dict], keys: tuple[str, ...]) -> dict:
    out: dict = {}
    for r in rows:
        out.setdefault(tuple(r[k] for k in keys), []).append(r)
    return {
        " / ".join(map(str, k)): {
            m: round(float(np.mean([r[m] for r in v])), 4)
            for m in ("psnr", "ssim", "ndvi_mae")
            if m in v[0]
        }
        for k, v in out.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenes", type=int, default=6)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--dehaze-dir", type=Path, default=None, help="candidate dehaze weights (models/dehaze)"
    )
    parser.add_argument(
        "--sr-dir", type=Path, default=None, help="candidate SR weights (models/sr)"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    dnet, snet = load_model("dehaze", args.dehaze_dir), load_model("sr", args.sr_dir)
    dh = bench_dehaze(args.scenes, args.size, dnet)
    report = {
        "dehaze_model": dnet.version,
        "sr_model": snet.version,
        "dehaze_by_method": _summary(dh, ("method",)),
        "dehaze_by_tau": _summary(dh, ("tau", "method")),
        "dehaze_by_region": _summary(dh, ("region", "method")),
        "demo_world_dehaze": _summary(bench_demo_dehaze(dnet), ("method",)),
        "sr_by_method": _summary(bench_sr(args.scenes, args.size // 2, snet), ("method",)),
        "demo_world_sr": _summary(bench_demo_sr(snet), ("method",)),
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
