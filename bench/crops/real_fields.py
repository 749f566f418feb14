"""Crop recognition on REAL fields with real crop names, against a nearest-centroid
classifier of the fields' NDVI curves given the same labels.

    .venv/bin/python -m bench.crops.real_fields                 # real rows (about a minute)
    .venv/bin/python -m bench.crops.real_fields --sim 201 202   # plus held-out simulated rows

Real data: data/real/worldcereal_east_africa_2017 (see its PROVENANCE.txt): 500 fields in
Uganda and South Sudan surveyed in 2017, each a Sentinel-2 L2A pixel time series (10 bands,
12 monthly composites Dec 2016 .. Nov 2017) with Sentinel-1 VV/VH, labelled with the crop
grown (sorghum, maize, groundnuts, beans, sunflower, ...). Crops with at least
``--min-fields`` fields take part. Each draw labels ``--labels`` fields, about as many of
each crop as a surveyor would (the rest of a draw goes to the commonest crops; every crop
keeps two fields unlabelled), and scores the other fields. The fields are laid out one
pixel each on a grid and go through :func:`paii_core.crops.recognize_crops` as any area's
parcels would; the baseline sees the same labels and each field's gap-filled NDVI curve.
"""

from __future__ import annotations

import argparse
import re
import warnings
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score

from bench.jsonout import write_json
from paii_core.crops import recognize_crops
from paii_core.crops.features import day_of_year, fill_gaps

DATA = Path(__file__).resolve().parents[2] / "data" / "real" / "worldcereal_east_africa_2017"
FILE = DATA / "public_extractions_2017.parquet"
BANDS = ("B02", "B03", "B04", "B08", "B05", "B06", "B07", "B8A", "B11", "B12")
"""B, G, R, N first (what recognize_crops expects), then red edge, narrow NIR and SWIR."""
NODATA = 65535


def _monthly(frame: pd.DataFrame, prefix: str) -> np.ndarray:
    """(N, 12) one variable's monthly composites ts0..ts11, NaN where no data."""
    cols = sorted(
        (c for c in frame.columns if c.startswith(prefix + "-ts")),
        key=lambda c: int(re.search(r"-ts(\d+)-", c).group(1)),
    )
    out = np.array(frame[cols].to_numpy(np.float64))
    out[out == NODATA] = np.nan
    return out


def load_fields(min_fields: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, list[date]]:
    """The fields of crops with at least ``min_fields`` fields: the table, (T, C, N)
    reflectance (DN / 10 000), (T, 2, N) VV, VH dB and the T composite dates."""
    frame = pd.read_parquet(FILE)
    counts = frame["label_full"].value_counts()
    frame = frame[frame["label_full"].isin(counts[counts >= min_fields].index)]
    frame = frame.reset_index(drop=True)
    optical = np.stack([_monthly(frame, f"OPTICAL-{b}") / 1e4 for b in BANDS]).transpose(2, 0, 1)
    # WorldCereal stores sigma0 as uint16 DN with dB = 20 log10(DN) - 83 (its own decoder,
    # worldcereal-classification src/worldcereal/train/datasets.py).
    with np.errstate(divide="ignore", invalid="ignore"):
        radar = np.stack([20 * np.log10(_monthly(frame, f"SAR-{p}")) - 83 for p in ("VV", "VH")])
    start = pd.Timestamp(frame["start_date"].iloc[0])
    dates = [(start + pd.DateOffset(months=m)).date() for m in range(optical.shape[0])]
    return frame, optical.astype(np.float32), radar.transpose(2, 0, 1).astype(np.float32), dates


def draw_labels(crops: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of ``n`` labelled fields: n // K of each of the K crops (capped so each crop
    keeps two fields to score), the remainder to the commonest crops."""
    names, size = np.unique(crops, return_counts=True)
    per = np.minimum(n // len(names), size - 2)
    order = np.argsort(-size)
    i = 0
    while per.sum() < n and (per < size - 2).any():
        j = order[i % len(order)]
        if per[j] < size[j] - 2:
            per[j] += 1
        i += 1
    picked = [
        rng.choice(np.flatnonzero(crops == c), m, replace=False)
        for c, m in zip(names, per, strict=False)
    ]
    return np.concatenate(picked)


def ndvi_centroids(curves: np.ndarray, crops: np.ndarray, train: np.ndarray) -> np.ndarray:
    """Nearest-centroid (Euclidean) crop of every field's NDVI curve (N, T)."""
    names = np.unique(crops[train])
    cent = np.stack([curves[train][crops[train] == c].mean(axis=0) for c in names])
    return names[((curves[:, None] - cent[None]) ** 2).sum(axis=-1).argmin(axis=1)]


def _grid(values: np.ndarray, side: int) -> np.ndarray:
    """(..., N) -> (..., side, side) one field per pixel, NaN where no field."""
    out = np.full((*values.shape[:-1], side * side), np.nan, np.float32)
    out[..., : values.shape[-1]] = values
    return out.reshape((*values.shape[:-1], side, side))


def recognise(optical, radar, dates, crops, train, *, bands: int | None = None) -> np.ndarray:
    """The crop recognize_crops gives every field, the ``train`` fields labelled."""
    n = len(crops)
    side = int(np.ceil(np.sqrt(n)))
    series = _grid(optical if bands is None else optical[:, :bands], side)
    parcels = _grid(np.arange(1, n + 1, dtype=np.float32), side)
    parcels = np.nan_to_num(parcels, nan=0).astype(np.int32)
    rows, cols = np.divmod(np.arange(n), side)
    labels = [(int(rows[i]), int(cols[i]), str(crops[i])) for i in train]
    cmap = recognize_crops(series, dates, labels, sar=_grid(radar, side), parcels=parcels)
    pick = cmap.label_map[rows, cols]
    return np.asarray(cmap.classes, object)[pick]


def real_rows(draws: int, n_labels: int, min_fields: int) -> pd.DataFrame:
    frame, optical, radar, dates = load_fields(min_fields)
    crops = frame["label_full"].to_numpy(object)
    t = day_of_year(dates)
    with np.errstate(divide="ignore", invalid="ignore"):
        ndvi = (optical[:, 3] - optical[:, 2]) / (optical[:, 3] + optical[:, 2])
    curves = np.nan_to_num(fill_gaps(ndvi, t), nan=0.0).T
    print(f"{len(crops)} real fields: {pd.Series(crops).value_counts().to_dict()}", flush=True)
    rows = []
    for seed in range(draws):
        train = draw_labels(crops, n_labels, np.random.default_rng(seed))
        test = np.setdiff1d(np.arange(len(crops)), train)
        preds = {
            "NDVI nearest centroid": ndvi_centroids(curves, crops, train),
            "recognize_crops, B G R N only": recognise(
                optical, radar, dates, crops, train, bands=4
            ),
            "recognize_crops, all bands + S1": recognise(optical, radar, dates, crops, train),
        }
        for method, pred in preds.items():
            truth, got = crops[test], pred[test].astype(object)
            rows.append(
                {
                    "draw": seed,
                    "method": method,
                    "accuracy": accuracy_score(truth, got),
                    "macro_f1": f1_score(truth, got, average="macro", zero_division=0),
                }
            )
        print(pd.DataFrame(rows[-3:]).to_string(index=False, header=seed == 0), flush=True)
    return pd.DataFrame(rows)


def sim_rows(
    seeds: list[int], n_labels: int, regions: tuple[str, ...] = ("henan", "hubei", "iowa")
) -> pd.DataFrame:
    """The same comparison on held-out generated scenes (seeds 200+), per truth field."""
    from paii_core.crops.labelling import interior_points
    from paii_core.crops.scenes import make_scene
    from paii_core.demo.classes import CROPS

    rows = []
    for region in regions:
        for seed in seeds:
            big = region == "iowa"  # Iowa's fields are large: 400 px to hold a few dozen
            s = make_scene(region, seed, size_px=400 if big else 300, hires_factor=2)
            pts = interior_points(s.fine_parcels)
            code = s.crop_type[pts[:, 0], pts[:, 1]]
            ok = code >= 0
            pts, crops = pts[ok], np.asarray(CROPS, object)[code[ok]]
            ids = s.fine_parcels[pts[:, 0], pts[:, 1]]
            parcels = np.where(np.isin(s.fine_parcels, ids), s.fine_parcels, 0).astype(np.int32)
            t = day_of_year(s.dates)
            with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # a field under cloud
                ndvi = (s.series[:, 3] - s.series[:, 2]) / (s.series[:, 3] + s.series[:, 2])
                per = np.stack([np.nanmean(ndvi[:, parcels == i], axis=1) for i in ids], 1)
            curves = np.nan_to_num(fill_gaps(per.astype(np.float32), t), nan=0.0).T
            train = draw_labels(crops, n_labels, np.random.default_rng(seed))
            test = np.setdiff1d(np.arange(len(crops)), train)
            labels = [(int(pts[i, 0]), int(pts[i, 1]), str(crops[i])) for i in train]
            cmap = recognize_crops(
                s.series, s.dates, labels, sar=s.sar, dem=s.dem, parcels=parcels, region=region
            )
            got = np.asarray(cmap.classes, object)[cmap.label_map[pts[:, 0], pts[:, 1]]]
            for method, pred in (
                ("NDVI nearest centroid", ndvi_centroids(curves, crops, train)),
                ("recognize_crops", got),
            ):
                rows.append(
                    {
                        "region": region,
                        "seed": seed,
                        "fields scored": len(test),
                        "method": method,
                        "accuracy": accuracy_score(crops[test], pred[test]),
                        "macro_f1": f1_score(crops[test], pred[test], average="macro"),
                    }
                )
            print(pd.DataFrame(rows[-2:]).to_string(index=False), flush=True)
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--draws", type=int, default=10, help="random label draws")
    parser.add_argument("--labels", type=int, default=40, help="labelled fields per draw")
    parser.add_argument("--min-fields", type=int, default=9, help="fields a crop needs")
    parser.add_argument("--sim", nargs="*", type=int, default=[], help="held-out seeds (200+)")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    args = parser.parse_args(argv)
    if any(s < 200 for s in args.sim):
        parser.error("--sim seeds must be 200 or more: seeds below 200 are used in training")
    real = real_rows(args.draws, args.labels, args.min_fields)
    table = real.groupby("method")[["accuracy", "macro_f1"]].agg(["mean", "std"])
    base = real[real["method"] == "NDVI nearest centroid"].set_index("draw")
    print("\n| data | method | accuracy (mean ± sd) | macro F1 (mean ± sd) | F1 wins vs baseline |")
    print("| --- | --- | --- | --- | --- |")
    for method, row in table.iterrows():
        mine = real[real["method"] == method].set_index("draw")
        wins = int((mine["macro_f1"] > base["macro_f1"]).sum())
        print(
            f"| real, {args.draws} draws x {args.labels} labels | {method} | "
            f"{row[('accuracy', 'mean')]:.3f} ± {row[('accuracy', 'std')]:.3f} | "
            f"{row[('macro_f1', 'mean')]:.3f} ± {row[('macro_f1', 'std')]:.3f} | "
            f"{wins}/{args.draws} |"
        )
    report = {"draws": args.draws, "labels": args.labels, "real": real.to_dict("records")}
    if args.sim:
        sim = sim_rows(args.sim, args.labels)
        report["simulated"] = sim.to_dict("records")
        for (region, method), g in sim.groupby(["region", "method"]):
            print(
                f"| simulated {region}, seeds {' '.join(map(str, args.sim))}, "
                f"{g['fields scored'].sum()} fields scored | {method} | "
                f"{g['accuracy'].mean():.3f} | {g['macro_f1'].mean():.3f} | |"
            )
    write_json(args.json, report)


if __name__ == "__main__":
    main()
