"""Development harness for the rules' water on the DEV chips only (never the held-out ones).

For each labelled chip of data/real/sen1floods11_dev/ (Sen1Floods11 HandLabeled, not the
benchmark's test chips) and of data/real/stac_overflow_dev/ (three hand-labelled chips in
the STAC Overflow competition's layout, UTM; see its PROVENANCE.txt: India_pxs10 is of the
India test chip's flood event) the chip is mapped as ``paii flood --post CHIP OUT`` maps it
(:func:`paii_core.flood.files.map_flood_files`: UTM working grid, no DEM) and scored over
labelled pixels on the chip's own grid: water IoU and the share of labelled dry land that is
called water, beside one global Otsu threshold of the chip's despeckled VV (the benchmark's
baseline, :func:`bench.flood.real_chips.otsu`). ``--stages`` also follows the rules' water
on the working grid through each of its steps (threshold on the 3 x 3 mean, region growing,
single-look growing, speck removal, clear-water core, with the scene path's clearly dark
bodies) and says how much dry land each step adds or removes, with the label
resampled (nearest) to the working grid: which process over-calls dry land; beside each
step, the median local coefficient of variation (7 x 7, linear power) of the labelled water
and of the dry land it calls water (the texture a smoothness gate would use). ``--checks``
``--jitter`` prints each chip's threshold when the working grid is cropped by 0, 4, 8, 16 and
24 px (the split-based tiles then fall on other ground): a threshold that moves by dB under
such crops rests on a weak, tile-dependent split, and the chip's IoU on it is luck.
``--decompose`` says where each chip's dry land called water sits: by which bands are dark
there (:func:`polarisation_part`), for the rules and for global Otsu VV, and by the step that
first called it; beside it the best IoU any per-pixel rule on the despeckled (VV, VH) pair
could reach, fitted to the label (:func:`cell_oracle_iou`: what polarimetry leaves to gain).
``--texture`` asks whether context beyond a pixel's own (VV, VH) separates the dry land from
the water among the pixels the rules call water that are dark in VH only (the India event's
extra water, ninth pass): per feature of :func:`texture_features` (local coefficient of
variation, VV - VH and band means over a neighbourhood, the dark classes' share around,
the size of the pixel's "VH only" patch) the rank AUC (:func:`rank_auc`) of water against
dry among those pixels, on India_pxs10 (the test chip's event) and pooled over the other
chips, with the medians: a feature helps only if it separates both the same way.
``--variant NAME`` runs all of it under one of the rule variants of
:mod:`bench.flood.water_variants` (none is in the engine). ``--checks`` adds the
must-not-regress figures a rule change is judged by: the held-out simulator
(``bench_flood --only quality``: flooded IoU mean and worst with pre-event image and DEM, and
with neither) and the real-DEM benchmark (``real_dem``: mean with pre-event image, mean of
the no-DEM column).

Refuses the held-out folder data/real/sen1floods11_handlabeled/ (rules of evidence: the
test chips are scored once, by bench.flood.real_chips, with a method chosen here).

Run: ``PYTHONPATH=. .venv/bin/python -m bench.flood.water_dev [--chips DIR ...] [--stages]
[--json OUT]`` (default: both development folders).
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np
import rasterio
from rasterio.warp import Resampling
from scipy import ndimage

from paii_core import io
from paii_core.config import paths
from paii_core.errors import ValidationError
from paii_core.flood import files, mapping, water

DEV = paths().root / "data" / "real" / "sen1floods11_dev"
MORE_DEV = paths().root / "data" / "real" / "stac_overflow_dev"
"""More development chips (STAC Overflow layout, seventh pass); not used by the learned model."""
DEV_FOLDERS = (DEV, MORE_DEV)
HELD_OUT = paths().root / "data" / "real" / "sen1floods11_handlabeled"


def dev_chips(folder: Path = DEV) -> list[Path]:
    """The ``*_S1Hand.tif`` chips of ``folder``; the held-out folder is refused."""
    if Path(folder).resolve() == HELD_OUT.resolve():
        raise ValidationError(
            f"{folder} holds the held-out test chips; develop on {DEV} "
            "(score the test chips once with bench.flood.real_chips)"
        )
    return sorted(Path(folder).glob("*_S1Hand.tif"))


def chips_of(folders) -> list[Path]:
    """The chips of every folder of ``folders`` (:func:`dev_chips`: the held-out one refused)."""
    return [c for f in folders for c in dev_chips(f)]


def label_of(chip: Path) -> np.ndarray:
    with rasterio.open(chip.with_name(chip.name.replace("_S1Hand", "_LabelHand"))) as src:
        return src.read(1)


def score(called: np.ndarray, label: np.ndarray, valid: np.ndarray) -> dict:
    """IoU of water, dry land called water (%), and the (intersection, union, FP, dry) counts."""
    truth = (label == 1) & valid
    dry = valid & (label == 0)
    c = called & valid
    inter, union = int((c & truth).sum()), int((c | truth).sum())
    fp = int((c & dry).sum())
    return {
        "iou": inter / max(1, union),
        "false %": 100.0 * fp / max(1, int(dry.sum())),
        "counts": [inter, union, fp, int(dry.sum())],
    }


def map_chip(chip: Path) -> dict:
    """Score the ``water`` band of the command's path on ``chip`` (its own grid), and one
    global Otsu threshold of its despeckled VV (``otsu``, ``otsu false %``)."""
    from bench.flood.real_chips import otsu

    label = label_of(chip)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fm, post = files.map_flood_files(chip)
    valid = (label >= 0) & np.isfinite(post.data[0])
    out = score(fm.water, label, valid)
    base = score(otsu(post.data[0]), label, valid)
    out["otsu"], out["otsu false %"] = base["iou"], base["false %"]
    out["split"] = f"{fm.threshold_db} dB ({fm.method})"
    return out


def local_cv(db: np.ndarray, size: int = 7) -> np.ndarray:
    """(H, W) local coefficient of variation (std / mean) of linear power in a ``size`` square.

    NaN pixels are left out of the window statistics and stay NaN. Fully developed speckle
    of L looks has CV 1 / sqrt(L) over any homogeneous surface, water or land.
    """
    x = np.asarray(db, dtype=np.float64)
    if x.ndim != 2:
        raise ValidationError(f"db should be an (H, W) array, got shape {x.shape}")
    valid = np.isfinite(x)
    p = np.where(valid, np.power(10.0, x / 10.0), 0.0)
    n = ndimage.uniform_filter(valid.astype(np.float64), size, mode="nearest")
    with np.errstate(divide="ignore", invalid="ignore"):
        m = ndimage.uniform_filter(p, size, mode="nearest") / n
        m2 = ndimage.uniform_filter(p * p, size, mode="nearest") / n
        cv = np.sqrt(np.maximum(m2 - m * m, 0.0)) / m
    cv[~valid] = np.nan
    return cv


def working_grid(chip: Path) -> tuple[io.Raster, np.ndarray, np.ndarray]:
    """(the chip on the command's working grid, its label resampled (nearest) to that grid
    with -1 where unlabelled, the labelled pixels with VV)."""
    post = io.read_sentinel1(chip, allow_vv_only=True)
    work = files._to_working_grid(post)
    lab = io.Raster(label_of(chip)[None].astype(np.float32), post.crs, post.transform)
    label = files._warp(
        lab.data, lab, work.crs, work.transform, work.data.shape[1:], Resampling.nearest
    )[0]
    label = np.where(np.isfinite(label), label, -1)
    return work, label, (label >= 0) & np.isfinite(work.data[0])


def stages(chip: Path) -> list[tuple[str, dict]]:
    """Water after each step of :func:`paii_core.flood.mapping.rules_water` on the working
    grid, scored against the label resampled (nearest) to that grid."""
    work, label, valid = working_grid(chip)
    px = float(abs(work.transform.a))
    fit = mapping.fit_scene(work.data)
    if fit.threshold_db is None:
        return [("no threshold", score(np.zeros_like(valid), label, valid))]
    rules = mapping.Rules.from_fit(fit, pixel_size_m=px)
    cv = local_cv(water.water_feature_db(work.data))
    out = []
    for name, mask in stage_masks(work.data, rules):
        r = score(mask, label, valid)
        for key, part in (("cv water", mask & (label == 1)), ("cv dry", mask & (label == 0))):
            r[key] = float(np.nanmedian(cv[part])) if part.any() else float("nan")
        out.append((name, r))
    return out


def stage_masks(post: np.ndarray, rules: mapping.Rules) -> list[tuple[str, np.ndarray]]:
    """The rules' water after each of their steps; the last equals
    :func:`paii_core.flood.mapping.rules_water` (tested)."""
    single = water.water_feature_db(post)
    vv = water.despeckle_db(single)
    seeds = vv < rules.threshold
    edges = water.kuan_db(single, size=mapping.GROW_FILTER_PX)
    grown = water.grow_water(edges, seeds, limit_db=rules.grow_limit)
    near = ndimage.binary_dilation(
        grown, structure=np.ones((3, 3), bool), iterations=mapping.RAW_GROW_PX
    )
    dark = (single < min(rules.middle, rules.grow_limit)) & near
    raw = water.grow_water(np.where(dark, -99.0, 0.0), grown, limit_db=0.0)
    specks = mapping._drop_specks(raw, min_px=rules.min_px)
    core = mapping._with_core(specks, vv < rules.strong, min_px=rules.min_px)
    uncored = getattr(rules, "uncored_max_db", None)
    if uncored is not None:  # the scene path keeps clearly dark bodies without a core
        core |= mapping._dark_bodies(specks, single, uncored)
    return [("threshold", seeds), ("region growing", grown), ("single-look growing", raw),
            ("specks dropped", specks), ("clear-water core (final)", core)]  # fmt: skip


POLARISATION_PARTS = ("both", "VH only", "VV only", "neither")
"""Pixels by which bands are dark (each band's despeckled value below its own Otsu split of
the scene's labelled pixels): the classes of :func:`decompose`."""


def polarisation_part(post: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """(H, W) index into :data:`POLARISATION_PARTS` of each pixel of a ``(2, H, W)`` dB scene
    (-1 outside ``valid`` or where VH is missing): dark in both bands, in VH only, in VV only
    or in neither, each band despeckled (3 x 3) and set against its own Otsu split over
    ``valid`` (Otsu 1979, :func:`paii_core.flood.water.otsu_threshold`)."""
    post = np.asarray(post, dtype=np.float32)
    if post.ndim != 3 or post.shape[0] != 2:
        raise ValidationError(f"post should be (2, H, W) VV, VH in dB, got shape {post.shape}")
    ok = valid & np.isfinite(post[0]) & np.isfinite(post[1])
    out = np.full(post.shape[1:], -1, dtype=np.int8)
    if not ok.any():
        return out
    vv, vh = water.despeckle_db(post[0]), water.despeckle_db(post[1])
    dark_vv = vv < water.otsu_threshold(water.histogram(vv[ok]))
    dark_vh = vh < water.otsu_threshold(water.histogram(vh[ok]))
    part = np.select([dark_vv & dark_vh, dark_vh, dark_vv], [0, 1, 2], 3)
    out[ok] = part[ok]
    return out


def cell_oracle_iou(
    post: np.ndarray, label: np.ndarray, valid: np.ndarray, step_db: float = 0.5
) -> float:
    """The best water IoU any per-pixel rule on the despeckled (VV, VH) pair can reach on
    this scene: cells of ``step_db`` in both bands, each called water or not with the label's
    help, the cells taken in order of their water share (an upper bound fitted to the label,
    not a method: what polarimetry alone leaves to gain)."""
    post = np.asarray(post, dtype=np.float32)
    ok = valid & (label >= 0) & np.isfinite(post[0]) & np.isfinite(post[1])
    if not ok.any():
        return float("nan")
    vv, vh = water.despeckle_db(post[0])[ok], water.despeckle_db(post[1])[ok]
    a = np.floor(vv / step_db).astype(np.int64)
    b = np.floor(vh / step_db).astype(np.int64)
    a, b = a - a.min(), b - b.min()
    key = a * (b.max() + 1) + b
    wet = (label[ok] == 1).astype(np.float64)
    w, n = np.bincount(key, wet), np.bincount(key)
    order = np.argsort(-(w / np.maximum(n, 1)))
    inter, called = np.cumsum(w[order]), np.cumsum(n[order])
    return float(np.max(inter / (called + wet.sum() - inter)))


def decompose(chip: Path) -> dict | None:
    """Where a chip's dry land called water sits, on the working grid (label resampled
    nearest): per :data:`POLARISATION_PARTS` class the share (%) of the labelled dry land the
    rules call water and global Otsu VV (of the working grid's despeckled VV) calls water,
    the share of the rules' dry land called water by the step that first called it (seeds,
    region growing, single-look growing), the labelled water each misses (%), and
    :func:`cell_oracle_iou`. None where the scene has no threshold."""
    from bench.flood.real_chips import otsu

    work, label, valid = working_grid(chip)
    fit = mapping.fit_scene(work.data)
    if fit.threshold_db is None:
        return None
    rules = mapping.Rules.from_fit(fit, pixel_size_m=float(abs(work.transform.a)))
    steps = dict(stage_masks(work.data, rules))
    final = steps["clear-water core (final)"]
    base = otsu(work.data[0])
    part = polarisation_part(work.data, valid)
    dry, wet = valid & (label == 0), valid & (label == 1)
    n_dry, n_wet = max(1, int(dry.sum())), max(1, int(wet.sum()))

    def pct(mask: np.ndarray, of: int) -> float:
        return 100.0 * float(mask.sum()) / of

    seeds, grown = steps["threshold"], steps["region growing"]
    parts = POLARISATION_PARTS
    entered = {"seeds": seeds, "region growing": grown & ~seeds,
               "single-look growing": steps["single-look growing"] & ~grown}  # fmt: skip
    return {
        "method": fit.method,
        "rules": {p: pct(final & dry & (part == i), n_dry) for i, p in enumerate(parts)},
        "otsu": {p: pct(base & dry & (part == i), n_dry) for i, p in enumerate(parts)},
        "step": {k: pct(final & dry & m, n_dry) for k, m in entered.items()},
        "missed": pct(wet & ~final, n_wet), "otsu missed": pct(wet & ~base, n_wet),
        "oracle": cell_oracle_iou(work.data, label, valid),
    }  # fmt: skip


def rank_auc(x: np.ndarray, wet: np.ndarray) -> float:
    """Probability that a random ``wet`` pixel has a larger ``x`` than a random dry one
    (Mann-Whitney, ties counted half; NaN values left out); NaN without both classes."""
    from scipy.stats import rankdata

    x, wet = np.asarray(x, dtype=np.float64), np.asarray(wet, dtype=bool)
    if x.shape != wet.shape:
        raise ValidationError(f"x {x.shape} and wet {wet.shape} should have the same shape")
    ok = np.isfinite(x)
    x, wet = x[ok], wet[ok]
    n1, n0 = int(wet.sum()), int((~wet).sum())
    if n1 == 0 or n0 == 0:
        return float("nan")
    r = rankdata(x)
    return float((r[wet].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0))


def _box(a: np.ndarray, size: int) -> np.ndarray:
    ok = np.isfinite(a)
    n = ndimage.uniform_filter(ok.astype(np.float64), size, mode="nearest")
    m = ndimage.uniform_filter(np.where(ok, a, 0.0), size, mode="nearest")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 0, m / n, np.nan)


TEXTURE_FEATURES = (
    "CV VV 9", "CV VH 9", "CV VV 15", "CV VH 15", "VV - VH 7", "VV - VH 31", "VV 61", "VH 61",
    "both share 31", "VH-only share 31", "VH-only patch (log10 px)", "distance to both (px)",
)  # fmt: skip
"""The context features of :func:`texture_features` (a number: the window side in px)."""


def texture_features(post: np.ndarray, part: np.ndarray) -> dict[str, np.ndarray]:
    """(H, W) context features of a ``(2, H, W)`` dB scene whose :func:`polarisation_part`
    classes are ``part``: local coefficient of variation of each band (:func:`local_cv`),
    the mean of VV - VH and of each band over a square, the share of pixels dark in both
    bands / in VH only around, the size of the pixel's 8-connected "VH only" patch and the
    distance to the nearest pixel dark in both."""
    post = np.asarray(post, dtype=np.float64)
    if post.ndim != 3 or post.shape[0] != 2 or part.shape != post.shape[1:]:
        raise ValidationError(
            f"post should be (2, H, W) VV, VH in dB and part (H, W), got {post.shape} and "
            f"{part.shape}"
        )
    vv, vh = post
    only = part == 1
    patches, _ = ndimage.label(only, structure=np.ones((3, 3), bool))
    sizes = np.bincount(patches.ravel())
    sizes[0] = 1
    return {
        "CV VV 9": local_cv(vv, 9), "CV VH 9": local_cv(vh, 9),
        "CV VV 15": local_cv(vv, 15), "CV VH 15": local_cv(vh, 15),
        "VV - VH 7": _box(vv - vh, 7), "VV - VH 31": _box(vv - vh, 31),
        "VV 61": _box(vv, 61), "VH 61": _box(vh, 61),
        "both share 31": _box((part == 0).astype(np.float64), 31),
        "VH-only share 31": _box(only.astype(np.float64), 31),
        "VH-only patch (log10 px)": np.log10(sizes[patches]).astype(np.float64),
        "distance to both (px)": ndimage.distance_transform_edt(part != 0),
    }  # fmt: skip


def texture(chip: Path) -> dict | None:
    """(feature -> values, and ``"wet"``) at the labelled pixels the rules call water that
    are dark in VH only (working grid); None where the scene has no threshold."""
    work, label, valid = working_grid(chip)
    fit = mapping.fit_scene(work.data)
    if fit.threshold_db is None or not np.isfinite(work.data[1]).any():
        return None
    rules = mapping.Rules.from_fit(fit, pixel_size_m=float(abs(work.transform.a)))
    final = stage_masks(work.data, rules)[-1][1]
    part = polarisation_part(work.data, valid)
    pick = final & valid & (part == 1)
    out = {k: v[pick] for k, v in texture_features(work.data, part).items()}
    out["wet"] = label[pick] == 1
    return out


JITTER_PX = (0, 4, 8, 16, 24)
"""Crops (rows and columns dropped at the top left) of the threshold stability check."""


def threshold_jitter(post: np.ndarray, offsets: tuple[int, ...] = JITTER_PX) -> list:
    """The scene threshold (dB, or None) of a ``(2, H, W)`` dB scene cropped by each offset."""
    post = np.asarray(post, dtype=np.float32)
    if post.ndim != 3 or post.shape[0] != 2:
        raise ValidationError(f"post should be (2, H, W) VV, VH in dB, got shape {post.shape}")
    if max(offsets) > min(post.shape[1:]) - 16:
        raise ValidationError(
            f"offsets up to {max(offsets)} px leave under 16 px of the {post.shape[1:]} scene; "
            "use smaller offsets"
        )
    return [mapping.fit_scene(post[:, o:, o:]).threshold_db for o in offsets]


def checks() -> dict[str, float]:
    """The must-not-regress figures: held-out simulator and real-DEM benchmark means."""
    import contextlib
    import io as _io

    from bench.flood import bench_flood, real_dem

    bench_flood.REPORT.clear()
    with contextlib.redirect_stdout(_io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bench_flood.quality()
        dem_rows = real_dem.run()
    q = bench_flood.REPORT["quality"]
    paii, neither = [r["paii"] for r in q], [r["no_pre_no_terrain"] for r in q]
    return {
        "sim PAII mean": float(np.mean(paii)), "sim PAII worst": float(min(paii)),
        "sim neither mean": float(np.mean(neither)), "sim neither worst": float(min(neither)),
        "real-DEM pre mean": float(np.mean([r["pre"] for r in dem_rows])),
        "real-DEM no-DEM mean": float(np.mean([r["no DEM"] for r in dem_rows])),
    }  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--chips",
        type=Path,
        nargs="+",
        default=list(DEV_FOLDERS),
        help="folders of DEV *_S1Hand.tif chips (default: both dev folders)",
    )
    ap.add_argument("--stages", action="store_true", help="also score each step of the rules")
    ap.add_argument("--variant", default=None, help="a rule variant of water_variants.VARIANTS")
    ap.add_argument("--jitter", action="store_true", help="threshold under 0-24 px crops")
    ap.add_argument(
        "--decompose", action="store_true", help="dry land called water by band and by step"
    )
    ap.add_argument(
        "--texture", action="store_true", help="context features of the VH-only water called"
    )
    ap.add_argument("--checks", action="store_true", help="also the simulator and real-DEM")
    ap.add_argument("--json", type=Path, default=None, help="also write the rows here")
    args = ap.parse_args()
    if args.variant is None:
        run(args)
        return
    from bench.flood.water_variants import variant

    with variant(args.variant):
        print(f"variant: {args.variant}")
        run(args)


def run(args: argparse.Namespace) -> None:
    """The tables of :func:`main` (under whatever variant is in force)."""
    chips = chips_of(args.chips)
    rows = {}
    print("| chip | water IoU | dry land called water | global Otsu VV: IoU | Otsu: dry called "
          "water | threshold (method) |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- |")
    for chip in chips:
        name = chip.name.removesuffix("_S1Hand.tif")
        r = map_chip(chip)
        rows[name] = r
        print(f"| {name} | {r['iou']:.3f} | {r['false %']:.2f} % | {r['otsu']:.3f} | "
              f"{r['otsu false %']:.2f} % | {r['split']} |", flush=True)  # fmt: skip
    wet = [r for r in rows.values() if r["counts"][1] > r["counts"][2]]
    inter = sum(r["counts"][0] for r in rows.values())
    union = sum(r["counts"][1] for r in rows.values())
    print(f"| mean of chips with water | {np.mean([r['iou'] for r in wet]):.3f} | | "
          f"{np.mean([r['otsu'] for r in wet]):.3f} | | |")  # fmt: skip
    print(f"| pooled | {inter / max(1, union):.3f} | | | | |")
    print(f"rules above global Otsu VV on {sum(r['iou'] > r['otsu'] for r in wet)} of "
          f"{len(wet)} chips with water")  # fmt: skip
    report: dict = {"rows": rows}
    if args.stages:
        report["stages"] = {}
        print("\n| chip | step | water IoU | dry land called water | CV 7x7: water | CV: dry "
              "called water |")  # fmt: skip
        print("| --- | --- | --- | --- | --- | --- |")
        for chip in chips:
            name = chip.name.removesuffix("_S1Hand.tif")
            report["stages"][name] = stages(chip)
            for step, r in report["stages"][name]:
                print(f"| {name} | {step} | {r['iou']:.3f} | {r['false %']:.2f} % | "
                      f"{r.get('cv water', np.nan):.2f} | {r.get('cv dry', np.nan):.2f} |",
                      flush=True)  # fmt: skip
    if args.decompose:
        report["decompose"] = {}
        cols = " / ".join(POLARISATION_PARTS)
        print(f"\n| chip | method | dry land called water by the rules, dark in: {cols} | by "
              f"global Otsu VV: {cols} | rules' by the step that called it: seeds / growing / "
              "single-look | water missed: rules / Otsu | best per-pixel (VV, VH) rule, "
              "fitted to the label |")  # fmt: skip
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for chip in chips:
            name = chip.name.removesuffix("_S1Hand.tif")
            d = report["decompose"][name] = decompose(chip)
            if d is None:
                continue
            print(f"| {name} | {d['method']} | "
                  f"{' / '.join(f'{v:.1f}' for v in d['rules'].values())} % | "
                  f"{' / '.join(f'{v:.1f}' for v in d['otsu'].values())} % | "
                  f"{' / '.join(f'{v:.1f}' for v in d['step'].values())} % | "
                  f"{d['missed']:.1f} / {d['otsu missed']:.1f} % | {d['oracle']:.3f} |",
                  flush=True)  # fmt: skip
    if args.texture:
        report["texture"] = texture_table(chips)
    if args.jitter:
        report["jitter"] = {}
        print(f"\n| chip | threshold (dB) with the working grid cropped by {JITTER_PX} px |")
        print("| --- | --- |")
        for chip in chips:
            name = chip.name.removesuffix("_S1Hand.tif")
            work = files._to_working_grid(io.read_sentinel1(chip, allow_vv_only=True))
            report["jitter"][name] = threshold_jitter(work.data)
            print(f"| {name} | {' / '.join(str(t) for t in report['jitter'][name])} |")
    if args.checks:
        report["checks"] = checks()
        print("\n" + ", ".join(f"{k} {v:.3f}" for k, v in report["checks"].items()))
    from bench.jsonout import write_json

    write_json(args.json, report)


def texture_table(chips: list[Path], event: str = "India_pxs10") -> dict:
    """Print and return :func:`texture`'s AUC and medians, ``event``'s chip apart."""
    got = {c.name.removesuffix("_S1Hand.tif"): texture(c) for c in chips}
    got = {k: v for k, v in got.items() if v is not None and v["wet"].size}
    groups = {event: [v for k, v in got.items() if k == event],
              "other chips": [v for k, v in got.items() if k != event]}  # fmt: skip
    print(f"\n| feature (VH-only pixels the rules call water) | {event}: AUC water > dry | "
          "median dry / water | other chips: AUC | median dry / water |")  # fmt: skip
    print("| --- | --- | --- | --- | --- |")
    table: dict = {g: {"n wet / dry": None} for g in groups}
    for g, parts in groups.items():
        wet = np.concatenate([p["wet"] for p in parts]) if parts else np.zeros(0, bool)
        table[g]["n wet / dry"] = [int(wet.sum()), int((~wet).sum())]
    for name in TEXTURE_FEATURES:
        cells = []
        for g, parts in groups.items():
            if not parts:
                cells += ["", ""]
                continue
            x = np.concatenate([p[name] for p in parts])
            wet = np.concatenate([p["wet"] for p in parts])
            a = rank_auc(x, wet)
            med = [float(np.nanmedian(x[m])) if m.any() else float("nan") for m in (~wet, wet)]
            table[g][name] = {"auc": a, "median dry / water": med}
            cells += [f"{a:.3f}", f"{med[0]:.3f} / {med[1]:.3f}"]
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
    print(" ; ".join(f"{g}: {v['n wet / dry'][0]} water / {v['n wet / dry'][1]} dry pixels"
                     for g, v in table.items()))  # fmt: skip
    return table


if __name__ == "__main__":
    main()
