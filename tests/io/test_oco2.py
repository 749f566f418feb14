"""Tests of paii_core.io.oco2: Lite layout round trip, rejections, iteration, atomicity."""

from __future__ import annotations

import h5netcdf
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from paii_core.errors import FormatError, InputFileError, InputNotFoundError, ValidationError
from paii_core.io import OCO2_COLUMNS, iter_oco2_lite, read_oco2_lite_file, write_oco2_lite

NAME = "oco2_LtCO2_190601_B11014Ar_230101000000s.nc4"


def _soundings(n: int = 3) -> pd.DataFrame:
    times = pd.to_datetime(["2019-06-01 05:10:11.100", "2019-06-01 05:10:11.433",
                            "2019-06-01 05:10:12.767"][:n], utc=True)  # fmt: skip
    return pd.DataFrame(
        {
            "sounding_id": np.array([2019060105101113, 2019060105101145, 2019060105101278][:n]),
            "time": times.astype("datetime64[ns, UTC]"),
            "latitude": np.float32([30.51, 30.52, 30.53][:n]),
            "longitude": np.float32([114.31, 114.32, -0.5][:n]),
            "xco2": np.float32([410.25, np.nan, 409.5][:n]),
            "xco2_uncertainty": np.float32([0.45, 0.5, 0.61][:n]),
            "xco2_quality_flag": np.int8([0, 1, 0][:n]),
        }
    )


def test_round_trip_exact(tmp_path):
    df = _soundings()
    path = write_oco2_lite(tmp_path / NAME, df, attrs={"comment": "simulated"})
    got = read_oco2_lite_file(path)
    assert list(got.columns) == list(OCO2_COLUMNS)
    pd.testing.assert_frame_equal(got, df)
    assert got.attrs["source_file"] == str(path)


def test_file_opens_in_xarray_with_lite_layout(tmp_path):
    path = write_oco2_lite(tmp_path / NAME, _soundings(), attrs={"comment": "simulated"})
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        assert ds.sizes == {"sounding_id": 3, "epoch_dimension": 7}
        assert ds["xco2"].attrs["units"] == "ppm"
        assert ds["xco2"].encoding["_FillValue"] == np.float32(-999999.0)
        assert np.isnan(ds["xco2"].values[1])
        assert ds["latitude"].attrs["units"] == "degrees_north"
        assert ds["xco2_quality_flag"].dtype == np.int8
        assert ds["date"].values[1].tolist() == [2019, 6, 1, 5, 10, 11, 433]
        assert ds.attrs["comment"] == "simulated"
    with xr.open_dataset(path, engine="h5netcdf", decode_times=False) as ds:
        assert ds["time"].attrs["units"] == "seconds since 1970-01-01 00:00:00"
        assert ds["time"].values[0] == pytest.approx(1559365811.1)


def test_empty_file(tmp_path):
    path = write_oco2_lite(tmp_path / NAME, _soundings().iloc[:0])
    got = read_oco2_lite_file(path)
    assert len(got) == 0 and got.dtypes["time"] == "datetime64[ns, UTC]"


def _netcdf(path, variables: dict[str, tuple[tuple[str, ...], np.ndarray]], attrs=None):
    ds = xr.Dataset({k: (dims, v) for k, (dims, v) in variables.items()})
    for k, a in (attrs or {}).items():
        ds[k].attrs.update(a)
    ds.to_netcdf(path, engine="h5netcdf")
    return path


def _lite_vars(drop: str | None = None, n: int = 2) -> dict:
    one = ("sounding_id",)
    variables = {
        "sounding_id": (one, np.arange(n, dtype=np.int64)),
        "latitude": (one, np.zeros(n, np.float32)),
        "longitude": (one, np.zeros(n, np.float32)),
        "time": (one, np.zeros(n)),
        "xco2": (one, np.full(n, 410, np.float32)),
        "xco2_uncertainty": (one, np.ones(n, np.float32)),
        "xco2_quality_flag": (one, np.zeros(n, np.int8)),
    }
    variables.pop(drop, None)
    return variables


def test_missing_xco2_names_file_and_variable(tmp_path):
    path = _netcdf(tmp_path / "no_xco2.nc4", _lite_vars(drop="xco2"))
    with pytest.raises(FormatError, match=r"no_xco2\.nc4: has no variable 'xco2'"):
        read_oco2_lite_file(path)


def test_wrong_dimension(tmp_path):
    variables = _lite_vars()
    variables["xco2"] = (("footprint",), np.ones(2, np.float32))
    path = _netcdf(tmp_path / "dims.nc4", variables)
    with pytest.raises(FormatError, match=r"variable 'xco2' has dimensions \('footprint',\)"):
        read_oco2_lite_file(path)


def test_no_sounding_dimension(tmp_path):
    path = _netcdf(tmp_path / "nodim.nc4", {"xco2": (("n",), np.ones(2, np.float32))})
    with pytest.raises(FormatError, match="has no 'sounding_id' dimension"):
        read_oco2_lite_file(path)


def test_time_units_and_ranges(tmp_path):
    hours = _netcdf(tmp_path / "hours.nc4", _lite_vars(),
                    {"time": {"units": "hours since 2019-01-01"}})  # fmt: skip
    with pytest.raises(FormatError, match="time units are 'hours since 2019-01-01'"):
        read_oco2_lite_file(hours)
    variables = _lite_vars()
    variables["latitude"] = (("sounding_id",), np.float32([10, 95]))
    bad = _netcdf(tmp_path / "lat.nc4", variables)
    with pytest.raises(FormatError, match="latitude beyond"):
        read_oco2_lite_file(bad)


def test_not_netcdf_and_truncated(tmp_path):
    text = tmp_path / "text.nc4"
    text.write_text("sounding_id,xco2\n1,410\n")
    with pytest.raises(FormatError, match=r"text\.nc4: is not a readable NetCDF4 file"):
        read_oco2_lite_file(text)
    path = write_oco2_lite(tmp_path / "cut.nc4", _soundings())
    blob = path.read_bytes()
    path.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(FormatError, match=r"cut\.nc4: is not a readable NetCDF4 file"):
        read_oco2_lite_file(path)


def test_missing_file(tmp_path):
    with pytest.raises(InputNotFoundError, match="OCO-2 Lite file not found"):
        read_oco2_lite_file(tmp_path / NAME)


def test_iter_skip_and_raise(tmp_path):
    good = write_oco2_lite(tmp_path / NAME, _soundings())
    bad = _netcdf(tmp_path / "bad.nc4", _lite_vars(drop="xco2"))
    errors: list = []
    frames = list(iter_oco2_lite([good, bad, good], on_error="skip", errors=errors))
    assert len(frames) == 2
    assert len(errors) == 1 and isinstance(errors[0], InputFileError)
    assert "bad.nc4" in str(errors[0])
    assert len(list(iter_oco2_lite(str(good)))) == 1
    with pytest.raises(FormatError, match="has no variable 'xco2'"):
        list(iter_oco2_lite([good, bad]))
    with pytest.raises(ValidationError, match="on_error 'ignore' is unknown"):
        list(iter_oco2_lite([good], on_error="ignore"))


def test_writer_rejects(tmp_path):
    with pytest.raises(ValidationError, match="df lacks columns xco2"):
        write_oco2_lite(tmp_path / NAME, _soundings().drop(columns="xco2"))
    df = _soundings()
    df.loc[0, "time"] = pd.NaT
    with pytest.raises(ValidationError, match="column 'time' has missing values"):
        write_oco2_lite(tmp_path / NAME, df)
    assert list(tmp_path.iterdir()) == []


def test_naive_times_are_utc(tmp_path):
    df = _soundings()
    df["time"] = df["time"].dt.tz_localize(None)
    got = read_oco2_lite_file(write_oco2_lite(tmp_path / NAME, df))
    pd.testing.assert_series_equal(got["time"], _soundings()["time"])


def test_failed_write_keeps_previous_file(tmp_path, monkeypatch):
    path = write_oco2_lite(tmp_path / NAME, _soundings())
    before = path.read_bytes()

    def boom(self, *args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(h5netcdf.File, "create_variable", boom)
    with pytest.raises(OSError, match="No space left"):
        write_oco2_lite(path, _soundings(1))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [NAME]
