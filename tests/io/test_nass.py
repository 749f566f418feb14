"""Tests of paii_core.io.nass: Quick Stats parsing, codes, county ids, round trip."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest

from paii_core.errors import FormatError, InputNotFoundError, ValidationError
from paii_core.io import (
    NASS_COLUMNS,
    county_id_from_ansi,
    read_nass_quickstats,
    unit_from_data_item,
    write_nass_quickstats,
)

YIELD = "CORN, GRAIN - YIELD, MEASURED IN BU / ACRE"
AREA = "CORN, GRAIN - ACRES HARVESTED"


def _row(**kw: str) -> dict[str, str]:
    row = dict.fromkeys(NASS_COLUMNS, "")
    row.update(
        {"Program": "SURVEY", "Year": "2020", "Period": "YEAR", "Geo Level": "COUNTY",
         "State": "IOWA", "State ANSI": "19", "County": "STORY", "County ANSI": "169",
         "Commodity": "CORN", "Data Item": YIELD, "Domain": "TOTAL",
         "Domain Category": "NOT SPECIFIED", "Value": "181.3"}
    )  # fmt: skip
    row.update(kw)
    return row


def _csv(path, rows, columns=NASS_COLUMNS):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore", quoting=csv.QUOTE_ALL)
        w.writeheader()
        w.writerows(rows)
    return path


def _export(tmp_path):
    return _csv(
        tmp_path / "qs.csv",
        [
            _row(),
            _row(**{"County ANSI": "1", "County": "ADAIR", "Data Item": AREA, "Value": "1,234"}),
            _row(**{"County": "BOONE", "County ANSI": "15", "Value": " (D) "}),
            _row(**{"Geo Level": "STATE", "County": "", "County ANSI": "", "Value": "178"}),
            _row(**{"County": "OTHER (COMBINED) COUNTIES", "County ANSI": "", "Value": "170"}),
            _row(**{"State": "HENAN", "State ANSI": "41", "County": "HUA XIAN",
                    "County ANSI": "0526", "Commodity": "WHEAT",
                    "Data Item": "WHEAT - YIELD, MEASURED IN KG / MU", "Value": "412.5"}),
        ],
    )  # fmt: skip


def test_read_export(tmp_path):
    df = read_nass_quickstats(_export(tmp_path))
    assert list(df.columns) == ["county_id", "year", "commodity", "data_item", "value",
                                "withheld", "unit", "state", "county"]  # fmt: skip
    assert df["county_id"].tolist() == ["19169", "19001", "19015", "410526"]
    assert df["year"].tolist() == [2020] * 4 and df["year"].dtype == np.int64
    assert df["value"].tolist()[:2] == [181.3, 1234.0]
    assert np.isnan(df["value"].iloc[2]) and df["withheld"].iloc[2] == "(D)"
    assert df["withheld"].iloc[0] is None
    assert df["unit"].tolist() == ["bu/acre", "acres", "bu/acre", "kg/mu"]
    assert df["county"].tolist()[-1] == "HUA XIAN"


def test_commodity_filter(tmp_path):
    df = read_nass_quickstats(_export(tmp_path), commodity="wheat")
    assert df["county_id"].tolist() == ["410526"]
    with pytest.raises(ValidationError, match=r"commodity 'RICE' is not in .*it has: CORN, WHEAT"):
        read_nass_quickstats(_export(tmp_path), commodity="RICE")


def test_garbage_value_names_the_row(tmp_path):
    rows = [_row(), _row(), _row(Value="lots")]
    path = _csv(tmp_path / "bad.csv", rows)
    with pytest.raises(FormatError, match=r"bad\.csv: row 3 \(line 4\) has Value 'lots'"):
        read_nass_quickstats(path)


def test_bad_ansi_and_year_name_the_row(tmp_path):
    path = _csv(tmp_path / "ansi.csv", [_row(**{"County ANSI": "16x"})])
    with pytest.raises(FormatError, match=r"row 1 \(line 2\): State ANSI '19' / County ANSI"):
        read_nass_quickstats(path)
    path = _csv(tmp_path / "year.csv", [_row(), _row(Year="20x0")])
    # was "invalid literal for int() with base 10: '20x0'", Python's words, not the file's
    with pytest.raises(FormatError, match=r"row 2 \(line 3\): Year '20x0' is not a year"):
        read_nass_quickstats(path)


def test_missing_columns_listed(tmp_path):
    cols = [c for c in NASS_COLUMNS if c not in ("County ANSI", "Value")]
    path = _csv(tmp_path / "cols.csv", [_row()], columns=cols)
    with pytest.raises(FormatError, match="lacks columns County ANSI, Value"):
        read_nass_quickstats(path)


def test_empty_and_header_only(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(FormatError, match=r"empty\.csv: is empty"):
        read_nass_quickstats(empty)
    header = _csv(tmp_path / "header.csv", [])
    with pytest.raises(FormatError, match="has a header but no rows"):
        read_nass_quickstats(header)


def test_no_county_rows(tmp_path):
    path = _csv(tmp_path / "state.csv", [_row(**{"Geo Level": "STATE", "County ANSI": ""})])
    with pytest.raises(FormatError, match=r"no county rows .*Geo Level values: STATE"):
        read_nass_quickstats(path)


def test_not_a_csv_and_missing(tmp_path):
    path = tmp_path / "bin.csv"
    path.write_bytes(b"\xff\xfe\x00\x81\x82 not text")
    with pytest.raises(FormatError, match="is not a readable CSV"):
        read_nass_quickstats(path)
    with pytest.raises(InputNotFoundError, match="Quick Stats CSV not found"):
        read_nass_quickstats(tmp_path / "none.csv")


def test_helpers():
    assert unit_from_data_item("RICE - YIELD, MEASURED IN T / HA") == "t/ha"
    assert unit_from_data_item("CORN, GRAIN - PRODUCTION, MEASURED IN BU") == "bu"
    assert unit_from_data_item("CORN - OPERATIONS WITH AREA HARVESTED") is None
    assert county_id_from_ansi("1", "1") == "01001"
    assert county_id_from_ansi("42", "1088") == "421088"
    with pytest.raises(ValidationError, match="are not 1-2 and 1-4 digits"):
        county_id_from_ansi("19", "12345")


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "county_id": ["19169", "19001", "19015", "421088"],
            "year": [2020, 2020, 2021, 2020],
            "commodity": ["CORN", "CORN", "CORN", "RICE"],
            "data_item": [YIELD, AREA, YIELD, "RICE - YIELD, MEASURED IN T / HA"],
            "value": [180.0, 123456.0, np.nan, 7.85],
            "withheld": [None, None, "(D)", None],
            "state": ["IOWA", "IOWA", "IOWA", "HUBEI"],
            "county": ["STORY", "ADAIR", "BOONE", "JIANLI"],
        }
    )


def test_write_read_round_trip(tmp_path):
    path = write_nass_quickstats(tmp_path / "out.csv", _frame())
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert list(raw.columns) == list(NASS_COLUMNS)
    assert raw["Value"].tolist() == ["180.0", "123,456", "(D)", "7.85"]
    assert raw["County ANSI"].tolist() == ["169", "001", "015", "1088"]
    back = read_nass_quickstats(path)
    expected = _frame()
    pd.testing.assert_series_equal(back["value"], expected["value"])
    assert back["county_id"].tolist() == expected["county_id"].tolist()
    assert back["withheld"].tolist() == [None, None, "(D)", None]
    assert back["unit"].tolist() == ["bu/acre", "acres", "bu/acre", "t/ha"]


def test_nan_without_code_is_na(tmp_path):
    df = _frame().drop(columns="withheld")
    raw = pd.read_csv(write_nass_quickstats(tmp_path / "na.csv", df), dtype=str,
                      keep_default_na=False)  # fmt: skip
    assert raw["Value"].iloc[2] == "(NA)"


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"county_id": ["1916", "19001", "19015", "421088"]}, "county_id '1916' is not"),
        ({"withheld": [None, None, "(Q)", None]}, r"withheld '\(Q\)' is not a NASS code"),
        ({"value": [np.inf, 1.0, 1.0, 1.0]}, "value inf is not finite"),
        ({"year": [None, 2020, 2020, 2020]}, "year nan of county 19169 is not a year"),
    ],
)
def test_writer_rejects(tmp_path, change, match):
    df = _frame()
    for k, v in change.items():
        df[k] = v
    with pytest.raises(ValidationError, match=match):
        write_nass_quickstats(tmp_path / "x.csv", df)
    assert list(tmp_path.iterdir()) == []


def test_writer_missing_columns(tmp_path):
    with pytest.raises(ValidationError, match="df lacks columns value"):
        write_nass_quickstats(tmp_path / "x.csv", _frame().drop(columns="value"))


def test_failed_write_keeps_previous_file(tmp_path, monkeypatch):
    path = write_nass_quickstats(tmp_path / "keep.csv", _frame())
    before = path.read_bytes()

    def boom(self, rows):
        raise OSError("No space left on device")

    monkeypatch.setattr(csv.DictWriter, "writerows", boom)
    with pytest.raises(OSError, match="No space left"):
        write_nass_quickstats(path, _frame().iloc[:1])
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["keep.csv"]


def test_rows_longer_than_the_header_are_refused(tmp_path):
    path = _export(tmp_path)
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0], lines[1] + ',"SURVEY"', *lines[2:]]) + "\n")
    with pytest.raises(FormatError, match=r"qs\.csv: has rows with more fields than its header"):
        read_nass_quickstats(path)
