"""Pairing hazy and clear captures of one footprint within 5 days."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from affine import Affine

from paii_core.enhance import CaptureRecord, build_pairs
from paii_core.enhance.pairs import index_captures
from paii_core.errors import InputFileError, ValidationError
from paii_core.io import Raster

A = ("EPSG:32650", (10, 0, 0, 0, -10, 0), 64, 64)
B = ("EPSG:32650", (10, 0, 640, 0, -10, 0), 64, 64)


def _rec(name, day, haze, fp=A):
    return CaptureRecord(name, date(2020, 7, day), fp, haze)


def test_each_hazy_capture_gets_the_clearest_within_five_days():
    recs = [
        _rec("a", 1, 10),
        _rec("b", 4, 60),
        _rec("c", 6, 8),
        _rec("d", 20, 70),
        _rec("e", 3, 9, fp=B),
    ]
    pairs = build_pairs(recs)
    assert [(p.hazy.path, p.clear.path) for p in pairs] == [("b", "c")]
    assert pairs[0].days_apart == 2 and pairs[0].haze_gap == 52


def test_window_and_gap_are_respected():
    recs = [_rec("a", 1, 10), _rec("b", 7, 60)]
    assert build_pairs(recs) == []
    assert len(build_pairs(recs, max_days=6)) == 1
    assert build_pairs(recs, max_days=6, min_gap=55) == []
    with pytest.raises(ValidationError, match="max_days and min_gap"):
        build_pairs(recs, max_days=-1)


def test_index_captures_reads_date_footprint_and_haze(tmp_path):
    def reader(path):
        value = 0.4 if "hazy" in path.name else 0.05
        tags = {} if "nodate" in path.name else {"DATE": "2020-07-03"}
        return Raster(
            np.full((4, 20, 20), value, np.float32),
            "EPSG:32650",
            Affine(10, 0, 0, 0, -10, 0),
            tags=tags,
        )

    recs = index_captures([tmp_path / "S2_x_20200701_hazy.tif", tmp_path / "clear.tif"], reader)
    assert recs[0].day == date(2020, 7, 3) and recs[0].haze > recs[1].haze + 50
    assert recs[0].footprint == recs[1].footprint
    assert len(build_pairs(recs)) == 1
    by_name = index_captures([tmp_path / "S2_x_20200701_nodate.tif"], reader)
    assert by_name[0].day == date(2020, 7, 1)
    with pytest.raises(InputFileError, match="no capture date"):
        index_captures([tmp_path / "nodate.tif"], reader)
