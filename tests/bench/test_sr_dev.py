"""The SR development harness scores real native-grid captures as the benchmark does."""

from __future__ import annotations

import numpy as np

from bench.enhance import real, sr_dev
from paii_core.enhance import load_model, super_resolve


def test_dev_rows_score_like_the_benchmark_and_summarise():
    truths = sr_dev.dev_truths()
    assert set(truths) == {"brandenburg_l1c_dev", "landsat8_corumba_toa", "landsat8_brumadinho_sr"}
    assert all(t.shape[1] % 4 == 0 and t.shape[2] % 4 == 0 for t in truths.values())
    small = {"corner": truths["landsat8_corumba_toa"][:, :64, :64]}
    net = load_model("sr")
    rows = sr_dev.dev_rows(net, small)
    assert [r["sensor_model"] for r in rows] == list(real.SENSOR_MODELS)
    lo = real.SENSOR_MODELS["box"].capture(small["corner"])
    bic = real._psnr(super_resolve(lo, method="bicubic"), small["corner"])
    assert rows[0]["bicubic"] == bic and rows[0]["gain"] == rows[0]["model"] - bic
    assert max(r["consistency_mae"] for r in rows) < 0.01
    s = sr_dev.summary(rows)
    assert s["box_corner"] == round(rows[0]["gain"], 4)
    assert s["box_mean"] == round(rows[0]["gain"], 4)
    assert np.isfinite(list(s.values())).all()
