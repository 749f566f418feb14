"""Does SR lose its gain at the image edge? Development captures only (``sr_dev``).

Run: .venv/bin/python -m bench.enhance.sr_edge [--sr-dir W] [--crop 100] [--json OUT]

The benchmark's Slovenian scenes are 100 x 100 px at 10 m, so the network sees a 25 px
input, most of it within its ~25 px receptive field of the padded image edge. Each
development capture (box sensor; also box + Gaussian 0.5 with ``--all-sensors``) is
measured two ways:

* by distance from the edge: the PSNR gain over bicubic of the whole capture's output in
  rings of coarse pixels from its edge (:func:`edge_profile`);
* in ``crop`` x ``crop`` fine-pixel crops: the gain of SR run on the crop's capture
  alone (with the blur estimated from the crop, as ``paii sr`` does, and with the true
  sensor given) against the gain of the same pixels cut out of SR run on the whole
  capture (:func:`crop_rows`). All crops are scored as the benchmark scores a scene:
  8 fine px shaved.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from bench.enhance.real import SENSOR_MODELS, SHAVE
from bench.enhance.sr_dev import dev_truths
from paii_core.enhance import load_model, super_resolve
from paii_core.enhance.sensor import SensorModel
from paii_core.errors import ValidationError

RINGS = ((0, 1), (1, 2), (2, 3), (3, 5), (5, 8), (8, 12), (12, 20), (20, 10**6))
"""Coarse-pixel distance bands from the image edge, ``[start, stop)``."""


def _db(mse: float) -> float:
    return float(10 * np.log10(1.0 / mse))


def edge_profile(net, truth: np.ndarray, sensor: SensorModel) -> list[dict]:
    """Gain over bicubic by distance from the edge of the whole capture of ``truth``
    (``(4, H, W)``, H and W multiples of 4) under ``sensor``, the blur estimated as
    ``paii sr`` estimates it; one row per ring of :data:`RINGS` that holds pixels."""
    lo = sensor.capture(truth)
    err_sr = ((super_resolve(lo, net=net) - truth) ** 2).mean(0)
    err_bic = ((super_resolve(lo, method="bicubic") - truth) ** 2).mean(0)
    h, w = truth.shape[1:]
    yy, xx = np.mgrid[0:h, 0:w]
    dist = np.minimum.reduce([yy, xx, h - 1 - yy, w - 1 - xx]) // sensor.factor
    rows = []
    for a, b in RINGS:
        ring = (dist >= a) & (dist < b)
        if ring.any():
            gain = _db(err_sr[ring].mean()) - _db(err_bic[ring].mean())
            rows.append({"from_px": a, "to_px": b, "fine_px": int(ring.sum()), "gain": gain})
    return rows


def crop_rows(net, truth: np.ndarray, sensor: SensorModel, crop: int = 100) -> list[dict]:
    """For each ``crop`` x ``crop`` fine-pixel crop of ``truth`` (a multiple of 4, from
    the top left): the gain over bicubic of SR of the crop's capture alone with the blur
    estimated (``alone``) and with ``sensor`` given (``alone_given``), and of the same
    pixels cut out of SR of the whole capture (``whole``: blur estimated on the whole;
    ``whole_given``: ``sensor`` given)."""
    if crop % sensor.factor or crop <= 2 * SHAVE:
        raise ValidationError(
            f"--crop must be a multiple of {sensor.factor} above {2 * SHAVE} fine px (the "
            f"benchmark shaves {SHAVE} px each side), got {crop}: pass e.g. --crop 100"
        )
    lo = sensor.capture(truth)
    whole = super_resolve(lo, net=net)
    whole_given = super_resolve(lo, net=net, sensor=sensor)
    whole_bic = super_resolve(lo, method="bicubic")
    s = np.s_[:, SHAVE:-SHAVE, SHAVE:-SHAVE]
    rows = []
    h, w = truth.shape[1:]
    for y in range(0, h - crop + 1, crop):
        for x in range(0, w - crop + 1, crop):
            win = np.s_[:, y : y + crop, x : x + crop]
            t = truth[win]
            small = sensor.capture(t)

            def score(out: np.ndarray, t=t) -> float:
                return _db(float(np.mean((out[s] - t[s]) ** 2)))

            bic = score(super_resolve(small, method="bicubic"))
            rows.append(
                {
                    "y": y,
                    "x": x,
                    "alone": score(super_resolve(small, net=net)) - bic,
                    "alone_given": score(super_resolve(small, net=net, sensor=sensor)) - bic,
                    "whole": score(whole[win]) - score(whole_bic[win]),
                    "whole_given": score(whole_given[win]) - score(whole_bic[win]),
                }
            )
    return rows


def summary(rows: list[dict]) -> dict[str, float]:
    """Mean of each gain over the crops, the edge's cost (``whole_given - alone_given``:
    what cutting the capture to the crop costs with the true sensor given), the share of
    crops whose gain given the sensor is >= +0.5 dB and the lowest gain with the blur
    estimated."""
    keys = ("alone", "alone_given", "whole", "whole_given")
    out = {k: float(np.mean([r[k] for r in rows])) for k in keys}
    out["edge_cost"] = out["whole_given"] - out["alone_given"]
    out["share_given_ge_0.5"] = float(np.mean([r["alone_given"] >= 0.5 for r in rows]))
    out["min_alone"] = float(min(r["alone"] for r in rows))
    return {"crops": len(rows), **{k: round(v, 3) for k, v in out.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--sr-dir", type=Path, default=None, help="weights folder")
    parser.add_argument("--crop", type=int, default=100, help="crop side in fine px")
    parser.add_argument("--all-sensors", action="store_true", help="also box + Gaussian 0.5")
    parser.add_argument("--json", type=Path, default=None, help="also write the report here")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    net = load_model("sr", args.sr_dir)
    models = SENSOR_MODELS if args.all_sensors else {"box": SENSOR_MODELS["box"]}
    report = []
    for name, truth in dev_truths().items():
        for mname, sensor in models.items():
            entry = {
                "capture": name,
                "sensor_model": mname,
                "weights": net.version,
                **summary(crop_rows(net, truth, sensor, args.crop)),
                "by_edge_distance": [
                    {k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()}
                    for r in edge_profile(net, truth, sensor)
                ],
            }
            print(json.dumps(entry), flush=True)
            report.append(entry)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
