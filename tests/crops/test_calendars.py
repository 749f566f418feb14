"""Crop calendars in the store: `paii crops calendar add|list`, validation, defaults kept."""

from __future__ import annotations

import pytest

from paii_core import store
from paii_core.cli import main
from paii_core.crops.calendars import DEFAULT_CALENDARS, CropCalendar
from paii_core.errors import StoreError, ValidationError
from paii_core.store.calendars import (
    add_calendar,
    calendar_rows,
    region_calendars,
    seed_calendars,
)


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "paii.duckdb"
    con = store.connect(path)
    for row in (("kansas", "Kansas (US)", "US", 32614), ("iowa", "Iowa (US)", "US", 32615)):
        con.execute(
            "INSERT INTO regions (region_id, name, country, utm_epsg, yield_unit) "
            "VALUES (?, ?, ?, ?, 'bu/acre')",
            list(row),
        )
    con.close()
    return path


def test_defaults_seed_once_and_never_overwrite_a_users_row(db):
    con = store.connect(db)
    add_calendar(con, CropCalendar("iowa", "corn", "04-20", "09-20", "user"), who="Ana")
    added = seed_calendars(con, DEFAULT_CALENDARS, who="paii demo build")
    assert added == len(DEFAULT_CALENDARS) - 1
    assert seed_calendars(con, DEFAULT_CALENDARS, who="paii demo build") == 0
    corn = region_calendars(con, "iowa")["corn"]
    assert (corn.sow, corn.source) == ("04-20", "user")
    assert set(calendar_rows(con)["region_id"]) == {"henan", "hubei", "iowa"}
    con.close()


def test_add_replaces_and_unknown_region_lists_the_known_ones(db):
    con = store.connect(db)
    add_calendar(con, CropCalendar("kansas", "sorghum", "05-20", "10-15", "user"), who="Ana")
    add_calendar(con, CropCalendar("kansas", "sorghum", "06-01", "10-30", "user"), who="Bo")
    rows = calendar_rows(con, "kansas")
    assert rows[["crop", "sow", "added_by"]].values.tolist() == [["sorghum", "06-01", "Bo"]]
    with pytest.raises(
        ValidationError,
        match=r"--region 'punjab' is not in the store; known "
        r"regions: iowa, kansas \(add it with `paii region add`\)",
    ):
        add_calendar(con, CropCalendar("punjab", "cotton", "05-01", "10-30"), who="Ana")
    assert calendar_rows(con, "punjab").empty
    con.close()


def test_store_errors_are_translated(tmp_path):
    import duckdb

    con = duckdb.connect(str(tmp_path / "bare.duckdb"))
    with pytest.raises(StoreError, match="could not read the crop calendars"):
        calendar_rows(con)
    with pytest.raises(StoreError, match="could not read the regions"):
        add_calendar(con, CropCalendar("iowa", "corn", "05-01", "10-01"), who="Ana")
    with pytest.raises(StoreError, match="could not store the default crop calendars"):
        seed_calendars(con, DEFAULT_CALENDARS, who="x")
    con.execute("CREATE TABLE regions (region_id TEXT)")
    con.execute("INSERT INTO regions VALUES ('iowa')")
    with pytest.raises(StoreError, match="could not store the calendar of 'corn'"):
        add_calendar(con, CropCalendar("iowa", "corn", "05-01", "10-01"), who="Ana")
    con.close()


def test_cli_calendar_add_and_list(db, capsys):
    assert main(["crops", "calendar", "list", "--db", str(db)]) == 0
    assert "no crop calendars in the store" in capsys.readouterr().out
    args = ["crops", "calendar", "add", "winter barley", "--region", "kansas"]
    assert main([*args, "--sow", "10-01", "--harvest", "06-20", "--db", str(db)]) == 0
    assert "sown the year before harvest" in capsys.readouterr().out
    assert main(["crops", "calendar", "list", "--region", "kansas", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "winter barley" in out and "10-01" in out and "user" in out
    assert main(["crops", "calendar", "list", "--region", "iowa", "--db", str(db)]) == 0
    assert "no crop calendars in region 'iowa'" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--sow", "13-40", "--harvest", "06-20"], "--sow '13-40' is not a day of the year"),
        (["--sow", "10-01", "--harvest", "June"], "--harvest 'June' is not a month-day"),
        (["--sow", "10-01", "--harvest", "10-01"], "both 10-01; give different dates"),
        (
            ["--sow", "10-01", "--harvest", "06-20", "--region", "mars"],
            "'mars' is not in the store",
        ),
    ],
)
def test_cli_calendar_add_rejects_bad_input(db, capsys, extra, message):
    region = [] if "--region" in extra else ["--region", "kansas"]
    code = main(["crops", "calendar", "add", "oats", *region, *extra, "--db", str(db)])
    assert code == 2
    assert message in capsys.readouterr().err
    con = store.connect(db)
    assert calendar_rows(con).empty  # nothing half-written
    con.close()
