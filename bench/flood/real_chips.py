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

Two averages: the mean of the per-chip IoUs, and the IoU POOLED over all test pixels
(sum of intersections / sum of unions over the chips). Published Sen1Floods11 test IoUs
are pooled: Bonafilia et al. (2020, CVPR workshops) report the IoU of the whole test
split, and their evaluation notebook (cloudtostreet/Sen1Floods11
old_training/Test_Models.ipynb, read in the fork theodoreli927/Sen1Floods11 at c4b36b98)
prints a "Total IOU" = TP / (TP + FP + FN) over all test pixels (0.66-0.67 for its
Sentinel-1 models) beside a per-batch "Test Mean IOU" (0.38-0.41 for the same models). The
~0.67 of issue 12 is therefore compared with the POOLED figure.

Each chip is also mapped with ``--water learned`` (the LightGBM water model of
models/flood/, trained on other chips: bench/flood/train_water.py). ``--loco`` adds a
leave-one-chip-out table over the DEV chips that model is trained on
(data/real/sen1floods11_dev/): for each dev chip with water a model pair is trained
without it (same data and settings) and that chip is mapped with it through the same
command (its ``paii flood`` column is the rules, as above) and ``--water-model DIR``.

Run: ``PYTHONPATH=. .venv/bin/python -m bench.flood.real_chips [--chips DIR] [--loco] [--json OUT]``
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
SOURCES: set[tuple[str, str]] = set()
"""(options, WATER_SOURCE tag) of every output scored."""
SPLITS: dict[str, str] = {}
"""Chip file name -> "THRESHOLD_DB dB (THRESHOLD_METHOD)" of its default ``paii flood`` output."""


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max(1, (a | b).sum()))


def otsu(db: np.ndarray) -> np.ndarray:
    """Water below one Otsu threshold of the whole chip's despeckled band."""
    x = despeckle_db(db)
    t = otsu_threshold(tile_histograms(x, tile_px=max(x.shape)).counts.sum(axis=0))
    return x < t


def paii_water(chip: Path, *extra: str) -> np.ndarray:
    """The ``water`` band of ``paii flood --post CHIP [extra] OUT`` (run through the CLI);
    the output's WATER_SOURCE tag (what decided the band) is collected in :data:`SOURCES`."""
    from paii_core.cli import main

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.tif"
        with warnings.catch_warnings(), contextlib.redirect_stdout(_io.StringIO()):
            warnings.simplefilter("ignore")
            rc = main(["flood", "--post", str(chip), *extra, str(out)])
        if rc != 0:
            raise RuntimeError(f"paii flood failed on {chip} (exit {rc})")
        with rasterio.open(out) as src:
            tags = src.tags()
            SOURCES.add((" ".join(extra) or "default", tags.get("WATER_SOURCE", "")))
            if not extra:
                SPLITS[chip.name] = (
                    f"{tags.get('THRESHOLD_DB', '?')} dB ({tags.get('THRESHOLD_METHOD', '?')})"
                )
            return src.read(1) == 1


def score(chip: Path, model: Path | None = None) -> dict:
    label_path = chip.with_name(chip.name.replace("_S1Hand", "_LabelHand"))
    with rasterio.open(label_path) as src:
        label = src.read(1)
    with rasterio.open(chip) as src:
        sar = src.read().astype(np.float32)
    valid = (label >= 0) & np.isfinite(sar[0])
    truth = (label == 1) & valid
    called = paii_water(chip) & valid
    folder = () if model is None else ("--water-model", str(model))
    learned = paii_water(chip, "--water", "learned", *folder) & valid
    dry = valid & ~truth
    maps = {"otsu VV": otsu(sar[0]) & valid, "otsu VH": otsu(sar[1]) & valid,
            "paii": called, "learned": learned}  # fmt: skip
    return {
        "chip": chip.name.removesuffix("_S1Hand.tif"),
        "water %": 100.0 * truth.sum() / max(1, valid.sum()),
        **{k: iou(m, truth) for k, m in maps.items()},
        "split": SPLITS.get(chip.name, ""),
        "false %": 100.0 * (called & dry).sum() / max(1, dry.sum()),
        "learned false %": 100.0 * (learned & dry).sum() / max(1, dry.sum()),
        "counts": {k: [int((m & truth).sum()), int((m | truth).sum())] for k, m in maps.items()},
    }


KEYS = ("otsu VV", "otsu VH", "paii", "learned")


def pooled(rows: list[dict]) -> dict[str, float]:
    """IoU over all pixels of ``rows`` together (sum of intersections / sum of unions)."""
    return {
        k: sum(r["counts"][k][0] for r in rows) / max(1, sum(r["counts"][k][1] for r in rows))
        for k in KEYS
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chips", type=Path, default=CHIPS, help="folder of *_S1Hand.tif chips")
    ap.add_argument("--json", type=Path, default=None, help="also write the rows here")
    ap.add_argument("--loco", action="store_true", help="also leave-one-chip-out on dev chips")
    args = ap.parse_args()
    report = {"rows": table(sorted(args.chips.glob("*_S1Hand.tif")))}
    report["pooled"] = pooled(report["rows"])
    for options, source in sorted(SOURCES):
        print(f"water band of paii flood ({options.split(' --water-model')[0]}): {source}")
    if args.loco:
        print("\nLeave-one-chip-out on the DEV chips (each mapped by a model trained without it):")
        report["loco"] = table(loco_models())
        report["loco_pooled"] = pooled(report["loco"])
    from bench.jsonout import write_json

    write_json(args.json, report)


def loco_models() -> list[tuple[Path, Path]]:
    """(dev chip, model trained without it) for every dev chip with labelled water."""
    from bench.flood import train_water as tw

    chips = sorted(tw.DEV.glob("*_S1Hand.tif"))
    rows = tw.build(chips, tw.SIM_SEEDS, np.random.default_rng(12), copies=tw.COPIES)
    rows_vv = tw.build(
        chips, tw.SIM_SEEDS, np.random.default_rng(13), copies=tw.COPIES, vv_only=True
    )
    tmp = Path(tempfile.mkdtemp(prefix="paii_loco_"))
    out = []
    for chip in chips:
        name = chip.name.removesuffix("_S1Hand.tif")
        if name not in rows or not (tw.chip_scene(chip)[1] == 1).any():
            continue
        tw.train_pair(tmp / name, rows, rows_vv, exclude=name)
        out.append((chip, tmp / name))
    return out


def table(chips: list) -> list[dict]:
    """Print and return the rows of ``chips`` (paths, or (path, model) pairs)."""
    print("| chip | water % | global Otsu VV | global Otsu VH | paii flood (water) | "
          "paii: dry land called water | paii: threshold (method) | paii flood --water "
          "learned | learned: dry land called water |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    rows = []
    for item in chips:
        chip, model = item if isinstance(item, tuple) else (item, None)
        r = score(chip, model)
        rows.append(r)
        print(f"| {r['chip']} | {r['water %']:.1f} | {r['otsu VV']:.3f} | {r['otsu VH']:.3f} | "
              f"{r['paii']:.3f} | {r['false %']:.1f} % | {r['split']} | {r['learned']:.3f} | "
              f"{r['learned false %']:.1f} % |", flush=True)  # fmt: skip
    wet = [r for r in rows if r["water %"] > 0]
    if wet:
        mean = {k: np.mean([r[k] for r in wet]) for k in KEYS}
        print(f"| mean of {len(wet)} chips with water | | {mean['otsu VV']:.3f} | "
              f"{mean['otsu VH']:.3f} | {mean['paii']:.3f} | | | {mean['learned']:.3f} "
              "| |")  # fmt: skip
    if rows:
        tot = pooled(rows)
        print(f"| pooled: all {len(rows)} chips' pixels | | {tot['otsu VV']:.3f} | "
              f"{tot['otsu VH']:.3f} | {tot['paii']:.3f} | | | {tot['learned']:.3f} "
              "| |")  # fmt: skip
    return rows


if __name__ == "__main__":
    main()
