"""Uploads that describe other files (GDAL / OGR VRTs...) are refused before any reader
opens them: uploaded as post.tif, a VRT read the server's own files as pixels."""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine

from paii_core import io
from paii_core.errors import FormatError
from paii_core.flood.files import map_flood_bytes
from paii_core.insurance.policy_file import read_policy_file
from paii_core.io.untrusted import check_upload
from tests.io import make_s2_items as items
from ui.uploads import saved_upload


def _raw_vrt(secret: Path) -> str:
    """A VRT whose raw band reads ``secret``'s bytes as a 16 x 1 px Byte image."""
    return (
        '<VRTDataset rasterXSize="16" rasterYSize="1"><SRS>EPSG:32650</SRS>'
        "<GeoTransform>500000, 10, 0, 4000000, 0, -10</GeoTransform>"
        '<VRTRasterBand dataType="Byte" band="1" subClass="VRTRawRasterBand">'
        f'<SourceFilename relativetoVRT="0">{secret}</SourceFilename><ImageOffset>0'
        "</ImageOffset><PixelOffset>1</PixelOffset><LineOffset>16</LineOffset>"
        "</VRTRasterBand></VRTDataset>"
    )


@pytest.fixture()
def secret(tmp_path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text("SECRET: password hashes, keys")
    return path


def test_a_vrt_named_as_a_geotiff_would_read_any_file_and_is_refused(tmp_path, secret):
    post = tmp_path / "post.tif"
    post.write_text("\ufeff\n  " + _raw_vrt(secret))
    assert bytes(io.read_raster(post).data[0, 0].astype(np.uint8)) == b"SECRET: password"
    with pytest.raises(FormatError, match="is an XML file"):
        check_upload(post)


def test_the_flood_page_upload_refuses_it_naming_the_upload(tmp_path, secret):
    with pytest.raises(FormatError, match=r"post\.tif \(post\): is an XML file") as err:
        map_flood_bytes(("post.tif", _raw_vrt(secret).encode()))
    assert "SECRET" not in str(err.value)


def test_an_ogr_vrt_named_as_geojson_and_a_vrt_inside_a_zip_are_refused(tmp_path, secret):
    table = tmp_path / "server.csv"  # any text file the server can read
    table.write_text("user,secret\nadmin,SECRET-HASH\n")
    ogr = tmp_path / "policies.geojson"
    ogr.write_text(
        '<OGRVRTDataSource><OGRVRTLayer name="server">'
        f"<SrcDataSource>{table}</SrcDataSource><SrcLayer>server</SrcLayer>"
        "<GeometryType>wkbPoint</GeometryType><LayerSRS>EPSG:4326</LayerSRS>"
        '<GeometryField encoding="PointFromColumns" x="secret" y="secret"/>'
        "</OGRVRTLayer></OGRVRTDataSource>"
    )
    assert read_policy_file(ogr)["secret"].tolist() == ["SECRET-HASH"]  # what it did
    with pytest.raises(FormatError, match="is an XML file"):
        check_upload(ogr)
    rtc = tmp_path / "S1A_IW_RTC.zip"
    with zipfile.ZipFile(rtc, "w") as z:
        z.writestr("S1A_IW_RTC/S1A_IW_RTC_VV.tif", _raw_vrt(secret))
    with pytest.raises(FormatError, match=r"holds S1A_IW_RTC/S1A_IW_RTC_VV\.tif, an XML file"):
        check_upload(rtc)


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
def test_a_raster_of_another_format_named_tif_is_refused(tmp_path):
    """GDAL reads by content: a PNG (or any format outside the few uploads need) as .tif."""
    png = tmp_path / "dem.tif"
    with rasterio.open(png, "w", driver="PNG", width=8, height=8, count=1, dtype="uint8") as dst:
        dst.write(np.ones((1, 8, 8), np.uint8))
    with pytest.raises(FormatError, match="a PNG raster"):
        check_upload(png)


def test_real_uploads_pass(tmp_path):
    tif = io.write_geotiff(
        tmp_path / "s1.tif", np.full((2, 8, 8), -12.0, np.float32), crs="EPSG:32650",
        transform=Affine(10, 0, 500000, 0, -10, 4000000),
    )  # fmt: skip
    safe_zip = items.zip_safe(items.write_safe(tmp_path, date(2020, 6, 1)))
    csv = tmp_path / "policies.csv"
    csv.write_text("policy_id,insured\nP-1,Li Wei\n")
    for path in (tif, safe_zip, csv):
        check_upload(path)


class _Upload:
    def __init__(self, name: str, data: bytes) -> None:
        self.name, self._data = name, data

    def getvalue(self) -> bytes:
        return self._data


def test_every_page_upload_is_checked_before_it_is_read(secret):
    with pytest.raises(FormatError, match=r"dem\.tif: is an XML file"):
        with saved_upload(_Upload("dem.tif", _raw_vrt(secret).encode())):
            pytest.fail("the block must not run")
