"""An input this user may not read is refused with the permission fix, not as a damaged file.

The tests run as root, whom chmod 000 does not stop, so the denial is made by opening: a
wrapper of ``open`` that refuses the one file, as the file system refuses another user."""

from __future__ import annotations

import builtins
import io
import shutil
from pathlib import Path

import numpy as np
import pytest

from paii_core import cli
from paii_core.errors import InputFileError
from paii_core.io import read_boundaries, read_geotiff, write_geotiff

from .conftest import ORIGIN, UTM50

REAL = Path(__file__).resolve().parents[2] / "data/real"


@pytest.fixture
def deny(monkeypatch):
    """``deny(path)``: opening ``path`` raises PermissionError from now on."""
    real_open = builtins.open

    def refuse(path: Path) -> None:
        def guarded(file, *args, **kwargs):
            if str(file) == str(path):
                raise PermissionError(13, "Permission denied", str(file))
            return real_open(file, *args, **kwargs)

        monkeypatch.setattr(builtins, "open", guarded)
        monkeypatch.setattr(io, "open", guarded)  # Path.open, Path.read_text

    return refuse


def test_an_unreadable_raster_says_permission_not_damage(tmp_path, deny):
    path = write_geotiff(tmp_path / "s1.tif", np.zeros((1, 2, 2)), crs=UTM50, transform=ORIGIN)
    deny(path)
    with pytest.raises(InputFileError, match=r"s1\.tif: cannot be read: permission denied .* "
                       r"Fix: make it readable, e\.g\. `chmod u\+r '.*s1\.tif'`") as e:  # fmt: skip
        read_geotiff(path)
    assert "re-download" not in str(e.value)


def test_an_unreadable_boundary_file_says_permission(tmp_path, deny):
    path = tmp_path / "counties.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}')
    deny(path)
    with pytest.raises(InputFileError, match=r"counties\.geojson: cannot be read: permission "
                       r"denied .*`chmod u\+r"):  # fmt: skip
        read_boundaries(path)


def test_the_command_reports_a_permission_error_no_reader_checked(tmp_path, deny, capsys):
    """An unreadable Landsat MTL (read as text, no raster check) ended `paii reflectance`
    with a PermissionError traceback."""
    product = shutil.copytree(REAL / "rstoolbox_landsat5_tm", tmp_path / "l5")
    mtl = next(product.glob("*_MTL.txt"))
    deny(mtl)
    status = cli.main(["reflectance", str(product), str(tmp_path / "refl.tif")])
    err = capsys.readouterr().err
    assert status == 2 and "Traceback" not in err
    assert f"paii: error: {mtl}: cannot be opened: permission denied for this user. Fix:" in err
    assert not (tmp_path / "refl.tif").exists()
