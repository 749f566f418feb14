"""The SR capacity diagnostic trains on the development captures alone, then restores."""

from __future__ import annotations

import json

from bench.enhance import sr_capacity
from paii_core.enhance import load_model, real_scenes, sr_data


def test_overfit_trains_on_the_development_captures_only(tmp_path, monkeypatch):
    seen = []
    original = sr_data.real_sample

    def spy(image, rng, **kw):
        seen.append(image.shape)
        return original(image, rng, **kw)

    monkeypatch.setattr(sr_data, "real_sample", spy)
    before = sr_data.training_images
    meta = sr_capacity.overfit(
        tmp_path / "run", minutes=5, max_steps=2, batch=2, patch=8, keep_every=1, pool_size=1
    )
    assert sr_data.training_images is before
    assert meta["steps"] == 2 and meta["real_share"] == 1.0 and meta["box_share"] == 1.0
    dev = {tuple(load().image.shape) for load in real_scenes.SR_DEV.values()}
    assert len(seen) == 4 and {s for s in seen} <= dev
    assert json.loads((tmp_path / "run" / "step_2" / "meta.json").read_text())["steps"] == 2
    assert load_model("sr", tmp_path / "run").version == meta["version"]
