"""The pages benchmark's JSON as the figures table reads it: the issue's time (to the script
finishing) judged, the time until the maps are drawn shown beside it."""

from __future__ import annotations

from bench.registry import pages


def test_script_finished_is_judged_and_drawn_is_shown():
    rows = pages(
        {
            "pages": [
                {"page": "Home", "cold_s": 1.2, "warm_s": 0.4,
                 "cold_painted_s": 1.6, "warm_painted_s": 1.3},
                {"page": "Yield", "cold_s": 3.4, "warm_s": 0.5,
                 "cold_painted_s": 3.5, "warm_painted_s": 0.6},
            ],
            "concurrent": None,
        }
    )  # fmt: skip
    assert rows[0][0] == "page Home: cold / warm load in Chromium, to script finished (s)"
    assert [r[1] for r in rows[:2]] == [
        "1.2 / 0.4 (drawn 1.6 / 1.3)",
        "3.4 / 0.5 (drawn 3.5 / 0.6)",
    ]
    assert [r[4] for r in rows[:2]] == [True, False]  # drawn later than 1 s does not fail Home
    assert rows[2][1] == "not measured (--no-concurrent)" and rows[2][4] is False
