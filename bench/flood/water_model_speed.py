"""Cost per megapixel of the learned water model against the rules, on one window.

One 2,176 x 2,176 window (a 2,048 px core with the mapper's 64 px halo) of gamma speckle
(4.4 looks) with 8 % dark water: seconds per MP of the rules' water, of the model's
features and prediction, and of :func:`mapping.map_window` with the rules and with the
model. Multiply by 425 MP for a full 25,000 x 17,000 Sentinel-1 IW scene.

Run: ``PYTHONPATH=. .venv/bin/python -m bench.flood.water_model_speed``
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from paii_core.flood import learned
from paii_core.flood.mapping import Rules, fit_scene, map_window, rules_water


def main() -> None:
    rng = np.random.default_rng(1)
    n = 2048 + 128
    post = np.empty((2, n, n), np.float32)
    post[0] = -9 + 10 * np.log10(rng.gamma(4.4, 1 / 4.4, (n, n)))
    post[1] = post[0] - 7
    yy, xx = np.mgrid[:n, :n]
    water = (np.sin(xx / 150.0) + np.cos(yy / 210.0)) > 1.55
    post[:, water] -= 12
    fit = fit_scene(post)
    rules = Rules.from_fit(fit, pixel_size_m=10.0)
    mp = n * n / 1e6
    clock = time.perf_counter
    t = clock()
    _, wet = rules_water(post, rules)
    t_rules = clock() - t
    t = clock()
    x, gate = learned.water_features(post, fit, wet)
    t_feat = clock() - t
    booster, _ = learned.load_water_model()
    t = clock()
    booster.predict(x.T, num_threads=2)
    t_pred = clock() - t
    t = clock()
    map_window(post, rules, fit)
    t_map = clock() - t
    t = clock()
    got, *_ = map_window(post, dataclasses.replace(rules, learned=True), fit)
    t_learn = clock() - t
    iou = (got & water).sum() / (got | water).sum()
    print(
        f"{mp:.2f} MP, water {water.mean():.3f}, gate {gate.mean():.3f}: rules' water "
        f"{t_rules / mp:.2f} s/MP, features {t_feat / mp:.2f} s/MP, predict {t_pred / mp:.2f} "
        f"s/MP ({booster.num_trees()} trees); map_window: rules {t_map / mp:.2f} s/MP, "
        f"learned {t_learn / mp:.2f} s/MP (water IoU {iou:.3f})"
    )


if __name__ == "__main__":
    main()
