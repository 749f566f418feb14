"""Real hand-labelled Sentinel-1 chips mapped by `paii flood` against one global Otsu threshold.

Chips: Sen1Floods11 HandLabeled (data/real/sen1floods11_handlabeled/, see PROVENANCE.txt):
VV, VH in dB, EPSG:4326, 512 x 512 at about 10 m, labels drawn on Sentinel-2 the same day
(1 water, 0 not water, -1 unlabelled). Each chip is mapped exactly as a user would,
``paii flood --post CHIP.tif OUT.tif`` (geographic CRS reprojected internally, no DEM),
and the ``water`` band of OUT.tif is scored. Baselines: one Otsu (1979) threshold on the
whole chip's 3 x 3 despeckled VV (the issue's baseline), and, for information, on VH (the
band Sen1Floods11's own Otsu labels use). Scored over labelled pixels with SAR data:
IoU of water, and the share of labelled dry land that PAII calls water (the only score
of a chip without water).

Run: ``PYTHONPATH=. .venv/bin/python -m bench.flood.real_chips [--chips DIR] [--json OUT]``
(``--chips`` scores every ``*_S1Hand.tif`` with its ``*_LabelHand.tif`` in DIR instead).
"""

from __future__ import annotations

import argparse
import contextlib
import io as _io
import tempfile
import warnings
from pathlib import Path

import numpy as np
import rasterio

from paii_core.config import paths
from paii_core.flood.water import despeckle_db, otsu_threshold, tile_histograms

CHIPS = paths().root / "data" / "real" / "sen1floods11_handlabeled"


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max(1, (a | b).sum()))


def otsu(db: np.ndarray) -> np.ndarray:
    """Water below one Otsu threshold of the whole chip's despeckled band."""
    x = despeckle_db(db)
    t = otsu_threshold(tile_histograms(x, tile_px=max(x.shape)).counts.sum(axis=0))
    return x < t


def paii_water(chip: Path) -> np.ndarray:
    """The ``water`` band of ``paii flood --post CHIP OUT`` (run through the CLI)."""
    from paii_core.cli import main

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.tif"
        with warnings.catch_warnings(), contextlib.redirect_stdout(_io.StringIO()):
            warnings.simplefilter("ignore")
            rc = main(["flood", "--post", str(chip), str(out)])
        if rc != 0:
            raise RuntimeError(f"paii flood failed on {chip} (exit {rc})")
        with rasterio.open(out) as src:
            return src.read(1) == 1


def score(chip: Path) -> dict:
    label_path = chip.with_name(chip.name.replace("_S1Hand", "_LabelHand"))
    with rasterio.open(label_path) as src:
        label = src.read(1)
    with rasterio.open(chip) as src:
        sar = src.read().astype(np.float32)
    valid = (label >= 0) & np.isfinite(sar[0])
    truth = (label == 1) & valid
    called = paii_water(chip) & valid
    dry = valid & ~truth
    return {
        "chip": chip.name.removesuffix("_S1Hand.tif"),
        "water %": 100.0 * truth.sum() / max(1, valid.sum()),
        "otsu VV": iou(otsu(sar[0]) & valid, truth),
        "otsu VH": iou(otsu(sar[1]) & valid, truth),
        "paii": iou(called, truth),
        "false %": 100.0 * (called & dry).sum() / max(1, dry.sum()),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chips", type=Path, default=CHIPS, help="folder of *_S1Hand.tif chips")
    ap.add_argument("--json", type=Path, default=None, help="also write the rows here")
    args = ap.parse_args()
    print("| chip | water % | global Otsu VV | global Otsu VH | paii flood (water) | "
          "paii: dry land called water |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- |")
    rows = []
    for chip in sorted(args.chips.glob("*_S1Hand.tif")):
        r = score(chip)
        rows.append(r)
        print(f"| {r['chip']} | {r['water %']:.1f} | {r['otsu VV']:.3f} | {r['otsu VH']:.3f} | "
              f"{r['paii']:.3f} | {r['false %']:.1f} % |", flush=True)  # fmt: skip
    wet = [r for r in rows if r["water %"] > 0]
    if wet:
        mean = {k: np.mean([r[k] for r in wet]) for k in ("otsu VV", "otsu VH", "paii")}
        print(f"| mean of {len(wet)} chips with water | | {mean['otsu VV']:.3f} | "
              f"{mean['otsu VH']:.3f} | {mean['paii']:.3f} | |")  # fmt: skip
    from bench.jsonout import write_json

    write_json(args.json, {"rows": rows})


if __name__ == "__main__":
    main()
