"""The real-chip flood report: pooled IoU beside the per-chip mean, and its registry row."""

from bench.flood.real_chips import KEYS, pooled
from bench.registry import flood_chips


def _row(name: str, water: float, counts: dict[str, list[int]]) -> dict:
    ious = {k: c[0] / c[1] for k, c in counts.items()}
    return {"chip": name, "water %": water, **ious, "counts": counts}


def test_pooled_iou_sums_intersections_and_unions_over_chips():
    big = {k: [900, 1000] for k in KEYS}
    small = {k: [1, 10] for k in KEYS}
    rows = [_row("a", 40.0, big), _row("b", 1.0, small)]
    got = pooled(rows)
    assert got["paii"] == 901 / 1010  # not the per-chip mean (0.5)
    assert set(got) == set(KEYS)


def test_registry_row_is_the_per_chip_mean_with_the_pooled_figure_beside_it():
    counts = {"otsu VV": [5, 10], "otsu VH": [5, 10], "paii": [9, 10], "learned": [8, 10]}
    low = {"otsu VV": [1, 10], "otsu VH": [1, 10], "paii": [2, 10], "learned": [1, 10]}
    rows = [_row("a", 40.0, counts), _row("b", 2.0, low)]
    d = {"rows": rows, "pooled": pooled(rows)}
    first = flood_chips(d)[0]
    assert first[1] == "0.550 (pooled 0.550); 2 of 2"
    assert first[4] is False  # pooled 0.55 < 0.67
    big = {k: [90, 100] for k in KEYS}
    big["otsu VV"] = [50, 100]
    rows = [_row("a", 40.0, big), _row("b", 2.0, low)]
    met = flood_chips({"rows": rows, "pooled": pooled(rows)})[0]
    assert met[1].startswith("0.550 (pooled 0.836)") and met[4] is True


def test_the_threshold_and_its_method_come_from_the_outputs_tags():
    # a development chip (not a test chip) through `paii flood`: half water, bimodal scene
    from bench.flood.real_chips import SPLITS, paii_water
    from paii_core.config import paths

    chip = paths().root / "data/real/sen1floods11_dev/Nigeria_812045_S1Hand.tif"
    water = paii_water(chip)
    assert SPLITS[chip.name] == "-14.5 dB (scene)"
    assert 0.4 < water.mean() < 0.6
