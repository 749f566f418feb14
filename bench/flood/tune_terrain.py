"""Tune the HAND and slope limits of the terrain masks on TRAINING scenes.

Seeds 201-212 (disjoint from the held-out 101-112 of ``bench_flood`` and from the demo
and test worlds); terrain and flood stage vary as in the held-out set. For every scene
the flood is mapped once without the masks, then each (HAND, slope) pair is applied the
way :func:`paii_core.flood.map_flood` applies it (mask, then drop specks), so the sweep
costs one HAND per scene. Scored: mean IoU against the truth, and the share of radar
shadow (from the simulator's geometry, outside the true flood) that is called flood.

Run: ``.venv/bin/python -m bench.flood.tune_terrain``
"""

from __future__ import annotations

import itertools

import numpy as np

from bench.flood.bench_flood import PX, iou, scene
from paii_core.demo import sar
from paii_core.flood import map_flood, slope_deg, terrain, water
from paii_core.flood.mapping import _drop_specks

TRAIN = (
    (201, 0.6, 60.0, 20.0, 0.1),
    (202, 0.2, 20.0, 8.0, 0.05),
    (203, 0.8, 90.0, 25.0, 0.3),
    (204, 0.3, 30.0, 10.0, 1.5),
    (205, 0.7, 80.0, 25.0, 2.0),
    (206, 0.1, 15.0, 6.0, 1.0),
    (207, 0.5, 50.0, 15.0, 0.0),
    (208, 0.9, 100.0, 30.0, 0.5),
)
HAND_M = (5.0, 10.0, 15.0, 20.0, 30.0, np.inf)
SLOPE_DEG = (5.0, 8.0, 12.0, 16.0, 25.0, 90.0)


def main() -> None:
    rows = []
    for seed, hills, relief, valley, stage in TRAIN:
        post, pre, dem, perm, truth = scene(seed, hills, relief, valley, stage)
        shadow = sar.radar_geometry(dem, PX).shadow & ~truth & ~perm
        for with_pre in (True, False):
            before = pre if with_pre else None
            fm = map_flood(
                post, dem, pixel_size_m=PX, permanent_water=perm, pre_sar=before,
                terrain_masks=False,
            )  # fmt: skip
            # Water that was there before the event (despeckled pre-event feature under
            # the scene's threshold, not brighter by more than 3 dB now): HAND's channels.
            was = np.zeros(truth.shape, dtype=bool)
            if before is not None and fm.threshold_db is not None:
                then = water.despeckle_db(water.water_feature_db(before))
                now = water.despeckle_db(water.water_feature_db(post))
                was = (then < fm.threshold_db) & ((now - then) > -3.0)
            known = was | perm
            height = terrain.hand(dem, pixel_size_m=PX, channels=known if known.any() else None)
            slope = slope_deg(dem, pixel_size_m=PX)
            min_px = max(3, round(2000.0 / PX**2))
            for h, s in itertools.product(HAND_M, SLOPE_DEG):
                got = _drop_specks(fm.flooded & (height <= h) & (slope <= s), min_px=min_px)
                fp = (got & shadow).sum() / max(1, shadow.sum())
                rows.append((seed, with_pre, h, s, iou(got, truth), fp, shadow.mean()))
        print(f"seed {seed}: water {100 * truth.mean():.1f} %, shadow {100 * shadow.mean():.2f} %")
    data = np.array([r[2:6] for r in rows], dtype=np.float64)
    print("| HAND max m | slope max deg | mean IoU | worst IoU | shadow called flood |")
    print("| --- | --- | --- | --- | --- |")
    for h, s in itertools.product(HAND_M, SLOPE_DEG):
        sel = (data[:, 0] == h) & (data[:, 1] == s)
        print(
            f"| {h:g} | {s:g} | {data[sel, 2].mean():.4f} | {data[sel, 2].min():.3f} "
            f"| {100 * data[sel, 3].mean():.2f} % |"
        )


if __name__ == "__main__":
    main()
