"""Users' text tables (io.tables): comma, semicolon and tab CSVs, decimal commas."""

from __future__ import annotations

import pandas as pd
import pytest

from paii_core.errors import FormatError
from paii_core.insurance.policy_file import read_policy_file
from paii_core.io.tables import csv_separator, read_text_table


@pytest.mark.parametrize(
    ("header", "sep"),
    [("a,b,c", ","), ("a;b;c", ";"), ("a\tb\tc", "\t"), ('"x;y",b', ","), ("a", ",")],
)
def test_the_separator_is_read_from_the_header(tmp_path, header, sep):
    path = tmp_path / "t.csv"
    path.write_text(header + "\n")
    assert csv_separator(path) == sep


def test_a_semicolon_csv_reads_its_decimal_commas_as_points(tmp_path):
    """What Excel saves as CSV where the decimal mark is a comma (Germany, France, Brazil)."""
    path = tmp_path / "policen.csv"
    path.write_text(
        "policy_id;declared_area_ha;price;start_date;geometry\n"
        'P-1;1.250,5;3,88;15.03.2021;"POLYGON ((11.5 48.1, 11.6 48.1, 11.6 48.2, 11.5 48.1))"\n',
        encoding="utf-8",
    )
    row = read_policy_file(path).iloc[0]
    assert (row["declared_area_ha"], row["price"]) == ("1250.5", "3.88")
    assert row["start_date"] == "15.03.2021"  # not a number: as typed (then refused as a date)
    assert row["geometry"].startswith("POLYGON ((11.5 48.1")


def test_a_comma_csv_keeps_its_commas_for_the_checks(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('a,b\n"3,88","1,234.5"\n')
    frame = read_text_table(path, "the rows")
    assert frame.iloc[0].tolist() == ["3,88", "1,234.5"]  # the policy checks refuse "3,88"


def test_an_old_excel_workbook_is_refused_with_the_fix(tmp_path):
    path = tmp_path / "t.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(FormatError, match=r"save it as \.xlsx"):
        read_text_table(path, "the rows")


def test_a_tab_separated_table(tmp_path):
    path = tmp_path / "t.txt"
    pd.DataFrame({"county_id": ["05001"], "yield": ["7.5"]}).to_csv(path, sep="\t", index=False)
    assert read_text_table(path, "the yields").to_dict("records") == [
        {"county_id": "05001", "yield": "7.5"}
    ]
