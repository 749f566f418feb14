"""`paii COMMAND` builds the parser of that command's module alone."""

from __future__ import annotations

import argparse
import importlib
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from paii_core import cli

REPO = Path(__file__).resolve().parents[1]


def _registered(module: str) -> set[str]:
    sub = argparse.ArgumentParser().add_subparsers()
    importlib.import_module(module).register(sub)
    return set(sub.choices)


@pytest.mark.parametrize("command", sorted(cli.COMMAND_NAMES))
def test_each_named_command_is_registered_by_its_module(command):
    module = cli.COMMAND_NAMES[command]
    assert module in cli.COMMAND_MODULES
    assert command in _registered(module)


@pytest.mark.parametrize("module", cli.COMMAND_MODULES)
def test_every_command_a_module_registers_is_named(module):
    assert {c for c, m in cli.COMMAND_NAMES.items() if m == module} == _registered(module)


def test_command_is_the_first_word_that_is_not_an_option():
    assert cli._command(["-v", "batch", "dehaze", "--inputs", "a.tif"]) == "batch"
    assert cli._command(["--help"]) is None
    assert cli._command([]) is None


def test_a_known_command_parses_without_the_other_modules():
    parser = cli._parser("batch")
    args = parser.parse_args(["batch", "dehaze", "--inputs", "a.tif", "--out", "o"])
    assert args.job == "dehaze" and args.workers == 2
    with pytest.raises(SystemExit):  # another command is not in this parser
        parser.parse_args(["dehaze", "a.tif", "b.tif"])
    full = cli._parser(None)
    assert full.parse_args(["users", "list"]).command == "users"


def test_paii_batch_starts_without_torch_or_lightgbm():
    code = (
        "import sys; from paii_core import cli; cli._parser('batch'); "
        "print(sorted(m for m in ('torch', 'lightgbm', 'sklearn', 'duckdb') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_gdal_warnings_only_with_verbose(tmp_path, caplog):
    """The real openEO GeoTIFF makes GDAL warn a dozen times ('CPLE_AppDefined ...
    TIFFReadDirectory'); a plain command hides them, -v shows them."""
    src = REPO / "data/real/italy_s2_l2a_openeo/S2_L2A_sample.tif"
    args = ["reflectance", str(src), str(tmp_path / "r.tif")]
    with caplog.at_level(logging.WARNING):
        assert cli.main(args) == 2  # refused: no offset tag
        assert not [r for r in caplog.records if r.name.startswith("rasterio")]
        assert cli.main(["-v", *args]) == 2
        assert [r for r in caplog.records if "TIFFReadDirectory" in r.getMessage()]
