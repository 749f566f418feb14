"""Benchmark: SR and dehaze on REAL scenes (data/real/), beside held-out simulated rows.

Run: .venv/bin/python -m bench.enhance.real [--threads 2] [--sim-scenes 3] [--json OUT]

SR: each real capture is the truth; it is captured 4x coarser by two sensor models (box
area average; box + Gaussian sigma 0.5 coarse px) and super-resolved back. Reported per
scene and model: PSNR of bicubic and of the model against the truth (8 fine px border
shaved), the gain, and the consistency MAE |capture(output) - input| under the model that
made the input. Slovenia's three clear dates (Jul 11, Aug 30, Sep 9 2015) are also
super-resolved with the two other dates as ``temporal`` (weeks to two months apart).
Dehaze (bench.enhance.real_dehaze): real L2A with simulated haze against DCP; real TOA
scenes under simulated haze judged by NDVI(dehaze(hazy)) against NDVI(dehaze(clear)) of
the same capture; Slovenia's real hazy date against its clear dates, judged against their
seasonal floor + 0.05 (``dehaze_toa_summary``).
Simulated rows: bench.enhance.quality's held-out scenes (seeds 90000+).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from bench.enhance import quality
from bench.enhance.real_dehaze import dehaze_rows, toa_summary
from paii_core.enhance import load_model, real_scenes, super_resolve
from paii_core.enhance.api import estimate_sensor
from paii_core.enhance.sensor import SensorModel
from paii_core.enhance.tiling import fill_nodata

SENSOR_MODELS = {"box": SensorModel(0.0), "box+gauss0.5": SensorModel(0.5)}
SHAVE = 8
CLEAR = ("2015-07-11", "2015-08-30", "2015-09-09")


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    s = np.s_[:, SHAVE:-SHAVE, SHAVE:-SHAVE]
    return quality.psnr(a[s], b[s])


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
        rows = dehaze_rows(dnet, {})
        report["dehaze_real"] = _round(rows)
        report["dehaze_toa_summary"] = toa_summary(rows)
        sim = quality.bench_dehaze(args.sim_scenes, 128, dnet)
        report["dehaze_simulated"] = quality._summary(sim, ("method",))
    text = json.dumps(report, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text)


if __name__ == "__main__":
    main()
