"""Benchmark: SR and dehaze on REAL scenes (data/real/), beside held-out simulated rows.

Run: .venv/bin/python -m bench.enhance.real [--threads 2] [--sim-scenes 3] [--json OUT]

SR: each real capture is the truth; it is captured 4x coarser by two sensor models (box
area average; box + Gaussian sigma 0.5 coarse px) and super-resolved back. Reported per
scene and model: PSNR of bicubic and of the model against the truth (8 fine px border
shaved), the gain, and the consistency MAE |capture(output) - input| under the model that
made the input. Slovenia's three clear dates (Jul 11, Aug 30, Sep 9 2015) are also
super-resolved with the two other dates as ``temporal`` (weeks to two months apart).
Dehaze, L2A (Italy, held-out north): physically simulated haze tau550 0.5 / 0.75 / 1.0
(I = J t + A (1 - t)); PSNR vs the clear scene for hazy, DCP and model, NDVI MAE.
Dehaze, TOA: Slovenia's real hazy date (Jul 31) against its clear dates (Jul 11, Aug 30)
and Landsat-7 with simulated haze tau 0.5 / 1.0: share of negative output values, SSIM
vs the clear scene for hazy input and model, mean |NDVI(dehaze(hazy)) - NDVI(dehaze(clear))|
(over land, clear N + R > 0.05, and over vegetated ground, N + R > 0.2); beside them the
Slovenian seasonal floor: the NDVI difference of two clear dates 50 days apart.
Simulated rows: bench.enhance.quality's held-out scenes (seeds 90000+).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from skimage.metrics import structural_similarity

from bench.enhance import quality
from paii_core.enhance import dehaze, load_model, real_scenes, scenes, super_resolve
from paii_core.enhance.api import estimate_sensor
from paii_core.enhance.sensor import SensorModel
from paii_core.enhance.tiling import fill_nodata

SENSOR_MODELS = {"box": SensorModel(0.0), "box+gauss0.5": SensorModel(0.5)}
SHAVE = 8
L2A_TAUS = (0.5, 0.75, 1.0)
TOA_TAUS = (0.5, 1.0)
CLEAR = ("2015-07-11", "2015-08-30", "2015-09-09")


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    s = np.s_[:, SHAVE:-SHAVE, SHAVE:-SHAVE]
    return quality.psnr(a[s], b[s])


def _ndvi(x: np.ndarray) -> np.ndarray:
    return (x[3] - x[2]) / np.maximum(x[3] + x[2], 1e-3)


def _truth(image: np.ndarray) -> np.ndarray:
    h, w = (s - s % 4 for s in image.shape[1:])
    return fill_nodata(image[:, :h, :w])


def sr_rows(net, sr_kw: dict) -> list[dict]:
    cases = [real_scenes.italy_l2a("bench"), real_scenes.landsat7_toa()]
    cases += [real_scenes.slovenia_l1c(d) for d in CLEAR]
    rows = []
    for sc in cases:
        truth = _truth(sc.image)
        for mname, model in SENSOR_MODELS.items():
            lo = model.capture(truth)
            bic = super_resolve(lo, method="bicubic")
            out = super_resolve(lo, net=net, **sr_kw)
            given = super_resolve(lo, net=net, sensor=model)
            row = {
                "scene": sc.name,
                "sensor_model": mname,
                "estimated": estimate_sensor(lo).describe(),
                "model_given_true_sensor": _psnr(given, truth),
                "bicubic": _psnr(bic, truth),
                "model": _psnr(out, truth),
                "consistency_mae": float(np.mean(np.abs(model.capture(out) - lo))),
            }
            row["gain"] = row["model"] - row["bicubic"]
            if sc.name.startswith("slovenia"):
                others = [
                    model.capture(_truth(real_scenes.slovenia_l1c(d).image))
                    for d in CLEAR
                    if d != sc.date
                ]
                multi = super_resolve(lo, temporal=np.stack(others), net=net, **sr_kw)
                row["model_multidate"] = _psnr(multi, truth)
                row["multidate_minus_single"] = row["model_multidate"] - row["model"]
            rows.append(row)
    return rows


def _ssim(a: np.ndarray, b: np.ndarray, valid: np.ndarray) -> float:
    """Mean SSIM over bands and over ``valid`` pixels (flagged ones are NaN in ``a``)."""
    maps = [
        structural_similarity(np.nan_to_num(x), y, data_range=1.0, full=True)[1]
        for x, y in zip(a, b, strict=True)
    ]
    return float(np.mean([m[valid].mean() for m in maps]))


def _dehaze_metrics(hazy, clear, out, out_clear) -> dict:
    """Scores over pixels the dehazer did not flag as too thick (NaN in ``out``); NDVI
    terms over pixels whose clear N + R > 0.05 (not open water)."""
    valid = ~np.isnan(out).any(axis=0)
    land = valid & ((clear[3] + clear[2]) > 0.05)
    return {
        "flagged_share": float(1.0 - valid.mean()),
        "psnr_hazy": quality.psnr(hazy[:, valid], clear[:, valid]),
        "psnr_model": quality.psnr(out[:, valid], clear[:, valid]),
        "ssim_hazy": _ssim(hazy, clear, valid),
        "ssim_model": _ssim(out, clear, valid),
        "ndvi_mae_hazy": float(np.mean(np.abs(_ndvi(hazy) - _ndvi(clear))[land])),
        "ndvi_mae_model": float(np.mean(np.abs(_ndvi(out) - _ndvi(clear))[land])),
        "negative_share": float(np.mean(out[:, valid] < 0)),
        "ndvi_consistency": float(np.nanmean(np.abs(_ndvi(out) - _ndvi(out_clear))[land])),
        # Vegetated ground only (clear N + R > 0.2): NDVI is a ratio, and on dark ground a
        # reflectance error of 0.005 moves it by 0.1.
        "ndvi_consistency_bright": float(
            np.nanmean(np.abs(_ndvi(out) - _ndvi(out_clear))[valid & (clear[3] + clear[2] > 0.2)])
        ),
    }


def dehaze_rows(net, dehaze_kw: dict) -> list[dict]:
    rows = []
    italy = fill_nodata(real_scenes.italy_l2a("bench").image)
    italy_out = dehaze(italy, net=net, **dehaze_kw)
    for k, tau in enumerate(L2A_TAUS):
        hazy, _ = scenes.hazy_version(italy, np.random.default_rng(500 + k), mean_tau=tau)
        out = dehaze(hazy, net=net, **dehaze_kw)
        dcp = dehaze(hazy, method="dcp")
        row = {"scene": "italy_l2a_bench", "haze": f"simulated tau {tau}"}
        row.update(_dehaze_metrics(hazy, italy, out, italy_out))
        row["psnr_dcp"] = quality.psnr(dcp, italy)
        row["ndvi_mae_dcp"] = quality.ndvi_mae(dcp, italy)
        row["clear_change_mae"] = float(np.nanmean(np.abs(italy_out - italy)))
        rows.append(row)
    toa_kw = {**dehaze_kw, "toa": True}
    hazy = real_scenes.slovenia_l1c("2015-07-31").image
    hazy_out = dehaze(hazy, net=net, **toa_kw)
    for d in ("2015-07-11", "2015-08-30"):
        clear = real_scenes.slovenia_l1c(d).image
        out_clear = dehaze(clear, net=net, **toa_kw)
        row = {"scene": f"slovenia_l1c vs {d}", "haze": "real (2015-07-31)"}
        row.update(_dehaze_metrics(hazy, clear, hazy_out, out_clear))
        row["clear_change_mae"] = float(np.nanmean(np.abs(out_clear - clear)))
        rows.append(row)
    # The floor of the Slovenian rows: two CLEAR dates (Jul 11, Aug 30) differ in NDVI by
    # the season alone; the real hazy date lies 20 and 30 days from them.
    a, b = (real_scenes.slovenia_l1c(d).image for d in ("2015-07-11", "2015-08-30"))
    land = (a[3] + a[2]) > 0.05
    da, db = dehaze(a, net=net, **toa_kw), dehaze(b, net=net, **toa_kw)
    rows.append(
        {
            "scene": "slovenia_l1c 2015-07-11 vs 2015-08-30 (both clear: seasonal floor)",
            "haze": "none",
            "ndvi_difference_inputs": float(np.nanmean(np.abs(_ndvi(a) - _ndvi(b))[land])),
            "ndvi_consistency": float(np.nanmean(np.abs(_ndvi(da) - _ndvi(db))[land])),
        }
    )
    landsat = real_scenes.landsat7_toa().image
    landsat_out = dehaze(landsat, net=net, **toa_kw)
    for k, tau in enumerate(TOA_TAUS):
        hazy, _ = scenes.hazy_version(landsat, np.random.default_rng(700 + k), mean_tau=tau)
        out = dehaze(hazy, net=net, **toa_kw)
        row = {"scene": "landsat7_olinda_toa", "haze": f"simulated tau {tau}"}
        row.update(_dehaze_metrics(hazy, landsat, out, landsat_out))
        row["clear_change_mae"] = float(np.nanmean(np.abs(landsat_out - landsat)))
        rows.append(row)
    return rows


def _round(rows: list[dict]) -> list[dict]:
    return [{k: round(v, 4) if isinstance(v, float) else v for k, v in r.items()} for r in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--sim-scenes", type=int, default=3, help="held-out simulated scenes")
    parser.add_argument("--sr-dir", type=Path, default=None, help="candidate SR weights")
    parser.add_argument("--dehaze-dir", type=Path, default=None, help="candidate dehaze weights")
    parser.add_argument("--only", choices=("sr", "dehaze"), default=None)
    parser.add_argument("--json", type=Path, default=None, help="also write the report here")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    report: dict = {}
    if args.only in (None, "sr"):
        snet = load_model("sr", args.sr_dir)
        rows = sr_rows(snet, {})
        report["sr_model"] = snet.version
        report["sr_real"] = _round(rows)
        report["sr_real_summary"] = {
            m: {
                "mean_gain": round(
                    float(np.mean([r["gain"] for r in rows if r["sensor_model"] == m])), 3
                ),
                "min_gain": round(
                    float(np.min([r["gain"] for r in rows if r["sensor_model"] == m])), 3
                ),
                "max_consistency_mae": round(
                    float(np.max([r["consistency_mae"] for r in rows if r["sensor_model"] == m])), 4
                ),
            }
            for m in SENSOR_MODELS
        }
        sim = quality.bench_sr(args.sim_scenes, 64, snet)
        report["sr_simulated"] = quality._summary(sim, ("method",))
    if args.only in (None, "dehaze"):
        dnet = load_model("dehaze", args.dehaze_dir)
        report["dehaze_model"] = dnet.version
        report["dehaze_real"] = _round(dehaze_rows(dnet, {}))
        sim = quality.bench_dehaze(args.sim_scenes, 128, dnet)
        report["dehaze_simulated"] = quality._summary(sim, ("method",))
    text = json.dumps(report, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text)


if __name__ == "__main__":
    main()
