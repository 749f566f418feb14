"""Sub-windows of the DEV chips as more development scenes for the rules' water (never the
held-out chips).

Six development chips are too few to show every way the rules fail: none of them has the
held-out India chip's trouble (a scene about half water where the rules call dry land water
and lose to one global Otsu threshold). Windows cut from the development chips are scenes of
their own to the command: each gets its own scene split (or split-based tiles), with other
water shares than its chip (Nigeria 12-88 %, Pakistan 45-82 %, Somalia 0-6 %). A window is
written as a GeoTIFF with its own geotransform (EPSG:4326, like its chip) and mapped as
``paii flood --post WINDOW OUT`` maps it (:func:`paii_core.flood.files.map_flood_files`, no
DEM), then scored on its labelled pixels against one global Otsu threshold of the window's
despeckled VV (the benchmark's baseline, :func:`bench.flood.real_chips.otsu`). For every
window the table also says how much of its labelled dry land the rules call water and how far
those pixels lie from labelled water (within 3 px: the shore, mixed pixels and the label's
registration; beyond 10 px: dry ground far from any water).

Windows overlap (corners and centre of each chip, ``window_offsets``), so their figures are
not independent; they show where a rule loses, not a sample mean. Chips and windows with
less than half of their pixels labelled are skipped.

The summary also pools, over the windows of at least 25 % water, the pixels dark in VH but
not in VV (each band against its own Otsu split of the window, :func:`cross_pol_parts`): the
land that India_pxs10, a development chip of the India test chip's event, over-calls (the
test chip's own errors were never looked at). It gives how many of them are dry and how many
water, and what share of each the method and global Otsu VV call water, with the windows of
the test chip's own event (:data:`SAME_EVENT_AS_TEST`) kept apart (ninth pass).

``--stages`` follows the rules step by step on every window of at least 25 % water (which
step calls its dry land water). Run: ``PYTHONPATH=. .venv/bin/python -m
bench.flood.water_windows [--size 256] [--chips DIR ...] [--stages] [--variant NAME] [--json
OUT]``; ``--chips data/real/sen1floods11_dev data/real/stac_overflow_dev`` adds the windows
of the three STAC Overflow chips (seventh pass; the registry's rows stay on the first folder).
"""

from __future__ import annotations

import argparse
import tempfile
import warnings
from pathlib import Path

import numpy as np
import rasterio
from rasterio.windows import Window
from scipy import ndimage

from bench.flood.real_chips import otsu
from bench.flood.water_dev import DEV, chips_of, label_of, score, stages
from paii_core.errors import ValidationError
from paii_core.flood import files
from paii_core.flood.water import despeckle_db, histogram, otsu_threshold

LARGE_WATER = (25.0, 75.0)
"""Water shares (%) of the windows counted as "large-water" scenes in the summary."""
ALL_WATER, ALL_DRY = 99.0, 0.5
"""Windows with at least / under this water share (%) are the summary's all-water and
all-dry scenes (a window inside a flooded plain, or of dry fields: no land or no water mode)."""
SAME_EVENT_AS_TEST = ("India_pxs10",)
"""Development chips of a held-out test chip's own flood event (India_pxs10: the Assam 2016
flood of India_900498, data/real/stac_overflow_dev/PROVENANCE.txt). The summary's
cross-polarisation figures keep their windows apart: what is chosen on them is not
independent of that test chip."""


def window_offsets(n: int, size: int) -> list[int]:
    """Offsets of windows of ``size`` px along a side of ``n`` px: first, middle and last."""
    if not 16 <= size <= n:
        raise ValidationError(f"window size {size} px should be 16 to {n} px (the chip's side)")
    return sorted({0, (n - size) // 2, n - size})


def write_window(chip: Path, row: int, col: int, size: int, folder: Path) -> Path:
    """Write the ``size`` square at (``row``, ``col``) of ``chip`` and of its label into
    ``folder`` under the chip's names; returns the SAR window's path."""
    out = Path(folder) / chip.name
    for src_path, dst_path in ((chip, out), (label_path(chip), label_path(out))):
        with rasterio.open(src_path) as src:
            win = Window(col, row, size, size)
            if row < 0 or col < 0 or row + size > src.height or col + size > src.width:
                raise ValidationError(
                    f"{src_path}: window {size} px at row {row}, column {col} leaves the "
                    f"{src.height} x {src.width} chip; choose a window inside it"
                )
            profile = src.profile.copy()
            profile.update(width=size, height=size, transform=src.window_transform(win))
            with rasterio.open(dst_path, "w", **profile) as dst:
                dst.write(src.read(window=win))
                dst.descriptions = src.descriptions
                dst.update_tags(**src.tags())
    return out


def label_path(chip: Path) -> Path:
    return chip.with_name(chip.name.replace("_S1Hand", "_LabelHand"))


def false_distance(called: np.ndarray, label: np.ndarray, valid: np.ndarray) -> dict:
    """Share (%) of the dry land called water lying within 3 px and beyond 10 px of labelled
    water (None where no dry land is called water; all beyond 10 px where the label has no
    water)."""
    fp = called & valid & (label == 0)
    if not fp.any():
        return {"fp near %": None, "fp far %": None}
    dist = ndimage.distance_transform_edt(label != 1) if (label == 1).any() else None
    d = np.full(int(fp.sum()), np.inf) if dist is None else dist[fp]
    return {"fp near %": 100.0 * float((d <= 3).mean()), "fp far %": 100.0 * float((d > 10).mean())}


def cross_pol_parts(
    sar: np.ndarray, label: np.ndarray, valid: np.ndarray, called: np.ndarray, base: np.ndarray
) -> dict:
    """Counts over a window's pixels dark in VH but not in VV: each band despeckled (3 x 3)
    and set against its own Otsu split of the window's valid pixels (the land that
    India_pxs10, of the India test chip's event, over-calls: moderately dark in VV, at VH's
    noise floor). Returns
    the numbers of such dry and water pixels, and how many of each ``called`` (the method)
    and ``base`` (global Otsu VV) call water. All zero where VH is missing."""
    sar = np.asarray(sar, dtype=np.float32)
    if sar.ndim != 3 or sar.shape[0] != 2:
        raise ValidationError(f"sar should be (2, H, W) VV, VH in dB, got shape {sar.shape}")
    keys = ("dry", "water", "dry called", "water called", "dry otsu", "water otsu")
    ok = valid & np.isfinite(sar[0]) & np.isfinite(sar[1])
    if not ok.any():
        return dict.fromkeys(keys, 0)
    vv, vh = despeckle_db(sar[0]), despeckle_db(sar[1])
    t_vv, t_vh = otsu_threshold(histogram(vv[ok])), otsu_threshold(histogram(vh[ok]))
    part = ok & (vh < t_vh) & ~(vv < t_vv)
    dry, wet = part & (label == 0), part & (label == 1)
    counts = (dry, wet, dry & called, wet & called, dry & base, wet & base)
    return {k: int(m.sum()) for k, m in zip(keys, counts, strict=True)}


def map_window(chip: Path, row: int, col: int, size: int, *, steps: bool = False) -> dict | None:
    """Scores of the command's water and of global Otsu VV on one window (None: under half
    of the window labelled); ``steps``: also the rules' water after each of their steps
    (:func:`bench.flood.water_dev.stages`) on windows of at least 25 % water."""
    with tempfile.TemporaryDirectory() as tmp:
        path = write_window(chip, row, col, size, Path(tmp))
        label = label_of(path)
        with rasterio.open(path) as src:
            sar = src.read().astype(np.float32)
        vv = sar[0]
        valid = (label >= 0) & np.isfinite(vv)
        if valid.sum() < 0.5 * size * size:
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fm, _ = files.map_flood_files(path)
        share = 100.0 * float(((label == 1) & valid).sum()) / float(valid.sum())
        steps_of = stages(path) if steps and share >= LARGE_WATER[0] else None
    base_water = otsu(vv)
    rules, base = score(fm.water, label, valid), score(base_water, label, valid)
    pol = cross_pol_parts(sar, label, valid, fm.water, base_water) if sar.shape[0] == 2 else None
    return {
        "chip": chip.name.removesuffix("_S1Hand.tif"), "row": row, "col": col,
        "water %": share, "iou": rules["iou"], "false %": rules["false %"],
        "counts": rules["counts"],
        "otsu": base["iou"], "otsu false %": base["false %"], "otsu counts": base["counts"],
        "split": f"{fm.threshold_db} dB ({fm.method})",
        **false_distance(fm.water, label, valid), "stages": steps_of, "cross-pol": pol,
    }  # fmt: skip


def summary(rows: list[dict]) -> dict:
    """Mean and pooled IoU (rules, Otsu) over windows with water, and where the rules lose."""
    wet = [r for r in rows if r["water %"] >= 1.0]
    large = [r for r in wet if LARGE_WATER[0] <= r["water %"] <= LARGE_WATER[1]]
    full = [r for r in rows if r["water %"] >= ALL_WATER]
    dry = [r for r in rows if r["water %"] < ALL_DRY]

    def avg(key: str, part: list[dict]) -> float:
        return float(np.mean([r[key] for r in part])) if part else float("nan")

    def pooled(key: str, part: list[dict]) -> float:
        inter = sum(r[key][0] for r in part)
        return inter / max(1, sum(r[key][1] for r in part))

    return {
        "windows": len(rows), "with water": len(wet), "large-water": len(large),
        "mean iou": float(np.mean([r["iou"] for r in wet])) if wet else float("nan"),
        "mean otsu": float(np.mean([r["otsu"] for r in wet])) if wet else float("nan"),
        "pooled iou": pooled("counts", rows), "pooled otsu": pooled("otsu counts", rows),
        "lose to otsu": sum(r["iou"] < r["otsu"] for r in wet),
        "large lose to otsu": sum(r["iou"] < r["otsu"] for r in large),
        "large false % mean": float(np.mean([r["false %"] for r in large])) if large else 0.0,
        "all-water": len(full), "all-water iou": avg("iou", full),
        "all-water otsu": avg("otsu", full), "all-dry": len(dry),
        "all-dry false %": avg("false %", dry), "all-dry otsu false %": avg("otsu false %", dry),
        "all-dry max false %": max((r["false %"] for r in dry), default=float("nan")),
        **cross_pol_summary(rows),
    }  # fmt: skip


def _pct(tot: dict, key: str, of: str) -> float:
    return 100.0 * tot[key] / tot[of] if tot[of] else float("nan")


def cross_pol_summary(rows: list[dict]) -> dict:
    """:func:`cross_pol_parts` pooled over the windows of at least 25 % water
    (``LARGE_WATER[0]``), those of other events (``cross-pol other``) apart from those of
    :data:`SAME_EVENT_AS_TEST` (``cross-pol same event``): per group the dry and water
    pixels dark in VH but not in VV, and the share (%) of each the method and global Otsu VV
    call water (NaN where a group has none)."""
    out = {}
    for name, same in (("other", False), ("same event", True)):
        part = [
            r["cross-pol"] for r in rows
            if r.get("cross-pol") and r["water %"] >= LARGE_WATER[0]
            and (r.get("chip", "") in SAME_EVENT_AS_TEST) == same
        ]  # fmt: skip
        tot = {
            k: sum(p[k] for p in part)
            for k in ("dry", "water", "dry called", "water called", "dry otsu", "water otsu")
        }
        out[f"cross-pol {name}"] = {
            "dry": tot["dry"], "water": tot["water"],
            **{f"{k} %": _pct(tot, k, k.split()[0]) for k in ("dry called", "water called",
                                                              "dry otsu", "water otsu")},
        }  # fmt: skip
    return out


def run(size: int, folder: Path | list[Path] = DEV, *, steps: bool = False) -> dict:
    """Windows of every chip of ``folder`` (one folder or a list of them)."""
    folders = [folder] if isinstance(folder, (str, Path)) else list(folder)
    rows = []
    print("| chip | window (row, col) | water % | Otsu VV | rules | dry called water (Otsu) "
          "| of it within 3 px / beyond 10 px of water | threshold (method) |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for chip in chips_of(folders):
        with rasterio.open(chip) as src:
            h, w = src.height, src.width
        for row in window_offsets(h, size):
            for col in window_offsets(w, size):
                r = map_window(chip, row, col, size, steps=steps)
                if r is None:
                    continue
                rows.append(r)
                near, far = (
                    "-" if r[k] is None else f"{r[k]:.0f} %" for k in ("fp near %", "fp far %")
                )
                print(f"| {r['chip']} | {row}, {col} | {r['water %']:.1f} | {r['otsu']:.3f} | "
                      f"{r['iou']:.3f} | {r['false %']:.1f} % ({r['otsu false %']:.1f} %) | "
                      f"{near} / {far} | {r['split']} |", flush=True)  # fmt: skip
    if steps:
        print("\n| large-water window | step | water IoU | dry land called water |")
        print("| --- | --- | --- | --- |")
        for r in rows:
            for step, x in r["stages"] or []:
                print(f"| {r['chip']} {r['row']}, {r['col']} | {step} | {x['iou']:.3f} | "
                      f"{x['false %']:.2f} % |")  # fmt: skip
    s = summary(rows)
    print(f"\n{s['windows']} windows of {size} px, {s['with water']} with water >= 1 % "
          f"({s['large-water']} with {LARGE_WATER[0]:.0f}-{LARGE_WATER[1]:.0f} %): mean IoU rules "
          f"{s['mean iou']:.3f} vs Otsu {s['mean otsu']:.3f}, pooled {s['pooled iou']:.3f} vs "
          f"{s['pooled otsu']:.3f}; rules below Otsu on {s['lose to otsu']} windows "
          f"({s['large lose to otsu']} large-water); large-water windows call "
          f"{s['large false % mean']:.1f} % of their dry land water on average")  # fmt: skip
    print(f"all-water windows (>= {ALL_WATER:.0f} % water): {s['all-water']}, mean IoU rules "
          f"{s['all-water iou']:.3f} vs Otsu {s['all-water otsu']:.3f}; all-dry windows "
          f"(< {ALL_DRY} % water): {s['all-dry']}, dry land called water "
          f"{s['all-dry false %']:.2f} % on average (worst {s['all-dry max false %']:.2f} %) "
          f"vs Otsu {s['all-dry otsu false %']:.1f} %")  # fmt: skip
    for name in ("other", "same event"):
        c = s[f"cross-pol {name}"]
        group = (
            "the test chip's event, " + ", ".join(SAME_EVENT_AS_TEST)
            if name != "other"
            else "other events"
        )
        print(f"windows >= {LARGE_WATER[0]:.0f} % water of {group}: "
              f"pixels dark in VH but not in VV: {c['dry']} dry, {c['water']} water; called "
              f"water: dry {c['dry called %']:.1f} % (Otsu VV {c['dry otsu %']:.1f} %), water "
              f"{c['water called %']:.1f} % (Otsu VV {c['water otsu %']:.1f} %)")  # fmt: skip
    return {"size": size, "rows": rows, "summary": s}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=256, help="window side in chip pixels")
    ap.add_argument(
        "--chips",
        type=Path,
        nargs="+",
        default=[DEV],
        help="folders of DEV *_S1Hand.tif chips (default: the Sen1Floods11 dev "
        "chips; add data/real/stac_overflow_dev for the STAC Overflow ones)",
    )
    ap.add_argument("--stages", action="store_true", help="steps of the rules, large water")
    ap.add_argument("--variant", default=None, help="a rule variant of water_variants.VARIANTS")
    ap.add_argument("--json", type=Path, default=None, help="also write the rows here")
    args = ap.parse_args()
    from bench.flood.water_variants import variant
    from bench.jsonout import write_json

    if args.variant is None:
        report = run(args.size, args.chips, steps=args.stages)
    else:
        with variant(args.variant):
            print(f"variant: {args.variant}")
            report = run(args.size, args.chips, steps=args.stages)
    write_json(args.json, report)


if __name__ == "__main__":
    main()
