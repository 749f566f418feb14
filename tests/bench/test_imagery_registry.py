"""The imagery rows of the current-figures table (bench.registry.imagery)."""

from __future__ import annotations

from bench import registry


def _figures(sim_mask: list, sim_blue: list) -> dict:
    real = {"data": "real", "s2cloudless": [1.0, 1.0, 0.0, 0.0], "blue > 0.2": [0.8, 0.5, 0.1, 0.0]}
    sim = {"data": "simulated (held out)", "s2cloudless": sim_mask, "blue > 0.2": sim_blue}
    windowed = {"peak_mb": 300, "before_mb": 240, "area": 400, "n_dates": 2, "tile": 600,
                "seconds": 1.0, "whole_tile_mb": 100}  # fmt: skip
    return {"clouds": [real, sim], "windowed": windowed}


def test_simulated_cloud_row_judges_missed_cloud_and_reach_not_accuracy():
    rows = registry.imagery(_figures([0.85, 0.51, 0.0, 190.0], [1.0, 1.0, 0.0, 0.0]))
    sim = next(r for r in rows if "simulated" in r[0])
    assert sim[1] == "0.0 %; 190 m; 0.850 (0.510)"
    assert sim[4] is True
    real = next(r for r in rows if "real" in r[0])
    assert "not independent truth" in real[0]


def test_simulated_cloud_row_fails_on_missed_cloud_or_far_false_alarm():
    missed = registry.imagery(_figures([0.9, 0.6, 0.05, 100.0], [1.0, 1.0, 0.0, 0.0]))
    far = registry.imagery(_figures([0.9, 0.6, 0.0, 900.0], [1.0, 1.0, 0.0, 0.0]))
    assert next(r for r in missed if "simulated" in r[0])[4] is False
    assert next(r for r in far if "simulated" in r[0])[4] is False


def test_old_json_without_reach_reads_not_met():
    rows = registry.imagery(_figures([0.85, 0.51], [1.0, 1.0]))
    sim = next(r for r in rows if "simulated" in r[0])
    assert sim[4] is False
    assert "nan" in sim[1]
