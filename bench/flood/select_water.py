"""Choose the learned water model's features and settings by leave-one-chip-out on DEV chips.

The only selection criterion for the model of ``paii flood`` (issue 12): for every candidate
(a feature set and LightGBM settings), each DEV chip with labelled water
(data/real/sen1floods11_dev/, never the benchmark's four test chips) is mapped by a model
trained on the training rows of :mod:`bench.flood.train_water` WITHOUT that chip (its
randomised copies left out too), at the model's fixed cut :data:`train_water.CUT`, on the
mapper's working grid. Reported per chip, as the mean of the chips and pooled over their
pixels (sum of intersections / sum of unions). The rows are built once for all candidate
features (:data:`learned.FEATURES` + :data:`learned.EXTRA_FEATURES`) and cached.

Run: ``PYTHONPATH=. .venv/bin/python -m bench.flood.select_water [--cache FILE] [--json OUT]``
(about 5 minutes on 2 busy cores; the cache saves the 3-minute build on a rerun).
"""

from __future__ import annotations

import argparse
import pickle
import time
from pathlib import Path

import numpy as np

from bench.flood import train_water as tw
from paii_core.flood import learned
from paii_core.flood.mapping import Rules, _drop_specks, fit_scene, rules_water

ALL = (*learned.FEATURES, *learned.EXTRA_FEATURES)
LOCAL = ("local_otsu_minus_t", "mix_minus_local_otsu", "local_ashman", "local_share")
CANDIDATES: dict[str, tuple[tuple[str, ...], dict]] = {
    "current (14 features)": (learned.FEATURES, {}),
    "+ bands against t": ((*learned.FEATURES, "vv_minus_t", "vh_minus_t"), {}),
    "+ 1 km mean, 510 m spread": ((*learned.FEATURES, "mean101_minus_t", "std51"), {}),
    "+ local Otsu split": ((*learned.FEATURES, *LOCAL), {}),
    "all 22": (ALL, {}),
    "all 22, 15 leaves": (ALL, {"num_leaves": 15}),
    "all 22, 160 rounds": (ALL, {"rounds": 160}),
    "current, 15 leaves": (learned.FEATURES, {"num_leaves": 15}),
}
"""Candidates: name -> (features, changes to :data:`train_water.PARAMS` / rounds)."""


def chip_case(chip: Path) -> dict:
    """Features (all candidates') of a dev chip's gated pixels, its truth and rules' water."""
    post, label, px = tw.chip_scene(chip)
    fit = fit_scene(post)
    valid = (label >= 0) & np.isfinite(post[0])
    out = {"truth": (label == 1) & valid, "valid": valid, "fit": fit}
    if fit.threshold_db is None:
        return out
    rules = Rules.from_fit(fit, pixel_size_m=px)
    _, wet = rules_water(post, rules)
    x, gate = learned.water_features(post, fit, wet, ALL)
    return {**out, "x": x, "gate": gate, "min_px": rules.min_px}


def subset(rows: dict, names: tuple[str, ...]) -> dict:
    idx = [ALL.index(n) for n in names]
    return {k: [(x[:, idx], y) for x, y in blocks] for k, blocks in rows.items()}


def fit(rows: dict, exclude: str, names: tuple[str, ...], change: dict):
    import lightgbm as lgb

    params = {**tw.params(names), **{k: v for k, v in change.items() if k != "rounds"}}
    xs, ys, ws = [], [], []
    for name, blocks in rows.items():
        if name == exclude:
            continue
        for x, y in blocks:
            scale = (tw.SIM_WEIGHT if name.startswith("sim") else 1.0) / len(blocks) / len(y)
            xs.append(x)
            ys.append(y)
            ws.append(np.full(len(y), scale * 1e4, dtype=np.float32))
    data = lgb.Dataset(np.concatenate(xs), np.concatenate(ys), weight=np.concatenate(ws),
                       feature_name=list(names), free_raw_data=True)  # fmt: skip
    return lgb.train(params, data, num_boost_round=change.get("rounds", tw.ROUNDS))


def score(booster, case: dict, names: tuple[str, ...]) -> tuple[int, int]:
    """(intersection, union) of the chip's water at the model's cut."""
    truth, valid = case["truth"], case["valid"]
    if "x" not in case:
        return 0, int(truth.sum())
    p = np.zeros(truth.shape, dtype=np.float32)
    idx = [ALL.index(n) for n in names]
    if case["x"].shape[1]:
        p[case["gate"]] = booster.predict(case["x"][idx].T)
    called = _drop_specks(p >= tw.CUT, min_px=case["min_px"]) & valid
    return int((called & truth).sum()), int((called | truth).sum())


def rules_score(chip: Path) -> tuple[int, int]:
    post, label, px = tw.chip_scene(chip)
    fit_ = fit_scene(post)
    valid = (label >= 0) & np.isfinite(post[0])
    truth = (label == 1) & valid
    if fit_.threshold_db is None:
        return 0, int(truth.sum())
    _, wet = rules_water(post, Rules.from_fit(fit_, pixel_size_m=px))
    wet &= valid
    return int((wet & truth).sum()), int((wet | truth).sum())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=None, help="pickle of the training rows")
    ap.add_argument("--json", type=Path, default=None, help="also write the table here")
    ap.add_argument("--only", action="append", help="candidate name(s) to run")
    args = ap.parse_args()
    start = time.perf_counter()
    chips = sorted(tw.DEV.glob("*_S1Hand.tif"))
    if args.cache is not None and args.cache.is_file():
        rows = pickle.loads(args.cache.read_bytes())
    else:
        rows = tw.build(chips, tw.SIM_SEEDS, np.random.default_rng(12), copies=tw.COPIES,
                        names=ALL)  # fmt: skip
        if args.cache is not None:
            args.cache.write_bytes(pickle.dumps(rows))
    cases = {c.name.removesuffix("_S1Hand.tif"): chip_case(c) for c in chips}
    wet = {k: v for k, v in cases.items() if v["truth"].any()}
    print(f"rows ready in {time.perf_counter() - start:.0f} s; dev chips with water: "
          f"{', '.join(wet)}", flush=True)  # fmt: skip
    table = {"rules": {k: rules_score(tw.DEV / f"{k}_S1Hand.tif") for k in wet}}
    todo = {k: v for k, v in CANDIDATES.items() if not args.only or k in args.only}
    for cand, (names, change) in todo.items():
        sub = subset(rows, names)
        table[cand] = {k: score(fit(sub, k, names, change), wet[k], names) for k in wet}
        _print(cand, table[cand])
    _print("rules", table["rules"])
    print(f"took {time.perf_counter() - start:.0f} s")
    from bench.jsonout import write_json

    write_json(args.json, {k: {c: list(v) for c, v in t.items()} for k, t in table.items()})


def _print(name: str, counts: dict[str, tuple[int, int]]) -> None:
    ious = {k: i / max(1, u) for k, (i, u) in counts.items()}
    pool = sum(i for i, _ in counts.values()) / max(1, sum(u for _, u in counts.values()))
    print(f"| {name} | " + " | ".join(f"{v:.3f}" for v in ious.values())
          + f" | {np.mean(list(ious.values())):.3f} | {pool:.3f} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
